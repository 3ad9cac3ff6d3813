"""The eno-reconciler's runtime glue around the pure logic in `eno.resource`: the batching ResourceSlice
status write buffer (`writebuffer`) and the reconciler's metrics (`metrics`). The controllers themselves
live in `controllers/reconciliation.py`."""
