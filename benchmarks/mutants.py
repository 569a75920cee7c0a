"""Detection power of the suite, measured from outside as well as inside (issues 7 and 14).

Families, each run through the whole bundled suite in process and over HTTP:

* ``reference``: the reference DCC's own code broken one way at a time (white box);
* ``black-box``: a mutating proxy (``qa/mutants/``) between the suite and a correct endpoint
  rewrites answers, skips checks, drops effects or applies what was refused, re-signing with the endpoint's key,
  one wrong behaviour at a time, derived from each side of each registry rule;
* ``green``: endpoints that are correct but different (other unpublished codes of the same set, the other CHISM
  table 3 column, declared codes and column, HTTP 400 for bad signatures, an MP081 DCC before November 2020): they
  must stay green.

A mutant is caught when the run has at least one FAIL, every FAIL or ERROR scenario carries one of the clauses the
mutant breaks (its owners), and nothing else failed; a transport mutant is caught by ERRORs naming its cause and
no FAIL. A green endpoint, and the unmodified reference, must give no FAIL and no ERROR (a false alarm otherwise).

    .venv/bin/python benchmarks/mutants.py [--family reference|black-box|green|all] [--mode in-process|http|both]
                                           [--only NAME ...] [--list]

Prints one row per mutant and mode, then caught / total per family and the false alarms; exit 1 below 100 % or
with any false alarm.

In process the mutants patch the process that runs the suite (this file is loaded as a pytest plugin, ``-p
mutants``, with ``DCC_MUTANT`` naming the mutant). Over HTTP a reference mutant patches ``pytest-dcc serve``
(``python benchmarks/mutants.py serve NAME <serve arguments>``); a black-box or green one is a real HTTP proxy in
this process in front of an unmodified ``pytest-dcc serve``. Nothing in the package knows about the mutants.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str
    release: str  # the release the suite claims when it runs against the mutant
    owners: frozenset[str]  # the clauses whose scenarios must catch it
    apply: Callable[[], None]
    error_cause: str | None = None  # a transport mutant: ERRORs naming this, not FAILs
    family: str = "reference"


# -- patches ------------------------------------------------------------------------------------------------------


def _release(change: Callable[[Any], Any]) -> Callable[[], None]:
    """Every ReferenceDcc built from now on behaves as ``change(release)``."""

    def apply() -> None:
        from pytest_dcc.reference import dcc as dcc_module

        original = dcc_module.ReferenceDcc.__init__

        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            self.release = change(self.release)

        dcc_module.ReferenceDcc.__init__ = init  # type: ignore[method-assign]

    return apply


def _flag(**flags: Any) -> Callable[[], None]:
    """Release flags set to ``flags``."""
    return _release(lambda release: dataclasses.replace(release, **flags))


def _no_w081401() -> None:
    from pytest_dcc.reference.services import ch_status

    original = ch_status.install_no_wan

    def mutated(ctx: Any) -> Any:
        answer = original(ctx)
        code = answer.find(".//{*}ResponseCode")
        if code is not None and code.text == "W081401":
            return ctx.reply("I99")
        return answer

    ch_status.install_no_wan = mutated  # type: ignore[assignment]


def _gpf_not_updated() -> None:
    from pytest_dcc.reference.services import ch_status

    ch_status.gpf_of = lambda ctx, chf: None  # type: ignore[assignment]


def _e5_still_applied() -> None:
    from pytest_dcc.reference.checks import check_status
    from pytest_dcc.reference.services import ch_status

    original = ch_status.install_no_wan

    def mutated(ctx: Any) -> Any:
        device = ctx.inventory.device(ctx.text("DeviceID") or "")
        if device is not None and device.type == "CHF":
            check_status(device, ctx.srv.srv)
        return original(ctx)

    ch_status.install_no_wan = mutated  # type: ignore[assignment]


def _no_e081401() -> None:
    from pytest_dcc.reference.services import base, ch_status

    ch_status.named_chf = lambda ctx: base.named_device(ctx, ctx.text("DeviceID"))  # type: ignore[assignment]


def _no_e081402() -> None:
    from pytest_dcc.reference.services import ch_status

    ch_status.check_install_time = lambda ctx: None  # type: ignore[assignment]


def _local_list(change: Callable[[frozenset[str]], frozenset[str]]) -> Callable[[], None]:
    """The 8.13 list of SRVs changed by ``change``."""

    def apply() -> None:
        from pytest_dcc.reference.services import local_command

        local_command.LOCAL_RESPONSE_SRVS = change(local_command.LOCAL_RESPONSE_SRVS)  # type: ignore[misc]

    return apply


def _coverage(change: Callable[[Any], Any]) -> Callable[[], None]:
    def apply() -> None:
        from pytest_dcc.reference.services import coverage

        original = coverage.coverage_row
        coverage.coverage_row = lambda row: change(original(row))  # type: ignore[assignment]

    return apply


def _swap_region(row: Any) -> Any:
    swap = {"Central": "South", "South": "Central"}
    return dataclasses.replace(row, region=swap.get(row.region, row.region))


def _space_filled(row: Any) -> Any:
    return dataclasses.replace(row, wan_technology="Cellular") if row.wan_technology == " " else row


def _duplicate_index_accepted() -> None:
    from pytest_dcc.reference.services import tariff

    tariff.threshold_index_issues = lambda body: []  # type: ignore[assignment]


def _on_response(change: Callable[..., None]) -> Callable[[], None]:
    def apply() -> None:
        from pytest_dcc.reference.services import devices

        original = devices.on_response

        def mutated(inv: Any, srv: str, device: Any, body: Any, result: Any, *, via_local: bool) -> None:
            if change(inv, srv, device, body, result, via_local) is not False:
                original(inv, srv, device, body, result, via_local=via_local)

        devices.on_response = mutated  # type: ignore[assignment]

    return apply


def _join_not_recorded(inv: Any, srv: str, device: Any, body: Any, result: Any, via_local: bool) -> bool:
    from pytest_dcc.reference.services import join

    return srv not in join.JOIN_SRVS  # False: the DSP ignores the device's join response


def _rejected_rejoin_recorded(inv: Any, srv: str, device: Any, body: Any, result: Any, via_local: bool) -> None:
    from pytest_dcc.reference.services import base, join

    if srv in join.JOIN_SRVS and not result.ok:
        inv.add_join(device.eui, base.other_device(body), smi=True, device=False)


def _specific_6_24_2_validation() -> None:
    from pytest_dcc.reference.checks import Refusal
    from pytest_dcc.reference.services import credentials

    original = credentials.validate

    def mutated(ctx: Any, device: Any) -> None:
        if ctx.srv.srv == "6.24.2":
            usage = ctx.body.findtext("{*}CredentialType") or ""
            if usage not in ctx.inventory.device_certificates(device.eui, smi=True):
                raise Refusal("E062401", f"the inventory holds no {usage} certificate for {device.eui}")
        original(ctx, device)

    credentials.validate = mutated  # type: ignore[assignment]


def _org_certs_not_tracked_locally(inv: Any, srv: str, device: Any, body: Any, result: Any, via_local: bool) -> bool:
    from pytest_dcc.reference.services import credentials

    return not (via_local and srv in credentials.ORG_CERT_SRVS)


def _org_certs_tracked_on_issue() -> None:
    """The DSP tracks the Organisation Certificates as soon as the command for local delivery is issued."""
    from lxml import etree

    from pytest_dcc.reference.inventory import Inventory
    from pytest_dcc.reference.services import credentials

    original = Inventory.record_local_command

    def mutated(self: Any, **row: Any) -> None:
        original(self, **row)
        if row["srv"] in credentials.ORG_CERT_SRVS:
            for usage, der in credentials.org_certificates(etree.fromstring(row["body"])).items():
                self.set_org_certificate(row["target"], "Supplier", usage, der, smi=True, device=False)

    Inventory.record_local_command = mutated  # type: ignore[method-assign]


def _smki_reissued_when_same() -> None:
    """6.24.2: the DSP supersedes the inventory's certificate even when the device returns the same one."""
    from pytest_dcc.reference.services import devices

    original = devices.on_response

    def mutated(inv: Any, srv: str, device: Any, body: Any, result: Any, *, via_local: bool) -> None:
        original(inv, srv, device, body, result, via_local=via_local)
        if srv == "6.24.2" and result.ok:
            for usage, serial in result.data.get("certificates", {}).items():
                inv.supersede_certificate(serial)
                der = inv.device_certificate_der(device.eui, usage)
                inv.set_device_certificate(
                    device.eui, usage, {"serial": f"{serial}9", "der": der.hex()}, smi=True, device=False
                )

    devices.on_response = mutated  # type: ignore[assignment]


