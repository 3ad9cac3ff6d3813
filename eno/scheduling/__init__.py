"""When to synthesize: the scheduler's pure decisions (spec synthesis.md §5-§6, api.md §9.9)."""
