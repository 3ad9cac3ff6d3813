"""Tracking input revisions: which compositions an input change concerns, and how their status changes
(spec synthesis.md §3-§4.1). Pure functions; controllers/watch.py is the glue."""
