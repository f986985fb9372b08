"""Benchmarks (`make bench` = `python -m benchmarks`): throughput and memory, measured together in one run.

The systems under test run in their own processes against a local Bot API server that serves a backlog as
fast as it is asked for it; the server (in the parent process) times the run from the first getUpdates to the
last sendMessage, so every figure is measured with the same clock.
"""