def _store(method: str, wrap: Callable[[Any], Callable[..., Any]]) -> Callable[[], None]:
    """Patch one method of the reference's inventory store: ``wrap(original)`` is the mutated method."""

    def apply() -> None:
        from pytest_dcc.reference.store.smi import SmiView

        setattr(SmiView, method, wrap(getattr(SmiView, method)))

    return apply


def _replaced_left_in_use(original: Callable[..., Any]) -> Callable[..., Any]:
    """6.24.2: the DSP records the new certificate and leaves the one it replaced In Use in the SMKI."""
    return lambda self, serial: None


def _other_usage_superseded(original: Callable[..., Any]) -> Callable[..., Any]:
    """6.24.2: recording the new certificate of one usage supersedes the certificate of the other usage too."""

    def mutated(self: Any, eui: Any, usage: str, cert: Any, *, smi: bool, device: bool) -> None:
        if smi and not device:
            for other, serial in self.device_certificates(eui, smi=True).items():
                if other != usage:
                    self.supersede_certificate(serial)
        original(self, eui, usage, cert, smi=smi, device=device)

    return mutated


def _org_certificate_other_role(original: Callable[..., Any]) -> Callable[..., Any]:
    """The DSP tracks an Organisation Certificate under another role than the RemotePartyRole it was placed for."""

    def mutated(self: Any, eui: Any, role: str, usage: str, cert: bytes, *, smi: bool, device: bool) -> None:
        original(self, eui, "Network Operator" if smi else role, usage, cert, smi=smi, device=device)

    return mutated


