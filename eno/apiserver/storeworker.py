"""The skeleton of the server's own controllers (garbage collector, namespace lifecycle).

A commit hook on the store notes which keys need work; one task works them in batches, each batch in one
store transaction, yielding to clients' writes between batches.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
from collections.abc import Iterable
from typing import ClassVar

from eno.apiserver.store import Event, Store, Transaction


class StoreWorker(abc.ABC):
    name: ClassVar[str]  # the task's name
    batch_size: ClassVar[int] = 1

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: dict[str, None] = {}
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._busy = False

    @property
    def idle(self) -> bool:
        return not self._pending and not self._busy

    def _enqueue(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._pending[key] = None
        if self._pending:
            self._wakeup.set()

    def _attach(self) -> None:
        """Follow the store's commits and start the task (after `start` has noted the work already due)."""
        self.store.commit_hooks.append(self._observe)
        self._wakeup.set()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._observe in self.store.commit_hooks:
            self.store.commit_hooks.remove(self._observe)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @abc.abstractmethod
    def _observe(self, event: Event) -> None:
        """The store's commit hook: note (with `_enqueue`) the keys this commit gives work to."""

    @abc.abstractmethod
    def _work(self, txn: Transaction, batch: list[str]) -> None:
        """Do the work for `batch` inside one transaction; an exception aborts it (see `_failed`)."""

    @abc.abstractmethod
    def _failed(self, batch: list[str]) -> None:
        """Log a batch whose transaction raised (called inside the `except`)."""

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                self._busy = True
                batch: list[str] = []
                try:
                    async with self.store.transaction() as txn:
                        batch = list(self._pending)[: self.batch_size]
                        for key in batch:
                            self._pending.pop(key, None)
                        self._work(txn, batch)
                except Exception:
                    self._failed(batch)
                finally:
                    self._busy = False
                # Let clients' writes in between batches.
                await asyncio.sleep(0)
