#!/usr/bin/env python3
"""The source composition: owns the moved objects at first; adds the runbook's override at step 2 and
drops the objects at step 4 (`plan.source-drops: "true"`). Its tombstones keep the override, so the
removal deletes nothing."""

from typing import Any

from moved import moved_objects, plan_flag  # type: ignore[import-not-found]  # a sibling script

from eno.function import Inputs, set_namespace, synthesizer


@synthesizer(mungers=[set_namespace("default")])
def main(inputs: Inputs) -> list[dict[str, Any]]:
    plan = inputs.get("plan").get("data", {})
    own = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "source-own"}, "data": {"a": "1"}}
    if plan_flag(plan, "source-drops"):
        return [own]
    return [own, *moved_objects("source", plan, plan_flag(plan, "override"))]


if __name__ == "__main__":
    main.run()
