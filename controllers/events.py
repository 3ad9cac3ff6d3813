"""Kubernetes Events (core/v1) for what a user must see: bad input and protocol steps.

Recording is best effort: a failed Event never fails a reconcile. The same (object, reason, message) is
recorded once per process, so a retried reconcile does not flood the namespace.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Final, Literal

import structlog

from eno.api.v1.kind import Kind
from eno.api.v1.times import now
from eno.runtime.client import Client
from eno.runtime.errors import ApiError

log = structlog.get_logger(__name__)

NORMAL: Final = "Normal"
WARNING: Final = "Warning"
_REMEMBERED: Final = 4096


class EventRecorder:
    def __init__(self, client: Client, component: str = "eno-controller") -> None:
        self.client = client
        self.component = component
        self._seen: OrderedDict[tuple[str, str, str], None] = OrderedDict()

    async def record(
        self,
        obj: Kind,
        type_: Literal["Normal", "Warning"],
        reason: str,
        message: str,
        dedup: str | None = None,
    ) -> None:
        """Record once per (object, reason, `dedup` or the message): a retry does not repeat it."""
        key = (obj.uid or f"{obj.namespace}/{obj.name}", reason, message if dedup is None else dedup)
        if key in self._seen:
            return
        self._seen[key] = None
        if len(self._seen) > _REMEMBERED:
            self._seen.popitem(last=False)
        stamp = now()
        event: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Event",
            # client-go names events <object>.<unix nanos in hex>; a generateName prefix may not end in ".".
            "metadata": {"name": f"{obj.name}.{time.time_ns():x}", "namespace": obj.namespace or "default"},
            "involvedObject": {
                "apiVersion": obj.api_version,
                "kind": obj.kind,
                "name": obj.name,
                "namespace": obj.namespace,
                "uid": obj.uid,
                "resourceVersion": obj.resource_version,
            },
            "reason": reason,
            "message": message,
            "type": type_,
            "source": {"component": self.component},
            "reportingComponent": self.component,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        try:
            await self.client.create(event)
        except ApiError as err:
            log.debug("event_not_recorded", reason=reason, error=str(err))