def _unsigned() -> None:
    from pytest_dcc.reference import dcc as dcc_module

    dcc_module.sign = lambda root, identity: root  # type: ignore[assignment]


def _mis_correlated() -> None:
    from pytest_dcc.reference.services.base import RequestContext

    original = RequestContext.reply

    def mutated(self: Any, code: str, payload: Any = None) -> Any:
        root = original(self, code, payload)
        node = root.find("{*}Header/{*}RequestID")
        originator, target, counter = node.text.split(":")
        node.text = f"{originator}:{target}:{int(counter) + 1}"
        return root

    RequestContext.reply = mutated  # type: ignore[method-assign]


def _reference_mutants() -> list[Mutant]:
    chf = frozenset({"MP081-DUIS-3.8.106.3", "MP081-DUIS-3.8.114.4"})
    e8 = frozenset({"MP081-DUIS-3.8.106.3"})
    local = frozenset({"MP081-DUIS-3.8.112.2"})
    orgcert = frozenset({"MP081-ORGCERT-TRACKING"})
    from pytest_dcc.spec import SRVS

    return [
        Mutant("no-w081401", "8.14.2 answers I99 where W081401 is due", "latest", chf, _no_w081401),
        Mutant("gpf-not-updated", "8.14.2 moves a Pending CHF but not its GPF", "latest", chf, _gpf_not_updated),
        Mutant("e5-still-applied", "8.14.2 still refuses a Pending CHF with E5", "latest", chf, _e5_still_applied),
        Mutant("no-e081401", "8.14.2 accepts a device that is not a CHF", "latest", e8, _no_e081401),
        Mutant("no-e081402", "8.14.2 accepts an install time in the future", "latest", chf, _no_e081402),
        Mutant("e080801-kept-after-2024-06", "8.8.2 still refused with E080801 without an SMI join", "latest",
               frozenset({"MP178-UNJOIN"}), _flag(unjoin_requires_smi_join=True)),
        Mutant("e080801-dropped-before-2024-06", "8.8.2 sent to the device without an SMI join before MP178",
               "2021-06", frozenset({"DP178-E080801"}), _flag(unjoin_requires_smi_join=False)),
        Mutant("6.15.1-off-the-8.13-list", "8.13 refuses 6.15.1 responses", "latest", local | orgcert,
               _local_list(lambda s: s - {"6.15.1"})),
        Mutant("6.21-off-the-8.13-list", "8.13 refuses 6.21 responses", "latest", local | orgcert,
               _local_list(lambda s: s - {"6.21"})),
        Mutant("unlisted-srv-accepted-by-8.13", "8.13 accepts the response to any SRV", "latest", local,
               _local_list(lambda s: frozenset(SRVS))),
        Mutant("wan-region-swapped", "12.1 reports South's answer as Central's", "latest",
               frozenset({"MP081-CHISM-E3-T3", "MP081-CHISM-E3-SPACE"}), _coverage(_swap_region)),
        Mutant("unconfirmed-variant-filled-in", "12.1 answers 'Cellular' where ' ' is due", "latest",
               frozenset({"MP081-CHISM-E3-SPACE"}), _coverage(_space_filled)),
        Mutant("duplicate-threshold-index-accepted", "1.1.1 accepts repeated BlockThreshold indexes", "latest",
               frozenset({"MP081-DUIS-3.8.1.2"}), _duplicate_index_accepted),
        Mutant("smki-not-updated-on-6.24.2", "6.24.2 responses leave the inventory and SMKI unchanged", "latest",
               frozenset({"MP081-DUIS-3.8.77.4"}), _on_response(lambda dcc, srv, *rest: srv != "6.24.2")),
        Mutant("smki-reissued-when-the-set-is-the-same", "6.24.2 changes the inventory although the set is the same",
               "latest", frozenset({"MP081-DUIS-3.8.77.4"}), _smki_reissued_when_same),
        Mutant("6.24.2-specific-validation-kept", "6.24.2 refused when the inventory lacks the certificate", "latest",
               frozenset({"MP081-DUIS-3.8.77.3"}), _specific_6_24_2_validation),
        Mutant("org-certificates-not-tracked-locally", "6.15.1/6.21 returned by 8.13 do not update the tracking",
               "latest", orgcert, _on_response(_org_certs_not_tracked_locally)),
        Mutant("org-certificates-tracked-on-issue", "the certificates are tracked before the response is returned",
               "latest", orgcert, _org_certs_tracked_on_issue),
        Mutant("smi-join-not-recorded", "the DSP ignores a device's join response", "latest",
               frozenset({"DP178-SMI-JOIN", "DP178-REJOIN"}), _on_response(_join_not_recorded)),
        Mutant("rejected-rejoin-recorded", "the DSP records a join the meter rejected", "latest",
               frozenset({"DP178-REJOIN", "MP178-UNJOIN"}), _on_response(_rejected_rejoin_recorded)),
        Mutant("smki-replaced-certificate-left-in-use", "6.24.2 leaves the replaced certificate In Use", "latest",
               frozenset({"MP081-DUIS-3.8.77.4"}), _store("supersede_certificate", _replaced_left_in_use)),
        Mutant("smki-other-usage-superseded-too", "6.24.2 supersedes the other usage's certificate too", "latest",
               frozenset({"MP081-DUIS-3.8.77.4"}), _store("set_device_certificate", _other_usage_superseded)),
        Mutant("org-certificate-tracked-under-another-role", "the certificate is tracked under another role",
               "latest", orgcert, _store("set_org_certificate", _org_certificate_other_role)),
        Mutant("unsigned-responses", "no response is signed", "latest", frozenset(), _unsigned,
               "ResponseSignatureError"),
        Mutant("mis-correlated-responses", "answers name the next RequestID", "latest", frozenset(), _mis_correlated,
               "CorrelationError"),
    ]  # fmt: skip


