"""CEL engine benchmark, run by hand: `.venv/bin/python -m bench.cel [--seconds 0.5]`.

For every installed engine: evaluations per second of a readiness and an override expression with the
program cache (the reconciler's steady state), the same without the cache (compile + evaluate), and the
CEL cost of one resource with two overrides and one readiness check. Ratios are computed within this
run, so they compare like with like on this machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from eno.cel.engine import available_engines, engine_named

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web",
        "namespace": "default",
        "labels": {"app": "web", "tier": "frontend"},
        "annotations": {"eno.azure.io/readiness-group": "1"},
        "managedFields": [{"manager": "eno", "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": {}}],
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
                        "ports": [{"containerPort": 80}],
                        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}},
                    }
                ]
            },
        },
    },
    "status": {
        "replicas": 3,
        "availableReplicas": 3,
        "conditions": [
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
        ],
    },
}
COMPOSITION = {
    "metadata": {
        "name": "comp",
        "namespace": "default",
        "labels": {},
        "annotations": {"eno.azure.io/owner": "a"},
        "deletionTimestamp": None,
    }
}
VARIABLES = {"self": DEPLOYMENT, "composition": COMPOSITION, "pathManagedByEno": lambda: False}

EXPRESSIONS = {
    "readiness": "self.status.availableReplicas == self.spec.replicas",
    "readiness-condition": 'self.status.conditions.filter(c, c.type == "Available")[0]',
    "override": 'composition.metadata.annotations["eno.azure.io/owner"] == "a" && !pathManagedByEno',
    "override-quantity": "compareResourceQuantities("
    'self.spec.template.spec.containers[0].resources.requests.cpu, "100m") >= 0',
}
# One resource: two override conditions and one readiness check.
RESOURCE = (EXPRESSIONS["override"], EXPRESSIONS["override-quantity"], EXPRESSIONS["readiness"])


def rate(operation: Callable[[], object], seconds: float) -> float:
    """Operations per CPU second of this process, repeating `operation` for about `seconds`.

    CPU time rather than wall time: the machine is shared, and CPU time does not count the moments
    another process holds the core.
    """
    operation()  # warm up
    count, start = 0, time.process_time()
    deadline = start + seconds
    while True:
        for _ in range(20):
            operation()
        count += 20
        now = time.process_time()
        if now >= deadline:
            return count / (now - start)


def bench_engine(name: str, seconds: float) -> dict[str, float]:
    engine: Any = engine_named(name)
    results: dict[str, float] = {}
    for label, expression in EXPRESSIONS.items():
        program = engine.compile(expression)

        def cached(expression: str = expression) -> object:
            return engine.compile(expression).evaluate(VARIABLES)

        def uncached(expression: str = expression) -> object:
            engine.clear_cache()
            return engine.compile(expression).evaluate(VARIABLES)

        def compile_only(expression: str = expression) -> object:
            engine.clear_cache()
            return engine.compile(expression)

        results[f"{label} cached"] = rate(cached, seconds)
        results[f"{label} uncached"] = rate(uncached, seconds)
        results[f"{label} compile"] = rate(compile_only, seconds)

        def evaluate_only(program: Any = program) -> object:
            return program.evaluate(VARIABLES)

        results[f"{label} evaluate"] = rate(evaluate_only, seconds)

    def resource_cached() -> object:
        return [engine.compile(e).evaluate(VARIABLES) for e in RESOURCE]

    def resource_uncached() -> object:
        engine.clear_cache()
        return [engine.compile(e).evaluate(VARIABLES) for e in RESOURCE]

    results["resource (2 overrides + 1 readiness) cached"] = rate(resource_cached, seconds)
    results["resource (2 overrides + 1 readiness) uncached"] = rate(resource_uncached, seconds)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=0.5, help="time per measurement")
    args = parser.parse_args()
    engines = available_engines()
    all_results = {name: bench_engine(name, args.seconds) for name in engines}
    for name, results in all_results.items():
        print(f"\n== {name}")
        for label, value in results.items():
            print(f"  {label:52s} {value:12,.0f} /s   {1e6 / value:9.1f} µs")
        print("  ratios:")
        for label in EXPRESSIONS:
            cached, uncached = results[f"{label} cached"], results[f"{label} uncached"]
            compile_cost = 1 / results[f"{label} compile"]
            evaluate_cost = 1 / results[f"{label} evaluate"]
            print(
                f"    {label:22s} cached/uncached {cached / uncached:5.1f}x   "
                f"compile costs {compile_cost / evaluate_cost:5.1f} evaluations"
            )
    if len(engines) > 1:
        base, other = engines[0], engines[1]
        print(f"\n== {other} vs {base} (cached evaluations per second)")
        for label in [*EXPRESSIONS, "resource (2 overrides + 1 readiness)"]:
            key = f"{label} cached"
            print(f"  {label:40s} {all_results[other][key] / all_results[base][key]:6.1f}x")


if __name__ == "__main__":
    main()
