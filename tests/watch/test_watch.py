"""Input revisions recorded on composition status by the watch controllers (synthesis.md §3)."""

from __future__ import annotations

from eno.api.v1 import constants as c
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.gvk import GVK
from eno.runtime.reconcile import Request
from tests.watch.conftest import (
    configmap,
    make_composition,
    make_synthesizer,
    ref,
    revisions,
    until,
    watching,
)

CONFIGMAP = GVK("", "v1", "ConfigMap")
SECRET = GVK("", "v1", "Secret")


async def test_bound_input_is_recorded_and_follows_changes(eno_server, client: Client) -> None:
    await make_synthesizer(client, "synth", [ref("a")])
    await make_composition(client, "comp", "synth", {"a": "cm"})
    cm = await client.create(configmap("cm", v="1"))
    async with watching(eno_server.url) as (manager, _):

        async def recorded(rv: str) -> bool:
            revs = await revisions(client, "comp")
            return revs.get("a") == {"key": "a", "resourceVersion": rv}

        await until(lambda: recorded(cm["metadata"]["resourceVersion"]))
        annotations = {
            c.ANNOTATION_REVISION: "7",
            c.ANNOTATION_SYNTHESIZER_GENERATION: "2",
            c.ANNOTATION_COMPOSITION_GENERATION: "0",  # zero counts as unset
            c.ANNOTATION_IGNORE_SIDE_EFFECTS: "T",
        }
        updated = await client.patch(
            CONFIGMAP, "cm", "default", {"metadata": {"annotations": annotations}}, patch_type="merge"
        )

        async def annotated() -> bool:
            revs = await revisions(client, "comp")
            return revs.get("a") == {
                "key": "a",
                "resourceVersion": updated["metadata"]["resourceVersion"],
                "revision": 7,
                "synthesizerGeneration": 2,
                "ignoreSideEffects": True,
            }

        await until(annotated)
        registry = manager.registry
        assert (registry.get_sample_value("eno_input_revision_write_buffer_flush_total") or 0) >= 2
        assert registry.get_sample_value("eno_input_revision_write_buffer_depth") == 0
        adds = registry.get_sample_value(
            "workqueue_adds_total",
            {
                "name": "compositionInputRevisionWriteBuffer",
                "controller": "compositionInputRevisionWriteBuffer",
            },
        )
        assert (adds or 0) >= 2


async def test_implicit_ref_needs_no_binding(eno_server, client: Client) -> None:
    await make_synthesizer(client, "synth", [ref("fixed", name="shared", namespace="default")])
    await make_composition(client, "one", "synth")
    await make_composition(client, "two", "synth")
    async with watching(eno_server.url):
        shared = await client.create(configmap("shared"))
        rv = shared["metadata"]["resourceVersion"]

        async def both() -> bool:
            found = [
                (await revisions(client, n)).get("fixed", {}).get("resourceVersion") for n in ("one", "two")
            ]
            return found == [rv, rv]

        await until(both)


async def test_deleted_optional_input_is_removed_required_is_kept(eno_server, client: Client) -> None:
    await make_synthesizer(client, "synth", [ref("req"), ref("opt", optional=True)])
    await make_composition(client, "comp", "synth", {"req": "r", "opt": "o"})
    await client.create(configmap("r"))
    await client.create(configmap("o"))
    async with watching(eno_server.url):
        await until(lambda: _keys(client, "comp", {"req", "opt"}))
        await client.delete(CONFIGMAP, "o", "default")
        await client.delete(CONFIGMAP, "r", "default")
        await until(lambda: _keys(client, "comp", {"req"}))


async def test_missing_input_has_no_entry(eno_server, client: Client) -> None:
    await make_synthesizer(client, "synth", [ref("a"), ref("b")])
    await make_composition(client, "comp", "synth", {"a": "cm-a", "b": "cm-b"})
    await client.create(configmap("cm-a"))
    async with watching(eno_server.url):
        await until(lambda: _keys(client, "comp", {"a"}))
        await client.create(configmap("cm-b"))
        await until(lambda: _keys(client, "comp", {"a", "b"}))


