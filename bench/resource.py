"""Resource-logic benchmark, run by hand: `.venv/bin/python -m bench.resource [--seconds 1]`.

Measures, per installed CEL engine, the reconciler's per-resource work on one Deployment manifest with two
overrides and one readiness check:
  - parse: `parse_manifest` (JSON decode, annotations, compile through the engine's program cache),
  - evaluate: `snapshot` (both overrides against the live object) plus `evaluate_checks`,
  - both together.
Each is printed as operations per second and as a ratio to a floor measured in the same run: `json.loads`
of the same manifest text, the least any parser of it must do. Then, for a synthesis of 500 ConfigMaps in
two readiness groups: loading it into the cache (`fill`) and feeding it one status per resource (`visit`),
against a floor of `json.loads` of all 500 manifests.
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from collections.abc import Callable
from typing import Any

import attrs

from eno.api.v1.resourceslice import (
    Manifest,
    ResourceSlice,
    ResourceSliceSpec,
    ResourceSliceStatus,
    ResourceState,
)
from eno.cel.engine import available_engines, engine_named
from eno.resource.cache import SynthesisCache
from eno.resource.identity import ManifestRef
from eno.resource.overrides import CompositionMetadata
from eno.resource.readiness import evaluate_checks
from eno.resource.resource import Resource, parse_manifest
from eno.resource.snapshot import snapshot

OVERRIDES = [
    {
        "path": "self.spec.replicas",
        "valueExpression": "self.spec.replicas",
        "condition": "has(self.metadata.annotations) && "
        "self.metadata.annotations['autoscaler/enabled'] == 'true'",
    },
    {
        "path": "self.spec.template.spec.containers[name='app'].resources.requests.cpu",
        "value": None,
        "condition": "!pathManagedByEno",
    },
]
READINESS = "self.status.conditions.filter(c, c.type == 'Available' && c.status == 'True')"
MANIFEST: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web",
        "namespace": "default",
        "labels": {"app": "web"},
        "annotations": {
            "eno.azure.io/readiness-group": "1",
            "eno.azure.io/overrides": json.dumps(OVERRIDES),
            "eno.azure.io/readiness": READINESS,
        },
    },
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "nginx:1.27",
                        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}},
                    }
                ]
            },
        },
    },
}
LIVE: dict[str, Any] = {
    **MANIFEST,
    "metadata": {
        "name": "web",
        "namespace": "default",
        "annotations": {"autoscaler/enabled": "true"},
        "managedFields": [
            {
                "manager": "eno",
                "operation": "Apply",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:replicas": {}}},
            },
            {
                "manager": "vpa",
                "operation": "Update",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:spec": {
                        "f:template": {
                            "f:spec": {
                                "f:containers": {
                                    'k:{"name":"app"}': {"f:resources": {"f:requests": {"f:cpu": {}}}}
                                }
                            }
                        }
                    }
                },
            },
        ],
    },
    "spec": {**MANIFEST["spec"], "replicas": 7},
    "status": {
        "conditions": [
            {
                "type": "Available",
                "status": "True",
                "reason": "MinimumReplicasAvailable",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        ]
    },
}
TEXT = json.dumps(MANIFEST)
SLOT = ManifestRef("default", "web-abcde", 0)
COMPOSITION = CompositionMetadata(name="web", namespace="default")
NOW = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)


def rate(operation: Callable[[], object], seconds: float) -> float:
    """Operations per second over about `seconds` (after one warm-up call)."""
    operation()
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(20):
            operation()
        count += 20
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()

    floor = rate(lambda: json.loads(TEXT), args.seconds)
    print(f"floor  json.loads of the manifest ({len(TEXT)} bytes): {floor:,.0f}/s")
    for name in available_engines():
        engine = engine_named(name)
        parsed = parse_manifest(TEXT, engine, SLOT)
        assert isinstance(parsed, Resource) and not parsed.errors, parsed
        resource: Resource = parsed

        def evaluate(resource: Resource = resource) -> None:
            snap = snapshot(resource, COMPOSITION, LIVE)
            ready = evaluate_checks(resource.readiness_checks, LIVE, NOW)
            assert snap.obj["spec"]["replicas"] == 7 and ready is not None

        def both(engine: Any = engine) -> None:
            result = parse_manifest(TEXT, engine, SLOT)
            assert isinstance(result, Resource)
            snapshot(result, COMPOSITION, LIVE)
            evaluate_checks(result.readiness_checks, LIVE, NOW)

        print(f"engine {name}")
        for label, operation in (
            ("parse", lambda engine=engine: parse_manifest(TEXT, engine, SLOT)),
            ("evaluate (2 overrides + 1 readiness check)", evaluate),
            ("parse + evaluate", both),
        ):
            ops = rate(operation, args.seconds)
            print(f"  {label:45s} {ops:>10,.0f}/s  {1e6 / ops:8.1f} us  {floor / ops:6.1f}x the floor")
    synthesis_scale(engine_named(available_engines()[0]), args.seconds)


def synthesis_scale(engine: Any, seconds: float) -> None:
    count = 500
    manifests = tuple(
        Manifest(
            manifest=json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {
                        "name": f"cm-{i}",
                        "namespace": "default",
                        "annotations": {"eno.azure.io/readiness-group": str(i % 2)},
                    },
                    "data": {"key": "value" * 10},
                }
            )
        )
        for i in range(count)
    )
    slices = [
        ResourceSlice(metadata={"name": "s", "namespace": "ns"}, spec=ResourceSliceSpec(resources=manifests))
    ]
    ready = ResourceSliceStatus(
        resources=tuple(ResourceState(ready="2026-01-01T00:00:00Z") for _ in manifests)
    )
    status_slices = [attrs.evolve(slices[0], status=ready)]

    floor = rate(lambda: [json.loads(m.manifest) for m in manifests], seconds)

    def fill() -> None:
        SynthesisCache(engine).fill(COMPOSITION, "uuid", slices)

    def fill_and_visit() -> None:
        cache = SynthesisCache(engine)
        cache.fill(COMPOSITION, "uuid", slices)
        cache.visit(COMPOSITION, "uuid", status_slices)

    floor_ms = 1e3 / floor
    print(
        f"synthesis of {count} ConfigMaps, 2 readiness groups (floor, json.loads of each: {floor_ms:.1f} ms)"
    )
    for label, operation in (("fill", fill), ("fill + visit with every resource ready", fill_and_visit)):
        ops = rate(operation, seconds)
        print(f"  {label:45s} {1e3 / ops:8.1f} ms  {floor / ops:6.1f}x the floor")


if __name__ == "__main__":
    main()
