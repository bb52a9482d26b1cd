"""Plughost's benchmark: every endpoint against the framework floor, and growth with plugins.

Run ``make bench`` (or ``python -m benchmarks`` from the repository root, or ``plughost
bench``). It starts real servers (``plughost serve``) on free loopback ports, drives them with
keep-alive HTTP clients in separate processes, writes every figure to
``benchmarks/results/latest.json`` and prints a Markdown table. ``BENCH_QUICK=1`` (or
``--quick``) runs a small smoke version. Nothing here is imported by the server.
"""
