"""What an export holds, what a model learns from it, and a report a person can read in ten seconds.

- `exports`: read an export made by scripts/export_mart.py (manifest, field types, rows streamed by column)
- `tasks`: the `baseline:` and `examples:` sections of export_tasks.yml
- `features`: which exported fields are inputs, and the pandas frame a model reads
- `baseline`: train and evaluate the baseline model of a task (scripts/train_baseline.py is its command line)
- `dataset_report`: `report.html` and its PNG plots beside an export (written by export_mart.py)
"""
