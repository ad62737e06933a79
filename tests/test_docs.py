"""The docs stay true: every setting, endpoint and limit is documented as it is."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

import pytest

from heron.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def config_rows() -> dict[str, list[str]]:
    """``{field: [VARIABLE, ...]}`` from the table in docs/configuration.md."""
    rows = {}
    for line in (DOCS / "configuration.md").read_text().splitlines():
        m = re.match(r"^\| `(\w+)` \| ([^|]*) \|", line)
        if m:
            rows[m.group(1)] = re.findall(r"`((?:HERON|WANDB)_\w+)`", m.group(2))
    return rows


def test_every_setting_is_documented() -> None:
    fields = {f.name for f in dataclasses.fields(Settings)}
    documented = set(config_rows())
    assert fields - documented == set(), "undocumented settings: add rows to configuration.md"
    assert documented - fields == set(), "configuration.md documents settings that do not exist"


def _sample(field: str, variable: str, tmp_path: Path) -> str:
    if "DISABLE" in variable:
        return "1"
    kind: Any = {f.name: f.type for f in dataclasses.fields(Settings)}[field]
    special = {
        "dir": str(tmp_path / "elsewhere"),
        "mode": "offline",
        "console": "off",
        "base_url": "http://example.invalid:1",
        "tags": "a,b",
    }
    if field in special:
        return special[field]
    if "bool" in str(kind):
        return "1"
    if "float" in str(kind) or "int" in str(kind):
        return "7"
    return "x-1"


@pytest.mark.parametrize(
    ("field", "variable"), [(f, v) for f, vs in config_rows().items() for v in vs]
)
def test_documented_variable_sets_its_setting(field: str, variable: str, tmp_path: Path) -> None:
    base_env = {"HERON_DIR": str(tmp_path / "home")}
    before = getattr(Settings.from_env(base_env), field)
    after = getattr(
        Settings.from_env({**base_env, variable: _sample(field, variable, tmp_path)}), field
    )
    assert after != before, f"{variable} is documented for {field} but does not change it"


def test_every_endpoint_is_documented(tmp_path: Path) -> None:
    from heron.server.app import create_app

    # The OpenAPI document lists every API route however the routers nest.
    paths = create_app(Settings(dir=tmp_path)).openapi()["paths"]
    assert "/api/v1/health" in paths and len(paths) > 10
    text = (DOCS / "http-api.md").read_text()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method in operations
        if f"`{method.upper()} {path}`" not in text
    ]
    assert missing == [], "add these endpoints to docs/http-api.md"


def test_limits_match_the_code() -> None:
    text = (DOCS / "limits.md").read_text()
    from heron.sdk.values import MAX_KEY_LENGTH, MAX_VALUE_BYTES

    assert f"| {MAX_KEY_LENGTH} characters |" in text
    assert f"({MAX_VALUE_BYTES:,} bytes)" in text
    from heron.entities import check_name, check_run_id

    check_name("project", "p" * 128)
    check_run_id("r" * 64)
    assert "| 128 characters |" in text and "| 64 characters |" in text


def readme_setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README's Set up section needs a bash block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = readme_setup_commands()
    assert len(commands) == 2
    assert "heron demo" in commands[0] and "scripts/test" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = readme_setup_commands()[1]
    assert any(line.strip() == test_command for line in ci.splitlines())
    for script in (ROOT / ".ci" / "run", ROOT / "scripts" / "test"):
        assert os.access(script, os.X_OK), f"{script} must be executable"


def test_doc_links_resolve() -> None:
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in text
    assert "## [Unreleased]" in text
    assert "### Added" in text


def test_docs_name_every_cli_command() -> None:
    from heron.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    text = (ROOT / "README.md").read_text() + (DOCS / "operations.md").read_text()
    for name in sub.choices:  # type: ignore[union-attr]
        assert f"heron {name}" in text, f"document `heron {name}` in README or operations.md"


def test_readme_python_tour_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) >= 2
    env = {
        **os.environ,
        "HERON_DIR": str(tmp_path / "home"),
        "HERON_DISABLE_STATS": "1",
        "HERON_DISABLE_GIT": "1",
        "HERON_CONSOLE": "off",
    }
    out = subprocess.run(
        [sys.executable, "-c", "\n".join(blocks)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert " 0.9 0.01" in out.stdout  # best run's max val/accuracy and its lr
    assert "{'true_count': 1, 'true_fraction': 0.5}" in out.stdout  # the evaluation
