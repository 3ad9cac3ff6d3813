#!/usr/bin/env python3
"""Readiness groups and a CEL readiness check.

Eno applies the outputs group by group: `database` (group 1) first; `app` (group 2) only once everything
in lower groups is ready. `database` is ready when its CEL check holds on the live object; a resource
without a check is ready once it exists. The composition is Ready when every resource is.
"""

from typing import Any

from eno.function import Inputs, set_namespace, synthesizer, with_readiness, with_readiness_group


def config_map(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


@synthesizer(mungers=[set_namespace("default")])
def main(inputs: Inputs) -> list[dict[str, Any]]:
    settings = inputs.get("settings").get("data", {})
    database = config_map("readiness-database", {"state": "ready", "size": settings.get("size", "small")})
    with_readiness_group(database, 1)
    with_readiness(database, "self.data.state == 'ready'")
    with_readiness(database, "has(self.data.size)", name="sized")

    app = config_map("readiness-app", {"database": "readiness-database"})
    with_readiness_group(app, 2)
    return [database, app]


if __name__ == "__main__":
    main.run()
