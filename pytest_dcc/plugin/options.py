"""Plugin settings: parsed once from options and ini (:data:`pytest_dcc.settings.OPTIONS`) into the frozen
:class:`~pytest_dcc.settings.DccSettings`; bad values are UsageErrors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar, cast

import pytest

from pytest_dcc._resources import default_state_dir
from pytest_dcc.duis.ids import normalise_eui
from pytest_dcc.errors import BuildError, ConfigError
from pytest_dcc.reporting.redaction import redact_header, redact_url
from pytest_dcc.settings import DEFAULT_USER, INI_KEYS, OPTION, DccSettings
from pytest_dcc.spec import SchemaVersion
from pytest_dcc.spec.releases import release
from pytest_dcc.statement import ExpectedFailures, Statement, dsp_eui_of, load_expected_failures, load_statement
from pytest_dcc.transport.admission import SignaturePolicy


def _value(config: pytest.Config, name: str) -> str | None:
    option = config.getoption(name.replace("-", "_"), default=None)
    if option not in (None, "", []):
        return str(option)
    ini = config.getini(name.replace("-", "_")) if name.replace("-", "_") in INI_KEYS else None
    return str(ini) if ini not in (None, "", []) else None


def _given(config: pytest.Config, name: str) -> str:
    """The option's value (option, else ini), else its default (:data:`pytest_dcc.settings.OPTIONS`)."""
    return _value(config, name) or OPTION[name].default


def _choice(config: pytest.Config, name: str) -> str:
    """The option's value, else its default; one of its choices, or a UsageError naming them."""
    text = _given(config, name)
    choices = OPTION[name].choices
    if text not in choices:
        raise _usage(OPTION[name].name, f"must be one of {', '.join(choices)}", text)
    return text


T = TypeVar("T")


def _file(config: pytest.Config, option: str, *, directory_ok: bool = False) -> Path | None:
    text = _value(config, option)
    if text is None:
        return None
    path = Path(text).expanduser()
    if not (path.is_file() or (directory_ok and path.is_dir())):
        raise pytest.UsageError(f"--{option.replace('_', '-')} must name an existing file, given: {text}")
    return path


def _loaded(config: pytest.Config, option: str, loader: Callable[[Path], T]) -> T | None:
    """The file named by ``option`` read by ``loader``; its ConfigError becomes a UsageError naming the option."""
    path = _file(config, option)
    if path is None:
        return None
    try:
        return loader(path)
    except ConfigError as exc:
        raise pytest.UsageError(f"--{option.replace('_', '-')}: {exc}") from None


def _usage(option: str, why: str, given: object) -> pytest.UsageError:
    return pytest.UsageError(f"--{option} {why}, given: {given}")


def report_dir(config: pytest.Config) -> Path:
    """``--dcc-report-dir``, else its default: the folder every report of the run is written to."""
    return Path(_given(config, "dcc_report_dir"))


def load_settings(config: pytest.Config) -> DccSettings:
    """Read and check every ``--dcc-*`` option; raises :class:`pytest.UsageError` naming option and value."""
    endpoint = _endpoint(config)
    version = _choice(config, "dcc_schema_version")
    user = _user(config)
    timeout = _timeout(config)
    key, cert, client_cert, client_key = _key_files(config)
    statement = _loaded(config, "dcc_statement", load_statement)
    expected = _loaded(config, "dcc_expected_failures", load_expected_failures) or ExpectedFailures(None)
    mode = _choice(config, "dcc_mode")
    claimed = _release(config, statement)
    if statement is not None and _value(config, "dcc_user_id") is None and "IS" in statement.users:
        user = statement.users["IS"]
    if statement is not None and statement.schema_version and _value(config, "dcc_schema_version") is None:
        version = statement.schema_version
    state_dir = _state_dir(config)
    return DccSettings(
        endpoint=endpoint.rstrip("/") if endpoint else None,
        xsd=_file(config, "dcc_xsd", directory_ok=True),
        schema_version=cast("SchemaVersion", version),  # checked against the choices above
        user_id=user,
        signing_key=key,
        signing_cert=cert,
        trust_certs=tuple(_trust(config, statement)),
        ca_bundle=_file(config, "dcc_ca_bundle"),
        client_cert=client_cert,
        client_key=client_key,
        timeout_s=timeout,
        headers=tuple(_headers(config)),
        signature_policy=_policy(config),
        state_dir=state_dir,
        receiver_host=_given(config, "dcc_receiver_host"),
        receiver_port=_port(config),
        release=claimed,
        pki_dir=_pki_dir(config, endpoint, state_dir),
        statement=statement,
        expected_failures=expected,
        mode=mode,
        shuffle_seed=_shuffle(config),
    )


def _state_dir(config: pytest.Config) -> Path:
    """``--dcc-state-dir`` (else the per-user default): a symbolic link in its place, or anything but a folder, is a
    UsageError naming it; nothing is ever written through a link there (:mod:`pytest_dcc.duis.private_files`)."""
    text = _value(config, "dcc_state_dir")
    state_dir = Path(text).expanduser() if text else default_state_dir()
    if state_dir.is_symlink() or (state_dir.exists() and not state_dir.is_dir()):
        raise _usage("dcc-state-dir", "must be a real folder, not a symbolic link (made 0700 if absent)", state_dir)
    return state_dir


def _endpoint(config: pytest.Config) -> str | None:
    endpoint = _value(config, "dcc_endpoint")
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise _usage("dcc-endpoint", "must be an http:// or https:// URL", redact_url(endpoint))
    return endpoint