def _proxied(name: str) -> Callable[[], None]:
    """In process: the mutating proxy in front of every reference DCC the suite builds (its inner release too)."""

    def apply() -> None:
        from pytest_dcc import fixtures
        from qa.mutants import attach, catalogue

        mutation = catalogue()[name]
        original = fixtures.build_reference

        def build(pki: Any, **kwargs: Any) -> Any:
            if mutation.inner is not None:
                kwargs["release"] = mutation.inner
            dcc = original(pki, **kwargs)
            attach(dcc, mutation, pki)
            return dcc

        fixtures.build_reference = build  # type: ignore[assignment]

    return apply


def _mutants() -> dict[str, Mutant]:
    from qa.mutants import catalogue

    rows = _reference_mutants()
    for m in catalogue().values():
        rows.append(
            Mutant(
                m.name,
                m.what,
                m.claimed,
                m.owners,
                _proxied(m.name),
                error_cause=m.error_cause,
                family=m.family,
            )
        )
    return {m.name: m for m in rows}


# -- entry points: the pytest plugin (in-process runs) and the server (HTTP runs) -------------------------------

if os.environ.get("DCC_MUTANT") and __name__ != "__main__":  # loaded with -p mutants
    _mutants()[os.environ["DCC_MUTANT"]].apply()


