"""Every option is described once (``pytest_dcc.settings.OPTIONS``): ``docs/options.md``'s table, the ``dcc``
options group pytest shows and the ini keys are that table, no row missing, extra or different."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_dcc.settings import INI_KEYS, OPTIONS, option_table

DOC = Path(__file__).resolve().parent.parent / "docs" / "options.md"


def _doc_rows() -> list[tuple[str, ...]]:
    lines = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| `--")]
    return [tuple(cell.strip() for cell in line.strip().strip("|").split(" | ")) for line in lines]


def test_the_documented_table_is_the_options_table() -> None:
    assert _doc_rows() == option_table()


def test_the_table_names_each_option_once_and_every_ini_key_is_an_option() -> None:
    names = [option.name for option in OPTIONS]
    assert len(names) == len(set(names))
    assert set(INI_KEYS) == {option.dest for option in OPTIONS if option.ini}


def test_the_options_group_and_the_ini_keys_are_the_table(pytester: pytest.Pytester) -> None:
    shown = pytester.runpytest("--help").stdout.str()
    group = shown[shown.index("DUIS conformance (pytest-dcc):") :]
    group = "\n" + group[: group.index("\n\n")]
    assert re.findall(r"^  (--dcc-[a-z-]+)", group, flags=re.M) == [option.flag for option in OPTIONS]
    for option in OPTIONS:  # each with its value and its help
        text = " ".join(group[group.index(f"\n  {option.flag}=") :].split())
        assert text.startswith(f"{option.flag}={option.value} {' '.join(option.help.split()[:3])}"), text[:200]
    ini = shown[shown.index("[pytest] configuration options") :]
    assert sorted(re.findall(r"^  (dcc_[a-z_]+) ", ini, flags=re.M)) == sorted(INI_KEYS)


def test_the_options_group_names_the_values_an_option_admits(pytester: pytest.Pytester) -> None:
    """As before the options were described once: ``--help`` lists the schema versions, signature policies, modes
    and releases an option takes (a user should not need the docs for the spelling)."""
    shown = pytester.runpytest("--help").stdout.str()
    group = " ".join(shown[shown.index("DUIS conformance (pytest-dcc):") :].split())
    for option in (o for o in OPTIONS if o.choices):
        text = group[group.index(f"{option.flag}=") :]
        text = text[: text.index(" --dcc-", 1)] if " --dcc-" in text[1:] else text
        assert all(choice in text for choice in option.choices), (option.flag, text[:300])
