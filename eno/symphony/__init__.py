"""The Symphony's pure logic: variations to desired compositions, the annotation protocol, status roll-up.

Modules: toposort (dependency order between variations), desired (one variation to one desired
composition, and the additive metadata merge), plan (one reconcile pass: removals, then prunes or applies,
never both), status (the symphony's status roll-up). The controller in controllers/symphony.py is thin
glue around them.
"""
