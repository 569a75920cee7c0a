"""``pytest-dcc serve``: the reference DCC as an HTTP(S) server, its arguments checked before anything starts."""

from __future__ import annotations

import argparse
import logging
import signal
import ssl
from pathlib import Path
from typing import Any

from pytest_dcc._resources import default_state_dir
from pytest_dcc.duis.control_token import new_token, remove_token, write_token
from pytest_dcc.duis.ids import Eui
from pytest_dcc.duis.pki import TestPki, load_or_create_pki
from pytest_dcc.duis.private_files import private_dir
from pytest_dcc.duis.schema import load_schema
from pytest_dcc.duis.signing import SigningIdentity, certificate_eui, load_certificate
from pytest_dcc.errors import ConfigError, InventoryError
from pytest_dcc.reference import boxed
from pytest_dcc.reference.dcc import ReferenceDcc
from pytest_dcc.reference.deliveries import Latency, check_latency
from pytest_dcc.reference.inventory import load_inventory_file
from pytest_dcc.reference.server import (
    Deliveries,
    ResponsePoster,
    check_delivery_settings,
    check_response_url,
    is_loopback,
    make_app,
)
from pytest_dcc.reference.setup import build_reference, give_certificate
from pytest_dcc.spec import DCC_EUI
from pytest_dcc.spec.releases import RELEASES, Release, release


