#!/usr/bin/env python3
"""Copies its input into an output ConfigMap; the composition ignores side effects, so editing the input
does not resynthesize (only composition changes, forced resynthesis and retries do)."""

from typing import Any

from eno.function import Inputs, set_namespace, synthesizer


@synthesizer(mungers=[set_namespace("default")])
def main(inputs: Inputs) -> list[dict[str, Any]]:
    data = inputs.get("config").get("data", {})
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ignore-side-effects"}, "data": data}
    ]


if __name__ == "__main__":
    main.run()
