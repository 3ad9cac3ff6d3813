#!/usr/bin/env python3
"""The target composition: synthesizes the moved objects from step 2 on, with the runbook's override
(disabled until it carries the owner key), and without the override from step 4 on
(`plan.target-drops-override: "true"`)."""

from typing import Any

from moved import moved_objects, plan_flag  # type: ignore[import-not-found]  # a sibling script

from eno.function import Inputs, set_namespace, synthesizer


@synthesizer(mungers=[set_namespace("default")])
def main(inputs: Inputs) -> list[dict[str, Any]]:
    plan = inputs.get("plan").get("data", {})
    own = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "target-own"}, "data": {"b": "2"}}
    if not plan_flag(plan, "override") and not plan_flag(plan, "target-drops-override"):
        return [own]
    with_override = not plan_flag(plan, "target-drops-override")
    return [own, *moved_objects("target", plan, with_override)]


if __name__ == "__main__":
    main.run()
