"""The bundled conformance suite: ``pytest --pyargs pytest_dcc.suite``."""