def _serve(name: str, args: list[str]) -> int:
    if name != "none":
        _mutants()[name].apply()
    from pytest_dcc.cli import main

    return main(["serve", *args])


# -- the runner ---------------------------------------------------------------------------------------------------


def _suite(mutant: str, release: str, report_dir: Path, extra: list[str], env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "pytest", "--pyargs", "pytest_dcc.suite", f"--dcc-release={release}"]
    command += [f"--dcc-report-dir={report_dir}", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *extra]
    subprocess.run(command, env=env, cwd=report_dir, capture_output=True, check=False, timeout=300)
    verdicts = report_dir / "verdicts.json"
    if not verdicts.exists():
        return {"scenarios": [], "error": f"no verdicts.json for {mutant}"}
    return dict(json.loads(verdicts.read_text()))


def _statement(report_dir: Path, release: str, extra: dict[str, Any]) -> list[str]:
    """``--dcc-statement`` for a run whose mutation declares statement entries (the bundled example plus them)."""
    if not extra:
        return []
    import yaml

    base = yaml.safe_load((HERE.parent / "fixtures" / "statements" / "reference-latest.yaml").read_text())
    base.update({"release": release, **extra})
    path = report_dir / "statement.yaml"
    path.write_text(yaml.safe_dump(base))
    return [f"--dcc-statement={path}"]


def _mutation(mutant: Mutant | None) -> Any:
    if mutant is None or mutant.family == "reference":
        return None
    from qa.mutants import catalogue

    return catalogue()[mutant.name]


def run_one(mutant: Mutant | None, mode: str, workdir: Path) -> dict[str, Any]:
    """Run the bundled suite against ``mutant`` (None: the unmodified reference) in ``mode``."""
    from pytest_dcc.transport.receiver import free_port
    from qa.serve import ServeProcess

    name = mutant.name if mutant else "none"
    release = mutant.release if mutant else "latest"
    mutation = _mutation(mutant)
    report_dir = workdir / f"{name}-{mode}"
    report_dir.mkdir(parents=True, exist_ok=True)
    statement = _statement(report_dir, release, dict(mutation.statement) if mutation is not None else {})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    if mode == "in-process":
        extra = ["-p", "mutants", "--dcc-timeout=3"] if mutant else []
        return _suite(name, release, report_dir, [*extra, *statement], {**env, "DCC_MUTANT": name if mutant else ""})
    pki, receiver_port = report_dir / "pki", free_port()
    inner = (mutation.inner or release) if mutation is not None else release
    if mutation is None:
        serve_args = ["--pki", str(pki), "--test-control", "--release", release, "--log-level", "warning"]
        serve_args += ["--response-url", f"http://127.0.0.1:{receiver_port}/", "--delivery-backoff", "0.05"]
        server = ServeProcess(serve_args, report_dir / "serve.log", command=[str(HERE / "mutants.py"), "serve", name])
        with server:
            extra = [f"--dcc-endpoint={server.url}", f"--dcc-pki={pki}", f"--dcc-receiver-port={receiver_port}"]
            return _suite(name, release, report_dir, [*extra, "--dcc-timeout=3", *statement], env)
    return _run_proxied(mutation, release, inner, report_dir, pki, receiver_port, statement, env)


