"""The symphony controller on the embedded API server, driven and observed over HTTP."""

from __future__ import annotations

from typing import Any

from controllers import symphony as symphony_controller
from eno.api.v1 import Composition, Symphony
from eno.api.v1.times import now
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.gvk import GVK
from tests.controllers.conftest import History, running, until
from tests.controllers.objects import NS, composition, symphony, variation
from tests.eventually import eventually

EVENT = GVK("", "v1", "Event")
OWNER = "eno.azure.io/owner"


async def compositions(client: Client, ns: str = NS) -> dict[str, Composition]:
    """Live compositions by synthesizer name (asserting there is at most one per synthesizer)."""
    out: dict[str, Composition] = {}
    for comp in (await client.list(Composition, namespace=ns)).items:
        assert comp.spec.synthesizer.name not in out, "duplicate composition"
        out[comp.spec.synthesizer.name] = comp
    return out


async def events(client: Client, reason: str) -> list[dict[str, Any]]:
    return [e for e in (await client.list(EVENT, namespace=NS)).items if e.get("reason") == reason]


async def test_variations_become_compositions(eno_server: ApiServer, client: Client) -> None:
    sym = symphony(
        "sym",
        variation(
            "a",
            labels={"team": "x"},
            annotations={"note": "1"},
            bindings=[{"key": "k1", "resource": {"name": "from-variation"}}],
            synthesisEnv=[{"name": "V", "value": "a"}],
        ),
        variation("b"),
        bindings=[
            {"key": "k1", "resource": {"name": "from-symphony"}},
            {"key": "k2", "resource": {"name": "s"}},
        ],
        synthesisEnv=[{"name": "V", "value": "sym"}, {"name": "S", "value": "1"}],
    )
    async with running(eno_server.url, symphony_controller.setup):
        created = await client.create(Symphony.from_dict(sym))

        async def two() -> dict[str, Composition]:
            comps = await compositions(client)
            assert set(comps) == {"a", "b"}
            return comps

        comps = await until(two)
        a = comps["a"]
        assert a.name.startswith("a-") and a.labels == {"team": "x"} and a.annotations == {"note": "1"}
        assert a.metadata["ownerReferences"] == [
            {
                "apiVersion": "eno.azure.io/v1",
                "kind": "Symphony",
                "name": "sym",
                "uid": created.uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        assert [(x.key, x.resource.name) for x in a.spec.bindings] == [("k1", "from-variation"), ("k2", "s")]
        assert [(x.name, x.value) for x in a.spec.synthesis_env] == [("V", "a"), ("S", "1")]
        assert not comps["b"].spec.depends_on
        got = await client.get(Symphony, "sym", NS)
        assert "eno.azure.io/cleanup" in got.finalizers

        # Changing the symphony's bindings updates every composition; foo: bar -> baz propagates.
        got = await client.get(Symphony, "sym", NS)
        spec = got.to_dict()["spec"]
        spec["bindings"][1]["resource"]["name"] = "changed"
        spec["variations"][0]["labels"] = {"team": "y"}
        await client.patch(Symphony, "sym", NS, {"spec": spec})

        async def propagated() -> bool:
            comps = await compositions(client)
            assert all(c.spec.bindings[-1].resource.name == "changed" for c in comps.values())
            assert comps["a"].labels == {"team": "y"}
            return True

        await until(propagated)
        # Removing a variation deletes its composition.
        spec["variations"] = spec["variations"][:1]
        await client.patch(Symphony, "sym", NS, {"spec": spec})

        async def only_a() -> bool:
            assert set(await compositions(client)) == {"a"}
            return True

        await until(only_a)


async def test_symphony_deletion_labels_then_deletes(eno_server: ApiServer, client: Client) -> None:
    history = History(eno_server, "compositions")
    async with running(eno_server.url, symphony_controller.setup):
        await client.create(Symphony.from_dict(symphony("sym", variation("a"), variation("b"))))

        async def two() -> bool:
            assert len(await compositions(client)) == 2
            return True

        await until(two)
        await client.delete(Symphony, "sym", NS)

        async def gone() -> bool:
            try:
                await client.get(Symphony, "sym", NS)
            except NotFound:
                return True
            return False

        await until(gone)
        assert await compositions(client) == {}
    # Every composition carried the label before it was deleted.
    last: dict[str, dict[str, Any] | None] = {}
    deleted = 0
    for event in history.events:
        if event.type == "DELETED":
            previous = last[event.key.name]
            assert previous is not None
            assert previous["metadata"]["labels"]["eno.azure.io/symphony-deleting"] == "true"
            deleted += 1
        last[event.key.name] = event.object
    assert deleted == 2


async def test_depends_on_resolves_to_generated_names(eno_server: ApiServer, client: Client) -> None:
    sym = symphony("sym", variation("b", dependsOn=[{"synthesizer": "a"}]), variation("a"))
    async with running(eno_server.url, symphony_controller.setup):
        await client.create(Symphony.from_dict(sym))

        async def resolved() -> bool:
            comps = await compositions(client)
            assert set(comps) == {"a", "b"}
            deps = [d.to_dict() for d in comps["b"].spec.depends_on]
            assert deps == [{"name": comps["a"].name, "namespace": NS}]
            return True

        await until(resolved)


async def test_dependency_cycle_is_reported_and_others_proceed(eno_server: ApiServer, client: Client) -> None:
    sym = symphony(
        "sym",
        variation("a", dependsOn=[{"synthesizer": "b"}]),
        variation("b", dependsOn=[{"synthesizer": "a"}]),
        variation("c"),
        variation("d", dependsOn=[{"synthesizer": "nope"}]),
    )
    async with running(eno_server.url, symphony_controller.setup):
        await client.create(Symphony.from_dict(sym))

        async def reported() -> bool:
            assert set(await compositions(client)) == {"c"}
            (cycle,) = await events(client, "DependencyCycle")
            assert cycle["type"] == "Warning" and "a, b" in cycle["message"]
            (missing,) = await events(client, "DependencyNotFound")
            assert "nope" in missing["message"]
            return True

        await until(reported)


async def test_hand_edited_owner_annotation_is_pruned(eno_server: ApiServer, client: Client) -> None:
    sym = symphony(
        "sym", variation("a", annotations={OWNER: "true"}), variation("b", annotations={OWNER: ""})
    )
    async with running(eno_server.url, symphony_controller.setup):
        await client.create(Symphony.from_dict(sym))

        async def settled() -> dict[str, Composition]:
            comps = await compositions(client)
            assert set(comps) == {"a", "b"}
            assert comps["a"].annotations == {OWNER: "true"} and comps["b"].annotations == {}
            return comps

        comps = await until(settled)
        # A user puts the owner value on b by hand: the symphony says b has none.
        await client.update(comps["b"].with_annotation(OWNER, "true"))
        await until(settled)

        async def told() -> bool:
            evs = [
                e
                for e in await events(client, "AnnotationsRemoved")
                if e["involvedObject"]["name"] == comps["b"].name
            ]
            assert evs and OWNER in evs[-1]["message"]
            return True

        await until(told)


async def test_duplicate_compositions_lose_the_oldest(eno_server: ApiServer, client: Client) -> None:
    async with running(eno_server.url, symphony_controller.setup):
        created = await client.create(Symphony.from_dict(symphony("sym", variation("a"))))

        async def one() -> Composition | None:
            return (await compositions(client)).get("a")

        original = await until(one)
        assert original is not None
        owner = original.metadata["ownerReferences"]
        # creationTimestamp has second precision: let the clock pass the original's second first.
        await eventually(lambda: now() > original.metadata["creationTimestamp"], timeout=3)
        extra = await client.create(
            Composition.from_dict(composition("a-extra", "a", metadata={"ownerReferences": owner}))
        )
        assert created.uid == owner[0]["uid"]

        async def newest_kept() -> bool:
            names = [c.name for c in (await client.list(Composition, namespace=NS)).items]
            assert names == [extra.name]
            return True

        await until(newest_kept)
        assert await events(client, "DuplicateComposition")


async def test_status_rolls_up_ready_compositions(eno_server: ApiServer, client: Client) -> None:
    async with running(eno_server.url, symphony_controller.setup):
        await client.create(
            Symphony.from_dict(symphony("sym", variation("a"), variation("b", optional=True)))
        )

        async def two() -> dict[str, Composition]:
            comps = await compositions(client)
            assert len(comps) == 2
            return comps

        comps = await until(two)
        # Play the synthesis and slice controllers: a is synthesized, reconciled and ready; b (optional) not.
        a = comps["a"]
        await client.patch(
            Composition,
            a.name,
            NS,
            {
                "status": {
                    "currentSynthesis": {
                        "uuid": "u1",
                        "observedCompositionGeneration": a.generation,
                        "synthesized": "2024-01-01T00:00:01Z",
                        "reconciled": "2024-01-01T00:00:02Z",
                        "ready": "2024-01-01T00:00:03Z",
                    }
                }
            },
            subresource="status",
        )

        async def ready() -> bool:
            status = (await client.get(Symphony, "sym", NS)).status
            assert status.ready == "2024-01-01T00:00:03Z" and status.synthesized == "2024-01-01T00:00:01Z"
            assert status.observed_generation == 1
            return True

        await until(ready)
        # Editing the symphony changes the compositions' spec: their generation rises past the synthesis,
        # so the roll-up goes back to null until they are synthesized again.
        await client.patch(
            Symphony, "sym", NS, {"spec": {"bindings": [{"key": "k", "resource": {"name": "n"}}]}}
        )

        async def outdated() -> bool:
            status = (await client.get(Symphony, "sym", NS)).status
            assert status.observed_generation == 2
            assert status.ready is None and status.synthesized is None
            return True

        await until(outdated)


async def test_refused_composition_is_reported_and_others_proceed(
    eno_server: ApiServer, client: Client
) -> None:
    """A synthesizer name that cannot prefix an object name: the server refuses that composition only."""
    sym = symphony("sym", variation("Not_A_Name"), variation("good"))
    async with running(eno_server.url, symphony_controller.setup):
        await client.create(Symphony.from_dict(sym))

        async def reported() -> bool:
            assert set(await compositions(client)) == {"good"}
            refused = await events(client, "InvalidComposition")
            assert len(refused) == 1, "recorded once, not on every retry"
            assert refused[0]["type"] == "Warning" and "Not_A_Name" in refused[0]["message"]
            return True

        await until(reported)
        # Fixing the variation creates its composition; nothing else is lost.
        got = await client.get(Symphony, "sym", NS)
        await client.patch(
            Symphony, "sym", NS, {"spec": {"variations": [variation("fixed"), variation("good")]}}
        )
        assert got.name == "sym"

        async def fixed() -> bool:
            assert set(await compositions(client)) == {"fixed", "good"}
            return True

        await until(fixed, timeout=15)
