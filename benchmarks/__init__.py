"""Benchmark scripts: each measures a figure an issue names (run with `python -m benchmarks.<name>`)."""
