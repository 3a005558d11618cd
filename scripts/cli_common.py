"""Shared command-line plumbing: one clear line and exit code 2 for bad input."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import NoReturn

USAGE_ERROR = 2


class CliError(Exception):
    """A problem the user can fix; reported as one line with exit code 2."""


def fail(message: str) -> NoReturn:
    prog = os.path.basename(sys.argv[0]) or "contextpack"
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(USAGE_ERROR)


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse prints the whole usage block on error; users asked for one line."""

    def error(self, message: str) -> NoReturn:  # noqa: D102 - argparse hook
        fail(f"{message} (see --help)")


def connection_kwargs(dsn: str | None = None) -> dict:
    """Connection settings: an explicit DSN, else libpq's usual PG* variables."""
    return {"conninfo": dsn or "", "connect_timeout": int(os.environ.get("PGCONNECT_TIMEOUT", "5"))}


def connect(dsn: str | None = None, **kwargs):
    """Open a psycopg 3 connection or fail with one line naming where it tried."""
    import psycopg

    try:
        return psycopg.connect(**connection_kwargs(dsn), **kwargs)
    except psycopg.OperationalError as exc:
        where = dsn or "host={} port={} dbname={}".format(
            os.environ.get("PGHOST", "(default)"),
            os.environ.get("PGPORT", "5432"),
            os.environ.get("PGDATABASE", "(default)"),
        )
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        fail(f"cannot connect to the database ({where}): {reason}")


@contextlib.contextmanager
def environment_set(**values: str) -> Iterator[None]:
    """Set environment variables (PGDATABASE, DBT_SCHEMA, ...) for the block; afterwards each is back to what it
    was, removed again if it was not set."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
