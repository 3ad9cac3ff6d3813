"""The Kubernetes WebSocket channel protocol for attach/exec (`v4.channel.k8s.io`, `v5.channel.k8s.io`).

Every binary message starts with one channel byte: 0 stdin, 1 stdout, 2 stderr, 3 error (a metav1 Status
written once when the session ends), 4 resize. `v5` adds message type 255, CLOSE, followed by the channel
it closes: the only way a client can end stdin (give the process EOF) without closing the whole
connection. Pure framing, shared by the embedded kubelet (server) and the synthesis attach client.
"""

from __future__ import annotations

import json
from typing import Any, Final

import attrs

V4: Final = "v4.channel.k8s.io"
V5: Final = "v5.channel.k8s.io"
# The server's preference: v5 when the client offers it.
PROTOCOLS: Final = (V5, V4)

STDIN: Final = 0
STDOUT: Final = 1
STDERR: Final = 2
ERROR: Final = 3
RESIZE: Final = 4
CLOSE: Final = 255


class ProtocolError(ValueError):
    """A message that does not follow the channel protocol."""


@attrs.frozen
class Data:
    channel: int
    payload: bytes


@attrs.frozen
class Close:
    channel: int


Message = Data | Close


def supports_close(protocol: str) -> bool:
    return protocol == V5


def encode(channel: int, payload: bytes = b"") -> bytes:
    return bytes([channel]) + payload


def encode_close(channel: int) -> bytes:
    return bytes([CLOSE, channel])


def decode(message: bytes, protocol: str) -> Message | None:
    """One binary message; None for an empty one (servers may send those to announce channels)."""
    if not message:
        return None
    channel = message[0]
    if channel == CLOSE and supports_close(protocol):
        if len(message) != 2:
            raise ProtocolError(f"a CLOSE signal carries exactly one channel byte, got {len(message) - 1}")
        return Close(message[1])
    return Data(channel, bytes(message[1:]))


def success_status() -> dict[str, Any]:
    return {"metadata": {}, "status": "Success"}


def exit_code_status(code: int) -> dict[str, Any]:
    """What kube writes on the error channel when a command exits non-zero."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def failure_status(message: str, reason: str = "InternalError") -> dict[str, Any]:
    return {"metadata": {}, "status": "Failure", "message": message, "reason": reason}


def encode_status(status: dict[str, Any]) -> bytes:
    return encode(ERROR, json.dumps(status, separators=(",", ":")).encode())


def status_exit_code(status: dict[str, Any]) -> int | None:
    """The exit code a Status reports: 0 for Success, the ExitCode cause for NonZeroExitCode, else None."""
    if status.get("status") == "Success":
        return 0
    if status.get("reason") != "NonZeroExitCode":
        return None
    for cause in (status.get("details") or {}).get("causes") or ():
        if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message", ""))
            except ValueError:
                return None
    return None