def _port(text: str) -> int:
    """A TCP port: 1-65535 (0 picks a free one); anything else is a one-line usage error."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a TCP port number (1-65535), given: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port number (1-65535), given: {port}")
    return port


LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default, unless it has none or its help already says what happens without it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default is None or "default" in text:
            return text
        return super()._get_help_string(action) or text


def parser() -> argparse.ArgumentParser:
    """The ``pytest-dcc`` argument parser (its one command, ``serve``)."""
    top = argparse.ArgumentParser(prog="pytest-dcc", description="pytest-dcc tools")
    commands = top.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the reference DCC as an HTTP(S) server",
        formatter_class=_DefaultsFormatter,
    )
    _add_estate_options(serve)
    _add_delivery_options(serve)
    _add_server_options(serve)
    return top


def _add_estate_options(serve: argparse.ArgumentParser) -> None:
    """Where it listens, which release, what it holds and which keys it signs with."""
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (--test-control needs loopback)")
    serve.add_argument("--port", type=_port, default=8079, help="TCP port (DCC Boxed's is 8079)")
    serve.add_argument("--release", default="latest", help=f"SEC release: {', '.join([*RELEASES, 'latest'])}")
    serve.add_argument(
        "--inventory",
        type=Path,
        help="inventory file (YAML or JSON) to seed the SMI with (default: DCC Boxed's test users and one premises "
        "on the DUIS templates' EUIs, when the SMI is empty)",
    )
    serve.add_argument(
        "--db", type=Path, help="SQLite file for the SMI (default: in memory); reused as it is when it exists"
    )
    serve.add_argument(
        "--reseed", action="store_true", help="load --inventory even into a --db that already holds an inventory"
    )
    serve.add_argument(
        "--pki",
        type=Path,
        help="test PKI folder (created if absent, reused if present) or a folder of keys laid out as DCC Boxed ships "
        "them, read in place (default, without --signing-key: <state folder>/pki, shared with the suite; the state "
        "folder is $PYTEST_DCC_STATE or ~/.cache/pytest-dcc)",
    )
    serve.add_argument("--signing-key", type=Path, help="the DCC's response-signing key (PEM or DER)")
    serve.add_argument("--signing-cert", type=Path, help="the DCC's response-signing certificate")
    serve.add_argument("--user-cert", type=Path, action="append", default=[], help="a user's XML-signing certificate")


def _add_delivery_options(serve: argparse.ArgumentParser) -> None:
    """Where asynchronous responses go, and how hard it tries."""
    serve.add_argument(
        "--response-url",
        help="the users' Receive Response Service address for asynchronous responses (default: none; the suite "
        "registers its receiver through test control)",
    )
    serve.add_argument(
        "--delivery-attempts", type=int, default=5, help="tries per asynchronous response before it is marked failed"
    )
    serve.add_argument(
        "--delivery-backoff", type=float, default=0.5, help="seconds before the first retry; doubles each time"
    )
    serve.add_argument("--delivery-backoff-max", type=float, default=30.0, help="longest wait between retries")
    serve.add_argument("--delivery-timeout", type=float, default=10.0, help="seconds per delivery attempt")
    serve.add_argument(
        "--latency", type=float, default=0.0, help="seconds before each synchronous answer (simulated; 0 to 60)"
    )
    serve.add_argument(
        "--device-latency",
        type=float,
        default=0.0,
        help="seconds before each device response is delivered (simulated; 0 to 60)",
    )


def _add_server_options(serve: argparse.ArgumentParser) -> None:
    """Validation, TLS, test control and logging."""
    serve.add_argument("--xsd", type=Path, help="validate requests against an official DUIS XSD (file or folder)")
    serve.add_argument("--no-verify-signatures", action="store_true", help="do not check request signatures")
    serve.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (chain) ...")
    serve.add_argument("--tls-key", type=Path, help="... and this key")
    serve.add_argument("--client-ca", type=Path, help="require client certificates issued by this CA (mTLS)")
    serve.add_argument(
        "--test-control",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the test-control API (loopback clients only); default: on when --host is a loopback address",
    )
    serve.add_argument("--log-level", default="info", choices=LOG_LEVELS, help="how much the server logs")


def _check_port_free(host: str, port: int) -> None:
    """A port already in use is a one-line error before anything is started or logged as listening."""
    import socket

    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ConfigError(f"--host {host}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise ConfigError(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror or exc})") from None


def pki_folder(args: argparse.Namespace) -> Path:
    """The key folder in use, as an absolute path."""
    return Path(args.pki).expanduser().resolve()


def build_from_args(args: argparse.Namespace) -> tuple[ReferenceDcc, TestPki | None]:
    """The reference DCC the ``serve`` arguments describe; :class:`ConfigError` names a bad argument."""
    chosen = _check_arguments(args)
    if not args.pki and not args.signing_key:
        args.pki = _state_folder() / "pki"
    try:
        data = load_inventory_file(args.inventory) if args.inventory else boxed.default_estate()
    except InventoryError as exc:
        raise ConfigError(f"--inventory: {exc}") from None
    users = [str(u["eui"]) for u in data.get("users", []) if isinstance(u, dict) and "eui" in u]
    pki = _pki(args.pki, users) if args.pki else None
    if args.signing_key:
        identity = SigningIdentity.from_files(args.signing_key, args.signing_cert)
    else:
        assert pki is not None
        identity = pki.identity(DCC_EUI)
    schema = load_schema(args.xsd) if args.xsd else None
    dcc = build_reference(
        pki,
        identity=identity,
        release=chosen,
        db=args.db,
        verify_signatures=not args.no_verify_signatures,
        schema=schema,
    )
    _seed(dcc, args, data)
    _user_certificates(dcc, args.user_cert)
    return dcc, pki


def _state_folder() -> Path:
    """The state folder, created 0700 (held to it when it exists); a link in its place is a :class:`ConfigError`."""
    try:
        return private_dir(default_state_dir())
    except ConfigError as exc:
        raise ConfigError(f"the state folder ($PYTEST_DCC_STATE, else ~/.cache/pytest-dcc): {exc}") from None


def _pki(folder: Path, users: list[str]) -> TestPki:
    """The PKI of ``--pki`` (or the state folder's): a link planted in the folder, or the folder being one, is a
    :class:`ConfigError` naming the option and the path, and nothing is written through it."""
    try:
        return load_or_create_pki(folder, users)
    except ConfigError as exc:
        raise ConfigError(f"--pki {folder}: {exc}") from None


def _check_arguments(args: argparse.Namespace) -> Release:
    """Arguments that cannot work together, refused before anything is built; the release chosen."""
    try:
        chosen = release(args.release)
    except ValueError as exc:
        raise ConfigError(f"--release: {exc}") from None
    if args.test_control is None:
        args.test_control = is_loopback(args.host)
    if args.test_control and not is_loopback(args.host):
        raise ConfigError(f"--test-control listens on loopback only; --host {args.host} is not a loopback address")
    if bool(args.signing_key) != bool(args.signing_cert):
        raise ConfigError("--signing-key and --signing-cert go together")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ConfigError("--tls-cert and --tls-key go together")
    if args.client_ca and not args.tls_cert:
        raise ConfigError("--client-ca needs --tls-cert and --tls-key")
    try:
        check_response_url(args.response_url)
    except ValueError as exc:
        raise ConfigError(f"--response-url: {exc}") from None
    try:
        check_delivery_settings(
            args.delivery_attempts, args.delivery_timeout, args.delivery_backoff, args.delivery_backoff_max
        )
    except ValueError as exc:
        given = (args.delivery_attempts, args.delivery_timeout, args.delivery_backoff, args.delivery_backoff_max)
        raise ConfigError(
            f"--delivery-attempts/--delivery-timeout/--delivery-backoff/--delivery-backoff-max: {exc}; given {given}"
        ) from None
    for option, value in (("--latency", args.latency), ("--device-latency", args.device_latency)):
        try:
            check_latency(value)
        except ValueError as exc:
            raise ConfigError(f"{option}: {exc}") from None
    return chosen


def _seed(dcc: ReferenceDcc, args: argparse.Namespace, data: dict[str, Any]) -> None:
    # A restart on the same --db (after a crash, say) keeps what the DCC did; loading the file again would put
    # every device back as the file has it.
    kept = dcc.inventory.device_count() > 0 or bool(dcc.inventory.users())
    # The default estate is for an empty SMI only; a file given is loaded on top with --reseed.
    if kept and not (args.inventory and args.reseed):
        if args.inventory:
            logging.getLogger("pytest_dcc").warning(
                "%s already holds an inventory; --inventory %s not loaded (add --reseed to load it on top)",
                args.db,
                args.inventory,
            )
    else:
        try:
            dcc.seed(data)
        except InventoryError as exc:
            raise ConfigError(f"--inventory {args.inventory}: {exc}") from None


def _user_certificates(dcc: ReferenceDcc, paths: list[Path]) -> None:
    """Each ``--user-cert`` registered as its user's XML-signing certificate."""
    for path in paths:
        cert = load_certificate(path)
        eui = certificate_eui(cert)
        user = dcc.inventory.user(Eui(eui)) if eui else None
        if user is None:
            raise ConfigError(f"--user-cert {path}: names user {eui}, who is not in the inventory")
        give_certificate(dcc, user, cert)


def serve(args: argparse.Namespace) -> int:
    """Run the server until SIGTERM / SIGINT."""
    import uvicorn

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _check_port_free(args.host, args.port)
    dcc, pki = build_from_args(args)

    def make_poster(url: str) -> ResponsePoster:
        return ResponsePoster(
            url,
            on_delivered=dcc.delivered,
            on_failed=dcc.delivery_failed,
            attempts=args.delivery_attempts,
            backoff_s=args.delivery_backoff,
            backoff_max_s=args.delivery_backoff_max,
            timeout_s=args.delivery_timeout,
        )

    deliveries = Deliveries(dcc, make_poster, Latency(args.latency, args.device_latency))
    try:
        deliveries.set_url(args.response_url)
    except ValueError as exc:
        raise ConfigError(f"--response-url: {exc}") from None
    tls = _tls(args)
    token = _control_token(args)
    config = uvicorn.Config(
        make_app(dcc, test_control=args.test_control, deliveries=deliveries, control_token=token),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        lifespan="off",
        **tls,  # type: ignore[arg-type]
    )
    _log_start(args, dcc, pki, https=bool(tls))
    # uvicorn stops on SIGTERM / SIGINT (no new connections, running requests finish), then re-raises the signal
    # to the handler that was there before; a no-op handler here turns that into a normal exit with status 0.
    stopped: list[int] = []
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda signum, frame: stopped.append(signum))
    try:
        uvicorn.Server(config).run()
    finally:
        deliveries.close()
        dcc.inventory.close()
        if token is not None:
            remove_token(default_state_dir(), args.port, token)
    logging.getLogger("pytest_dcc").info("reference DCC stopped%s", " on a signal" if stopped else "")
    return 0


