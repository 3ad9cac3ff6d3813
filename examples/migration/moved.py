"""The objects the migration moves (a ConfigMap and a Deployment), as either composition synthesizes them.

Each writer's version differs in one field (`data.writer` on the ConfigMap, the `example.com/writer`
annotation on the Deployment), so every revision the API server stores says which composition wrote it.
"""

from typing import Any

from eno.function import Override, annotate_overrides

OWNER_KEY = "migration.example.com/owner"
# The runbook's condition, verbatim: reconciliation is disabled unless the composition owns the objects.
SEED_CONDITION = f"composition.metadata.annotations['{OWNER_KEY}'] != 'true'"
# The robust form, which says what an absent key means instead of relying on the absent-key rule.
IN_CONDITION = (
    f"!('{OWNER_KEY}' in composition.metadata.annotations)"
    f" || composition.metadata.annotations['{OWNER_KEY}'] != 'true'"
)
DISABLE = 'self.metadata.annotations["eno.azure.io/disable-reconciliation"]'


def plan_flag(plan: dict[str, str], key: str) -> bool:
    return plan.get(key, "false") == "true"


def disable_unless_owner(plan: dict[str, str]) -> Override:
    condition = IN_CONDITION if plan.get("condition") == "in" else SEED_CONDITION
    return Override(path=DISABLE, condition=condition, value="true")


def moved_objects(writer: str, plan: dict[str, str], with_override: bool) -> list[dict[str, Any]]:
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "moved-config"},
        "data": {"writer": writer, "greeting": "hello"},
    }
    deployment: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "moved-app", "annotations": {"example.com/writer": writer}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "moved-app"}},
            "template": {
                "metadata": {"labels": {"app": "moved-app"}},
                "spec": {"containers": [{"name": "app", "image": "docker.io/library/nginx:1.27"}]},
            },
        },
    }
    out = [config, deployment]
    if plan.get("reconcile-interval"):  # e.g. "1s": resync often (the tests of a broken migration use it)
        for obj in out:
            obj["metadata"].setdefault("annotations", {})["eno.azure.io/reconcile-interval"] = plan[
                "reconcile-interval"
            ]
    if with_override:
        out = [annotate_overrides(obj, [disable_unless_owner(plan)]) for obj in out]
    return out
