"""The QA tooling of pytest-dcc, outside the wheel (a checkout only; the tests and benchmarks use it): the
hostile-input corpus runner, concurrent load and crash checks for the reference DCC, ``pytest-dcc serve`` as a
child process, and the mutants that measure what the suite detects. It may import the product (``pytest_dcc``);
nothing in the product imports it (tests/layers.py)."""
