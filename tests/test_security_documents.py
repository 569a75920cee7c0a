"""Documents someone else wrote, of the wrong shape: a certification bundle whose JSON documents are empty or of
other types than :func:`~pytest_dcc.reporting.bundle.make_bundle` writes, and an implementation statement or an
expected-failures file whose sections are of other types than documented.

Each must end in a clear refusal: ``verify-bundle`` lists a problem naming the member and the field (the bundle is
NOT verified, exit 1); the statement and the expected-failures file raise one :class:`ConfigError` naming the file
(through pytest a usage error naming the option). Never a traceback, never an INTERNALERROR; and what the project
writes itself still verifies and loads.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from pytest_dcc.commands.conformance import conformance
from pytest_dcc.errors import ConfigError
from pytest_dcc.reporting import bundle
from pytest_dcc.reporting.verdicts import document, run_metadata
from pytest_dcc.settings import DccSettings
from pytest_dcc.statement import KNOWN_KEYS, Statement, load_expected_failures, load_statement
from pytest_dcc.transport.admission import SignaturePolicy
from tests.reference_harness import FIXTURES

STATEMENT = FIXTURES / "statements" / "reference-latest.yaml"
SHA = "a" * 64

# -- certification bundles ---------------------------------------------------------------------------------------


def _report_dir(root: Path, mode: str = "certification") -> Path:
    """A report folder as a run writes it: verdicts.json from the project's own run metadata and document."""
    reports = root / "reports"
    reports.mkdir()
    settings = DccSettings(
        endpoint="https://dcc.example/api",
        headers=(),
        statement=SimpleNamespace(path=STATEMENT),  # type: ignore[arg-type]  # the statement's path is all it reads
        mode=mode,
        release="2025-11",
        schema_version="5.4",
        xsd=None,
        user_id="90-B3-D5-1F-30-01-00-00",
        **dict.fromkeys(("signing_key", "signing_cert", "ca_bundle", "client_cert", "client_key", "pki_dir")),
        trust_certs=(),
        timeout_s=10.0,
        signature_policy=SignaturePolicy.REQUIRE,
        state_dir=root / "state",
        receiver_host="127.0.0.1",
        receiver_port=0,
    )
    (reports / "verdicts.json").write_text(json.dumps(document([], run_metadata(settings))))
    (reports / "test-list.json").write_text(json.dumps({"mode": mode, "tests": []}))
    return reports


