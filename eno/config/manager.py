"""The flags both daemons share (Eno's internal/manager/options.go) and what they become."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from eno.config.flags import FlagError, FlagSet
from eno.runtime.leaderelection import LeaderElectionConfig
from eno.runtime.probes import parse_address


@attrs.frozen
class ManagerSettings:
    health_probe_addr: str | None  # None: no probe server ("0" on the command line)
    metrics_addr: str | None
    qps: float
    burst: int
    kubeconfig: str
    leader_election: LeaderElectionConfig | None


def add_manager_flags(flags: FlagSet) -> None:
    flags.add_string("health-probe-addr", ":8081", "bind address of /healthz and /readyz; 0 disables")
    flags.add_string("metrics-addr", ":8080", "address the Prometheus /metrics endpoint binds to; 0 disables")
    flags.add_int("burst", 50, "client-side burst of requests to the API server")
    flags.add_float("qps", 20.0, "client-side requests per second to the API server; 0 or less: no limit")
    flags.add_string(
        "kubeconfig",
        "",
        "kubeconfig file of the API server (default: $KUBECONFIG, in-cluster config, then ~/.kube/config)",
    )
    flags.add_bool("leader-election", False, "elect a leader; only the leader runs controllers")
    flags.add_string("leader-election-namespace", "", "namespace of the Lease", default_from="$POD_NAMESPACE")
    flags.add_string("leader-election-resource-lock", "", 'lock type: "leases" (the default) only')
    flags.add_string("leader-election-id", "", "name of the Lease; required with --leader-election")
    flags.add_duration("leader-election-lease-duration", 35.0, "how long non-leaders wait before taking over")
    flags.add_duration("leader-election-lease-renew-deadline", 30.0, "how long the leader retries renewing")
    flags.add_duration("leader-election-lease-retry", 4.0, "period between attempts to acquire or renew")


def _address(flag: str, value: str) -> str | None:
    if value in ("", "0"):
        return None
    try:
        parse_address(value)
    except ValueError:
        raise FlagError(f'invalid value "{value}" for flag -{flag}: not an address (e.g. :8080)') from None
    return value


def manager_settings(
    values: Mapping[str, Any], env: Mapping[str, str], identity: str = ""
) -> ManagerSettings:
    """Check and convert the shared flags; raises FlagError with the one line to print."""
    election: LeaderElectionConfig | None = None
    if values["leader-election"]:
        lock = values["leader-election-resource-lock"]
        if lock not in ("", "leases"):
            raise FlagError(f'invalid value "{lock}" for flag -leader-election-resource-lock: only leases')
        namespace = values["leader-election-namespace"] or env.get("POD_NAMESPACE", "")
        if not namespace:
            raise FlagError("a value is required in --leader-election-namespace or POD_NAMESPACE")
        if not values["leader-election-id"]:
            raise FlagError("a value is required in --leader-election-id when --leader-election is on")
        try:
            election = LeaderElectionConfig(
                name=values["leader-election-id"],
                namespace=namespace,
                lease_duration=values["leader-election-lease-duration"],
                renew_deadline=values["leader-election-lease-renew-deadline"],
                retry_period=values["leader-election-lease-retry"],
            )
            if identity:
                election = attrs.evolve(election, identity=identity)
        except ValueError as err:
            raise FlagError(f"invalid leader election timing: {err}") from None
    if values["burst"] < 1:
        raise FlagError(f'invalid value "{values["burst"]}" for flag -burst: must be at least 1')
    return ManagerSettings(
        health_probe_addr=_address("health-probe-addr", values["health-probe-addr"]),
        metrics_addr=_address("metrics-addr", values["metrics-addr"]),
        qps=values["qps"],
        burst=values["burst"],
        kubeconfig=values["kubeconfig"],
        leader_election=election,
    )