def _user(config: pytest.Config) -> str:
    user = _given(config, "dcc_user_id")
    try:
        return normalise_eui(user)
    except BuildError:
        raise _usage("dcc-user-id", f"must be an EUI-64 such as {DEFAULT_USER}", user) from None


def _timeout(config: pytest.Config) -> float:
    timeout_text = _given(config, "dcc_timeout")
    try:
        timeout = float(timeout_text)
    except ValueError:
        timeout = -1.0
    if not 0 < timeout <= 600:
        raise _usage("dcc-timeout", "must be a number of seconds in (0, 600]", timeout_text)
    return timeout


def _key_files(config: pytest.Config) -> tuple[Path | None, Path | None, Path | None, Path | None]:
    """The signing key and certificate (both or neither), the mutual-TLS certificate and key."""
    key, cert = _file(config, "dcc_signing_key"), _file(config, "dcc_signing_cert")
    if (key is None) != (cert is None):
        raise pytest.UsageError("--dcc-signing-key and --dcc-signing-cert go together; only one was given")
    client_cert, client_key = _file(config, "dcc_client_cert"), _file(config, "dcc_client_key")
    if client_key is not None and client_cert is None:
        raise pytest.UsageError("--dcc-client-key needs --dcc-client-cert")
    return key, cert, client_cert, client_key


def _release(config: pytest.Config, statement: Statement | None) -> str:
    """The release claimed, one name throughout ("latest" resolved), agreeing with the statement."""
    release_name = _value(config, "dcc_release") or (statement.release if statement else OPTION["dcc_release"].default)
    try:
        claimed = release(release_name).name
    except ValueError:
        raise _usage(
            "dcc-release", f"must be one of {', '.join(OPTION['dcc_release'].choices)}", release_name
        ) from None
    if statement is not None and claimed != statement.release:
        raise _usage("dcc-release", f"contradicts the statement, which claims {statement.release}", release_name)
    return claimed


def _pki_dir(config: pytest.Config, endpoint: str | None, state_dir: Path) -> Path | None:
    pki_text = _value(config, "dcc_pki")
    pki_dir = Path(pki_text).expanduser() if pki_text else None
    if pki_dir is None and endpoint is not None and not _value(config, "dcc_signing_key") and not _trusted(config):
        # the folder `pytest-dcc serve` uses when it is given no keys: its DSP certificate and the users' keys
        pki_dir = state_dir / "pki"
    if pki_dir is not None and pki_dir.exists() and not pki_dir.is_dir():
        raise _usage("dcc-pki", "must be a folder (created when absent)", pki_text)
    return pki_dir


def _trusted(config: pytest.Config) -> bool:
    """Whether ``--dcc-trust-cert`` names any certificate (checked by :func:`_trust`)."""
    return bool(config.getoption("dcc_trust_cert"))


def _shuffle(config: pytest.Config) -> int | None:
    shuffle_text = config.getoption("dcc_shuffle", default=None)
    if shuffle_text in (None, ""):
        return None
    try:
        return int(str(shuffle_text))
    except ValueError:
        raise _usage("dcc-shuffle", "must be an integer seed", str(shuffle_text)) from None


def _trust(config: pytest.Config, statement: Statement | None) -> list[Path]:
    """The ``--dcc-trust-cert`` files: each must be a response-signing certificate of the DSP (the statement's
    ``dsp_eui``, else the DCC's), never a user's."""
    from pytest_dcc.duis.certificates import certificate_eui, load_certificate
    from pytest_dcc.duis.pki import is_dsp_certificate

    dsp = dsp_eui_of(statement)
    paths = []
    for text in config.getoption("dcc_trust_cert") or []:
        path = Path(text).expanduser()
        if not path.is_file():
            raise _usage("dcc-trust-cert", "must name an existing certificate file", text)
        try:
            cert = load_certificate(path)
        except ConfigError as exc:
            raise _usage("dcc-trust-cert", str(exc), text) from None
        if not is_dsp_certificate(cert, dsp):
            raise _usage(
                "dcc-trust-cert",
                f"names {certificate_eui(cert)}: it is no response-signing certificate of the DSP {dsp} (the subject "
                "must name that EUI-64 under organisational unit 89 or 137; a user's certificate never signs answers)",
                text,
            )
        paths.append(path)
    return paths


def _headers(config: pytest.Config) -> list[tuple[str, str]]:
    pairs = []
    for text in config.getoption("dcc_header") or []:
        name, sep, value = text.partition(":")
        if not sep or not name.strip() or any(c in name for c in " \t\r\n"):
            plain = sep and not any(c in name.strip() for c in " \t\r\n")
            shown = redact_header(name) if plain else "a value not shown (it may hold a secret)"
            raise _usage("dcc-header", "must be 'Name: value'", shown)
        pairs.append((name.strip(), value.strip()))
    return pairs


def _policy(config: pytest.Config) -> SignaturePolicy:
    return SignaturePolicy(_choice(config, "dcc_signature_policy"))


def _port(config: pytest.Config) -> int:
    text = config.getoption("dcc_receiver_port")
    if text is None:
        return 0
    if not str(text).isdigit() or not 0 <= int(text) <= 65535:
        raise _usage("dcc-receiver-port", "must be a TCP port number (0 picks a free one)", text)
    return int(text)


SETTINGS_KEY: Final = pytest.StashKey[DccSettings]()

__all__ = ["SETTINGS_KEY", "load_settings", "report_dir"]
