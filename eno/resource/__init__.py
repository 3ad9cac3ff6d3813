"""Eno's resource logic: pure functions from data to data, no I/O.

- `resource`: parse a synthesized manifest into a frozen Resource (identity, annotations, groups, checks).
- `loading`, `cache`: parse a synthesis's slices (with the `--resource-filter`); index loaded syntheses.
- `overridepath`, `mutation`, `overrides`, `ownership`: the override grammar, mutation and evaluation.
- `snapshot`: the desired object for one reconcile (overrides applied, cascading flags, metadata stripped).
- `readiness`: readiness checks and ready times.
- `tree`: the dependency tree (readiness/deletion groups, CRD before CR, Patch backtracking).
- `slicing`: packing outputs into ResourceSlices with tombstones.
- `fieldsv1`, `fieldmanager`: managed-fields sets; compare, managed-fields merge and migration.
- `policy`: fail-open, the reported `deleted`, when to requeue, the error summary.
- `mergepatch`: the `--disable-ssa` JSON merge patch from the previous desired state.
- `patch`: the Patch pseudo-kind. `errors`: the ResourceError value every function returns.

How the reconciler strings them together (spec reconciliation.md §2-§3):

    cache = SynthesisCache(engine, resource_filter)       # one per process
    cache.fill(meta, uuid, live_slices)                   # once per synthesis UUID; meta: CompositionMetadata
    loaded, requests = cache.visit(meta, uuid, slices)    # for every slice event; enqueue `requests`
    resource, visible = cache.get(uuid, ref)              # per work item; skip when not visible
    snap = snapshot(resource, meta, current)
    ready = evaluate_checks(resource.readiness_checks, current, now)   # unless the slot already has `ready`
    ... write snap.obj (SSA, replace, merge patch or Patch ops; `snap.orphan` guards deletion) ...
    failing_open = should_fail_open(snap, resource, flag)
    deleted = reported_deleted(current, snap, failing_open)
    requeue_after(snap, ready, intervals)
"""
