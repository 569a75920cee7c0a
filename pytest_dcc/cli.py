"""``pytest-dcc`` command line: ``pytest-dcc serve`` runs the reference DCC as an HTTP(S) server."""

from __future__ import annotations

import argparse
import logging
import signal
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from pytest_dcc.duis.pki import TestPki, load_or_create_pki
from pytest_dcc.duis.schema import load_schema
from pytest_dcc.duis.signing import SigningIdentity, certificate_eui, load_certificate
from pytest_dcc.errors import ConfigError
from pytest_dcc.reference.dcc import ReferenceDcc
from pytest_dcc.reference.inventory import Inventory, InventoryError, User, load_inventory_file
from pytest_dcc.reference.releases import RELEASES, release
from pytest_dcc.reference.server import ResponsePoster, is_loopback, make_app
from pytest_dcc.reference.setup import attach_user_certificates
from pytest_dcc.spec import DCC_EUI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pytest-dcc", description="pytest-dcc tools")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the reference DCC as an HTTP(S) server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8079)
    serve.add_argument("--release", default="latest", help=f"SEC release: {', '.join([*RELEASES, 'latest'])}")
    serve.add_argument("--inventory", type=Path, help="inventory file (YAML or JSON) to seed the SMI with")
    serve.add_argument("--db", type=Path, help="SQLite file for the SMI (default: in memory)")
    serve.add_argument("--pki", type=Path, help="test PKI folder: created if absent, reused if present")
    serve.add_argument("--signing-key", type=Path, help="the DCC's response-signing key (PEM or DER)")
    serve.add_argument("--signing-cert", type=Path, help="the DCC's response-signing certificate")
    serve.add_argument("--user-cert", type=Path, action="append", default=[], help="a user's XML-signing certificate")
    serve.add_argument("--response-url", help="the users' Receive Response Service URL for asynchronous responses")
    serve.add_argument("--xsd", type=Path, help="validate requests against an official DUIS XSD (file or folder)")
    serve.add_argument("--no-verify-signatures", action="store_true", help="do not check request signatures")
    serve.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (chain) ...")
    serve.add_argument("--tls-key", type=Path, help="... and this key")
    serve.add_argument("--client-ca", type=Path, help="require client certificates issued by this CA (mTLS)")
    serve.add_argument("--test-control", action="store_true", help="enable the test-control API (loopback only)")
    serve.add_argument("--log-level", default="info")
    return parser


def build_from_args(args: argparse.Namespace) -> tuple[ReferenceDcc, TestPki | None]:
    """The reference DCC the ``serve`` arguments describe; :class:`ConfigError` names a bad argument."""
    try:
        chosen = release(args.release)
    except ValueError as exc:
        raise ConfigError(f"--release: {exc}") from None
    if args.test_control and not is_loopback(args.host):
        raise ConfigError(f"--test-control listens on loopback only; --host {args.host} is not a loopback address")
    if bool(args.signing_key) != bool(args.signing_cert):
        raise ConfigError("--signing-key and --signing-cert go together")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ConfigError("--tls-cert and --tls-key go together")
    if args.client_ca and not args.tls_cert:
        raise ConfigError("--client-ca needs --tls-cert and --tls-key")
    if not args.pki and not args.signing_key:
        raise ConfigError("give --pki DIR (a test PKI) or --signing-key and --signing-cert (the DCC's own)")
    try:
        data = load_inventory_file(args.inventory) if args.inventory else {}
    except InventoryError as exc:
        raise ConfigError(f"--inventory: {exc}") from None
    users = [str(u["eui"]) for u in data.get("users", []) if isinstance(u, dict) and "eui" in u]
    pki = load_or_create_pki(args.pki, users) if args.pki else None
    if args.signing_key:
        identity = SigningIdentity.from_files(args.signing_key, args.signing_cert)
    else:
        assert pki is not None
        identity = pki.identity(DCC_EUI)
    schema = load_schema(args.xsd) if args.xsd else None
    dcc = ReferenceDcc(
        identity=identity,
        release=chosen,
        inventory=Inventory(args.db),
        verify_signatures=not args.no_verify_signatures,
        schema=schema,
    )
    if pki is not None:
        dcc.on_seed = lambda d: attach_user_certificates(d, pki)
    try:
        dcc.seed(data)
    except InventoryError as exc:
        raise ConfigError(f"--inventory {args.inventory}: {exc}") from None
    for path in args.user_cert:
        cert = load_certificate(path)
        eui = certificate_eui(cert)
        user = dcc.inventory.user(eui) if eui else None
        if user is None:
            raise ConfigError(f"--user-cert {path}: names user {eui}, who is not in the inventory")
        der = cert.public_bytes(serialization.Encoding.DER)
        dcc.inventory.put_user(User(user.eui, user.role, user.status, der))
    return dcc, pki


def serve(args: argparse.Namespace) -> int:
    """Run the server until SIGTERM / SIGINT."""
    import uvicorn

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    dcc, _ = build_from_args(args)
    poster = ResponsePoster(args.response_url) if args.response_url else None
    dcc.set_response_sink(poster)
    tls: dict[str, object] = {}
    if args.tls_cert:
        tls = {"ssl_certfile": str(args.tls_cert), "ssl_keyfile": str(args.tls_key)}
        if args.client_ca:
            tls |= {"ssl_ca_certs": str(args.client_ca), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    config = uvicorn.Config(
        make_app(dcc, test_control=args.test_control),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        lifespan="off",
        **tls,  # type: ignore[arg-type]
    )
    scheme = "https" if tls else "http"
    logging.getLogger("pytest_dcc").info(
        "reference DCC (%s, DUIS %s) on %s://%s:%s%s",
        dcc.release.name,
        dcc.release.schema_version,
        scheme,
        args.host,
        args.port,
        " with test control" if args.test_control else "",
    )
    # uvicorn stops on SIGTERM / SIGINT (no new connections, running requests finish), then re-raises the signal
    # to the handler that was there before; a no-op handler here turns that into a normal exit with status 0.
    stopped: list[int] = []
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda signum, frame: stopped.append(signum))
    try:
        uvicorn.Server(config).run()
    finally:
        if poster is not None:
            poster.close()
        dcc.inventory.close()
    logging.getLogger("pytest_dcc").info("reference DCC stopped%s", " on a signal" if stopped else "")
    return 0


def conformance(argv: Sequence[str] | None = None) -> int:
    """``dcc-conformance [pytest args...]``: run the bundled conformance suite from any directory, writing the
    Allure results, JUnit XML and verdicts.json under ``reports/`` unless told otherwise. pytest runs in a fresh
    interpreter, so the plugin's modules are imported (and assertion-rewritten) by pytest itself."""
    import subprocess

    args = list(sys.argv[1:] if argv is None else argv)
    defaults = []
    if not any(a == "--alluredir" or a.startswith("--alluredir=") for a in args):
        defaults += ["--alluredir", "reports/allure-results"]
    if not any(a.startswith("--junitxml") or a.startswith("--junit-xml") for a in args):
        defaults += ["--junitxml", "reports/junit.xml"]
    command = [sys.executable, "-m", "pytest", "--pyargs", "pytest_dcc.suite", *defaults, *args]
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pytest-dcc`` script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
    except ConfigError as exc:
        print(f"pytest-dcc: error: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
