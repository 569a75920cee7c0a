"""The commands: ``pytest-dcc serve`` (:mod:`.serve`) and ``dcc-conformance`` (:mod:`.conformance`);
:mod:`pytest_dcc.cli` is their entry point."""
