"""Eno's reconciler metrics (spec §9, operations.md §8.1): names, labels and what moves them."""

from __future__ import annotations

from eno.apiserver.server import ApiServer
from tests.reconciliation.conftest import Synthesizer, configmap, reconciler


async def test_reconciler_metrics(eno_server: ApiServer, synth: Synthesizer) -> None:
    async with reconciler(eno_server.url) as (manager, _):
        registry = manager.registry

        def value(metric: str, **labels: str) -> float:
            found = registry.get_sample_value(metric, labels)
            assert found is not None, f"{metric}{labels} is not exported"
            return found

        assert value("eno_reconciliation_controller_max_concurrent_reconciles") == 4
        assert value("eno_reconciliations_in_flight") == 0
        assert value("eno_reconciliation_controller_workqueue_depth") == 0
        assert value("eno_write_buffer_depth") == 0
        for op in ("get", "patch", "marshal"):
            assert value("eno_write_buffer_status_update_errors_total", op=op) == 0
        assert value("eno_resource_filter_eval_errors_total") == 0

        await synth.create()
        await synth.synthesize(
            [configmap("a"), configmap("b", annotations={"eno.azure.io/disable-updates": "true"})]
        )
        await synth.settled()
        await synth.synthesize([configmap("a")])
        await synth.settled()

        assert value("eno_reconciliation_actions_total", action="apply") >= 1
        assert value("eno_reconciliation_actions_total", action="create") == 1
        assert value("eno_reconciliation_actions_total", action="delete") == 1
        assert value("eno_reconciliation_actions_total", action="patch") == 0
        assert value("eno_reconciliation_duration_seconds_count") >= 3
        assert value("eno_resource_slice_status_update_total") >= 2
        # The framework's series for the two controllers and the buffer's queue.
        assert (
            value(
                "controller_runtime_reconcile_total", controller="reconciliationController", result="success"
            )
            >= 1
        )
        assert value("workqueue_adds_total", name="writeBuffer", controller="writeBuffer") >= 1
        assert (
            value(
                "workqueue_adds_total", name="reconstitutionController", controller="reconstitutionController"
            )
            >= 1
        )
