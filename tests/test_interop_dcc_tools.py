"""DCC's own software as interop oracles (npm, pinned in package.json): DCC Boxed's signing tool (@smartdcc/
duis-sign-wrap's tool.jar) and @smartdcc/duis-parser.

- A request the suite tampers with passes DCC's XSD step and fails its signature step, so an endpoint can refuse it
  only by checking the signature (issue 14: the old tamper reversed a CredentialType, an XSD failure for DCC's tool).
- Its Validate accepts every in-scope request the suite signs with DCC Boxed's supplier key; requests its Sign
  signs are accepted by the reference on DCC Boxed's keys; every answer the reference signs with DCC Boxed's DSP
  key passes its Validate and duis-parser reads it as a response.

Signed with DCC Boxed's own test key for the supplier 90-B3-D5-1F-30-01-00-00, as DCC Boxed's clients sign, so the
tool finds the certificate by serial number. The npm build validates against DUIS 5.1.

The tool runs once per batch of files, not once per file (tests/oracles/DccToolBatch.java calls its own Validate and
Sign on each file in one JVM, each file with the code and output its own run would give): the in-scope requests are
validated in one module-scoped batch, as are the requests its Sign signs; each SRV keeps its own test and verdict.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_dcc.duis.build import DuisRequest, RequestBuilder
from pytest_dcc.duis.samples import IN_SCOPE_SRVS
from pytest_dcc.duis.signing import SigningIdentity, load_certificate, load_private_key, sign
from pytest_dcc.suite.tamper import change_signed_value, flip_signature_bit
from tests.reference_harness import ESME

ROOT = Path(__file__).resolve().parent.parent
JAR = ROOT / "node_modules" / "@smartdcc" / "duis-sign-wrap" / "dist" / "tool.jar"
PKI = ROOT.parent / "shared" / "dccboxed" / "pki"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"
BATCH = ROOT / "tests" / "oracles" / "DccToolBatch.java"

pytestmark = pytest.mark.slow


def _tool() -> str:
    java = shutil.which("java")
    missing = [what for what, ok in (("java", java), (str(JAR), JAR.exists()), (str(PKI), PKI.exists())) if not ok]
    if missing:
        reason = f"DCC's signing tool cannot run here: missing {', '.join(missing)} (npm ci installs the jar)"
        if os.environ.get("DCC_REQUIRE_INTEROP"):
            pytest.fail(reason)
        pytest.skip(reason)
    return str(java)


#: The first Java whose JVM refuses a Security Manager (JEP 486: ``-Djava.security.manager=allow`` is an error at
#: startup): DccToolBatch cannot turn the tool's System.exit into one file's code there.
NO_SECURITY_MANAGER = 24


def _batches(java: str) -> bool:
    """Whether DccToolBatch runs on ``java``: a JDK (its compiler beside it: the source launcher, Java 11 on) before
    :data:`NO_SECURITY_MANAGER`, as its installation's ``release`` file says (no JVM started; unknown: no)."""
    home = Path(java).resolve().parent
    release = home.parent / "release"
    if not (home / "javac").exists() or not release.is_file():
        return False
    found = re.search(r'^JAVA_VERSION="(\d+)', release.read_text(encoding="utf-8", errors="replace"), re.MULTILINE)
    return found is not None and 11 <= int(found.group(1)) < NO_SECURITY_MANAGER


def _run_tool(mode: str, inputs: dict[str, bytes], folder: Path) -> dict[str, tuple[int, bytes, str]]:
    """DCC's tool (``mode``: Validate or Sign) on each input, one JVM for all: name -> (the exit code its own run
    would give, its stdout, its stdout and stderr as text). Java without its compiler (a JRE: no source launcher)
    runs the tool's own main once per input instead, as does a Java that refuses a Security Manager (24 on)."""
    java = _tool()
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for n, data in enumerate(inputs.values()):
        files.append(folder / f"{mode.lower()}-{n}.xml")
        files[-1].write_bytes(data)
    if not _batches(java):
        one_by_one = {}
        for name, file in zip(inputs, files, strict=True):
            run = subprocess.run(
                [java, "-cp", str(JAR), f"uk.co.smartdcc.boxed.xmldsig.{mode}", str(file)],
                capture_output=True,
                timeout=120,
                check=False,
            )
            one_by_one[name] = (run.returncode, run.stdout, (run.stdout + run.stderr).decode("utf-8", "replace"))
        return one_by_one
    command = [java, "-Djava.security.manager=allow", "-cp", str(JAR), str(BATCH), mode, *map(str, files)]
    done = subprocess.run(command, capture_output=True, timeout=300, check=False)
    lines = done.stdout.decode("ascii", "replace").splitlines()
    assert done.returncode == 0 and len(lines) == len(files), done.stderr.decode("utf-8", "replace")[-2000:]
    answers = {}
    for name, line in zip(inputs, lines, strict=True):
        code, out, err = line.split(" ")
        stdout = base64.b64decode(out)
        answers[name] = (int(code), stdout, (stdout + base64.b64decode(err)).decode("utf-8", "replace"))
    return answers


