"""The reference DCC: a real implementation of the DCC Data Service Provider behaviour for the clauses in scope.

Imports only :mod:`pytest_dcc.spec`, :mod:`pytest_dcc.duis` and :mod:`pytest_dcc.errors` (tests/test_layers.py).
Importing the package loads nothing: import the module you need (``reference.dcc.ReferenceDcc``,
``reference.setup.build_reference``, ``reference.server.make_app``).
"""
