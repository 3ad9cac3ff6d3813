#!/usr/bin/env python3
"""A CustomResourceDefinition and a resource of the kind it defines, in one synthesis.

Eno applies a CRD before any resource of the kind it defines (and deletes it last), so the `Widget` is
created only once its CRD is in place; no readiness group is needed.
"""

from typing import Any

from eno.function import Inputs, synthesizer

GROUP = "examples.eno.azure.io"


def widget_crd() -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"color": {"type": "string"}, "size": {"type": "integer", "minimum": 1}},
            }
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [
                {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}
            ],
        },
    }


@synthesizer
def main(inputs: Inputs) -> list[dict[str, Any]]:
    widget = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": "example-widget", "namespace": "default"},
        "spec": {"color": "blue", "size": 3},
    }
    return [widget_crd(), widget]


if __name__ == "__main__":
    main.run()
