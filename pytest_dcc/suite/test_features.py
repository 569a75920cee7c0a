"""Binds every scenario under features/ (run with ``pytest --pyargs pytest_dcc.suite``)."""

from __future__ import annotations

from pytest_bdd import scenarios

from pytest_dcc._resources import features_dir

scenarios(str(features_dir()))
