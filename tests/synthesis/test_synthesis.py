"""Synthesis end to end on the embedded server: real synthesizer processes in pods run by the kubelet,
the KRM exchange over attach, slices and the status swap, and bad outputs that must change nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import structlog
import structlog.testing

from eno.api.v1 import Composition, ResourceSlice
from eno.api.v1 import constants as c
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.gvk import GVK
from eno.runtime.manager import Manager
from eno.synthesis.attach import POD
from tests.synthesis.conftest import (
    GOOD_SH_TEMPLATE,
    current_is,
    dispatch,
    failed_with,
    make_composition,
    make_synthesizer,
    options,
    running,
    script,
    set_command,
    slices_of,
    until,
)

PY = sys.executable
EVENT = GVK("", "v1", "Event")
UUID_LABEL = c.LABEL_SYNTHESIS_UUID
NAME_LABEL = c.LABEL_COMPOSITION_NAME

# Reads the whole input (to EOF), echoes every input back as a ConfigMap named after its key.
ECHO_INPUTS = """
import json, os, sys
doc = json.load(sys.stdin)
assert doc["kind"] == "ResourceList", doc
items = []
for obj in doc["items"]:
    key = obj["metadata"]["annotations"]["eno.azure.io/input-key"]
    items.append({"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "from-" + key, "namespace": "default"},
                  "data": {"value": obj["data"]["value"], "optional": json.dumps(doc["functionConfig"])}})
items.append({"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "env", "namespace": "default"},
              "data": {"composition": os.environ["COMPOSITION_NAME"], "uuid": os.environ["SYNTHESIS_UUID"]}})
