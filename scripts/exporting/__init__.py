"""Export package marts (dbt models with `meta.package_mart: true`) into training files.

The command line is `scripts/export_mart.py`; this package holds the logic so tests and the benchmark can import it:

- `marts`: discover package marts and their specs in the dbt manifest
- `fields`: field specs, timing checks, the Arrow schema and the task filter
- `where`: the small, validated `--where` grammar
- `tasks`: `export_tasks.yml`
- `plan`: the SQL of one export (effective split, counts, fingerprint, anchors, the COPY of a stream)
- `streams`: the COPY streams, read row by row into per-split batches, and their writer threads
- `writers`: deterministic, atomic shard files (O_DIRECT where possible, sha256 on the way), JSONL with
  zstd/gzip/none
- `parquet`: Parquet shards from the package's leaf values (pyarrow, imported only for Parquet)
- `exporter`: options, the snapshot, the plan, resume, reconciliation
- `metadata`: manifest.json, croissant.json and the README.md dataset card
"""
