"""run.config: wandb's rules for setting and changing hyperparameters."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from heron.errors import ConfigError
from heron.sdk.client import Client
from heron.sdk.config import Config

from .conftest import log_records


def test_attribute_and_item_access() -> None:
    c = Config()
    c.update({"lr": 0.1, "layers": [64, 32]})
    c.batch = 32
    c["dropout"] = 0.5
    assert (c.lr, c["layers"], c.batch, c.get("dropout"), c.get("nope", 7)) == (
        0.1,
        [64, 32],
        32,
        0.5,
        7,
    )
    assert "lr" in c and "nope" not in c
    assert sorted(c.keys()) == ["batch", "dropout", "layers", "lr"]
    assert dict(c.items())["batch"] == 32
    assert c.as_dict() == {"lr": 0.1, "layers": [64, 32], "batch": 32, "dropout": 0.5}
    with pytest.raises(AttributeError):
        _ = c.missing


def test_changing_a_key_needs_allow_val_change() -> None:
    c = Config()
    c.update({"lr": 0.1})
    with pytest.raises(
        ConfigError, match=r"'lr' already has value 0\.1.*to 0\.2.*allow_val_change"
    ):
        c.update({"lr": 0.2})
    with pytest.raises(ConfigError, match="'lr'"):
        c.lr = 0.3
    with pytest.raises(ConfigError, match="'lr'"):
        c["lr"] = 0.3
    c.update({"lr": 0.1})  # same value: fine
    c.update({"lr": 0.2}, allow_val_change=True)
    assert c.lr == 0.2


def test_setdefaults_keeps_existing_values() -> None:
    c = Config()
    c.update({"lr": 0.1})
    c.setdefaults({"lr": 0.5, "epochs": 3})
    assert c.as_dict() == {"lr": 0.1, "epochs": 3}


def test_namespace_yaml_and_objects(tmp_path: Path) -> None:
    c = Config()
    c.update(argparse.Namespace(lr=0.1, name="x"))
    plain = tmp_path / "plain.yaml"
    plain.write_text("epochs: 3\noptimizer: adam\n")
    c.update(str(plain))
    wandb_style = tmp_path / "config-defaults.yaml"
    wandb_style.write_text("wandb_version: 1\nbatch:\n  desc: null\n  value: 16\n")
    c.update(wandb_style)
    c.update({"path": tmp_path, "obj": object(), "t": (1, 2)})
    assert c.epochs == 3 and c.optimizer == "adam" and c.batch == 16 and c.name == "x"
    assert c.path == str(tmp_path) and c.t == [1, 2] and c.obj.startswith("<object")
    with pytest.raises(ConfigError, match="does not exist"):
        c.update(str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="non-empty strings"):
        c.update({1: 2})


def test_changes_emit_config_records_and_config_yaml(client: Client) -> None:
    run = client.init(
        project="cfg", config={"lr": 0.1, "secret": 1, "keep": 2}, config_exclude_keys=["secret"]
    )
    run.config.update({"epochs": 2})
    run.config.epochs = 2  # unchanged: no record
    run.finish()
    configs = [r["config"] for r in log_records(run, "config")]
    assert configs == [{"lr": 0.1, "keep": 2}, {"lr": 0.1, "keep": 2, "epochs": 2}]
    text = (Path(run.dir) / "config.yaml").read_text()
    assert "wandb_version: 1" in text and "value: 0.1" in text
    files = [r["name"] for r in log_records(run, "file")]
    assert "config.yaml" in files


def test_include_keys(client: Client) -> None:
    run = client.init(project="cfg", config={"a": 1, "b": 2}, config_include_keys=["a"])
    assert run.config.as_dict() == {"a": 1}


@pytest.mark.parametrize(
    "data",
    [
        {"lr": 0.1, "name": 'quote " and \\ and ünï', "nested": {"a": [1, None, True]}, "e": 1e-8},
        {"weird key: yes": "on", "n": "null", "list": [], "empty": {}},
        {"inf": float("inf"), "ninf": float("-inf"), "big": 1e20, "small": -2.5e-12, "x": 1},
    ],
)
def test_config_yaml_round_trips(tmp_path: Path, data: dict[str, object]) -> None:
    from heron.sdk.config import dump_config_yaml, load_config_yaml

    path = tmp_path / "config.yaml"
    dump_config_yaml(data, path)
    assert load_config_yaml(path) == data


def test_config_defaults_yaml_in_the_working_directory(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config-defaults.yaml").write_text("epochs:\n  value: 5\nlr:\n  value: 0.1\n")
    run = client.init(config={"lr": 0.3})
    assert run.config.as_dict() == {"epochs": 5, "lr": 0.3}


def test_integers_beyond_64_bits_are_kept_as_text(client: Client) -> None:
    run = client.init(project="cfg", config={"seed": 2**64 - 1, "small": 2**63 - 1})
    assert run.config.seed == str(2**64 - 1)
    assert run.config.small == 2**63 - 1
    run.finish()
