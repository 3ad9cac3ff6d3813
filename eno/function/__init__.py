"""Eno's Python synthesizer SDK: write a synthesizer as a function of its inputs.

    from eno.function import Inputs, synthesizer

    @synthesizer
    def main(inputs: Inputs) -> list[dict]:
        config = inputs.get("config")
        data = config.get("data", {})
        return [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "out"}, "data": data}]

    if __name__ == "__main__":
        main.run()

Modules: `main` (the decorator, error reporting), `inputs` (lookup by ref key, typed binding), `convert`
(JSON into user types), `outputs` (manifests from dicts and models, the ResourceList writer), `mungers`,
`readiness` (checks and groups), `overrides`, `patch`, and `testing` (run in-process, snapshots, lints).
"""

from eno.function.inputs import InputError, Inputs, key
from eno.function.main import Environment, Run, SynthesisError, Synthesizer, synthesizer
from eno.function.mungers import (
    managed_by_eno,
    reconcile_interval,
    set_annotations,
    set_labels,
    set_namespace,
)
from eno.function.outputs import OutputWriter, read_manifest
from eno.function.overrides import Override, allow_vpa, annotate_overrides, replace_if
from eno.function.patch import delete_patch, patch
from eno.function.readiness import with_deletion_group, with_readiness, with_readiness_group

__all__ = [
    "Environment",
    "InputError",
    "Inputs",
    "OutputWriter",
    "Override",
    "Run",
    "SynthesisError",
    "Synthesizer",
    "allow_vpa",
    "annotate_overrides",
    "delete_patch",
    "key",
    "managed_by_eno",
    "patch",
    "read_manifest",
    "reconcile_interval",
    "replace_if",
    "set_annotations",
    "set_labels",
    "set_namespace",
    "synthesizer",
    "with_deletion_group",
    "with_readiness",
    "with_readiness_group",
]
