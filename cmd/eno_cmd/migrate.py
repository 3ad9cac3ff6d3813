"""`eno migrate`: the resource-migration runbook (spec migration.md) as guided steps.

Each step reads the cluster, checks its preconditions (eno.migrate.steps), makes its one Symphony write,
then polls until the cluster shows it done, printing what is still missing whenever that changes. The
logic is pure and lives in `eno.migrate`; this module only reads, writes and waits.

Exit codes (for scripts): 0 done; 1 refused (a precondition failed, or `plan` found an object both or
neither composition would write); 2 usage; 3 timed out (what is missing is printed); 4 the API server
failed or could not be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

import aiohttp

from eno.cel.engine import default_engine
from eno.config.flags import parse_duration
from eno.migrate.observed import Migration, ObjectRef, Observed, composition_for, synthesized
from eno.migrate.steps import Step, edit_symphony, missing, preconditions, verdicts
from eno.migrate.table import format_table, rows
from eno.runtime.client import Client
from eno.runtime.errors import ApiError, Conflict, NotFound
from eno.runtime.gvk import GVK

DONE, REFUSED, USAGE, TIMEOUT, API_ERROR = 0, 1, 2, 3, 4
SYMPHONY = GVK("eno.azure.io", "v1", "Symphony")
COMPOSITION = GVK("eno.azure.io", "v1", "Composition")
SLICE = GVK("eno.azure.io", "v1", "ResourceSlice")
FIELD_MANAGER = "eno-migrate"
POLL_SECONDS = 0.2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "migrate",
        help="move resources between two compositions of a Symphony, step by step",
        description="Run the resource-migration runbook: plan, prepare (step 1), flip (step 3), finish "
        "(step 5), rollback (flip back), status. Each step checks its preconditions, makes one write to "
        "the Symphony and waits until the cluster shows it done. Exit codes: 0 done, 1 refused, 2 usage, "
        "3 timeout, 4 API error.",
    )
    parser.add_argument("step", choices=[s.value for s in Step])
    parser.add_argument("--symphony", required=True, metavar="NS/NAME", help="the Symphony")
    parser.add_argument("--from", dest="source", required=True, metavar="SYNTH", help="source synthesizer")
    parser.add_argument("--to", dest="target", required=True, metavar="SYNTH", help="target synthesizer")
    parser.add_argument("--key", required=True, help="the owner annotation key the overrides read")
    parser.add_argument("--kubeconfig", default=None, help="default: $KUBECONFIG, ~/.kube/config")
    parser.add_argument("--timeout", default="5m", help="how long a step waits to be done (Go duration)")


def migration_of(args: argparse.Namespace) -> Migration | str:
    """The subject of the command, or why the arguments are unusable."""
    namespace, sep, name = str(args.symphony).partition("/")
    if not sep or not namespace or not name or "/" in name:
        return f"--symphony must be NAMESPACE/NAME, got {args.symphony!r}"
    if not args.key:
        return "--key must not be empty"
    return Migration(namespace, name, args.source, args.target, args.key)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(run_async(args, sys.stdout, sys.stderr))


async def run_async(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    m = migration_of(args)
    try:
        timeout = parse_duration(args.timeout)
    except ValueError as exc:
        m = f"--timeout: {exc}"
    if isinstance(m, str):
        print(f"eno migrate: {m}", file=err)
        return USAGE
    try:
        loading = Client.from_kubeconfig(args.kubeconfig) if args.kubeconfig else Client.from_default_config()
        client = await loading
    except Exception as exc:  # kubeconfig missing or malformed: kubernetes-asyncio raises several types
        print(f"eno migrate: cannot load the kubeconfig: {exc}", file=err)
        return API_ERROR
    try:
        return await run_step(client, m, Step(args.step), timeout, out, err)
    except (ApiError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        print(f"eno migrate: the API server failed or is unreachable: {exc}", file=err)
        return API_ERROR
    finally:
        await client.close()


async def run_step(client: Client, m: Migration, step: Step, timeout: float, out: TextIO, err: TextIO) -> int:
    engine = default_engine()
    observed = await observe(client, m)
    if step is Step.STATUS:
        problems = preconditions(observed, m, step, engine)
        if problems:
            return _refuse(step, problems, err)
        print(format_table(rows(observed, m, engine)), file=out)
        return DONE
    problems = preconditions(observed, m, step, engine)
    if step is Step.PLAN:
        for verdict in verdicts(observed, m, step, engine):
            after = "target" if verdict.target_writes and not verdict.source_writes else "?"
            if verdict.source_writes and not verdict.target_writes:
                after = "source"
            print(f"{verdict.ref}: after the flip written by {after}", file=out)
        if problems:
            return _refuse(step, problems, err)
        print("plan: ready to flip", file=out)
        return DONE
    if observed.symphony is not None and edit_symphony(observed.symphony, m, step) == observed.symphony:
        # The step's write is already made (a re-run after a timeout): its preconditions describe the
        # state before the write, so only the wait is left.
        print(f"eno migrate {step.value}: the Symphony already says so; waiting", file=err)
        return await wait_done(client, m, step, timeout, err)
    if problems:
        return _refuse(step, problems, err)
    assert observed.symphony is not None  # preconditions checked it
    await write_symphony(client, m, step, observed.symphony)
    return await wait_done(client, m, step, timeout, err)


def _refuse(step: Step, problems: list[str], err: TextIO) -> int:
    print(f"eno migrate {step.value}: refused:", file=err)
    for problem in problems:
        print(f"  - {problem}", file=err)
    return REFUSED


async def write_symphony(client: Client, m: Migration, step: Step, symphony: Mapping[str, Any]) -> None:
    """The step's one write: a compare-and-swap update, redone on a conflict from the fresh object."""
    current: Mapping[str, Any] = symphony
    while True:
        edited = edit_symphony(current, m, step)
        if edited == current:
            return  # already written (a step re-run after a timeout)
        try:
            await client.update(edited, field_manager=FIELD_MANAGER)
            return
        except Conflict:
            current = await client.get(SYMPHONY, m.symphony, m.namespace)


