"""The grouped train/validation/test split, identical to the dbt macro `split_name`.

    python scripts/splits.py 12345           # prints the split of group id 12345
"""

from __future__ import annotations

import hashlib
import sys

from cli_common import OneLineArgumentParser

DEFAULT_SALT = "contextpack-split-v1"
DEFAULT_TRAIN_PERCENT = 80
DEFAULT_VALIDATION_PERCENT = 10


def split_bucket(group_id: int | str, salt: str = DEFAULT_SALT) -> int:
    """0..99 from the first 32 bits of md5(salt:id): depends on the id alone, so splits never move."""
    digest = hashlib.md5(f"{salt}:{group_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 100


def split_name(
    group_id: int | str,
    salt: str = DEFAULT_SALT,
    train_percent: int = DEFAULT_TRAIN_PERCENT,
    validation_percent: int = DEFAULT_VALIDATION_PERCENT,
) -> str:
    bucket = split_bucket(group_id, salt)
    if bucket < train_percent:
        return "train"
    if bucket < train_percent + validation_percent:
        return "validation"
    return "test"


def main(argv: list[str] | None = None) -> int:
    parser = OneLineArgumentParser(
        prog="splits.py",
        description="Print the train/validation/test split of group ids (vehicle, owner or technician ids).",
        epilog="example: python scripts/splits.py 101 102 --salt contextpack-split-v1",
    )
    parser.add_argument("group_ids", nargs="+", help="ids whose split to print")
    parser.add_argument("--salt", default=DEFAULT_SALT, help=f"split salt (dbt var split_salt, default {DEFAULT_SALT})")
    parser.add_argument("--train-percent", type=int, default=DEFAULT_TRAIN_PERCENT)
    parser.add_argument("--validation-percent", type=int, default=DEFAULT_VALIDATION_PERCENT)
    args = parser.parse_args(argv)
    percents = (args.train_percent, args.validation_percent)
    if min(percents) < 0 or sum(percents) > 100:
        parser.error("--train-percent and --validation-percent must be >= 0 and add up to at most 100")
    for group_id in args.group_ids:
        print(group_id, split_name(group_id, args.salt, args.train_percent, args.validation_percent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
