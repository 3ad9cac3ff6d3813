#!/usr/bin/env python3
"""The getting-started synthesizer: one ConfigMap input (key `config`) becomes one Deployment.

Eno runs it with a KRM ResourceList on stdin (the inputs, each annotated with its ref key) and reads the
resources to reconcile as a ResourceList from stdout. Standard library only: it runs in any Python image.
"""

import json
import sys

INPUT_KEY = "eno.azure.io/input-key"


def synthesize(inputs: list[dict]) -> list[dict]:
    config = next(i for i in inputs if i["metadata"].get("annotations", {}).get(INPUT_KEY) == "config")
    data = config.get("data", {})
    name = data.get("name", "hello")
    labels = {"app": name}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": config["metadata"]["namespace"]},
        "spec": {
            "replicas": int(data.get("replicas", "1")),
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": data.get("image", "nginx:1.27")}]},
            },
        },
    }
    return [deployment]


def main() -> None:
    request = json.load(sys.stdin)
    items = synthesize(request.get("items") or [])
    json.dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}, sys.stdout)


if __name__ == "__main__":
    main()