print("synthesized", len(items), file=sys.stderr)
json.dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}, sys.stdout)
"""

PRINT_FIRST_SH = GOOD_SH_TEMPLATE  # prints at once and never reads stdin


def configmap(name: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"value": value},
    }


def manifests(slices: list[ResourceSlice]) -> list[tuple[str, bool]]:
    out = []
    for piece in slices:
        for m in piece.spec.resources:
            out.append((json.loads(m.manifest)["metadata"]["name"], m.deleted))
    return out


async def test_first_synthesis_reads_inputs_and_writes_slices(server: ApiServer, client: Client) -> None:
    await client.create(configmap("input-a", "A"))
    refs = [
        {"key": "a", "resource": {"version": "v1", "kind": "ConfigMap"}},
        {"key": "opt", "resource": {"version": "v1", "kind": "ConfigMap"}, "optional": True},
    ]
    await make_synthesizer(client, "echo", [PY, "-c", ECHO_INPUTS], refs=refs)
    await make_composition(
        client,
        "comp",
        "echo",
        bindings=[
            {"key": "a", "resource": {"name": "input-a", "namespace": "default"}},
            {"key": "opt", "resource": {"name": "missing", "namespace": "default"}},
        ],
    )
    async with running(server.url, options()):
        uid = await dispatch(client, "comp")
        comp = await current_is(client, "comp", uid)
    current = comp.status.current_synthesis
    assert current is not None and comp.status.in_flight_synthesis is None
    assert current.synthesized is not None
    assert [r.key for r in current.input_revisions] == ["a"]
    slices = await slices_of(client, comp)
    assert len(slices) == 1
    piece = slices[0]
    assert piece.metadata["generateName"] == "comp-"
    assert piece.finalizers == (c.FINALIZER_CLEANUP,)
    owner = piece.metadata["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("Composition", "comp", True)
    assert piece.spec.synthesis_uuid == ""  # the outgoing (none) synthesis's UUID, as Eno
    docs = [json.loads(m.manifest) for m in piece.spec.resources]
    assert docs[0]["metadata"]["name"] == "from-a" and docs[0]["data"]["value"] == "A"
    assert json.loads(docs[0]["data"]["optional"])["optionalRefs"] == ["opt"]
    assert docs[1]["data"] == {"composition": "comp", "uuid": uid}


async def test_print_first_shell_synthesizer_loses_nothing(
    server: ApiServer, client: Client, tmp_path: Path
) -> None:
    path = script(tmp_path, "synth.sh", PRINT_FIRST_SH % "printed")
    await make_synthesizer(client, "sh", ["/bin/sh", path])
    await make_composition(client, "comp", "sh")
    async with running(server.url, options()):
        uid = await dispatch(client, "comp")
        comp = await current_is(client, "comp", uid)
    assert manifests(await slices_of(client, comp)) == [("printed", False)]


async def test_resynthesis_rotates_and_tombstones(server: ApiServer, client: Client, tmp_path: Path) -> None:
    await make_synthesizer(client, "sh", ["/bin/sh", script(tmp_path, "one.sh", PRINT_FIRST_SH % "one")])
    await make_composition(client, "comp", "sh")
    async with running(server.url, options()):
        first = await dispatch(client, "comp")
        await current_is(client, "comp", first)
        await set_command(client, "sh", ["/bin/sh", script(tmp_path, "two.sh", PRINT_FIRST_SH % "two")])
        second = await dispatch(client, "comp")
        comp = await current_is(client, "comp", second)
    previous = comp.status.previous_synthesis
    assert previous is not None and previous.uuid == first
    slices = await slices_of(client, comp)
    assert manifests(slices) == [("two", False), ("one", True)]
    assert slices[0].spec.synthesis_uuid == first


async def test_output_over_512k_splits_into_slices(server: ApiServer, client: Client) -> None:
    code = (
        "import json, sys; sys.stdin.read(); "
        "items = [{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': f'cm-{i}', "
        "'namespace': 'default'}, 'data': {'x': 'y' * 200_000}} for i in range(6)]; "
        "json.dump({'apiVersion': 'config.kubernetes.io/v1', 'kind': 'ResourceList', 'items': items}, "
        "sys.stdout)"
    )
    await make_synthesizer(client, "big", [PY, "-c", code])
    await make_composition(client, "comp", "big")
    async with running(server.url, options()):
        uid = await dispatch(client, "comp")
        comp = await current_is(client, "comp", uid)
    slices = await slices_of(client, comp)
    # 200 KB manifests: a slice closes once it holds >= 512 KiB, so three per slice.
    assert [len(s.spec.resources) for s in slices] == [3, 3]
    assert [n for n, _ in manifests(slices)] == [f"cm-{i}" for i in range(6)]


GOOD_SH = PRINT_FIRST_SH % "good"

BAD_OUTPUTS = [
    pytest.param([PY, "-c", "print('{not json')"], "invalid json", id="invalid-json"),
    pytest.param([PY, "-c", "print('[1, 2]')"], "not a ResourceList", id="json-array"),
    pytest.param(
        [PY, "-c", 'print(\'{"kind": "ConfigMap", "items": []}\')'], "not a ResourceList", id="wrong-kind"
    ),
    pytest.param(
        [
            PY,
            "-c",
            "import json; print(json.dumps({'apiVersion': 'config.kubernetes.io/v1', 'kind': 'ResourceList', "
            "'items': [{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {}}]}))",
        ],
        "metadata.name",
        id="item-without-name",
    ),
    pytest.param(
        [
            PY,
            "-c",
            "import json; print(json.dumps({'apiVersion': 'config.kubernetes.io/v1', 'kind': 'ResourceList', "
            "'items': [{'kind': 'ConfigMap', 'metadata': {'name': 'x'}}]}))",
        ],
        "apiVersion",
        id="item-without-apiversion",
    ),
    pytest.param(
        [PY, "-c", "import sys; print('oops', file=sys.stderr); sys.exit(2)"],
        "exit status 2",
        id="non-zero-exit",
    ),
    pytest.param(["/no/such/synthesizer"], "exit status 127", id="command-not-found"),
    pytest.param(
        [
            PY,
            "-c",
            "import json; print(json.dumps({'apiVersion': 'config.kubernetes.io/v1', 'kind': 'ResourceList', "
            "'items': [], 'results': [{'severity': 'warning', 'message': 'meh'}, "
            "{'severity': 'error', 'message': 'the input is wrong'}]}))",
        ],
        "the input is wrong",
        id="results-error",
    ),
    pytest.param([PY, "-c", "print('x' * 5000)"], "more than 4096 bytes", id="output-too-large"),
    pytest.param([PY, "-c", "import time; time.sleep(60)"], "timed out", id="timeout"),
]


@pytest.mark.parametrize(("command", "expected"), BAD_OUTPUTS)
async def test_bad_output_keeps_the_current_synthesis(
    server: ApiServer, client: Client, tmp_path: Path, command: list[str], expected: str
) -> None:
    await make_synthesizer(client, "synth", ["/bin/sh", script(tmp_path, "good.sh", GOOD_SH)])
    await make_composition(client, "comp", "synth")
    async with running(server.url, options(max_synthesis_output=4096, pod_timeout=3.0)) as manager:
        good = await dispatch(client, "comp")
        before = await current_is(client, "comp", good)
        slices_before = await slices_of(client, before)
        await set_command(client, "synth", command)
        bad = await dispatch(client, "comp")
        comp, message = await failed_with(client, "comp", bad)
        # A failed synthesis gets no second pod, whatever brings the composition back.
        await reconciled_again(manager, client)
        assert manager.registry.get_sample_value("eno_syntheses_total") == 2.0
    assert expected in message
    current = comp.status.current_synthesis
    assert current is not None and current.uuid == good
    assert current.resource_slices == before.status.current_synthesis.resource_slices  # type: ignore[union-attr]
    assert comp.status.previous_synthesis == before.status.previous_synthesis
    for piece in slices_before:
        still = await client.get(ResourceSlice, piece.name, "default")
        assert still.spec == piece.spec and not still.deleting
    events = await client.list(EVENT, namespace="default")
    reasons = [(e.get("reason"), e.get("message")) for e in events.items]
    assert ("SynthesisFailed", message) in reasons


async def test_stderr_tail_is_logged_on_failure(server: ApiServer, client: Client) -> None:
    code = "import sys; sys.stdin.read(); print('x' * 5000 + 'the real reason', file=sys.stderr); sys.exit(1)"
    await make_synthesizer(client, "synth", [PY, "-c", code])
    await make_composition(client, "comp", "synth")
    with structlog.testing.capture_logs() as logs:
        async with running(server.url, options()):
            bad = await dispatch(client, "comp")
            _, message = await failed_with(client, "comp", bad)
    assert message == "Synthesizer error: exit status 1 (see synthesis pod logs for more details)"
    failed = [entry for entry in logs if entry["event"] == "synthesis_failed"]
    assert failed and failed[0]["stderr"].endswith("the real reason\n")
    assert len(failed[0]["stderr"]) <= 2048
    assert failed[0]["compositionName"] == "comp" and failed[0]["synthesisUUID"] == bad


async def reconciled_again(manager: Manager, client: Client) -> None:
    labels = {"controller": "synthesis-lifecycle", "result": "success"}
    seen = manager.registry.get_sample_value("controller_runtime_reconcile_total", labels) or 0.0
    patch = {"metadata": {"annotations": {"poke": str(seen)}}}
    await client.patch(Composition, "comp", "default", patch, patch_type="merge")

    async def more() -> bool:
        return (manager.registry.get_sample_value("controller_runtime_reconcile_total", labels) or 0) > seen

    await until(more, message="another lifecycle reconcile")


async def test_pods_are_collected_after_success(server: ApiServer, client: Client, tmp_path: Path) -> None:
    await make_synthesizer(client, "sh", ["/bin/sh", script(tmp_path, "s.sh", GOOD_SH)])
    await make_composition(client, "comp", "sh")
    async with running(server.url, options()) as manager:
        uid = await dispatch(client, "comp")
        await current_is(client, "comp", uid)

        async def pods_gone() -> bool:
            pods = await client.list(
                POD, namespace="default", label_selector=f"{c.LABEL_SYNTHESIS_UUID}={uid}"
            )
            return not pods.items

        await until(pods_gone, message="synthesis pod deleted")
        value = manager.registry.get_sample_value(
            "eno_synthesis_result_total", {"synthesizer": "sh", "result": "success"}
        )
        assert value == 1.0
        assert manager.registry.get_sample_value("eno_syntheses_total") == 1.0


async def test_pod_spec(server: ApiServer, client: Client, tmp_path: Path) -> None:
    await make_synthesizer(client, "sh", ["/bin/sh", "-c", "sleep 30"])
    await make_composition(
        client, "comp", "sh", synthesisEnv=[{"name": "EXTRA", "value": "1"}, {"name": "IMAGE", "value": "no"}]
    )
    async with running(server.url, options()):
        uid = await dispatch(client, "comp")

        async def the_pod() -> dict[str, Any] | None:
            pods = await client.list(
                POD, namespace="default", label_selector=f"{c.LABEL_SYNTHESIS_UUID}={uid}"
            )
            return pods.items[0] if pods.items else None

        pod = await until(the_pod, message="synthesis pod")
    assert pod is not None
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["automountServiceAccountToken"] is False
    container = spec["containers"][0]
    assert container["command"][-4:] == ["--", "/bin/sh", "-c", "sleep 30"]
    assert container["stdin"] is True and container["stdinOnce"] is True
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["IMAGE"] == "example.com/synth:1" and env["EXTRA"] == "1"
    labels = pod["metadata"]["labels"]
    assert labels[c.LABEL_COMPOSITION_NAME] == "comp" and labels[c.MANAGED_BY_LABEL] == "eno"


async def test_composition_without_finalizer_gets_no_pod(server: ApiServer, client: Client) -> None:
    await make_synthesizer(client, "sh", ["/bin/true"])
    body = {
        "apiVersion": c.API_VERSION,
        "kind": "Composition",
        "metadata": {"name": "nofin", "namespace": "default"},
        "spec": {"synthesizer": {"name": "sh"}},
    }
    await client.create(body)
    async with running(server.url, options()):
        await dispatch(client, "nofin")
        await make_composition(client, "probe", "sh")
        await dispatch(client, "probe")

        async def probe_pod() -> bool:
            pods = await client.list(
                POD, namespace="default", label_selector=f"{c.LABEL_COMPOSITION_NAME}=probe"
            )
            return bool(pods.items)

        await until(probe_pod, message="a pod for the probe composition")
        pods = await client.list(POD, namespace="default", label_selector=f"{c.LABEL_COMPOSITION_NAME}=nofin")
        assert not pods.items


async def test_many_compositions_at_once(server: ApiServer, client: Client) -> None:
    code = (
        "import json, os, sys; sys.stdin.read(); name = 'for-' + os.environ['COMPOSITION_NAME']; "
        "meta = {'name': name, 'namespace': 'default'}; "
        "item = {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': meta}; "
        "rl = {'apiVersion': 'config.kubernetes.io/v1', 'kind': 'ResourceList', 'items': [item]}; "
        "json.dump(rl, sys.stdout)"
    )
    await make_synthesizer(client, "synth", [PY, "-c", code])
    names = [f"comp-{i}" for i in range(6)]
    for name in names:
        await make_composition(client, name, "synth")
    async with running(server.url, options()):
        dispatched = {name: await dispatch(client, name) for name in names}
        for name, uid in dispatched.items():
            comp = await current_is(client, name, uid)
            assert manifests(await slices_of(client, comp)) == [(f"for-{name}", False)]


async def test_a_pod_from_another_process_is_replaced(
    server: ApiServer, client: Client, tmp_path: Path
) -> None:
    """Its stdin may be spent (stdinOnce): only pods this process created are attached to."""
    await make_synthesizer(client, "sh", ["/bin/sh", script(tmp_path, "s.sh", GOOD_SH)])
    await make_composition(client, "comp", "sh")
    uid = await dispatch(client, "comp")
    stranger = await client.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "generateName": "synthesis-",
                "namespace": "default",
                "labels": {
                    UUID_LABEL: uid,
                    NAME_LABEL: "comp",
                    c.LABEL_COMPOSITION_NAMESPACE: "default",
                    c.MANAGED_BY_LABEL: "eno",
                },
            },
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {"name": "executor", "image": "x", "command": ["/bin/sleep", "60"], "stdin": True}
                ],
            },
        }
    )
    async with running(server.url, options()):
        comp = await current_is(client, "comp", uid)
    assert manifests(await slices_of(client, comp)) == [("good", False)]
    with pytest.raises(NotFound):
        await client.get(POD, stranger["metadata"]["name"], "default")


async def test_no_revision_ever_points_current_at_a_bad_synthesis(
    server: ApiServer, client: Client, tmp_path: Path
) -> None:
    """Good and bad syntheses interleaved on several compositions: over every revision the store ever held,
    currentSynthesis is only ever a good one, and no slice of a current synthesis is ever deleted."""
    good = ["/bin/sh", script(tmp_path, "good.sh", GOOD_SH)]
    bad = [PY, "-c", "print('{not json')"]
    names = [f"comp-{i}" for i in range(3)]
    await make_synthesizer(client, "synth", good)
    for name in names:
        await make_composition(client, name, "synth")
    good_uuids: set[str] = set()
    async with running(server.url, options()):
        for round_ in range(4):
            is_good = round_ % 2 == 0
            await set_command(client, "synth", good if is_good else bad)
            for name in names:
                uid = await dispatch(client, name)
                if is_good:
                    good_uuids.add(uid)
                    await current_is(client, name, uid)
                else:
                    await failed_with(client, name, uid)
    from eno.apiserver.store import Key

    for name in names:
        for entry in server.store.history(Key(c.GROUP, "compositions", "default", name)):
            current = (entry.object.get("status") or {}).get("currentSynthesis")
            assert current is None or current["uuid"] in good_uuids
    for key in server.store.list_keys(c.GROUP, "resourceslices", "default"):
        assert all(h.type != "DELETED" for h in server.store.history(key))


async def test_a_server_error_while_writing_slices_keeps_current(
    server: ApiServer, client: Client, tmp_path: Path
) -> None:
    await make_synthesizer(client, "sh", ["/bin/sh", script(tmp_path, "s.sh", GOOD_SH)])
    await make_composition(client, "comp", "sh")
    async with running(server.url, options()):
        good = await dispatch(client, "comp")
        await current_is(client, "comp", good)
        fault = server.faults.add(verb="create", resource="resourceslices", status=500, times=1)
        bad = await dispatch(client, "comp")
        comp, message = await failed_with(client, "comp", bad)
    assert fault.hits == 1
    assert message.startswith("Synthesizer error: 500")
    assert comp.status.current_synthesis is not None and comp.status.current_synthesis.uuid == good
