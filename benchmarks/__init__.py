"""kerazoo against the reference implementations, measured in one run: `python -m benchmarks --help`."""
