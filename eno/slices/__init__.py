"""ResourceSlice logic: the roll-up of per-resource state into the composition's synthesis, and slice
cleanup decisions (spec controllers.md §4-§5)."""
