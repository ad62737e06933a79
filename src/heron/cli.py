"""The ``heron`` command: server, ui, sync, login, runs list, demo.

Each command imports what it needs when it runs, so ``heron --help`` stays fast.
Errors Heron raises on purpose (bad input, an unreachable server) print one
line on stderr and exit with status 1; ``--help`` on any command shows examples.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from heron import __version__
from heron.errors import HeronError, UsageError

if TYPE_CHECKING:
    from heron.settings import Settings

_DEFAULT_PORT = 8765


def _settings(**overrides: Any) -> Settings:
    from heron.settings import Settings

    return Settings.from_env(**overrides)


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


# ------------------------------------------------------------------ commands


def cmd_server(args: argparse.Namespace) -> int:
    from heron.server.app import serve

    overrides: dict[str, Any] = {}
    if args.data:
        overrides["dir"] = Path(args.data)
    if args.database_url:
        overrides["database_url"] = args.database_url
    settings = _settings(**overrides)
    # A server stores data itself: a saved ``heron login`` must not send it elsewhere.
    settings = _without_remote(settings)
    serve(settings, host=args.host, port=args.port)
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    from heron.server.app import serve

    settings = _without_remote(_settings())
    serve(settings, host=args.host, port=args.port)
    return 0


def _without_remote(settings: Settings) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, base_url=None)


def cmd_sync(args: argparse.Namespace) -> int:
    from heron.records import LOG_SUFFIX
    from heron.sdk.sync import sync_paths

    settings = _settings()
    paths: list[Path] | None = [Path(p) for p in args.paths] or None
    for path in paths or []:
        if not path.exists():
            raise UsageError(f"{path} does not exist: give a run folder or a {LOG_SUFFIX} file")
    if paths is None and args.include_synced:
        paths = sorted(settings.runs_dir.glob(f"**/*{LOG_SUFFIX}"))
    where = settings.base_url or f"the embedded store in {settings.dir}"
    if paths is not None and not paths:
        print(f"No run logs under {settings.runs_dir}.")
        return 0
    failed = 0
    results = []
    # One path at a time, so one bad log does not stop the others.
    for group in [[p] for p in paths] if paths is not None else [None]:
        try:
            results.extend(sync_paths(group, settings))
        except HeronError as exc:
            failed += 1
            print(f"FAILED {group[0] if group else settings.runs_dir}: {exc}", file=sys.stderr)
    synced = []
    for result in results:
        if getattr(result, "error", None):
            failed += 1
            print(result.describe(), file=sys.stderr)
        else:
            synced.append(result)
            print(result.describe())
    if not results and not failed:
        print(f"Nothing to sync under {settings.runs_dir}: every run log is synced.")
        return 0
    applied = sum(r.applied for r in synced)
    damaged = sum(1 for r in synced if r.damage)
    summary = f"Synced {len(synced)} run log(s) to {where}: {applied} record(s) applied"
    if damaged:
        summary += f", {damaged} with damaged ranges skipped (see above)"
    if failed:
        summary += f"; {failed} failed"
    print(summary + ".")
    return 1 if failed else 0


def cmd_gc(args: argparse.Namespace) -> int:
    from heron.artifacts.commands import gc

    print(gc(_settings(), grace_seconds=args.grace, dry_run=args.dry_run))
    return 0


def cmd_artifact_cache_cleanup(args: argparse.Namespace) -> int:
    from heron.artifacts.commands import cache_cleanup

    print(cache_cleanup(_settings(), args.max_size))
    return 0


def cmd_login(args: argparse.Namespace) -> int:
    from heron.settings import LOGIN_FILE, save_login

    settings = _settings()
    login_file = settings.dir / LOGIN_FILE
    url = args.url.rstrip("/") if args.url else None
    if url is None and args.key is None:
        if args.relogin:
            if login_file.exists():
                login_file.unlink()
            print(f"Logged out: runs go to the embedded store in {settings.dir}.")
        elif settings.base_url:
            print(f"Logged in to {settings.base_url} (heron login --relogin to log out).")
        else:
            print(f"Not logged in: runs go to the embedded store in {settings.dir}.")
            print("Log in to a server with: heron login http://HOST:8765")
        return 0
    if url is None:
        url = settings.base_url
        if url is None:
            raise UsageError("--key needs a server: heron login http://HOST:8765 --key KEY")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{url!r} is not a server URL: use http://HOST:PORT or https://HOST")
    version = _check_health(url, args.key, settings.http_timeout)
    path = save_login(settings.dir, url, args.key)
    print(f"Logged in to {url} (heron {version}); saved to {path}.")
    return 0


def _check_health(url: str, key: str | None, timeout: float) -> str:
    import httpx

    headers = {"User-Agent": f"heron/{__version__}"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        response = httpx.get(f"{url}/api/v1/health", headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise UsageError(
            f"cannot reach a heron server at {url} ({exc}); is `heron server` running there?"
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or body.get("status") != "ok":
        raise UsageError(
            f"{url} answered /api/v1/health with HTTP {response.status_code}:"
            " it does not look like a heron server"
        )
    return str(body.get("version", "?"))


def cmd_runs_list(args: argparse.Namespace) -> int:
    from heron.api import Api

    filters = None
    if args.filters:
        try:
            filters = json.loads(args.filters)
        except ValueError as exc:
            raise UsageError(
                f'--filters is not valid JSON ({exc}): e.g. \'{{"state": "finished"}}\''
            ) from None
    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    api = Api()
    try:
        if args.project is None and api.settings.project is None:
            projects = api.projects(args.entity)
            names = ", ".join(p.id for p in projects[:10]) or "none yet"
            raise UsageError(f"name a project: heron runs list PROJECT (projects: {names})")
        path = args.project or api.settings.project
        if args.entity:
            path = f"{args.entity}/{path}"
        runs = api.runs(path, filters=filters, order=args.order, per_page=min(args.limit, 500))
        rows = [
            [
                run.id,
                run.name,
                run.state,
                _local_time(run.info.created_at),
                _duration(run.info.runtime),
                ",".join(run.tags),
            ]
            for run in runs[: args.limit]
        ]
        total = len(runs)
    finally:
        api.close()
    print(_table(["ID", "NAME", "STATE", "CREATED", "RUNTIME", "TAGS"], rows))
    shown = f"{len(rows)} of {total}" if total > len(rows) else str(total)
    print(f"{shown} run(s) in {runs.entity}/{runs.project}")
    return 0


def _local_time(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join(lines)


def cmd_demo(args: argparse.Namespace) -> int:
    from heron.demo import run_demo

    run_demo(project=args.project, epochs=args.epochs)
    return 0


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="heron",
        description="Heron: self-hostable experiment tracking, a drop-in for wandb.",
        epilog=_examples(
            "heron demo                      # log a small training run, then look at it",
            "heron ui                        # the dashboard on the embedded store",
            "heron runs list digits          # the runs of project 'digits'",
            "heron sync                      # send offline runs to the store",
        ),
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"heron {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help: str, examples: Sequence[str]) -> argparse.ArgumentParser:
        return sub.add_parser(
            name, help=help, description=help, epilog=_examples(*examples), formatter_class=raw
        )

    def add_bind(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        p.add_argument("--port", type=int, default=_DEFAULT_PORT, help="port (default 8765)")

    p = add(
        "server",
        "Serve the dashboard and the HTTP API (docs at /docs) over a data folder or a database.",
        [
            "heron server                                  # data in $HERON_DIR (~/.heron)",
            "heron server --data /srv/heron --port 9000",
            "heron server --host 0.0.0.0 --database-url postgresql+psycopg://u@db/heron",
        ],
    )
    add_bind(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--data", metavar="DIR", help="data folder (SQLite + blobs)")
    where.add_argument("--database-url", metavar="URL", help="SQLAlchemy URL, e.g. PostgreSQL")
    p.set_defaults(func=cmd_server)

    p = add(
        "ui",
        "Serve the dashboard and the HTTP API over the embedded store your scripts log to.",
        ["heron ui", "heron ui --port 9000"],
    )
    add_bind(p)
    p.set_defaults(func=cmd_ui)

    p = add(
        "sync",
        "Send run logs and weave call logs (offline, or that lost their server) to the store.",
        [
            "heron sync                                    # every unsynced log under HERON_DIR",
            "heron sync ~/.heron/runs/run-20240501_120000-abc123",
            "HERON_BASE_URL=http://server:8765 heron sync  # to a server",
        ],
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="run folders or .heronlog files")
    p.add_argument(
        "--include-synced", action="store_true", help="also replay logs already marked synced"
    )
    p.set_defaults(func=cmd_sync)

    p = add(
        "login",
        "Send later runs to a heron server (saved in HERON_DIR/login.json).",
        [
            "heron login http://heron.internal:8765",
            "heron login https://heron.example.com --key MY_KEY",
            "heron login                                   # show where runs go",
            "heron login --relogin                         # forget the server",
        ],
    )
    p.add_argument("url", nargs="?", metavar="URL", help="the server's base URL")
    p.add_argument("--key", help="API key sent as a bearer token")
    p.add_argument("--relogin", action="store_true", help="without URL: forget the saved server")
    p.set_defaults(func=cmd_login)

    runs = add("runs", "Query runs.", ["heron runs list digits --limit 10"])
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="COMMAND", required=True)
    p = runs_sub.add_parser(
        "list",
        help="List a project's runs as a table.",
        description="List a project's runs as a table, newest first.",
        epilog=_examples(
            "heron runs list digits",
            "heron runs list digits --entity alice --limit 5",
            'heron runs list digits --filters \'{"state": "finished"}\'',
            'heron runs list digits --filters \'{"config.lr": {"$lt": 0.1}}\''
            " --order=-summary_metrics.val/accuracy",
        ),
        formatter_class=raw,
    )
    p.add_argument("project", nargs="?", help="project name (default HERON_PROJECT)")
    p.add_argument("--entity", help="entity (default: the one that has the project)")
    p.add_argument("--filters", metavar="JSON", help="MongoDB-style filter as JSON")
    p.add_argument("--order", default="-created_at", help="field with +/- (default -created_at)")
    p.add_argument("--limit", type=int, default=50, help="at most this many rows (default 50)")
    p.set_defaults(func=cmd_runs_list)

    p = add(
        "gc",
        "Delete blobs no run file, media, table or artifact version references.",
        ["heron gc --dry-run                            # what would be freed", "heron gc"],
    )
    p.add_argument("--dry-run", action="store_true", help="report, delete nothing")
    p.add_argument(
        "--grace",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="spare blobs written this recently: uploads in flight (default 3600)",
    )
    p.set_defaults(func=cmd_gc)

    artifact = add("artifact", "Artifact tools.", ["heron artifact cache cleanup --max-size 5GB"])
    artifact_sub = artifact.add_subparsers(
        dest="artifact_command", metavar="COMMAND", required=True
    )
    cache = artifact_sub.add_parser("cache", help="The local download cache.")
    cache_sub = cache.add_subparsers(dest="cache_command", metavar="COMMAND", required=True)
    p = cache_sub.add_parser(
        "cleanup",
        help="Trim the download cache, least recently used first.",
        description="Trim the artifact download cache, least recently used blobs first.",
        epilog=_examples(
            "heron artifact cache cleanup", "heron artifact cache cleanup --max-size 1GB"
        ),
        formatter_class=raw,
    )
    p.add_argument(
        "--max-size", metavar="SIZE", help="keep at most this much (default: the cache's cap)"
    )
    p.set_defaults(func=cmd_artifact_cache_cleanup)

    p = add(
        "demo",
        "Train a small model on scikit-learn's digits and log it (a few seconds).",
        ["heron demo", "heron demo --project my-demo --epochs 20"],
    )
    p.add_argument("--project", default="heron-demo", help="project (default heron-demo)")
    p.add_argument("--epochs", type=int, default=15, help="training epochs (default 15)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``heron`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except HeronError as exc:
        print(f"heron {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
