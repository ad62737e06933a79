"""``python -m heron.server``: run the HTTP API (the ``heron server`` CLI does the same).

python -m heron.server --port 8765 --data ~/heron-data
python -m heron.server --database-url postgresql+psycopg://heron@db/heron --data /srv/heron
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from heron.errors import HeronError
from heron.server.app import DEFAULT_HOST, DEFAULT_PORT, serve
from heron.settings import Settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m heron.server", description="Serve Heron's HTTP API (/api/v1, /docs)."
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to bind (default {DEFAULT_HOST}; 0.0.0.0 for every interface)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default %(default)s")
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="data folder: the SQLite database and blobs (default $HERON_DIR or ~/.heron)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="SQLAlchemy URL of the database instead of <data>/heron.db"
        " (e.g. postgresql+psycopg://user@host/db)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, not {args.port}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        settings = Settings.from_env(dir=args.data, database_url=args.database_url)
        serve(settings, host=args.host, port=args.port)
    except HeronError as exc:
        # A bad URL or an unreachable database: say what to fix, without a traceback.
        print(f"heron server: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
