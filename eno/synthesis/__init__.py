"""Synthesis, execution half: the synthesizer pod, the KRM exchange over attach, and turning the output
into ResourceSlices and a composition status swap (spec synthesis.md §8-§11; docs/decisions/1000-*).

Modules: pod (the pod spec), shim (what runs in the pod in front of the synthesizer), attach (the
WebSocket attach client), inputs (the input ResourceList), output (parsing and validating the output),
executor (slices and the status swap), metrics.
"""
