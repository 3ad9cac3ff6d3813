"""Readiness checks, readiness groups and deletion groups on output manifests (api.md §7.1).

Each helper validates its value as Eno's strict preflight would (CEL compiles, groups are integers) and
raises ValueError at once, so a mistake shows at the line that made it rather than as a failed synthesis.
"""

from __future__ import annotations

from typing import Any, Final

from eno.api.v1 import constants as c
from eno.cel.engine import CelError, default_engine
from eno.function.outputs import Obj

# Common checks, as CEL over the live object `self`.
CONDITION_TRUE: Final = "self.status.conditions.exists(c, c.type == '{type}' && c.status == 'True')"
DEPLOYMENT_AVAILABLE: Final = CONDITION_TRUE.format(type="Available")
CRD_ESTABLISHED: Final = CONDITION_TRUE.format(type="Established")
JOB_COMPLETE: Final = CONDITION_TRUE.format(type="Complete")


def condition_true(condition_type: str) -> str:
    """A check that passes once `status.conditions` has `condition_type` with status True."""
    return CONDITION_TRUE.format(type=condition_type.replace("'", "\\'"))


def _annotations(manifest: Obj) -> dict[str, Any]:
    metadata = manifest.setdefault("metadata", {})
    annotations: dict[str, Any] = metadata.setdefault("annotations", {})
    return annotations


def with_readiness(manifest: Obj, expression: str, name: str = "") -> Obj:
    """Add a readiness check: the default one (`eno.azure.io/readiness`) or `eno.azure.io/readiness-NAME`.
    Every check of a resource must pass for it to be ready. Returns `manifest`, edited in place."""
    try:
        default_engine().compile(expression)
    except CelError as err:
        raise ValueError(f"invalid readiness CEL {expression!r}: {err.message}") from None
    key = f"{c.ANNOTATION_READINESS_PREFIX}{name}" if name else c.ANNOTATION_READINESS
    _annotations(manifest)[key] = expression
    return manifest


def with_readiness_group(manifest: Obj, group: int) -> Obj:
    """Apply in readiness-group order: a group starts once every resource of lower groups is ready.
    Without one, resources are group 0 (managed kinds such as ConfigMap or CRD: -100)."""
    _annotations(manifest)[c.ANNOTATION_READINESS_GROUP] = str(_integer(group))
    return manifest


def with_deletion_group(manifest: Obj, group: int) -> Obj:
    """While the composition is deleting, delete in deletion-group order (lowest first)."""
    _annotations(manifest)[c.ANNOTATION_DELETION_GROUP] = str(_integer(group))
    return manifest


def _integer(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"a group is an integer, not {value!r}")
    return value
