"""The attach client: one KRM exchange with the synthesis pod over `pods/attach` (v5.channel.k8s.io).

It sends the input on stdin, then the v5 CLOSE signal for stdin (the process sees EOF: v4 has no way to
say that, so a server that only speaks v4 is refused), collects stdout up to a limit and the tail of
stderr, and ends when the server closes the session (the process ended). The exit code is not part of an
attach session (kube reports Success for attach): it is read from the pod's container status.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any, Final
from urllib.parse import quote, urlencode

import aiohttp
import attrs

from eno.apiserver import channel
from eno.runtime.client import Client
from eno.runtime.gvk import GVK

POD: Final = GVK("", "v1", "Pod")
STDIN_CHUNK: Final = 256 * 1024
STDERR_TAIL_BYTES: Final = 4096


class AttachError(Exception):
    """The session could not be opened or broke; the output is unknown."""


class OutputTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the synthesizer wrote more than {limit} bytes to stdout (--max-synthesis-output)")
        self.limit = limit


@attrs.frozen
class Exchange:
    stdout: bytes
    stderr_tail: bytes
    status: dict[str, Any] | None  # what the error channel said, if anything


def attach_url(host: str, namespace: str, name: str, container: str) -> str:
    query = urlencode({"container": container, "stdin": "true", "stdout": "true", "stderr": "true"})
    return (
        f"{host.rstrip('/')}/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(name, safe='')}"
        f"/attach?{query}"
    )


async def exchange(
    client: Client,
    namespace: str,
    name: str,
    container: str,
    stdin: bytes,
    *,
    max_stdout: int,
) -> Exchange:
    """Attach, send `stdin` then EOF, and read until the session ends. Raises AttachError, OutputTooLarge."""
    api = client.api_client
    headers: dict[str, str] = dict(api.default_headers)
    await api.update_params_for_auth(headers, [], ["BearerToken"])
    # The client's own session: its TLS settings and connection pool are the cluster's.
    session: aiohttp.ClientSession = api.rest_client.pool_manager
    url = attach_url(str(api.configuration.host), namespace, name, container)
    stdout = bytearray()
    stderr: deque[bytes] = deque()
    stderr_size = 0
    status: dict[str, Any] | None = None
    try:
        async with session.ws_connect(
            url, protocols=channel.PROTOCOLS, headers=headers, max_msg_size=0, autoping=True
        ) as ws:
            protocol = ws.protocol or ""
            if not channel.supports_close(protocol):
                raise AttachError(
                    f"the server speaks {protocol or 'no channel protocol'}, not {channel.V5}: it cannot "
                    "close stdin (Kubernetes 1.30 or later is needed)"
                )
            sender = asyncio.create_task(_send(ws, stdin))
            try:
                async for message in ws:
                    if message.type == aiohttp.WSMsgType.ERROR:
                        raise AttachError(f"attach session failed: {ws.exception()}")
                    if message.type != aiohttp.WSMsgType.BINARY:
                        continue
                    decoded = channel.decode(message.data, protocol)
                    if not isinstance(decoded, channel.Data):
                        continue
                    if decoded.channel == channel.STDOUT:
                        stdout += decoded.payload
                        if len(stdout) > max_stdout:
                            raise OutputTooLarge(max_stdout)
                    elif decoded.channel == channel.STDERR:
                        stderr.append(decoded.payload)
                        stderr_size += len(decoded.payload)
                        while stderr_size - len(stderr[0]) >= STDERR_TAIL_BYTES:
                            stderr_size -= len(stderr.popleft())
                    elif decoded.channel == channel.ERROR and decoded.payload:
                        status = _status(decoded.payload)
            finally:
                sender.cancel()
                try:
                    await sender
                except (asyncio.CancelledError, ConnectionResetError):
                    pass
    except aiohttp.WSServerHandshakeError as err:
        raise AttachError(f"cannot attach to pod {namespace}/{name}: {err.status} {err.message}") from err
    except (aiohttp.ClientError, channel.ProtocolError) as err:
        raise AttachError(f"attach session to pod {namespace}/{name} failed: {err}") from err
    return Exchange(bytes(stdout), b"".join(stderr)[-STDERR_TAIL_BYTES:], status)


async def _send(ws: aiohttp.ClientWebSocketResponse, data: bytes) -> None:
    for start in range(0, len(data), STDIN_CHUNK):
        await ws.send_bytes(channel.encode(channel.STDIN, data[start : start + STDIN_CHUNK]))
    await ws.send_bytes(channel.encode_close(channel.STDIN))


def _status(payload: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(payload)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def terminated_state(pod: dict[str, Any], container: str) -> dict[str, Any] | None:
    """The container's `state.terminated`, if it has ended."""
    for status in (pod.get("status") or {}).get("containerStatuses") or ():
        if isinstance(status, dict) and status.get("name") == container:
            terminated = (status.get("state") or {}).get("terminated")
            return terminated if isinstance(terminated, dict) else None
    return None


async def wait_terminated(
    client: Client, namespace: str, name: str, container: str, timeout: float
) -> dict[str, Any]:
    """The container's terminated state, waiting on a watch of the pod. Raises TimeoutError, NotFound."""
    async with asyncio.timeout(timeout):
        while True:
            pod = await client.get(POD, name, namespace)
            state = terminated_state(pod, container)
            if state is not None:
                return state
            rv = str((pod.get("metadata") or {}).get("resourceVersion") or "")
            async with client.watch(
                POD,
                namespace,
                resource_version=rv,
                field_selector=f"metadata.name={name}",
                allow_bookmarks=False,
                timeout_seconds=max(1, int(timeout)),
            ) as events:
                async for event in events:
                    if event.type == "DELETED":
                        break
                    state = terminated_state(dict(event.object), container)
                    if state is not None:
                        return state
