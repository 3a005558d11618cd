"""`make bench`: speed and quality figures measured against same-run baselines, written to BENCHMARKS.md.

run.py is the command (`python scripts/bench/run.py --help`); export_speed.py and sentiment_speed.py time one
component each and can also run alone. They live apart from the user-facing scripts in scripts/.
"""