async def test_unbound_key_is_pruned(eno_server, client: Client) -> None:
    await make_synthesizer(client, "synth", [ref("a"), ref("b")])
    await make_composition(client, "comp", "synth", {"a": "cm-a", "b": "cm-b"})
    await client.create(configmap("cm-a"))
    await client.create(configmap("cm-b"))
    async with watching(eno_server.url):
        await until(lambda: _keys(client, "comp", {"a", "b"}))
        patch = {"spec": {"bindings": [{"key": "a", "resource": {"name": "cm-a", "namespace": "default"}}]}}
        await client.patch(
            GVK("eno.azure.io", "v1", "Composition"), "comp", "default", patch, patch_type="merge"
        )
        await until(lambda: _keys(client, "comp", {"a"}))


async def test_kind_watches_follow_the_synthesizers_refs(eno_server, client: Client) -> None:
    await make_synthesizer(client, "synth", [ref("a")])
    async with watching(eno_server.url) as (_, registered):
        await until(lambda: {k.kind for k in registered.watches()} == {"ConfigMap"})
        synth_gvk = GVK("eno.azure.io", "v1", "Synthesizer")
        refs = [ref("b", kind="Secret"), ref("fixed", name="x", namespace="default")]
        await client.patch(synth_gvk, "synth", None, {"spec": {"refs": refs}}, patch_type="merge")
        # One controller per ResourceRef: the implicit ConfigMap ref is a watch of its own.
        await until(
            lambda: {(k.kind, k.name) for k in registered.watches()} == {("Secret", ""), ("ConfigMap", "x")}
        )
        assert registered.informers.kinds == {SECRET, CONFIGMAP}
        await client.delete(synth_gvk, "synth", None)
        await until(lambda: not registered.watches())
        assert registered.informers.kinds == set()


async def test_input_of_a_kind_that_is_not_served_does_not_stop_the_manager(
    eno_server, client: Client
) -> None:
    await make_synthesizer(client, "synth", [ref("a", kind="Nothing")])
    async with watching(eno_server.url) as (manager, registered):
        await until(lambda: len(registered.watches()) == 1)
        assert manager.leading.is_set()


async def _keys(client: Client, name: str, keys: set[str]) -> bool:
    try:
        return set(await revisions(client, name)) == keys
    except NotFound:
        return False


async def test_explicit_binding_overrides_the_implicit_one(eno_server, client: Client) -> None:
    await make_synthesizer(client, "synth", [ref("a", name="implicit", namespace="default")])
    await make_composition(client, "comp", "synth", {"a": "explicit"})
    await client.create(configmap("implicit"))
    explicit = await client.create(configmap("explicit"))
    rv = explicit["metadata"]["resourceVersion"]
    async with watching(eno_server.url) as (_, registered):
        await until(lambda: _entry_rv(client, "a", rv))
        changed = await client.patch(
            CONFIGMAP, "implicit", "default", {"data": {"x": "1"}}, patch_type="merge"
        )
        (watch,) = registered.watches().values()
        informer = watch.controller.reconciler.informer  # type: ignore[attr-defined]

        def handled() -> bool:
            seen = informer.get("implicit", "default")
            queue, buffer = watch.controller.queue, registered.buffer
            return (
                seen is not None
                and seen["metadata"]["resourceVersion"] == changed["metadata"]["resourceVersion"]
                and len(queue) == 0
                and not queue.processing()
                and len(buffer.queue) == 0
                and not buffer.queue.processing()
                and not buffer.pending(Request("default", "comp"))
            )

        await until(handled)
        assert await _entry_rv(client, "a", rv)  # the implicit object is not what the synthesis reads


async def _entry_rv(client: Client, key: str, rv: str) -> bool:
    return bool((await revisions(client, "comp")).get(key, {}).get("resourceVersion") == rv)
