"""The seam between the runtime and a controller: a request in, a result out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import attrs


@attrs.frozen(cache_hash=True)  # hashed on every queue operation
class Request:
    """Which object to reconcile. The reconciler reads its current state itself (from the cache)."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@attrs.frozen
class Result:
    """`requeue_after` (seconds) reconciles again after a delay; `requeue` again with backoff."""

    requeue: bool = False
    requeue_after: float | None = None


class Reconciler(Protocol):
    async def reconcile(self, request: Request) -> Result: ...


class TerminalError(Exception):
    """Raised by a reconciler for an error retrying cannot fix: counted and logged, not requeued."""


class ReconcilerFunc:
    """A Reconciler from a plain coroutine function."""

    def __init__(self, fn: Callable[[Request], Awaitable[Result]]) -> None:
        self._fn = fn

    async def reconcile(self, request: Request) -> Result:
        return await self._fn(request)
