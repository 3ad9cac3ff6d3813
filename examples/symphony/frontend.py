#!/usr/bin/env python3
"""The symphony's first variation: the frontend's settings, from the shared input."""

from typing import Any

from eno.function import Inputs, set_namespace, synthesizer


@synthesizer(mungers=[set_namespace("default")])
def main(inputs: Inputs) -> list[dict[str, Any]]:
    shared = inputs.get("shared").get("data", {})
    data = {"region": shared.get("region", "unknown"), "replicas": "2"}
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "symphony-frontend"}, "data": data}
    ]


if __name__ == "__main__":
    main.run()
