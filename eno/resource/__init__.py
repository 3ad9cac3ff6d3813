"""Eno's resource logic: pure functions from data to data, no I/O.

- `resource`: parse a synthesized manifest into a frozen Resource (identity, annotations, groups, checks).
- `loading`: parse a synthesis's slices, with the `--resource-filter`.
- `overridepath`, `mutation`, `overrides`, `ownership`: the override grammar, mutation and evaluation.
- `snapshot`: the desired object for one reconcile (overrides applied, cascading flags, metadata stripped).
- `readiness`: readiness checks and ready times.
- `tree`: the dependency tree (readiness/deletion groups, CRD before CR, Patch backtracking).
- `slicing`: packing outputs into ResourceSlices with tombstones.
- `fieldsv1`, `fieldmanager`: managed-fields sets; compare, managed-fields merge and migration.
- `policy`: fail-open, the reported `deleted`, when to requeue, the error summary.
- `mergepatch`: the `--disable-ssa` JSON merge patch from the previous desired state.
- `patch`: the Patch pseudo-kind. `errors`: the ResourceError value every function returns.
"""