def _validate_all(inputs: dict[str, bytes], folder: Path) -> dict[str, tuple[int, str]]:
    """DCC's Validate on each input: name -> (exit code, log)."""
    return {name: (code, log) for name, (code, _, log) in _run_tool("Validate", inputs, folder).items()}


def _signed_request() -> DuisRequest:
    identity = SigningIdentity(
        load_private_key(PKI / "xml-sign-90B3D51F30010000-ds.key"),
        load_certificate(PKI / "xml-sign-90B3D51F30010000-ds.pem"),
    )
    request = RequestBuilder(SUPPLIER, schema_version="5.1").request(
        "6.24.2", cv=4, target=ESME, credential_type="Digital Signature"
    )
    sign(request.root, identity)
    return request


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str]]:
    """DCC's Validate on every request the tests below hand it, in one JVM: the suite's signed request as it is,
    changed after signing, with a signature bit flipped, and every in-scope SRV signed with the supplier key."""
    flipped = _signed_request()
    flip_signature_bit(flipped.root)
    inputs = {
        "signed": _signed_request().to_bytes(),
        "changed": change_signed_value(_signed_request().to_bytes()),
        "flipped": flipped.to_bytes(),
    }
    for srv in IN_SCOPE_SRVS:
        request = _request_of(srv)
        sign(request.root, _supplier())
        inputs[f"SRV {srv}"] = request.to_bytes()
    return _validate_all(inputs, tmp_path_factory.mktemp("validate"))


@pytest.mark.slow
def test_dcc_tool_accepts_the_suite_s_signed_request(validated: dict[str, tuple[int, str]]) -> None:
    code, log = validated["signed"]
    assert code == 0, log
    assert "passed xsd validation" in log and "passed signature check" in log


_JDK_25 = """#!/bin/sh
# A JDK 25 (JEP 486): a Security Manager asked for at startup is an error; otherwise the real java.
echo "$*" >> "$(dirname "$0")/calls"
case " $* " in *" -Djava.security.manager=allow "*)
  echo "Error occurred during initialization of VM" >&2
  echo "java.lang.Error: A command line option has attempted to allow or enable the Security Manager." >&2
  exit 1;;
esac
exec {java} "$@"
"""


@pytest.mark.slow
def test_a_java_that_refuses_a_security_manager_runs_dcc_s_tool_once_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Java 24 and later (JEP 486) the batch cannot keep the tool's System.exit to one file: the tool's own main
    runs per file, with the same answers, rather than failing the tests."""
    real = _tool()
    bin_folder = tmp_path / "jdk-25" / "bin"
    bin_folder.mkdir(parents=True)
    (bin_folder / "java").write_text(_JDK_25.format(java=real))
    (bin_folder / "javac").write_text("#!/bin/sh\nexit 1\n")
    for tool in ("java", "javac"):
        (bin_folder / tool).chmod(0o755)
    (bin_folder.parent / "release").write_text('JAVA_VERSION="25.0.1"\n')
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: str(bin_folder / name) if name == "java" else None)
    inputs = {"signed": _signed_request().to_bytes(), "changed": change_signed_value(_signed_request().to_bytes())}
    (signed_code, signed_log), (changed_code, changed_log) = _validate_all(inputs, tmp_path / "validate").values()
    assert signed_code == 0 and "passed signature check" in signed_log, signed_log
    assert changed_code == 10 and "failed signature check" in changed_log, changed_log
    calls = (bin_folder / "calls").read_text().splitlines()
    assert len(calls) == 2 and all("security.manager" not in c for c in calls), calls


@pytest.mark.slow
def test_a_signed_value_changed_afterwards_passes_dcc_xsd_and_fails_its_signature_check(
    validated: dict[str, tuple[int, str]],
) -> None:
    code, log = validated["changed"]
    assert code == 10, log
    assert "passed xsd validation" in log and "failed signature check" in log


@pytest.mark.slow
def test_a_flipped_signature_bit_passes_dcc_xsd_and_fails_its_signature_check(
    validated: dict[str, tuple[int, str]],
) -> None:
    code, log = validated["flipped"]
    assert code == 10, log
    assert "passed xsd validation" in log and "failed signature check" in log


def _request_of(srv: str) -> DuisRequest:
    from pytest_dcc.duis.samples import sample_values
    from pytest_dcc.spec import SRVS

    variant = SRVS[srv]
    cv = 4 if variant.critical else variant.command_variants[0]
    return RequestBuilder(SUPPLIER, schema_version="5.1").request(srv, cv=cv, **sample_values(srv))


def _supplier() -> SigningIdentity:
    return SigningIdentity(
        load_private_key(PKI / "xml-sign-90B3D51F30010000-ds.key"),
        load_certificate(PKI / "xml-sign-90B3D51F30010000-ds.pem"),
    )


@pytest.mark.slow
@pytest.mark.parametrize("srv", IN_SCOPE_SRVS)
def test_dcc_tool_validates_every_in_scope_request_the_suite_signs(
    srv: str, validated: dict[str, tuple[int, str]]
) -> None:
    code, log = validated[f"SRV {srv}"]
    assert code == 0, f"SRV {srv}: {log[-600:]}"
    assert "passed signature check" in log


SIGNED_BY_DCC = ("8.2", "6.24.2", "12.1")


@pytest.fixture(scope="module")
def signed_by_dcc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[DuisRequest, int, bytes, str]]:
    """DCC's Sign on each request of :data:`SIGNED_BY_DCC`, in one JVM: srv -> (the unsigned request, exit code,
    the signed request, log)."""
    unsigned = {srv: _request_of(srv) for srv in SIGNED_BY_DCC}
    answers = _run_tool("Sign", {srv: r.to_bytes() for srv, r in unsigned.items()}, tmp_path_factory.mktemp("sign"))
    return {srv: (unsigned[srv], *answers[srv]) for srv in SIGNED_BY_DCC}


@pytest.mark.slow
@pytest.mark.parametrize("srv", SIGNED_BY_DCC)
def test_a_request_signed_by_dcc_s_tool_is_accepted_by_the_server_on_dcc_boxed_s_keys(
    srv: str, signed_by_dcc: dict[str, tuple[DuisRequest, int, bytes, str]]
) -> None:
    """DCC's Sign (it holds the ZAZ1 keys itself and stamps the counter with the current millisecond) signs a request
    the reference, run on DCC Boxed's keys as shipped, accepts: neither E1 nor an HTTP refusal."""
    from pytest_dcc.duis.pki import load_or_create_pki
    from pytest_dcc.reference.setup import build_reference
    from tests.reference_harness import PREMISES

    unsigned, code, signed, log = signed_by_dcc[srv]
    assert code == 0, log
    dcc = build_reference(load_or_create_pki(PKI), release="2021-06", inventory=PREMISES)
    reply = dcc.handle("POST", unsigned.path, {"content-type": "application/xml"}, signed)
    assert reply.status == 200, reply.body[:400]
    answered = reply.body.split(b"<sr:ResponseCode>")[1].split(b"<")[0].decode()
    assert answered in ("I0", "I99"), (answered, reply.body[:600])


