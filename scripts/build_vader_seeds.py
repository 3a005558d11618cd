"""Write the VADER sentiment seeds (lexicon, boosters, negations, emoji) as CSV files.

The values are facts from the installed `vaderSentiment` package: its shipped `vader_lexicon.txt` and
`emoji_utf8_lexicon.txt` files and its word-list constants (booster scalars, negation words). Its
special-case idioms are left out: the SQL scorer does not implement them. The scoring rules themselves
live in SQL (`macros/sentiment/score_comment_sentiment.sql`); this script only turns the package's data
into seeds so the warehouse can join them.

Output is deterministic (rows sorted by their key, `\\n` line endings, minimal quoting), so regenerating
reproduces the committed CSVs byte for byte for the same package version.
"""

from __future__ import annotations

import csv
import importlib.metadata
import io
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cli_common import CliError, OneLineArgumentParser, fail  # noqa: E402

RULE_VERSION = "1"
DEFAULT_OUT_DIR = Path(__file__).resolve().parent.parent / "seeds" / "sentiment"
EXPECTED_PACKAGE_VERSION = "3.3.2"
# The scoring macro sends a text through the per-character emoji pass only when it holds a character
# of these code point ranges (see `emoji_class` in macros/sentiment/score_comment_sentiment.sql).
EMOJI_CODE_POINT_RANGES = ((0xA9, 0xA9), (0xAE, 0xAE), (0x203C, 0x3299), (0x1F000, 0x1FAFF))


def _read_tab_separated(path: Path) -> list[list[str]]:
    """Lines of a vaderSentiment data file split on tabs, the way the package reads them."""
    text = path.read_text(encoding="utf-8")
    rows = []
    for line in text.rstrip("\n").split("\n"):
        if not line.strip():
            continue
        rows.append(line.strip().split("\t"))
    return rows


def lexicon_rows(package_dir: Path) -> list[tuple[str, str]]:
    """(token, valence) from vader_lexicon.txt's mean column; a repeated token keeps its last value."""
    valences: dict[str, str] = {}
    for fields in _read_tab_separated(package_dir / "vader_lexicon.txt"):
        token, valence = fields[0], fields[1]
        valences[token] = str(float(valence))
    return sorted(valences.items())


def emoji_rows(package_dir: Path) -> list[tuple[str, str]]:
    """(emoji, description) for single-code-point emoji.

    vaderSentiment replaces emoji one code point at a time, so entries made of several code points (flags,
    skin tones, ZWJ sequences) can never match; they are left out of the seed.
    """
    descriptions: dict[str, str] = {}
    for fields in _read_tab_separated(package_dir / "emoji_utf8_lexicon.txt"):
        emoji, description = fields[0], fields[1]
        if len(emoji) == 1:
            descriptions[emoji] = description
    outside = [e for e in descriptions if not any(lo <= ord(e) <= hi for lo, hi in EMOJI_CODE_POINT_RANGES)]
    if outside:
        raise CliError(
            "emoji outside the ranges the scoring macro checks: "
            + " ".join(f"U+{ord(e):04X}" for e in sorted(outside))
            + "; widen EMOJI_CODE_POINT_RANGES and the macro's emoji_class together"
        )
    return sorted(descriptions.items())


def _csv_text(header: list[str], rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([*row, RULE_VERSION])
    return buffer.getvalue()


def build_seed_texts() -> dict[str, str]:
    """File name -> CSV text for every sentiment seed."""
    try:
        from vaderSentiment import vaderSentiment as vader
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise CliError(f"vaderSentiment is not installed: {exc}") from exc

    version = importlib.metadata.version("vaderSentiment")
    if version != EXPECTED_PACKAGE_VERSION:
        raise CliError(
            f"vaderSentiment {version} is installed; the seeds and SQL rules follow "
            f"{EXPECTED_PACKAGE_VERSION}"
        )
    package_dir = Path(vader.__file__).resolve().parent

    boosters = sorted((token, str(float(scalar))) for token, scalar in vader.BOOSTER_DICT.items())
    negations = sorted((token,) for token in set(vader.NEGATE))

    return {
        "vader_lexicon.csv": _csv_text(["token", "valence", "rule_version"], lexicon_rows(package_dir)),
        "vader_boosters.csv": _csv_text(["token", "scalar", "rule_version"], boosters),
        "vader_negations.csv": _csv_text(["token", "rule_version"], negations),
        "vader_emoji.csv": _csv_text(["emoji", "description", "rule_version"], emoji_rows(package_dir)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = OneLineArgumentParser(
        description=(
            "Write the VADER sentiment seeds (lexicon, boosters, negations, emoji) from the "
            "installed vaderSentiment package. Deterministic: the same package version gives the same bytes."
        )
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help="directory to write the CSV files into (default: seeds/sentiment of this project)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not print the files written")
    args = parser.parse_args(argv)

    try:
        texts = build_seed_texts()
    except CliError as exc:
        fail(str(exc))

    try:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            with open(args.out_dir / name, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            if not args.quiet:
                print(f"wrote {args.out_dir / name} ({text.count(chr(10)) - 1} rows)")
    except OSError as exc:
        fail(f"cannot write seeds to {args.out_dir}: {exc.strerror or exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
