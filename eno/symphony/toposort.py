"""Dependency order between a symphony's variations (spec controllers.md §2.7): Kahn's algorithm.

Keys are synthesizer names; a variation depends on the variations named by its `dependsOn` entries. Among
the variations ready at any moment the alphabetically smallest goes first, so the order never depends on
how the user listed them.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from eno.api.v1 import Variation


def topo_sort(variations: Sequence[Variation]) -> tuple[list[Variation], frozenset[str]]:
    """The variations in dependency order, and the keys that can never be ordered (cycles and below).

    Dependencies on names that are not variations are ignored here (they neither block nor count as a
    cycle); empty names are skipped. A name declared twice collapses to its last declaration.
    """
    by_key: dict[str, Variation] = {}
    for variation in variations:
        by_key[variation.synthesizer.name] = variation
    deps = {
        key: {d.synthesizer for d in v.depends_on if d.synthesizer and d.synthesizer in by_key}
        for key, v in by_key.items()
    }
    dependents: dict[str, list[str]] = {key: [] for key in by_key}
    for key, needs in deps.items():
        for need in needs:
            dependents[need].append(key)
    in_degree = {key: len(needs) for key, needs in deps.items()}
    ready = [key for key, degree in in_degree.items() if degree == 0]
    heapq.heapify(ready)
    ordered: list[Variation] = []
    while ready:
        key = heapq.heappop(ready)
        ordered.append(by_key[key])
        for dependent in dependents[key]:
            in_degree[dependent] -= 1
            if in_degree[dependent] == 0:
                heapq.heappush(ready, dependent)
    done = {v.synthesizer.name for v in ordered}
    return ordered, frozenset(key for key in by_key if key not in done)
