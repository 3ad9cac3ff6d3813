#!/usr/bin/env python3
"""The symphony's second variation: the backend's settings, from the shared input and its own."""

from typing import Any

from eno.function import Inputs, set_namespace, synthesizer


@synthesizer(mungers=[set_namespace("default")])
def main(inputs: Inputs) -> list[dict[str, Any]]:
    shared = inputs.get("shared").get("data", {})
    tuning = inputs.get("tuning").get("data", {})
    data = {"region": shared.get("region", "unknown"), "workers": tuning.get("workers", "1")}
    return [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "symphony-backend"}, "data": data}]


if __name__ == "__main__":
    main.run()
