"""The two kinds of failure the exporter reports as one line."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input the user can fix (unknown mart, bad --where, unwritable output, mart changed): exit code 2."""


class ExportError(Exception):
    """The export itself went wrong (counts do not reconcile, a value does not fit its type): exit code 1."""