def _responses_on_dcc_boxed_keys() -> list[tuple[str, bytes]]:
    """Every answer the reference DCC gives, on DCC Boxed's keys at 2021-06 (DUIS 5.1, as DCC's npm build checks),
    to each in-scope SRV signed with DCC Boxed's supplier key, and every asynchronous device response it sends."""
    from pytest_dcc.duis.pki import load_or_create_pki
    from pytest_dcc.reference.setup import build_reference
    from tests.reference_harness import PREMISES

    outbox: list[bytes] = []
    dcc = build_reference(load_or_create_pki(PKI), release="2021-06", inventory=PREMISES)
    dcc.set_response_sink(outbox.append)
    answers = []
    for srv in IN_SCOPE_SRVS:
        request = _request_of(srv)
        sign(request.root, _supplier())
        reply = dcc.handle("POST", request.path, {"content-type": "application/xml"}, request.to_bytes())
        assert reply.status == 200, (srv, reply.body[:300])
        answers.append((f"SRV {srv}", reply.body))
    answers += [(f"device response {n}", raw) for n, raw in enumerate(outbox)]
    return answers


@pytest.mark.slow
def test_every_response_signed_with_dcc_boxed_s_dsp_key_passes_dcc_s_tool_and_parser(tmp_path: Path) -> None:
    answers = _responses_on_dcc_boxed_keys()
    assert len(answers) > len(IN_SCOPE_SRVS)  # device responses came too
    checked = _validate_all(dict(answers), tmp_path / "validate")
    assert len(checked) == len(answers)  # each answer its own name (a duplicate would hide one)
    for name, _ in answers:
        code, log = checked[name]
        assert code == 0 and "passed signature check" in log, f"{name}: {log[-600:]}"
    node = shutil.which("node")
    parser = ROOT / "node_modules" / "@smartdcc" / "duis-parser"
    if node is None or not parser.exists():
        if os.environ.get("DCC_REQUIRE_INTEROP"):
            pytest.fail(f"DCC's duis-parser cannot run here: node {node}, {parser}")
        pytest.skip("DCC's duis-parser is not installed (npm ci) or Node.js is missing")
    files = []
    for n, (_, body) in enumerate(answers):
        files.append(tmp_path / f"answer-{n}.xml")
        files[-1].write_bytes(body)
    done = subprocess.run(
        [node, str(ROOT / "tests" / "oracles" / "duis-parse.cjs"), *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    parsed = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(parsed) == len(answers)
    failed = [(answers[n][0], p) for n, p in enumerate(parsed) if not (p["ok"] and p["response"])]
    assert not failed, failed
