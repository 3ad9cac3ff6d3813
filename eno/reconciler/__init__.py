"""The eno-reconciler's glue around the pure logic in `eno.resource` (the controllers themselves live in
`controllers/reconciliation.py`):

- `writebuffer`: batches per-resource state into ResourceSlice status (JSON Patch on `/status`).
- `watch`: metadata-only watches of the managed objects: free resyncs, paced drift correction.
- `compositions`: typed compositions decoded once per version; what of them a resource depends on.
- `echoes`: the states we wrote, so their echo costs no pass.
- `pruning`: whether a new manifest drops fields (else the live object must be read first).
- `metrics`: Eno's reconciler metrics.
"""
