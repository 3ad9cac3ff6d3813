"""Safety of the election algorithm, by simulation: random schedules of attempts, renewals, failures and
time steps over an in-memory lease with compare-and-swap, on a simulated clock.

Invariant (client-go's): the lease never changes holder, except after a release, until a lease duration
has passed since the previous holder's last successful write.
"""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eno.runtime.errors import AlreadyExists, Conflict, NotFound
from eno.runtime.leaderelection import LeaderElectionConfig, LeaderElector

LEASE_DURATION, RENEW_DEADLINE, RETRY = 35.0, 30.0, 4.0  # Eno's


class SimClock:
    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.t)


class LeaseStore:
    """The API server's part for one Lease: get, create, and update with resourceVersion CAS."""

    def __init__(self) -> None:
        self.lease: dict[str, Any] | None = None
        self.version = 0
        self.down = False  # every request fails, as when the server is unreachable

    def _check(self) -> None:
        if self.down:
            raise Conflict(500, "InternalError", "server down")  # any ApiError will do

    async def get(self, kind: Any, name: str, namespace: str | None = None) -> dict[str, Any]:
        self._check()
        if self.lease is None:
            raise NotFound(404, "NotFound", "lease not found")
        return copy.deepcopy(self.lease)

    async def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        self._check()
        if self.lease is not None:
            raise AlreadyExists(409, "AlreadyExists", "exists")
        self.version += 1
        self.lease = {
            **copy.deepcopy(obj),
            "metadata": {**obj["metadata"], "resourceVersion": str(self.version)},
        }
        return copy.deepcopy(self.lease)

    async def update(self, obj: dict[str, Any]) -> dict[str, Any]:
        self._check()
        assert self.lease is not None
        if obj["metadata"].get("resourceVersion") != self.lease["metadata"]["resourceVersion"]:
            raise Conflict(409, "Conflict", "the object has been modified")
        self.version += 1
        self.lease = {
            **copy.deepcopy(obj),
            "metadata": {**obj["metadata"], "resourceVersion": str(self.version)},
        }
        return copy.deepcopy(self.lease)

    @property
    def holder(self) -> str:
        return str((self.lease or {}).get("spec", {}).get("holderIdentity") or "")


STEP = st.one_of(
    st.tuples(st.just("try"), st.integers(0, 2)),
    st.tuples(st.just("release"), st.integers(0, 2)),
    st.tuples(st.just("wait"), st.sampled_from([0.5, 1.0, 4.0, 10.0, 30.0, 36.0])),
    st.tuples(st.just("outage"), st.booleans()),
)


async def simulate(steps: list[tuple[str, Any]]) -> None:
    clock = SimClock()
    store = LeaseStore()
    electors = [
        LeaderElector(
            store,  # type: ignore[arg-type]
            LeaderElectionConfig(
                name="controller",
                namespace="default",
                identity=f"e{i}",
                lease_duration=LEASE_DURATION,
                renew_deadline=RENEW_DEADLINE,
                retry_period=RETRY,
            ),
            now=clock.now,
            monotonic=clock.monotonic,
        )
        for i in range(3)
    ]
    last_write: dict[str, float] = {}  # holder -> time of its last successful write
    for kind, arg in steps:
        if kind == "wait":
            clock.t += arg
        elif kind == "outage":
            store.down = arg
        elif kind == "release":
            await electors[arg].release()  # a released lease has no holder: anyone may take it at once
        else:
            elector = electors[arg]
            before = store.holder
            if await elector.try_acquire_or_renew():
                if before and before != elector.identity:
                    waited = clock.t - last_write[before]
                    assert waited >= LEASE_DURATION, f"{elector.identity} took over {waited}s after {before}"
                last_write[elector.identity] = clock.t
            assert store.holder in ("", *(e.identity for e in electors))


@given(steps=st.lists(STEP, min_size=1, max_size=60))
@settings(max_examples=200, deadline=None)
def test_the_lease_changes_hands_only_after_it_expired_or_was_released(steps: list[tuple[str, Any]]) -> None:
    asyncio.run(simulate(steps))


@pytest.mark.soak
@given(steps=st.lists(STEP, min_size=1, max_size=200))
@settings(max_examples=5000, deadline=None)
def test_election_safety_soak(steps: list[tuple[str, Any]]) -> None:
    asyncio.run(simulate(steps))