def _run_proxied(
    mutation: Any,
    release: str,
    inner: str,
    report_dir: Path,
    pki_dir: Path,
    receiver_port: int,
    statement: list[str],
    env: dict[str, str],
) -> dict[str, Any]:
    """Over HTTP: an unmodified ``pytest-dcc serve`` behind a real mutating proxy on loopback."""
    from pytest_dcc.duis.pki import load_or_create_pki
    from pytest_dcc.spec import DCC_EUI
    from pytest_dcc.transport.receiver import ServerThread, free_port
    from qa.mutants import HttpControl, HttpUpstream, MutatingEndpoint, proxy_app
    from qa.serve import ServeProcess

    proxy_port = free_port()
    serve_args = ["--pki", str(pki_dir), "--test-control", "--release", inner, "--log-level", "warning"]
    serve_args += ["--response-url", f"http://127.0.0.1:{proxy_port}/deliver", "--delivery-backoff", "0.05"]
    # One state folder for the server, the proxy and the suite: the server's test-control token is there, and the
    # proxy offers it under its own port too (the suite finds a loopback endpoint's token by its port).
    env = {**env, "PYTEST_DCC_STATE": str(report_dir / "state")}
    with ServeProcess(serve_args, report_dir / "serve.log", env=env) as server:
        pki = load_or_create_pki(pki_dir)
        from pytest_dcc.duis.pki import read_pki
        from pytest_dcc.errors import ConfigError
        from pytest_dcc.spec.releases import release as release_named

        def user(eui: str) -> Any:
            for folder_copy in (pki, None):  # the suite adds its users to the folder after the proxy started
                try:
                    return (folder_copy or read_pki(pki_dir)).identity(eui)
                except ConfigError:
                    continue
            return None  # a user the PKI does not hold: the changed request goes on as it is

        from pytest_dcc.duis.control_token import read_token, write_token

        token = read_token([report_dir / "state"], server.url)
        if token is not None:
            write_token(report_dir / "state", proxy_port, token)
        upstream, control = HttpUpstream(server.url), HttpControl(server.url, token)
        proxy = MutatingEndpoint(
            upstream,
            mutation,
            dcc=pki.identity(DCC_EUI),
            users=user,
            control=control,
            schema_version=release_named(inner).schema_version,
        )
        app = proxy_app(proxy, server.url, f"http://127.0.0.1:{receiver_port}/", token)
        thread = ServerThread(app, port=proxy_port).start()
        try:
            extra = [f"--dcc-endpoint={thread.url}", f"--dcc-pki={pki_dir}", f"--dcc-receiver-port={receiver_port}"]
            return _suite(mutation.name, release, report_dir, [*extra, "--dcc-timeout=3", *statement], env)
        finally:
            thread.stop()
            app.state.client.close()
            upstream.close()
            control.close()


