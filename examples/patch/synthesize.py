#!/usr/bin/env python3
"""Patch objects: edit and delete objects that Eno did not create.

`patch-target` and `patch-obsolete` exist before the composition (see example.yaml). The first Patch
replaces one value of `patch-target` with a JSON Patch; the second deletes `patch-obsolete` (an op that sets
/metadata/deletionTimestamp). Eno never owns either object, and a missing target is simply left alone.
"""

from typing import Any

from eno.function import Inputs, delete_patch, patch, synthesizer


@synthesizer
def main(inputs: Inputs) -> list[dict[str, Any]]:
    value = inputs.get("settings").get("data", {}).get("value", "patched")
    return [
        patch(
            "v1",
            "ConfigMap",
            "patch-target",
            [{"op": "replace", "path": "/data/value", "value": value}],
            namespace="default",
        ),
        delete_patch("v1", "ConfigMap", "patch-obsolete", namespace="default"),
    ]


if __name__ == "__main__":
    main.run()
