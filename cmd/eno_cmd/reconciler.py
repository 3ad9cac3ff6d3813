"""`eno-reconciler`: applies synthesized resources to the cluster and reports their state in ResourceSlice
status, with Eno's flags, defaults and environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import structlog

from controllers import liveness, reconciliation
from eno.cel.engine import CelError, default_engine
from eno.config.flags import FlagError, FlagSet, format_duration
from eno.config.manager import ManagerSettings, add_manager_flags, manager_settings
from eno.runtime import labels
from eno_cmd import daemon

NAME = "eno-reconciler"


@attrs.frozen
class ReconcilerConfig:
    manager: ManagerSettings
    debug: bool
    reconciliation: reconciliation.Options
    liveness: liveness.Options
    timeout: float  # parsed, as in Eno, where it is not enforced either


def reconciler_flags() -> FlagSet:
    flags = FlagSet(NAME, "Applies synthesized resources and reports their state.")
    add_manager_flags(flags)
    flags.add_bool("debug", True, "log at debug level")
    flags.add_string(
        "remote-kubeconfig", "", "kubeconfig of the cluster to apply resources to (default: this cluster)"
    )
    flags.add_float("remote-qps", 50.0, "requests per second to the remote cluster; ignored if negative")
    flags.add_duration("timeout", 60.0, "accepted for compatibility; not enforced, as in Eno")
    flags.add_duration("readiness-poll-interval", 5.0, "how often not-ready resources are checked")
    flags.add_duration("min-reconcile-interval", 1.0, "floor of eno.azure.io/reconcile-interval")
    flags.add_duration(
        "default-reconcile-interval",
        300.0,
        "resync interval of resources with eno.azure.io/use-default-reconcile-interval",
    )
    flags.add_bool(
        "disable-ssa", False, "use merge patches against the previous synthesis, not server-side apply"
    )
    flags.add_string("composition-label-selector", "", "label selector of the compositions to reconcile")
    flags.add_string("composition-namespace", "", "reconcile only compositions in this namespace")
    flags.add_string("resource-filter", "", "CEL expression: resources for which it is false are skipped")
    flags.add_duration("ns-creation-grace-period", 1.0, "Eno objects younger than this are never orphans")
    flags.add_bool("namespace-cleanup", True, "free Eno objects stranded in force-deleted namespaces")
    flags.add_bool("fail-open", False, "report resources as reconciled even when applying them failed")
    flags.add_string(
        "migrating-field-managers",
        "",
        "comma list of field managers whose fields Eno takes over",
        default_from="$MIGRATING_FIELD_MANAGERS",
    )
    flags.add_string(
        "migrating-fields",
        "",
        "comma list of top-level field prefixes the takeover applies to",
        default_from="$MIGRATING_FIELDS",
    )
    flags.add_int("max-concurrent-reconciles", 1, "workers of the reconciliation controller")
    return flags


def comma_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def reconciler_config(values: Mapping[str, Any], env: Mapping[str, str]) -> ReconcilerConfig:
    """Check and convert the flags (env vars fill Eno's env-backed defaults); raises FlagError."""
    if values["remote-kubeconfig"]:
        raise FlagError("--remote-kubeconfig is not supported yet: the reconciler applies to its own cluster")
    selector = values["composition-label-selector"]
    try:
        labels.parse(selector)
    except ValueError as err:
        raise FlagError(f"invalid composition label selector: {err}") from None
    if values["resource-filter"]:
        try:
            default_engine().compile(values["resource-filter"])
        except CelError as err:
            raise FlagError(f"invalid resource filter expression: {err}".splitlines()[0]) from None
    if values["max-concurrent-reconciles"] < 1:
        raise FlagError(
            f'invalid value "{values["max-concurrent-reconciles"]}" for flag -max-concurrent-reconciles: '
            "must be at least 1"
        )
    return ReconcilerConfig(
        manager=manager_settings(values, env),
        debug=values["debug"],
        reconciliation=reconciliation.Options(
            readiness_poll_interval=values["readiness-poll-interval"],
            min_reconcile_interval=values["min-reconcile-interval"],
            default_reconcile_interval=values["default-reconcile-interval"],
            disable_ssa=values["disable-ssa"],
            fail_open=values["fail-open"],
            max_concurrent_reconciles=values["max-concurrent-reconciles"],
            resource_filter=values["resource-filter"],
            composition_namespace=values["composition-namespace"],
            composition_label_selector=selector,
            migrating_field_managers=comma_list(
                values["migrating-field-managers"] or env.get("MIGRATING_FIELD_MANAGERS", "")
            ),
            migrating_fields=comma_list(values["migrating-fields"] or env.get("MIGRATING_FIELDS", "")),
        ),
        liveness=liveness.Options(
            namespace_cleanup=values["namespace-cleanup"],
            creation_grace_period=values["ns-creation-grace-period"],
        ),
        timeout=values["timeout"],
    )


def reconciler_setups(config: ReconcilerConfig) -> list[daemon.Setup]:
    """The eno-reconciler's controllers, in Eno's registration order."""
    return [
        lambda m: liveness.setup(m, config.liveness),
        lambda m: reconciliation.setup(m, config.reconciliation),
    ]


def log_configuration(config: ReconcilerConfig, env: Mapping[str, str]) -> None:
    """Eno's `reconciler configuration` line: every effective setting, with Eno's field names."""
    opts = config.reconciliation
    structlog.get_logger(NAME).info(
        "reconciler configuration",
        debugLogging=config.debug,
        remoteKubeconfigFile="",
        timeout=format_duration(config.timeout),
        readinessPollInterval=format_duration(opts.readiness_poll_interval),
        minReconcileInterval=format_duration(opts.min_reconcile_interval),
        defaultReconcileInterval=format_duration(opts.default_reconcile_interval),
        disableServerSideApply=opts.disable_ssa,
        compositionLabelSelector=opts.composition_label_selector,
        compositionNamespace=opts.composition_namespace,
        resourceFilter=opts.resource_filter,
        namespaceCreationGracePeriod=format_duration(config.liveness.creation_grace_period),
        namespaceCleanup=config.liveness.namespace_cleanup,
        failOpen=opts.fail_open,
        migratingFieldManagers=list(opts.migrating_field_managers),
        migratingFields=list(opts.migrating_fields),
        maxConcurrentReconciles=opts.max_concurrent_reconciles,
        enoBuildVersion=env.get("ENO_BUILD_VERSION", ""),
    )


def reconciler_daemon(config: ReconcilerConfig, env: Mapping[str, str]) -> daemon.Daemon:
    return daemon.Daemon(
        name=NAME,
        settings=config.manager,
        cache_options=reconciliation.cache_options(config.reconciliation),
        setups=reconciler_setups(config),
        chaos_ratio=daemon.parse_chaos_ratio(env),
        debug=config.debug,
        on_start=lambda: log_configuration(config, env),
    )


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    return daemon.main(
        reconciler_flags(), argv, lambda values: reconciler_daemon(reconciler_config(values, env), env)
    )