def judge(mutant: Mutant | None, document: dict[str, Any]) -> tuple[bool, str]:
    """Whether the run caught ``mutant`` (or, for None and the green family, stayed clean), and how."""
    scenarios = document.get("scenarios", [])
    if not scenarios:
        return False, document.get("error", "the suite did not run")
    bad = [s for s in scenarios if s["verdict"] in ("FAIL", "ERROR")]
    fails = [s for s in bad if s["verdict"] == "FAIL"]
    passed = sum(1 for s in scenarios if s["verdict"] == "PASS")
    if mutant is None or mutant.family == "green":
        detail = f"{len(scenarios)} scenarios, {passed} PASS, {len(bad)} FAIL/ERROR"
        if bad:
            detail += ": " + "; ".join(f"{s['verdict']} {s['name'][:50]} ({s['message'][:120]})" for s in bad[:3])
        return not bad and passed > 0, detail
    if mutant.error_cause is not None:
        errors = [s for s in bad if s["verdict"] == "ERROR" and mutant.error_cause in s["message"]]
        ok = bool(errors) and not fails
        return ok, f"{len(errors)} ERROR {mutant.error_cause}, {len(fails)} FAIL, {passed} PASS"
    # A scenario of another clause whose arrangement the mutant breaks cannot be judged: ERROR ArrangementError
    # there is the right verdict, not a spill.
    stray = [
        s
        for s in bad
        if not mutant.owners & set(s["clauses"])
        and not (s["verdict"] == "ERROR" and "ArrangementError" in s["message"])
    ]
    caught_by = sorted({c for s in fails for c in s["clauses"] if c in mutant.owners})
    ok = bool(fails) and not stray
    detail = f"FAIL on {', '.join(caught_by) or 'nothing'} ({len(fails)} scenarios)"
    if stray:
        detail += "; also: " + "; ".join(f"{s['verdict']} {s['name'][:50]} {s['clauses']}" for s in stray[:3])
    return ok, detail


FAMILIES = ("reference", "black-box", "green")


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "serve":
        return _serve(sys.argv[2], sys.argv[3:])
    parser = argparse.ArgumentParser(description="detection power of the bundled suite")
    parser.add_argument("--family", choices=[*FAMILIES, "all"], nargs="+", default=["all"])
    parser.add_argument("--mode", choices=["in-process", "http", "both"], default="both")
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    mutants = _mutants()
    if args.list:
        for m in mutants.values():
            print(
                f"{m.family:9} {m.name:42} {m.release:8} "
                f"{', '.join(sorted(m.owners)) or m.error_cause or '-'}: {m.what}"
            )
        return 0
    unknown = set(args.only) - set(mutants)
    if unknown:
        parser.error(f"unknown mutants {sorted(unknown)}")
    chosen = [mutants[n] for n in args.only] if args.only else list(mutants.values())
    if "all" not in args.family:
        chosen = [m for m in chosen if m.family in args.family]
    modes = ["in-process", "http"] if args.mode == "both" else [args.mode]
    started = time.monotonic()
    caught: dict[str, int] = dict.fromkeys(FAMILIES, 0)
    total: dict[str, int] = dict.fromkeys(FAMILIES, 0)
    baseline_ok = True
    with tempfile.TemporaryDirectory(prefix="dcc-mutants-") as scratch:
        workdir = Path(scratch)
        for mode in modes:
            ok, detail = judge(None, run_one(None, mode, workdir))
            baseline_ok &= ok
            print(f"{'(unmodified reference)':52} {mode:10} {'clean' if ok else 'NOT CLEAN'}: {detail}", flush=True)
            for mutant in chosen:
                ok, detail = judge(mutant, run_one(mutant, mode, workdir))
                caught[mutant.family] += ok
                total[mutant.family] += 1
                word = (
                    ("green" if ok else "FALSE ALARM") if mutant.family == "green" else ("caught" if ok else "MISSED")
                )
                print(f"{mutant.family:9} {mutant.name:42} {mode:10} {word}: {detail}", flush=True)
    for family in FAMILIES:
        if total[family]:
            if family == "green":
                alarms = total[family] - caught[family]
                print(f"{family}: {caught[family]}/{total[family]} stayed green; false alarms: {alarms} (goal 0)")
            else:
                score = 100.0 * caught[family] / total[family]
                print(f"{family}: caught {caught[family]}/{total[family]} = {score:.0f} % (goal 100 %)")
    print(f"unmodified reference {'clean' if baseline_ok else 'NOT clean'}; {time.monotonic() - started:.0f}s")
    return 0 if all(caught[f] == total[f] for f in FAMILIES) and baseline_ok else 1


if __name__ == "__main__":
    sys.exit(main())
