"""The Composition controller's pure decisions: deletion flow and synthesis timeouts (controllers.md §3).

The simplified status itself is `eno.api.v1.predicates.simplified_status`.
"""
