#!/usr/bin/env python3
"""The smallest synthesizer: no inputs, one ConfigMap, in the composition's namespace."""

from typing import Any

from eno.function import Environment, Inputs, set_namespace, synthesizer

env = Environment.from_env()


@synthesizer(mungers=[set_namespace(env.composition_namespace or "default")])
def main(inputs: Inputs) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "minimal"},
            "data": {"greeting": "hello from eno", "composition": env.composition_name},
        }
    ]


if __name__ == "__main__":
    main.run()
