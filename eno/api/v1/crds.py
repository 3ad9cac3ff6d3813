"""Generate Eno's four CustomResourceDefinitions from the API types.

The schema comes from the field declarations (see model.py), so the CRDs and the Python conversion
cannot disagree. `python -m eno.api.v1.crds [DIR]` writes them to DIR (default manifests/crds);
a test fails when the committed files differ from what this generates.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from eno.api.v1.composition import Composition
from eno.api.v1.constants import GROUP, VERSION
from eno.api.v1.kind import Kind
from eno.api.v1.model import object_schema
from eno.api.v1.resourceslice import ResourceSlice
from eno.api.v1.symphony import Symphony
from eno.api.v1.synthesizer import Synthesizer

KINDS: tuple[type[Kind], ...] = (Composition, ResourceSlice, Symphony, Synthesizer)


def crd(kind: type[Kind]) -> dict[str, Any]:
    """The CustomResourceDefinition of one kind."""
    schema = object_schema(kind)
    schema["properties"] = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        **schema["properties"],
    }
    if kind.description:
        schema["description"] = kind.description
    version: dict[str, Any] = {
        "name": VERSION,
        "schema": {"openAPIV3Schema": schema},
        "served": True,
        "storage": True,
        "subresources": {"status": {}},
    }
    if kind.printer_columns:
        version["additionalPrinterColumns"] = [c.to_dict() for c in kind.printer_columns]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{kind.plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": kind.kind,
                "listKind": kind.list_kind,
                "plural": kind.plural,
                "singular": kind.singular,
            },
            "scope": kind.scope,
            "versions": [version],
        },
    }


def file_name(kind: type[Kind]) -> str:
    """The file name upstream uses: `eno.azure.io_<plural>.yaml`."""
    return f"{GROUP}_{kind.plural}.yaml"


def render(document: dict[str, Any]) -> str:
    """YAML text in controller-gen's layout (sorted keys, `---` header)."""
    return "---\n" + yaml.safe_dump(document, sort_keys=True, default_flow_style=False, width=1_000_000)


def generate() -> dict[str, str]:
    """File name -> YAML text for every kind."""
    return {file_name(k): render(crd(k)) for k in KINDS}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "manifests/crds")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in generate().items():
        (out / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
