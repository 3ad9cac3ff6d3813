"""Leader election on a coordination.k8s.io/v1 Lease, with client-go's algorithm.

- A candidate reads the Lease; it may take it when nobody holds it, or when the holder's record has not
  changed for the record's `leaseDurationSeconds` as measured on the candidate's own monotonic clock (so
  clock skew between replicas does not matter). Taking it from someone else bumps `leaseTransitions`.
- Writes are compare-and-swap on resourceVersion: of two candidates one wins, the other sees a Conflict.
- The leader renews every retry period; if no renewal succeeds within the renew deadline it has lost the
  lease (before anyone else may take it, since renew deadline < lease duration).
- Released on shutdown: holder cleared and duration 1 s, so a successor takes over at once.
- Times are MicroTime: UTC, RFC 3339 with microseconds and a `Z` suffix.
"""

from __future__ import annotations

import asyncio
import copy
import random
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import structlog
from prometheus_client import CollectorRegistry

from eno.runtime.client import Client
from eno.runtime.errors import ApiError, NotFound
from eno.runtime.gvk import GVK
from eno.runtime.metrics import LeaderElectionMetrics, leader_election_metrics

log = structlog.get_logger(__name__)

LEASE = GVK("coordination.k8s.io", "v1", "Lease")
JITTER_FACTOR = 1.2  # client-go's: retries wait retry_period * (1 + rand * 1.2)


def format_micro_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_micro_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def default_identity() -> str:
    """controller-runtime's: hostname plus a random suffix, unique per process start."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


@attrs.frozen
class LeaderElectionRecord:
    holder_identity: str = ""
    lease_duration_seconds: int = 0
    acquire_time: datetime | None = None
    renew_time: datetime | None = None
    lease_transitions: int = 0

    @classmethod
    def from_spec(cls, spec: dict[str, Any] | None) -> LeaderElectionRecord:
        spec = spec or {}
        return cls(
            holder_identity=str(spec.get("holderIdentity") or ""),
            lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
            acquire_time=parse_micro_time(spec.get("acquireTime")),
            renew_time=parse_micro_time(spec.get("renewTime")),
            lease_transitions=int(spec.get("leaseTransitions") or 0),
        )

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "holderIdentity": self.holder_identity,
            "leaseDurationSeconds": self.lease_duration_seconds,
            "leaseTransitions": self.lease_transitions,
        }
        if self.acquire_time is not None:
            spec["acquireTime"] = format_micro_time(self.acquire_time)
        if self.renew_time is not None:
            spec["renewTime"] = format_micro_time(self.renew_time)
        return spec


@attrs.frozen
class LeaderElectionConfig:
    """Eno's defaults: 35 s lease, 30 s renew deadline, 4 s retry period, released on shutdown."""

    name: str
    namespace: str
    identity: str = attrs.field(factory=default_identity)
    lease_duration: float = 35.0
    renew_deadline: float = 30.0
    retry_period: float = 4.0
    release_on_cancel: bool = True

    def __attrs_post_init__(self) -> None:
        if not self.name:
            raise ValueError("leader election needs a lease name (--leader-election-id)")
        if not self.namespace:
            raise ValueError("leader election needs a lease namespace")
        if self.lease_duration <= self.renew_deadline:
            raise ValueError("lease duration must be greater than the renew deadline")
        if self.renew_deadline <= JITTER_FACTOR * self.retry_period:
            raise ValueError("renew deadline must be greater than retry period * 1.2")
        if self.retry_period <= 0:
            raise ValueError("retry period must be positive")