def _control_token(args: argparse.Namespace) -> str | None:
    """With test control: a fresh random token for this server, written to ``<state folder>/test-control-<port>.token``
    (0600, never through a link) where the suite finds it; ``--port 0`` gets its port chosen here so the file names
    it. Every test-control request must carry it (docs/reference-dcc.md)."""
    if not args.test_control:
        return None
    if args.port == 0:
        import socket

        with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
            probe.bind((args.host, 0))
            args.port = probe.getsockname()[1]
    token = new_token()
    try:
        path = write_token(default_state_dir(), args.port, token)
    except OSError as exc:
        raise ConfigError(f"cannot write the test-control token: {exc.strerror or exc}") from None
    logging.getLogger("pytest_dcc").info(
        "test-control token: %s (the suite reads it from its state folder; send it as Authorization: Bearer)", path
    )
    return token


def _tls(args: argparse.Namespace) -> dict[str, object]:
    """uvicorn's TLS settings: none, HTTPS, or HTTPS requiring client certificates of ``--client-ca``."""
    tls: dict[str, object] = {}
    if args.tls_cert:
        tls = {"ssl_certfile": str(args.tls_cert), "ssl_keyfile": str(args.tls_key)}
        if args.client_ca:
            tls |= {"ssl_ca_certs": str(args.client_ca), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    return tls


def _log_start(args: argparse.Namespace, dcc: ReferenceDcc, pki: TestPki | None, *, https: bool) -> None:
    scheme = "https" if https else "http"
    logger = logging.getLogger("pytest_dcc")
    if pki is not None:
        logger.info("keys: %s (the suite's --dcc-pki; its default when neither is given keys)", pki_folder(args))
    logger.info(
        "inventory: %d users, %d devices%s",
        len(dcc.inventory.users()),
        dcc.inventory.device_count(),
        "" if args.inventory or args.db else " (DCC Boxed's test users and one premises: --inventory to change)",
    )
    logger.info(
        "asynchronous responses go to %s",
        args.response_url or "no address yet (the suite registers its receiver through test control)"
        if args.test_control
        else args.response_url or "no address: they stay in the outbox (give --response-url)",
    )
    if args.latency or args.device_latency:
        logger.info("simulated latency: %gs per answer, %gs per device response", args.latency, args.device_latency)
    logger.info(
        "reference DCC (%s, DUIS %s) on %s://%s:%s%s",
        dcc.release.name,
        dcc.release.schema_version,
        scheme,
        args.host,
        args.port,
        " with test control" if args.test_control else "",
    )


__all__ = ["LOG_LEVELS", "build_from_args", "parser", "pki_folder", "serve"]
