"""The structured error value every resource-logic function returns instead of raising.

Bad input (malformed overrides JSON, invalid CEL, invalid paths, wrong types, unknown annotations) is data
the controller puts on a status or in a log; it must never abort the processing of other resources.
"""

from __future__ import annotations

from enum import StrEnum

import attrs


class Severity(StrEnum):
    # ERROR: the value is invalid and was ignored (the executor's strict preflight rejects the output).
    ERROR = "error"
    # WARNING: accepted, but suspicious (an unknown eno.azure.io/ key, a group in a reserved range).
    WARNING = "warning"


@attrs.frozen
class ResourceError:
    """What went wrong, on which resource, in which field.

    `resource` names the resource as Eno prints a Ref (`(<group>.<kind>)/<namespace>/<name>`) or, before the
    identity is known, by its slot (`<slice>[<index>]`). `field` is a JSON-path-like location such as
    `metadata.annotations["eno.azure.io/overrides"][1].condition`.
    """

    resource: str
    field: str
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.resource}: {self.field}: {self.message}"


def annotation_field(key: str) -> str:
    """The `field` of an error about annotation `key`."""
    return f'metadata.annotations["{key}"]'
