"""The GBCS General Signing grouping header (``0xDF 0x09``), enough to make and read simulated device messages.

Layout (GBCS; as decoded from the DUIS 8.13 template and DCC Boxed payloads)::

    DF 09 | CRA flag (1: 01 command, 02 response, 03 alert) | originator counter (8, big-endian)
    08 | originator system title (8) | 08 | recipient system title (8)
    date-time: 00 (absent) or 0C + 12 bytes (DLMS date-time)
    other information: length (1) + message code (2) + more
    content: length (DER style: < 0x80, or 0x81 n, or 0x82 nn) + content
    signature: length (1) + signature (0x40 bytes for ECDSA P-256; 00 as a pre-command placeholder)

Only the header is interpreted; the content of simulated commands and responses is the reference DCC's own (a
result byte and the command's data), not a GBCS use case encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from pytest_dcc.duis.ids import eui_hex, normalise_eui
from pytest_dcc.errors import GbcsError

CRA_COMMAND: Final = 0x01
CRA_RESPONSE: Final = 0x02
CRA_ALERT: Final = 0x03

#: One GBCS message code per SRV the reference DCC simulates (GBCS use case message codes).
MESSAGE_CODES: Final = MappingProxyType(
    {
        "1.1.1": 0x0071,  # GCS01a
        "3.2": 0x0072,  # GCS09
        "6.8": 0x007E,  # GCS25
        "6.15.1": 0x0100,  # CS02b
        "6.15.2": 0x000B,  # CS02d
        "6.21": 0x0101,  # CS02b handover
        "6.23": 0x0107,  # CS02b supplierByTransCoS
        "6.24.2": 0x000C,  # CS02e
        "8.7.1": 0x000D,  # CS03A1
        "8.7.2": 0x000E,  # CS03B
        "8.8.1": 0x000F,  # CS04AC
        "8.8.2": 0x0010,  # CS04B
        "8.11": 0x0001,  # CCS01
        "8.12.1": 0x0003,  # CCS03
        "8.12.2": 0x008C,  # GCS59
        "11.3": 0x0012,  # CS06
    }
)
#: Every message code of the use cases an SRV may be carried by (for reading device responses made elsewhere).
SRVS_BY_MESSAGE_CODE: Final = MappingProxyType(
    {
        **{code: srv for srv, code in MESSAGE_CODES.items()},
        0x0022: "3.2",  # ECS12
        0x0046: "6.8",  # ECS30
        0x00D7: "6.8",  # ECS30a
        0x00D8: "6.8",  # GCS25a
        **{code: "6.15.1" for code in range(0x0100, 0x010A) if code not in (0x0101, 0x0107)},
        0x00AB: "8.7.1",  # CS03A2
        0x00AF: "8.7.1",  # CS03C
        0x0002: "8.11",  # CCS02
    }
)


@dataclass(frozen=True, slots=True)
class GbcsMessage:
    """A General Signing message: the header fields, content and signature."""

    cra: int
    counter: int
    originator: str
    recipient: str
    message_code: int
    content: bytes = b""
    date_time: bytes | None = None
    other_extra: bytes = b""
    signature: bytes = b""

    def to_bytes(self) -> bytes:
        """Encode as ``DF 09 ...``."""
        out = bytearray(b"\xdf\x09")
        out.append(self.cra)
        out += self.counter.to_bytes(8, "big")
        for title in (self.originator, self.recipient):
            out += b"\x08" + bytes.fromhex(eui_hex(title))
        if self.date_time is None:
            out.append(0)
        else:
            if len(self.date_time) != 12:
                raise GbcsError("a GBCS date-time is 12 bytes")
            out += b"\x0c" + self.date_time
        other = self.message_code.to_bytes(2, "big") + self.other_extra
        out += bytes([len(other)]) + other
        out += _length(len(self.content)) + self.content
        out += bytes([len(self.signature)]) + self.signature
        return bytes(out)


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return bytes([0x81, n])
    if n < 0x10000:
        return b"\x82" + n.to_bytes(2, "big")
    raise GbcsError("content longer than 65535 bytes")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.at + n > len(self.data):
            raise GbcsError(f"truncated GBCS message: {what} needs {n} bytes at offset {self.at}")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def length(self, what: str) -> int:
        first = self.byte(what)
        if first < 0x80:
            return first
        if first == 0x81:
            return self.byte(what)
        if first == 0x82:
            return int.from_bytes(self.take(2, what), "big")
        raise GbcsError(f"unsupported length form 0x{first:02X} for {what}")


def parse_general_signing(data: bytes) -> GbcsMessage:
    """Read a General Signing message; :class:`GbcsError` says what is wrong."""
    reader = _Reader(data)
    if reader.take(2, "tag") != b"\xdf\x09":
        raise GbcsError(f"not a GBCS General Signing message (starts {data[:2].hex(' ').upper() or 'empty'})")
    cra = reader.byte("CRA flag")
    if cra not in (CRA_COMMAND, CRA_RESPONSE, CRA_ALERT):
        raise GbcsError(f"CRA flag 0x{cra:02X} is not 01, 02 or 03")
    counter = int.from_bytes(reader.take(8, "originator counter"), "big")
    titles = []
    for what in ("originator system title", "recipient system title"):
        if reader.byte(what) != 8:
            raise GbcsError(f"{what} is not 8 bytes")
        titles.append(normalise_eui(reader.take(8, what).hex()))
    marker = reader.byte("date-time")
    date_time = None
    if marker == 0x0C:
        date_time = reader.take(12, "date-time")
    elif marker != 0:
        raise GbcsError(f"date-time marker 0x{marker:02X} is neither 00 nor 0C")
    other = reader.take(reader.byte("other information length"), "other information")
    if len(other) < 2:
        raise GbcsError("other information lacks the message code")
    content = reader.take(reader.length("content length"), "content")
    signature = b""
    if reader.at < len(data):
        signature = reader.take(reader.byte("signature length"), "signature")
    if reader.at != len(data):
        raise GbcsError(f"{len(data) - reader.at} unexpected bytes after the signature")
    return GbcsMessage(
        cra=cra,
        counter=counter,
        originator=titles[0],
        recipient=titles[1],
        message_code=int.from_bytes(other[:2], "big"),
        content=content,
        date_time=date_time,
        other_extra=other[2:],
        signature=signature,
    )


def alert_problems(data: bytes, eui: str) -> list[str]:
    """Why ``data`` is not a GBCS Device Alert raised by ``eui`` (CRA flag 03, ``eui`` the originator); empty when
    it is one."""
    try:
        message = parse_general_signing(data)
    except GbcsError as exc:
        return [f"not a GBCS General Signing message: {exc}"]
    return [
        *([f"CRA flag {message.cra:02X}"] if message.cra != CRA_ALERT else []),
        *([f"originator {message.originator}"] if message.originator != normalise_eui(eui) else []),
    ]


__all__ = [
    "CRA_ALERT",
    "CRA_COMMAND",
    "CRA_RESPONSE",
    "alert_problems",
    "MESSAGE_CODES",
    "SRVS_BY_MESSAGE_CODE",
    "GbcsError",
    "GbcsMessage",
    "parse_general_signing",
    "sign_pre_command",
]


def sign_pre_command(payload: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """Sign a pre-command (CV 4 answer) as the user does before CV 5-7: ECDSA P-256 / SHA-256 over the message up
    to the signature, appended as raw r||s (64 bytes) in place of the empty placeholder."""
    message = parse_general_signing(payload)
    unsigned = replace(message, signature=b"").to_bytes()[:-1]  # everything before the signature length
    der = key.sign(unsigned, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return replace(message, signature=r.to_bytes(32, "big") + s.to_bytes(32, "big")).to_bytes()