@pytest.fixture
def real_bundle(tmp_path: Path) -> Path:
    return bundle.make_bundle(_report_dir(tmp_path), tmp_path / "bundle.tar.gz")


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def _write(archive: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


def _forge(archive: Path, name: str, data: bytes, out: Path) -> Path:
    """``archive`` with member ``name`` replaced and the manifest rewritten to match: a consistent forgery, so
    that only the shape of the document is wrong."""
    members = _members(archive)
    members[name] = data
    manifest = json.loads(members["manifest.json"])
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    return _write(out, members)


def _changed(archive: Path, name: str, change: Any) -> bytes:
    """The JSON member ``name`` of ``archive`` after ``change`` (a function of the parsed document)."""
    value = json.loads(_members(archive)[name])
    return json.dumps(change(value)).encode()


def _set(path: tuple[str, ...], value: Any) -> Any:
    def change(doc: Any) -> Any:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return doc

    return change


def _drop(path: tuple[str, ...]) -> Any:
    def change(doc: Any) -> Any:
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        return doc

    return change


def test_a_real_certification_bundle_still_verifies(real_bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checked = bundle.verify(real_bundle)
    assert checked.ok, checked.problems
    assert checked.report().endswith("bundle verified")
    assert conformance(["verify-bundle", str(real_bundle)]) == 0
    assert "bundle verified" in capsys.readouterr().out


def test_a_development_bundle_is_well_formed_but_not_verified(tmp_path: Path) -> None:
    checked = bundle.verify(bundle.make_bundle(_report_dir(tmp_path, "development"), tmp_path / "b.tar.gz"))
    assert checked.problems == ["the run was a development-mode run, not a certification run"]


WRONG = {"a list": [1], "an object": {"a": 1}, "a number": 7, "a boolean": True, "null": None, "empty": ""}
#: (member, field path, replacement or DROP, what the problem says).
DROP = object()
DOCUMENT_CASES: dict[str, tuple[str, tuple[str, ...], Any, str]] = {
    "verdicts.json without run": ("verdicts.json", ("run",), DROP, "verdicts.json: run (the run's record) is missing"),
    "run empty": ("verdicts.json", ("run",), {}, "verdicts.json: run (the run's record) is empty"),
    "run a list": ("verdicts.json", ("run",), [1], "verdicts.json: run (the run's record) is a list, not an object"),
    "run text": ("verdicts.json", ("run",), "run", "verdicts.json: run (the run's record) is a string, not an"),
    "run null": ("verdicts.json", ("run",), None, "verdicts.json: run (the run's record) is missing"),
    "totals a list": ("verdicts.json", ("run", "totals"), [1], "verdicts.json: run: totals must be an object of"),
    "totals of text": ("verdicts.json", ("run", "totals"), {"PASS": "3"}, "run: totals must be an object of verdicts"),
    "totals negative": ("verdicts.json", ("run", "totals"), {"PASS": -1}, "run: totals must be an object of verdicts"),
    "features a list": ("verdicts.json", ("run", "feature_sha256"), [[1]], "run: feature_sha256 must be an object"),
    "feature digest a number": ("verdicts.json", ("run", "feature_sha256"), {"a.feature": 1}, "run: feature_sha256"),
    "suite digest short": ("verdicts.json", ("run", "suite_sha256"), "abc", "run: suite_sha256 must be a SHA-256"),
    "suite digest upper": ("verdicts.json", ("run", "suite_sha256"), "A" * 64, "run: suite_sha256 must be a SHA-256"),
    "statement digest a list": ("verdicts.json", ("run", "statement_sha256"), [SHA], "run: statement_sha256 must be"),
    "mode a list": ("verdicts.json", ("run", "mode"), ["certification"], "run: mode must be a non-empty string"),
    "mode empty": ("verdicts.json", ("run", "mode"), "", "run: mode must be a non-empty string (it is an empty"),
    "release a number": ("verdicts.json", ("run", "release"), 2025, "run: release must be a non-empty string"),
    "endpoint an object": ("verdicts.json", ("run", "endpoint"), {"a": 1}, "run: endpoint must be a non-empty"),
    "suite.json: version null": ("suite.json", ("suite_version",), None, "suite.json: suite_version must be a non-"),
    "suite.json: digest a list": ("suite.json", ("suite_sha256",), [SHA], "suite.json: suite_sha256 must be a SHA"),
    "suite.json: features a list": ("suite.json", ("features",), [[1]], "suite.json: features must be an object of"),
    "suite.json: no features": ("suite.json", ("features",), DROP, "suite.json: features is missing"),
    "manifest: files a list": ("manifest.json", ("files",), [1, 2], "manifest.json: files must be an object of"),
    "manifest: a digest a number": ("manifest.json", ("files", "junit.xml"), 1, "manifest.json: files must be"),
    "manifest: format 2": ("manifest.json", ("format",), 2, "manifest.json: format must be 1"),
    "manifest: format true": ("manifest.json", ("format",), True, "manifest.json: format must be 1"),
    "manifest: no format": ("manifest.json", ("format",), DROP, "manifest.json: format is missing"),
    "manifest: no files": ("manifest.json", ("files",), DROP, "manifest.json: files is missing"),
}
DOCUMENT_CASES |= {
    f"run without {field}": ("verdicts.json", ("run", field), DROP, f"verdicts.json: run: {field} is missing")
    for field in bundle.RUN_FIELDS
}
DOCUMENT_CASES |= {
    f"suite.json without {field}": ("suite.json", (field,), DROP, f"suite.json: {field} is missing")
    for field in bundle.SUITE_FIELDS
}
DOCUMENT_CASES |= {
    f"run {field} {kind}": ("verdicts.json", ("run", field), value, f"verdicts.json: run: {field} must be")
    for field, shape in bundle.RUN_FIELDS.items()
    for kind, value in WRONG.items()
    if not (shape == "sha256 or null" and value is None) and not (shape == "counts" and kind == "an object")
}
WHOLE_DOCUMENTS: dict[str, tuple[str, bytes, str]] = {
    "verdicts.json {}": ("verdicts.json", b"{}", "verdicts.json: run (the run's record) is missing"),
    "verdicts.json a list": ("verdicts.json", b"[1]", "verdicts.json must be a JSON object (it is a list)"),
    "verdicts.json null": ("verdicts.json", b"null", "verdicts.json must be a JSON object (it is null)"),
    "verdicts.json text": ("verdicts.json", b'"run"', "verdicts.json must be a JSON object (it is a string)"),
    "verdicts.json not JSON": ("verdicts.json", b"{run:", "verdicts.json is not JSON: JSONDecodeError"),
    "verdicts.json a huge number": ("verdicts.json", b"9" * 5000, "verdicts.json is not JSON: ValueError"),
    "verdicts.json deep": ("verdicts.json", b"[" * 100_000 + b"]" * 100_000, "verdicts.json is not JSON: Recursion"),
    "verdicts.json not UTF-8": ("verdicts.json", b'{"run": "\xff"}', "verdicts.json is not JSON"),
    "suite.json {}": ("suite.json", b"{}", "suite.json is empty (no suite recorded)"),
    "suite.json a list": ("suite.json", b"[]", "suite.json must be a JSON object (it is a list)"),
    "suite.json a number": ("suite.json", b"1", "suite.json must be a JSON object (it is a number)"),
}


def _refused(path: Path, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Not verified, the problem listed, and on the command line: exit 1, the same report, nothing on stderr."""
    checked = bundle.verify(path)
    assert not checked.ok
    assert any(expected in problem for problem in checked.problems), checked.problems
    assert conformance(["verify-bundle", str(path)]) == 1
    out, err = capsys.readouterr()
    assert expected in out and out.rstrip().splitlines()[-1].startswith("bundle NOT verified") and not err


@pytest.mark.parametrize("case", list(DOCUMENT_CASES))
def test_a_field_missing_or_of_another_type_is_a_problem_never_a_traceback(
    case: str, real_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    member, path, value, expected = DOCUMENT_CASES[case]
    change = _drop(path) if value is DROP else _set(path, value)
    data = _changed(real_bundle, member, change)
    if member == "manifest.json":
        forged = _write(tmp_path / "forged.tar.gz", {**_members(real_bundle), member: data})
    else:
        forged = _forge(real_bundle, member, data, tmp_path / "forged.tar.gz")
    _refused(forged, expected, capsys)


@pytest.mark.parametrize("case", list(WHOLE_DOCUMENTS))
def test_a_document_that_is_no_json_object_is_a_problem(
    case: str, real_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    member, data, expected = WHOLE_DOCUMENTS[case]
    _refused(_forge(real_bundle, member, data, tmp_path / "forged.tar.gz"), expected, capsys)


@pytest.mark.parametrize(
    "manifest",
    [b"{}", b"[]", b"null", b'"files"', b'{"files": [1, 2]}', b'{"files": null}', b'{"format": 1, "files": "x"}'],
)
def test_a_manifest_of_another_shape_is_a_problem(
    manifest: bytes, real_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = _write(tmp_path / "forged.tar.gz", {**_members(real_bundle), "manifest.json": manifest})
    _refused(forged, "manifest.json", capsys)
    assert "verdicts.json is in the archive but not in the manifest" in bundle.verify(forged).problems


def _hand_made(path: Path, members: dict[str, bytes]) -> Path:
    """A bundle made by hand, its manifest hashing every member correctly."""
    files = {name: hashlib.sha256(data).hexdigest() for name, data in members.items()}
    return _write(path, {**members, "manifest.json": json.dumps({"format": 1, "files": files}).encode()})


def test_a_bundle_with_no_run_and_no_suite_is_not_verified_on_the_command_line(tmp_path: Path) -> None:
    """The red team's bundle: verdicts.json and suite.json ``{}``, correctly hashed; ``dcc-conformance`` in its own
    process exits 1 with the problems, no traceback."""
    empty = _hand_made(
        tmp_path / "empty.tar.gz", {"verdicts.json": b"{}", "suite.json": b"{}", "test-list.json": b"[]"}
    )
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from pytest_dcc.commands.conformance import conformance; "
         f"sys.exit(conformance(['verify-bundle', {str(empty)!r}]))"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and not done.stderr.strip()
    assert "PROBLEM: verdicts.json: run (the run's record) is missing" in done.stdout
    assert "PROBLEM: suite.json is empty (no suite recorded)" in done.stdout
    assert done.stdout.rstrip().endswith("bundle NOT verified (2 problem(s))")


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({"verdicts.json": b'{"run": [1]}'}, "verdicts.json: run (the run's record) is a list, not an object"),
        ({"verdicts.json": b'{"run": {"totals": [1]}}'}, "verdicts.json: run: totals must be an object of verdicts"),
        (
            {"verdicts.json": b'{"run": {"x": 1}}', "suite.json": b'{"features": [[1]], "suite_version": null}'},
            "suite.json: features must be an object of names to SHA-256s (it is a list)",
        ),
        (
            {"verdicts.json": b'{"run": {"mode": "certification"}}', "suite.json": b'{"features": {"a": [1]}}'},
            "suite.json: features must be an object of names to SHA-256s (it is an object)",
        ),
        (
            {"suite.json": b'{"suite_version": {}, "suite_sha256": 1, "features": "x"}'},
            "suite.json: suite_sha256 must be a SHA-256 (64 lowercase hex digits) (it is a number)",
        ),
    ],
    ids=["run a list", "totals a list", "features a list", "a feature digest a list", "suite fields mistyped"],
)
def test_hand_made_bundles_of_wrong_types_are_problems(
    members: dict[str, bytes], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _refused(_hand_made(tmp_path / "b.tar.gz", members), expected, capsys)


def test_a_value_of_the_bundle_cannot_forge_a_report_line(
    real_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A release with a newline and 'bundle verified' in it: the report shows it escaped, on its own line."""
    data = _changed(real_bundle, "verdicts.json", _set(("run", "mode"), "x\nbundle verified"))
    forged = _forge(real_bundle, "verdicts.json", data, tmp_path / "forged.tar.gz")
    assert conformance(["verify-bundle", str(forged)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "bundle verified" not in lines and "x\\nbundle verified" in "\n".join(lines)


# -- the implementation statement --------------------------------------------------------------------------------


def _statement_file(tmp_path: Path, **changes: Any) -> Path:
    data = yaml.safe_load(STATEMENT.read_text())
    data.update(changes)
    path = tmp_path / "statement.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


ESME = "00-DB-12-34-56-78-90-A0"
USER = "90-B3-D5-1F-30-01-00-00"
STATEMENT_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "users: [1]": ({"users": [1]}, "users: entry 1 (1) must be a mapping such as {role: IS"),
    "users: text": ({"users": "IS"}, "users must be a list of mappings such as {role: IS"),
    "users: a mapping": ({"users": {"role": "IS", "eui": USER}}, "(it is a mapping: {'role': 'IS'"),
    "users: a list in a list": ({"users": [["IS", USER]]}, "users: entry 1 (['IS', '90-B3"),
    "users: a role list": ({"users": [{"role": ["IS"], "eui": USER}]}, "role ['IS'] is not one of"),
    "users: an eui mapping": ({"users": [{"role": "IS", "eui": {"a": 1}}]}, "user IS: {'a': 1} is not an EUI-64"),
    "users: no eui": ({"users": [{"role": "IS"}]}, "user IS: None is not an EUI-64"),
    "users: a number": ({"users": 7}, "users must be a list of mappings such as"),
    "srvs: [8.2]": ({"srvs": [8.2]}, "srvs must be a mapping of SRV to command variants"),
    "srvs: text": ({"srvs": "8.2"}, "srvs must be a mapping of SRV to command variants"),
    "srvs: cvs text": ({"srvs": {"8.2": "x"}}, "srvs: SRV 8.2: the command variants must be a list of integers"),
    "srvs: cvs a number": ({"srvs": {"8.2": 8}}, "SRV 8.2: the command variants must be a list of integers (it is 8)"),
    "srvs: cvs booleans": ({"srvs": {"8.2": [True]}}, "SRV 8.2: the command variants must be a list of integers"),
    "srvs: cvs of text": ({"srvs": {"8.2": ["8"]}}, "SRV 8.2: the command variants must be a list of integers"),
    "srvs: cvs nested": ({"srvs": {"8.2": [[8]]}}, "SRV 8.2: the command variants must be a list of integers"),
    "srvs: cvs a mapping": ({"srvs": {"8.2": {8: 1}}}, "SRV 8.2: the command variants must be a list of integers"),
    "srvs: cvs fractions": ({"srvs": {"8.2": [8.5]}}, "SRV 8.2: the command variants must be a list of integers"),
    "srvs: unknown SRV key": ({"srvs": {None: [8]}}, "srvs: 'None' is not a DUIS Service Reference Variant"),
    "devices: [abc]": ({"devices": ["abc"]}, "devices: entry 1 ('abc') must be a mapping such as {eui:"),
    "devices: a mapping": ({"devices": {"eui": ESME, "type": "ESME"}}, "devices must be a list of mappings"),
    "devices: an eui list": ({"devices": [{"eui": [1], "type": "ESME"}]}, "device [1] is not an EUI-64"),
    "devices: a type list": ({"devices": [{"eui": ESME, "type": ["ESME"]}]}, "type ['ESME'] is not one of"),
    "devices: no type": ({"devices": [{"eui": ESME}]}, "type None is not one of"),
    "joins: text": ({"joins": "x"}, "joins must be a list of mappings such as {device: EUI, other: EUI}"),
    "joins: [1]": ({"joins": [1]}, "joins: entry 1 (1) must be a mapping"),
    "joins: euis of other types": ({"joins": [{"device": [1], "other": {}}]}, "not an EUI-64"),
    "spare_devices: [zz]": ({"spare_devices": ["zz"]}, "spare_devices: entry 1 ('zz') must be a mapping"),
    "spare_devices: a mapping": ({"spare_devices": {"eui": ESME}}, "spare_devices must be a list of mappings"),
    "spare_devices: eui a list": ({"spare_devices": [{"eui": [1], "type": "CHF"}]}, "spare_devices: [1] is not an"),
    "spare_devices: type a list": (
        {"spare_devices": [{"eui": "00-DB-12-34-56-78-91-A2", "type": ["CHF"]}]},
        "type must be one of",
    ),
    "coverage_addresses: text": ({"coverage_addresses": "M22 0RR"}, "coverage_addresses must be a list of"),
    "coverage_addresses: a mapping": ({"coverage_addresses": {"uprn": 1}}, "coverage_addresses must be a list of"),
    "coverage_addresses: postcode list": (
        {"coverage_addresses": [{"postcode": [1, 2], "address_identifier": "x"}]},
        "postcode and address_identifier must be text",
    ),
    "coverage_addresses: uprn text": ({"coverage_addresses": [{"uprn": "12"}]}, "uprn must be a positive integer"),
    "coverage_addresses: [1]": ({"coverage_addresses": [1]}, "coverage_addresses: 1: must be {uprn: N}"),
    "refusal_codes: a list": ({"refusal_codes": [1]}, "refusal_codes must be a mapping of refusal case to response"),
    "refusal_codes: text": ({"refusal_codes": "E1"}, "refusal_codes must be a mapping of refusal case to response"),
    "refusal_codes: a code list": (
        {"refusal_codes": {"threshold-index-duplicate": ["E010102"]}},
        "refusal_codes: threshold-index-duplicate: the code must be text such as E010102 (it is ['E010102'])",
    ),
    "refusal_codes: a number key": ({"refusal_codes": {1: "E1"}}, "refusal_codes: 1 is not a refusal case"),
    "chism_column: a list": ({"chism_column": ["DCC 2.0"]}, "chism_column ['DCC 2.0'] is not one of"),
    "chism_column: a number": ({"chism_column": 2.0}, "chism_column 2.0 is not one of"),
    "release: a list": ({"release": ["2025-11"]}, "release: unknown SEC release"),
    "release: a mapping": ({"release": {"a": 1}}, "release: unknown SEC release"),
    "schema_version: a list": ({"schema_version": [5.1]}, "schema_version [5.1] is not one of"),
    "dsp_eui: a list": ({"dsp_eui": [1]}, "dsp_eui: not an EUI-64"),
}


@pytest.mark.parametrize("case", list(STATEMENT_CASES))
def test_a_statement_section_of_another_shape_is_a_problem_line(case: str, tmp_path: Path) -> None:
    changes, expected = STATEMENT_CASES[case]
    path = _statement_file(tmp_path, **changes)
    with pytest.raises(ConfigError) as refused:
        load_statement(path)
    message = str(refused.value)
    assert message.startswith(f"implementation statement {path}:\n  - "), message
    assert expected in message, message


def test_unknown_keys_of_mixed_types_are_one_problem(tmp_path: Path) -> None:
    path = _statement_file(tmp_path)
    path.write_text(path.read_text() + "1: x\nzz: y\n~: z\n")
    with pytest.raises(ConfigError, match=r"unknown keys \[1, None, 'zz'\]"):
        load_statement(path)


def test_every_problem_of_a_statement_is_listed_at_once(tmp_path: Path) -> None:
    path = _statement_file(tmp_path, users=[1], srvs=[8.2], devices=["abc"], joins="x", refusal_codes=[1])
    with pytest.raises(ConfigError) as refused:
        load_statement(path)
    lines = str(refused.value).splitlines()[1:]
    assert len(lines) == 5 and all(line.startswith("  - ") for line in lines), lines


ODD_VALUES: dict[str, Any] = {
    "a number": 7,
    "a fraction": 1.5,
    "a boolean": True,
    "text": "x",
    "empty text": "",
    "a date": date(2025, 1, 1),
    "a list of numbers": [1, 2],
    "a list of text": ["x"],
    "a list of lists": [[1]],
    "a list of nulls": [None],
    "a list of empty mappings": [{}],
    "a list of odd mappings": [{"eui": [1], "type": {"a": 1}, "role": 1.5, "device": None, "other": True}],
    "a mapping": {"a": 1},
    "a mapping of numbers": {1: 2},
    "a mapping of lists": {"8.2": [[1]], "x": [None]},
    "an empty list": [],
    "an empty mapping": {},
}


def _load_or_refusal(path: Path) -> Statement | str:
    """The statement loaded, or the ConfigError's message (any other exception fails the test)."""
    try:
        return load_statement(path)
    except ConfigError as exc:
        return str(exc)


@pytest.mark.parametrize("key", sorted(KNOWN_KEYS))
@pytest.mark.parametrize("odd", list(ODD_VALUES))
def test_any_shape_in_any_section_loads_or_is_a_config_error(key: str, odd: str, tmp_path: Path) -> None:
    """Whatever a section holds, the statement loads or is refused with a ConfigError: no other exception."""
    path = _statement_file(tmp_path, **{key: ODD_VALUES[odd]})
    outcome = _load_or_refusal(path)
    assert isinstance(outcome, Statement) or str(path) in outcome


@pytest.mark.parametrize("section", ["users", "devices", "joins", "spare_devices", "coverage_addresses"])
@pytest.mark.parametrize("odd", list(ODD_VALUES))
def test_any_field_of_any_entry_loads_or_is_a_config_error(section: str, odd: str, tmp_path: Path) -> None:
    fields: dict[str, tuple[str, ...]] = {"users": ("role", "eui"), "devices": ("eui", "type")}
    fields["joins"] = ("device", "other")
    fields |= {"spare_devices": ("eui", "type"), "coverage_addresses": ("uprn", "postcode", "address_identifier")}
    entry = dict.fromkeys(fields[section], ODD_VALUES[odd])
    for one in fields[section]:
        path = _statement_file(tmp_path, **{section: [entry, {**entry, one: "ESME"}]})
        outcome = _load_or_refusal(path)
        assert isinstance(outcome, Statement) or str(path) in outcome


def test_the_project_statement_still_loads() -> None:
    loaded = load_statement(STATEMENT)
    assert loaded.srvs and loaded.devices and loaded.users


@pytest.mark.parametrize(
    ("option", "content", "expected"),
    [
        ("--dcc-statement", {"users": [1]}, "users: entry 1 (1) must be a mapping"),
        ("--dcc-statement", {"srvs": [8.2]}, "srvs must be a mapping"),
        ("--dcc-statement", {"srvs": {"8.2": "x"}}, "the command variants must be a list of integers"),
        ("--dcc-statement", {"devices": ["abc"]}, "devices: entry 1 ('abc') must be a mapping"),
        ("--dcc-expected-failures", [1, {"id": "X", "reason": ["r"]}], "entry 1: 'id' and 'reason' are required"),
        ("--dcc-expected-failures", {"id": "X", "reason": "r"}, "must be a list of entries (it is a mapping)"),
    ],
    ids=["users", "srvs list", "srvs cvs text", "devices", "expected entries", "expected mapping"],
)
def test_through_pytest_a_wrong_shape_is_a_usage_error_naming_the_option(
    pytester: pytest.Pytester, option: str, content: Any, expected: str
) -> None:
    if option == "--dcc-statement":
        path = _statement_file(pytester.path, **content)
    else:
        path = pytester.path / "expected.yaml"
        path.write_text(yaml.safe_dump(content))
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(f"{option}={path}", "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert f"{option}: " in err and str(path) in err and expected in err, err
    assert "INTERNALERROR" not in err + result.stdout.str() and "Traceback" not in err


# -- the expected-failures file ----------------------------------------------------------------------------------

EXPECTED_CASES: dict[str, tuple[Any, str]] = {
    "a mapping": ({"id": "X", "reason": "r"}, "must be a list of entries (it is a mapping)"),
    "text": ("X", "must be a list of entries (it is text)"),
    "a number entry": ([1], "entry 1: 'id' and 'reason' are required, each text (the entry is 1)"),
    "a text entry": (["X"], "entry 1: 'id' and 'reason' are required"),
    "a list entry": ([["X", "r"]], "entry 1: 'id' and 'reason' are required"),
    "an id list": ([{"id": ["X"], "reason": "r"}], "entry 1: 'id' and 'reason' are required"),
    "an id mapping": ([{"id": {"a": 1}, "reason": "r"}], "entry 1: 'id' and 'reason' are required"),
    "a reason mapping": ([{"id": "X", "reason": {"a": 1}}], "entry 1: 'id' and 'reason' are required"),
    "a blank reason": ([{"id": "X", "reason": "  "}], "entry 1: 'id' and 'reason' are required"),
    "a boolean id": ([{"id": True, "reason": "r"}], "entry 1: 'id' and 'reason' are required"),
    "a ticket list": ([{"id": "X", "reason": "r", "ticket": [1]}], "entry 1: ticket must be text (it is [1])"),
    "expires a list": ([{"id": "X", "reason": "r", "expires": [1]}], "entry 1: expires [1] is not a date"),
    "expires a number": ([{"id": "X", "reason": "r", "expires": 20270131}], "expires 20270131 is not a date"),
    "expires text": ([{"id": "X", "reason": "r", "expires": "tomorrow"}], "expires 'tomorrow' is not a date"),
    "expires a boolean": ([{"id": "X", "reason": "r", "expires": True}], "expires True is not a date"),
    "expires a mapping": ([{"id": "X", "reason": "r", "expires": {"a": 1}}], "expires {'a': 1} is not a date"),
}


@pytest.mark.parametrize("case", list(EXPECTED_CASES))
def test_an_expected_failures_file_of_another_shape_is_one_config_error_line(case: str, tmp_path: Path) -> None:
    content, expected = EXPECTED_CASES[case]
    path = tmp_path / "expected.yaml"
    path.write_text(yaml.safe_dump(content))
    with pytest.raises(ConfigError) as refused:
        load_expected_failures(path)
    message = str(refused.value)
    assert str(path) in message and expected in message and "\n" not in message, message


def test_every_bad_entry_is_named_and_good_entries_still_load(tmp_path: Path) -> None:
    path = tmp_path / "expected.yaml"
    path.write_text(yaml.safe_dump([{"id": "A", "reason": "r"}, 1, {"id": "B", "reason": "r", "expires": "x"}]))
    with pytest.raises(ConfigError, match=r"entry 2: .*; entry 3: expires 'x' is not a date"):
        load_expected_failures(path)
    path.write_text(
        "- {id: A, reason: r, ticket: 123, expires: 2027-01-31}\n"
        "- {id: 8.13, reason: r, expires: '2020-01-01'}\n"
        "- {id: C, reason: r, ticket: '', expires: 2027-01-31 10:00:00}\n"
    )
    entries = load_expected_failures(path).entries
    assert [(e.id, e.ticket, e.expires) for e in entries] == [
        ("A", "123", date(2027, 1, 31)),
        ("8.13", "", date(2020, 1, 1)),
        ("C", "", date(2027, 1, 31)),  # a YAML timestamp is its date: comparable with today
    ]
    assert [e.active(date(2026, 1, 1)) for e in entries] == [True, False, True]
