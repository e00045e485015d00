"""repro's benchmarks: every figure is printed beside its floor, measured in
the same run, as a ratio. Run them with ``python benchmarks/run.py``
(``make bench``); they are never timed tests."""
