#!/usr/bin/env python3
"""Overrides: the reconciler changes the desired object according to the live one.

`someKey` is synthesized as "synthesized" and overridden to "overridden" unless the live object has
`data.disableOverrides`. At first create there is no live object, the condition cannot be evaluated and
the synthesized value is applied (an override fails open); later reconciles apply the override.
`replace_if` switches to a full PUT instead of server-side apply while the live object asks for it.
"""

from typing import Any

from eno.function import Inputs, Override, annotate_overrides, replace_if, set_namespace, synthesizer


@synthesizer(mungers=[set_namespace("default")])
def main(inputs: Inputs) -> list[dict[str, Any]]:
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "overrides", "annotations": {"eno.azure.io/reconcile-interval": "5s"}},
        "data": {"someKey": "synthesized"},
    }
    return [
        annotate_overrides(
            config,
            [
                Override(
                    path="self.data.someKey", condition="!has(self.data.disableOverrides)", value="overridden"
                ),
                replace_if("has(self.data.replaceMe)"),
            ],
        )
    ]


if __name__ == "__main__":
    main.run()
