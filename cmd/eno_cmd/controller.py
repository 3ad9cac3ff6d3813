"""`eno-controller`: everything upstream of applying resources (scheduling, synthesis pods, slice status,
input watches, composition lifecycle, symphonies), with Eno's flags, defaults and environment variables."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from controllers import composition, resourceslice, scheduling, symphony, synthesis, watch
from eno.config.flags import FlagError, FlagSet
from eno.config.manager import ManagerSettings, add_manager_flags, manager_settings
from eno.synthesis.pod import PodOptions, parse_key_values
from eno_cmd import daemon

NAME = "eno-controller"


@attrs.frozen
class ControllerConfig:
    manager: ManagerSettings
    debug: bool
    synthesis: synthesis.Options
    scheduling: scheduling.Options
    composition: composition.Options
    watch: watch.Options
    status_log_frequency: float  # parsed; Eno's telemetry loggers are not ported yet


def controller_flags() -> FlagSet:
    flags = FlagSet(NAME, "Schedules syntheses, runs synthesizer pods and keeps composition status.")
    add_manager_flags(flags)
    flags.add_string(
        "synthesizer-pod-namespace",
        "",
        "namespace synthesizer pods are created in (required)",
        default_from="$POD_NAMESPACE",
    )
    flags.add_string(
        "executor-image",
        "",
        "image of the synthesizer pods' init container, holding the shim (required unless "
        "--synthesizer-shim-command is set)",
        default_from="$EXECUTOR_IMAGE",
    )
    flags.add_string(
        "synthesizer-shim-command",
        "",
        "beyond Eno: a local command for the shim (e.g. 'python -m eno.synthesis.shim') for a kubelet "
        "that runs pods as local processes; synthesizer pods then get no init container",
    )
    flags.add_string("synthesizer-pod-service-account", "", "service account of synthesizer pods")
    flags.add_string("synthesizer-pod-labels", "", "extra labels of synthesizer pods, k1=v1,k2=v2")
    flags.add_string("synthesizer-pod-annotations", "", "extra annotations of synthesizer pods, k1=v1,k2=v2")
    flags.add_duration("pod-timeout", 30.0, "how long a synthesis may stay in flight before it is canceled")
    flags.add_duration(
        "container-creation-ttl",
        3.0,
        "delete a scheduled synthesizer pod with no container status after this",
    )
    flags.add_duration(
        "status-log-frequency", 0.0, "period of repeated composition status log lines; 0: only on change"
    )
    flags.add_bool("debug", True, "log at debug level")
    flags.add_duration(
        "watchdog-threshold", 180.0, "age at which a composition not yet reconciled counts as stuck"
    )
    flags.add_duration("rollout-cooldown", 60.0, "minimum spacing between deferred syntheses, cluster-wide")
    flags.add_string("taint-toleration", "", "NoSchedule taint synthesizer pods tolerate: key or key=value")
    flags.add_string("node-affinity", "", "synthesizer pods require this node label: key or key=value")
    flags.add_int("concurrency-limit", 10, "maximum syntheses in flight at once")
    flags.add_duration("self-healing-grace-period", 300.0, "accepted for compatibility; unused, as in Eno")
    flags.add_int("input-qps", 10, "burst of the rate limiter the input watches share (refilled 1/s)")
    flags.add_int(
        "max-synthesis-output", synthesis.DEFAULT_MAX_OUTPUT, "beyond Eno: largest synthesizer output, bytes"
    )
    return flags


def _positive(values: Mapping[str, Any], name: str) -> None:
    if values[name] < 1:
        raise FlagError(f'invalid value "{values[name]}" for flag -{name}: must be at least 1')


def controller_config(values: Mapping[str, Any], env: Mapping[str, str]) -> ControllerConfig:
    """Check and convert the flags (env vars fill Eno's env-backed defaults); raises FlagError."""
    namespace = values["synthesizer-pod-namespace"] or env.get("POD_NAMESPACE", "")
    if not namespace:
        raise FlagError("a value is required in --synthesizer-pod-namespace or POD_NAMESPACE")
    image = values["executor-image"] or env.get("EXECUTOR_IMAGE", "")
    shim: tuple[str, ...] = ()
    if values["synthesizer-shim-command"]:
        try:
            shim = tuple(shlex.split(values["synthesizer-shim-command"]))
        except ValueError as err:
            text = values["synthesizer-shim-command"]
            raise FlagError(f'invalid value "{text}" for flag -synthesizer-shim-command: {err}') from None
    elif not image:
        raise FlagError("a value is required in --executor-image or EXECUTOR_IMAGE")
    for name in ("concurrency-limit", "input-qps", "max-synthesis-output"):
        _positive(values, name)
    pod = PodOptions(
        namespace=namespace,
        executor_image="" if shim else image,
        service_account=values["synthesizer-pod-service-account"],
        labels=parse_key_values(values["synthesizer-pod-labels"]),
        annotations=parse_key_values(values["synthesizer-pod-annotations"]),
        taint_toleration=values["taint-toleration"],
        node_affinity=values["node-affinity"],
        **({"shim_command": shim} if shim else {}),
    )
    return ControllerConfig(
        manager=manager_settings(values, env),
        debug=values["debug"],
        synthesis=synthesis.Options(
            pod=pod,
            pod_timeout=values["pod-timeout"],
            container_creation_ttl=values["container-creation-ttl"],
            max_synthesis_output=values["max-synthesis-output"],
        ),
        scheduling=scheduling.Options(
            concurrency_limit=values["concurrency-limit"],
            rollout_cooldown=values["rollout-cooldown"],
            watchdog_threshold=values["watchdog-threshold"],
        ),
        composition=composition.Options(
            pod_timeout=values["pod-timeout"], synthesizer_pod_namespace=namespace
        ),
        watch=watch.Options(input_qps=values["input-qps"]),
        status_log_frequency=values["status-log-frequency"],
    )


def controller_setups(config: ControllerConfig) -> list[daemon.Setup]:
    """The eno-controller's controllers, in Eno's registration order."""
    return [
        lambda m: synthesis.setup(m, config.synthesis, concurrency=config.scheduling.concurrency_limit),
        lambda m: resourceslice.setup(m),
        lambda m: watch.setup(m, config.watch),
        lambda m: scheduling.setup(m, config.scheduling),
        lambda m: composition.setup(m, config.composition),
        lambda m: symphony.setup(m),
    ]


def controller_daemon(config: ControllerConfig, env: Mapping[str, str]) -> daemon.Daemon:
    return daemon.Daemon(
        name=NAME,
        settings=config.manager,
        # Eno's controller caches only its own pods, in their namespace.
        cache_options=synthesis.cache_options(config.synthesis),
        setups=controller_setups(config),
        chaos_ratio=daemon.parse_chaos_ratio(env),
        debug=config.debug,
    )


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    return daemon.main(
        controller_flags(), argv, lambda values: controller_daemon(controller_config(values, env), env)
    )
