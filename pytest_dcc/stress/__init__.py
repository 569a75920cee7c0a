"""Reliability tooling: the hostile-input corpus runner, concurrent load and crash checks for the reference DCC."""