class LeaderElector:
    def __init__(
        self,
        client: Client,
        config: LeaderElectionConfig,
        *,
        registry: CollectorRegistry | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.config = config
        self._now = now
        self._monotonic = monotonic
        self._rng = rng
        self._lease: dict[str, Any] | None = None  # the last Lease read or written, for its resourceVersion
        self._observed = LeaderElectionRecord()
        self._observed_at = 0.0
        self._metrics: LeaderElectionMetrics | None = None
        if registry is not None:
            self._metrics = leader_election_metrics(registry)
            self._metrics.master_status.labels(config.name).set(0)
            self._metrics.slowpath_total.labels(config.name)
        self._log = log.bind(lease=f"{config.namespace}/{config.name}", identity=config.identity)

    @property
    def identity(self) -> str:
        return self.config.identity

    @property
    def is_leader(self) -> bool:
        return self._observed.holder_identity == self.identity

    @property
    def leader(self) -> str:
        """The holder as last observed ("" when nobody holds the lease)."""
        return self._observed.holder_identity

    def _set_status(self, leading: bool) -> None:
        if self._metrics:
            self._metrics.master_status.labels(self.config.name).set(1 if leading else 0)

    # -- the loops -----------------------------------------------------------------------------------

    async def acquire(self) -> None:
        """Return once this candidate holds the lease; retry every jittered retry period until then."""
        self._log.info("leader_election_attempt")
        while True:
            if await self.try_acquire_or_renew():
                break
            # Polling is the protocol: nothing notifies a candidate that the lease expired.
            await asyncio.sleep(self.config.retry_period * (1 + self._rng() * JITTER_FACTOR))
        self._set_status(True)
        self._log.info("leader_election_acquired", leaseTransitions=self._observed.lease_transitions)

    async def renew_until_lost(self) -> None:
        """Keep renewing; return when no renewal succeeded within the renew deadline."""
        try:
            while True:
                if not await self._renew_within_deadline():
                    self._log.info("leader_election_lost")
                    return
                await asyncio.sleep(self.config.retry_period)
        finally:
            self._set_status(False)

    async def _renew_within_deadline(self) -> bool:
        deadline = self._monotonic() + self.config.renew_deadline
        try:
            async with asyncio.timeout(self.config.renew_deadline):
                while True:
                    if await self.try_acquire_or_renew():
                        return True
                    if self._monotonic() + self.config.retry_period >= deadline:
                        return False
                    await asyncio.sleep(self.config.retry_period)
        except TimeoutError:
            return False

    async def release(self) -> bool:
        """Give the lease up if we hold it: holder cleared, duration 1 s, transitions kept."""
        if not self.is_leader or self._lease is None:
            return True
        now = self._now()
        record = LeaderElectionRecord(
            holder_identity="",
            lease_duration_seconds=1,
            acquire_time=now,
            renew_time=now,
            lease_transitions=self._observed.lease_transitions,
        )
        try:
            await self._write(record)
        except ApiError as err:
            self._log.info("leader_election_release_failed", error=str(err))
            return False
        finally:
            self._set_status(False)
        self._log.info("leader_election_released")
        return True

    # -- one attempt ---------------------------------------------------------------------------------

    def _record(self, now: datetime) -> LeaderElectionRecord:
        return LeaderElectionRecord(
            holder_identity=self.identity,
            lease_duration_seconds=max(1, round(self.config.lease_duration)),
            acquire_time=now,
            renew_time=now,
            lease_transitions=0,
        )

    def _observe(self, record: LeaderElectionRecord) -> None:
        if record != self._observed:
            if record.holder_identity != self._observed.holder_identity:
                self._log.info("leader_observed", leader=record.holder_identity)
            self._observed = record
            self._observed_at = self._monotonic()

    def _lease_still_valid(self) -> bool:
        return self._observed_at + self._observed.lease_duration_seconds > self._monotonic()

    async def try_acquire_or_renew(self) -> bool:
        now = self._now()
        record = self._record(now)

        # Fast path: the leader renews its own lease without reading it first.
        if self.is_leader and self._lease is not None and self._lease_still_valid():
            renewed = attrs.evolve(
                record,
                acquire_time=self._observed.acquire_time,
                lease_transitions=self._observed.lease_transitions,
            )
            try:
                await self._write(renewed)
                return True
            except ApiError as err:
                if self._metrics:
                    self._metrics.slowpath_total.labels(self.config.name).inc()
                self._log.debug("leader_election_fast_path_failed", error=str(err))

        try:
            lease = await self.client.get(LEASE, self.config.name, self.config.namespace)
        except NotFound:
            return await self._create(record)
        except ApiError as err:
            self._log.info("leader_election_read_failed", error=str(err))
            return False
        self._lease = copy.deepcopy(dict(lease))
        old = LeaderElectionRecord.from_spec(self._lease.get("spec"))
        self._observe(old)
        if old.holder_identity and old.holder_identity != self.identity and self._lease_still_valid():
            return False
        if old.holder_identity == self.identity:
            record = attrs.evolve(
                record, acquire_time=old.acquire_time, lease_transitions=old.lease_transitions
            )
        else:
            record = attrs.evolve(record, lease_transitions=old.lease_transitions + 1)
        try:
            await self._write(record)
        except ApiError as err:
            self._log.debug("leader_election_update_failed", error=str(err))
            return False
        return True

    async def _create(self, record: LeaderElectionRecord) -> bool:
        body = {
            "apiVersion": LEASE.api_version,
            "kind": LEASE.kind,
            "metadata": {"name": self.config.name, "namespace": self.config.namespace},
            "spec": record.to_spec(),
        }
        try:
            created = await self.client.create(body)
        except ApiError as err:
            self._log.debug("leader_election_create_failed", error=str(err))
            return False
        self._lease = copy.deepcopy(dict(created))
        self._observe(record)
        return True

    async def _write(self, record: LeaderElectionRecord) -> None:
        assert self._lease is not None
        lease = copy.deepcopy(self._lease)
        lease["spec"] = {**(lease.get("spec") or {}), **record.to_spec()}
        updated = await self.client.update(lease)
        self._lease = copy.deepcopy(dict(updated))
        self._observe(record)