async def wait_done(client: Client, m: Migration, step: Step, timeout: float, err: TextIO) -> int:
    """Poll until nothing is missing; print what is missing whenever it changes."""
    engine = default_engine()
    start = time.monotonic()
    shown: list[str] | None = None
    while True:
        observed = await observe(client, m)
        left = missing(observed, m, step, engine)
        elapsed = time.monotonic() - start
        if not left:
            print(f"[{elapsed:5.1f}s] {step.value}: done", file=err)
            return DONE
        if left != shown:
            shown = left
            print(f"[{elapsed:5.1f}s] {step.value}: waiting for {len(left)}:", file=err)
            for line in left:
                print(f"    {line}", file=err)
        if elapsed >= timeout:
            print(f"eno migrate {step.value}: timed out after {timeout:g}s; still missing:", file=err)
            for line in left:
                print(f"  - {line}", file=err)
            return TIMEOUT
        await asyncio.sleep(POLL_SECONDS)


async def observe(client: Client, m: Migration) -> Observed:
    """Read what the steps look at: the Symphony, the namespace's compositions and slices, and the
    live state of every object the two compositions synthesize."""
    try:
        symphony: Mapping[str, Any] | None = await client.get(SYMPHONY, m.symphony, m.namespace)
    except NotFound:
        return Observed(symphony=None)
    compositions = tuple((await client.list(COMPOSITION, namespace=m.namespace)).items)
    slices = {
        f"{s['metadata'].get('namespace', '')}/{s['metadata']['name']}": s
        for s in (await client.list(SLICE, namespace=m.namespace)).items
    }
    observed = Observed(symphony, compositions, slices)
    live: dict[ObjectRef, Mapping[str, Any] | None] = {}
    for synth in (m.source, m.target):
        for ref, entry in synthesized(observed, composition_for(observed, synth)).items():
            if ref not in live:
                live[ref] = await _get_live(client, entry.obj, ref)
    return Observed(symphony, compositions, slices, live)


async def _get_live(client: Client, obj: Mapping[str, Any], ref: ObjectRef) -> Mapping[str, Any] | None:
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    try:
        return await client.get(GVK(group, version, ref.kind), ref.name, ref.namespace or None)
    except NotFound:
        return None
