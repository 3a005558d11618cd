"""Export package marts (dbt models with `meta.package_mart: true`) into training files.

The command line is `scripts/export_mart.py`; this package holds the logic so tests and the benchmark can import it:

- `marts`: discover package marts and their specs in the dbt manifest
- `fields`: field specs, timing checks, the Arrow schema and the task filter
- `where`: the small, validated `--where` grammar
- `tasks`: `export_tasks.yml`
- `plan`: the SQL of one export (effective split, counts, fingerprint, shard boundaries)
- `writers`: deterministic, atomic shard writers (Parquet, JSONL with zstd/gzip/none)
- `exporter`: the snapshot, the streams, resume, reconciliation
- `metadata`: manifest.json, croissant.json and the README.md dataset card
"""
