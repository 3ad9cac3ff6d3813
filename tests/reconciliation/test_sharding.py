"""Sharding (spec §2.1): --composition-namespace, --composition-label-selector and --resource-filter stack."""

from __future__ import annotations

import attrs
import pytest

from controllers.reconciliation import setup
from eno.apiserver.server import ApiServer
from eno.cel.engine import CelError
from eno.runtime.client import Client
from tests.controllers.conftest import running
from tests.reconciliation.conftest import (
    CONFIGMAP,
    FAST,
    Synthesizer,
    configmap,
    get_or_none,
    reconciler,
    until,
)


async def test_resource_filter(eno_server: ApiServer, synth: Synthesizer, client: Client) -> None:
    # ResourceSelector: only the ConfigMap labelled foo=bar exists for this reconciler.
    options = attrs.evolve(FAST, resource_filter="self.metadata.labels.foo == 'bar'")
    async with reconciler(eno_server.url, options) as (manager, _):
        await synth.create()
        wanted = configmap("wanted")
        wanted["metadata"]["labels"] = {"foo": "bar"}
        await synth.synthesize([wanted, configmap("unlabelled")])

        async def first_reconciled() -> bool:
            return (await synth.states())[0].reconciled

        await until(first_reconciled)
        assert await get_or_none(client, CONFIGMAP, "unlabelled") is None
        assert not (await synth.states())[1].reconciled
        errors = manager.registry.get_sample_value("eno_resource_filter_eval_errors_total")
        assert errors == 1, "a missing label is an evaluation error, as in Eno"


async def test_namespace_and_selector(eno_server: ApiServer, client: Client) -> None:
    for namespace in ("a", "b"):
        await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    options = attrs.evolve(FAST, composition_namespace="a", composition_label_selector="shard=1")
    async with reconciler(eno_server.url, options):
        synths = {
            ("a", "1"): Synthesizer(client, "c1", "a"),
            ("a", "2"): Synthesizer(client, "c2", "a"),
            ("b", "1"): Synthesizer(client, "c3", "b"),
        }
        for (namespace, shard), synth in synths.items():
            await synth.create(labels={"shard": shard})
            await synth.synthesize([configmap(synth.name, namespace=namespace)])
        await synths[("a", "1")].settled()
        assert await get_or_none(client, CONFIGMAP, "c2", "a") is None
        assert await get_or_none(client, CONFIGMAP, "c3", "b") is None


async def test_invalid_filter_fails_setup(eno_server: ApiServer) -> None:
    with pytest.raises(CelError):
        async with reconciler(eno_server.url, attrs.evolve(FAST, resource_filter="self.(")):
            pass


async def test_sharding_needs_the_cache_options(eno_server: ApiServer) -> None:
    options = attrs.evolve(FAST, composition_namespace="a")
    with pytest.raises(ValueError, match="cache_options"):
        async with running(eno_server.url, lambda manager: setup(manager, options).reconciliation):
            pass
