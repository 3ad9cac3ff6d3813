"""`eno migrate` against the embedded server with no daemons: the test plays the symphony controller and
the reconciler (neither is under test here) so every wait, timeout and exit code is deterministic."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from eno_cmd.eno import main
from eno_cmd.migrate import API_ERROR, DONE, REFUSED, TIMEOUT, USAGE, run_step

from eno.apiserver.server import ApiServer
from eno.migrate.steps import Step
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from tests.migrate.world import KEY, M, moved

SYMPHONY = GVK("eno.azure.io", "v1", "Symphony")
COMPOSITION = GVK("eno.azure.io", "v1", "Composition")
CONFIGMAP = GVK("", "v1", "ConfigMap")


async def seed_prepared(client: Client) -> None:
    """Runbook steps 1 and 2 deployed: the source owns the key and writes the object."""
    variations = [
        {"synthesizer": {"name": M.source}, "annotations": {KEY: "true"}},
        {"synthesizer": {"name": M.target}, "annotations": {KEY: ""}},
    ]
    symphony = await client.create(
        {
            "apiVersion": "eno.azure.io/v1",
            "kind": "Symphony",
            "metadata": {"name": "migration", "namespace": "default"},
            "spec": {"variations": variations},
        }
    )
    owner = {"apiVersion": "eno.azure.io/v1", "kind": "Symphony", "name": "migration"}
    owner["uid"] = symphony["metadata"]["uid"]
    for synth, writer, value in ((M.source, "source", "true"), (M.target, "target", None)):
        await client.create(
            {
                "apiVersion": "eno.azure.io/v1",
                "kind": "ResourceSlice",
                "metadata": {"name": f"{synth}-1", "namespace": "default"},
                "spec": {"resources": [{"manifest": json.dumps(moved(writer))}]},
            }
        )
        slice_ = await client.get(GVK("eno.azure.io", "v1", "ResourceSlice"), f"{synth}-1", "default")
        slice_["status"] = {"resources": [{"reconciled": True}]}
        await client.update_status(slice_)
        comp = await client.create(
            {
                "apiVersion": "eno.azure.io/v1",
                "kind": "Composition",
                "metadata": {
                    "name": synth,
                    "namespace": "default",
                    "ownerReferences": [owner],
                    "annotations": {KEY: value} if value else {},
                },
                "spec": {"synthesizer": {"name": synth}},
            }
        )
        comp["status"] = {
            "currentSynthesis": {
                "uuid": synth,
                "resourceSlices": [{"name": f"{synth}-1"}],
                "synthesized": "2026-01-01T00:00:00Z",
                "reconciled": "2026-01-01T00:00:00Z",
            }
        }
        await client.update_status(comp)
    live = moved("source")
    live["metadata"].pop("annotations")
    await client.create(live)


async def play_symphony_controller(client: Client, source: str | None, target: str | None) -> None:
    for synth, value in ((M.source, source), (M.target, target)):
        comp = await client.get(COMPOSITION, synth, "default")
        annotations = comp["metadata"].get("annotations") or {}
        annotations.pop(KEY, None)
        if value:
            annotations[KEY] = value
        comp["metadata"]["annotations"] = annotations
        await client.update(comp)


async def play_reconciler(client: Client, writer: str) -> None:
    live = await client.get(CONFIGMAP, "moved-config", "default")
    live["data"]["writer"] = writer
    await client.update(live)


async def step(client: Client, which: Step, timeout: float = 0.0) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run_step(client, M, which, timeout, out, err)
    return code, out.getvalue(), err.getvalue()


async def test_flip_writes_once_then_waits_for_each_part_until_done(
    cluster: ApiServer, client: Client
) -> None:
    await seed_prepared(client)
    assert (await step(client, Step.PLAN))[0] == DONE

    code, _, err = await step(client, Step.FLIP)  # timeout 0: one look after the write
    assert code == TIMEOUT
    assert f"the source composition's {KEY} is 'true', want 'absent'" in err
    symphony = await client.get(SYMPHONY, "migration", "default")
    assert [v["annotations"][KEY] for v in symphony["spec"]["variations"]] == ["", "true"]
    written = symphony["metadata"]["resourceVersion"]

    await play_symphony_controller(client, None, "true")
    code, _, err = await step(client, Step.FLIP)
    assert code == TIMEOUT
    assert "does not show the target composition's version yet" in err
    assert "want 'absent'" not in err
    symphony = await client.get(SYMPHONY, "migration", "default")
    assert symphony["metadata"]["resourceVersion"] == written  # a re-run does not write again

    await play_reconciler(client, "target")
    assert (await step(client, Step.FLIP))[0] == DONE
    code, out, _ = await step(client, Step.STATUS)
    assert code == DONE and "default/migration-target" in out

    code, _, err = await step(client, Step.FINISH)
    assert code == REFUSED and "runbook step 4 not deployed" in err
    code, _, err = await step(client, Step.PREPARE)
    assert code == REFUSED and "use rollback" in err


async def test_rollback_waits_for_the_source_to_write_again(cluster: ApiServer, client: Client) -> None:
    await seed_prepared(client)
    code, _, err = await step(client, Step.ROLLBACK)  # already where a rollback leads: nothing to write
    assert code == DONE and "already says so" in err
    await step(client, Step.FLIP)
    await play_symphony_controller(client, None, "true")
    await play_reconciler(client, "target")
    assert (await step(client, Step.FLIP))[0] == DONE

    code, _, err = await step(client, Step.ROLLBACK)
    assert code == TIMEOUT and f"the target composition's {KEY} is 'true', want 'absent'" in err
    await play_symphony_controller(client, "true", None)
    code, _, err = await step(client, Step.ROLLBACK)
    assert code == TIMEOUT and "does not show the source composition's version" in err
    await play_reconciler(client, "source")
    assert (await step(client, Step.ROLLBACK))[0] == DONE


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        pytest.param(["--symphony", "no-namespace"], USAGE, id="symphony-without-namespace"),
        pytest.param(["--symphony", "default/migration", "--timeout", "soon"], USAGE, id="bad-timeout"),
        pytest.param(["--symphony", "default/migration", "--key", ""], USAGE, id="empty-key"),
    ],
)
def test_usage_errors_exit_2(args: list[str], expect: int, capsys: pytest.CaptureFixture[str]) -> None:
    base = {"--from": "a", "--to": "b", "--key": KEY, "--kubeconfig": "/nonexistent"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = ["migrate", "flip", *(x for kv in base.items() for x in kv)]
    assert main(argv) == expect
    assert "eno migrate:" in capsys.readouterr().err


def test_a_missing_flag_is_argparses_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["migrate", "flip", "--symphony", "default/migration"])
    assert exc.value.code == USAGE


def test_an_unreachable_server_exits_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(_kubeconfig("http://127.0.0.1:9"))
    argv = ["migrate", "status", "--symphony", "default/m", "--from", "a", "--to", "b", "--key", KEY]
    assert main([*argv, "--kubeconfig", str(kubeconfig)]) == API_ERROR
    assert main([*argv, "--kubeconfig", str(tmp_path / "missing")]) == API_ERROR
    assert "eno migrate:" in capsys.readouterr().err


def _kubeconfig(server: str) -> str:
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    return json.dumps(config)
