"""What both daemons do once their flags are checked: a client, a cache, a manager, the controllers, run.

A daemon is data (`Daemon`): its name (also the client's user agent, so the API server's request log tells
the processes apart), the shared manager settings, the cache scoping and the list of controller setups.
`eno dev` builds the same managers in one process; the console scripts run one each.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import structlog
from prometheus_client import CollectorRegistry

from eno.config.flags import FlagError, FlagSet, HelpRequested
from eno.config.manager import ManagerSettings
from eno.runtime.cache import Cache, InformerOptions
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from eno.runtime.logging import configure_logging
from eno.runtime.manager import Manager

Setup = Callable[[Manager], object]


@attrs.frozen
class Daemon:
    name: str  # eno-controller / eno-reconciler: the log and user-agent name
    settings: ManagerSettings
    cache_options: Mapping[GVK | type[Any], InformerOptions]
    setups: Sequence[Setup]  # in Eno's registration order
    chaos_ratio: float = 0.0
    debug: bool = True
    on_start: Callable[[], None] | None = None  # e.g. the reconciler's configuration log line


def parse_chaos_ratio(env: Mapping[str, str]) -> float:
    text = env.get("CHAOS_RATIO", "")
    if not text:
        return 0.0
    try:
        ratio = float(text)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        raise FlagError(f'invalid value "{text}" for CHAOS_RATIO: a number between 0 and 1')
    return ratio


def build_manager(
    daemon: Daemon, client: Client, *, registry: CollectorRegistry, handle_signals: bool
) -> Manager:
    """The daemon's manager with its controllers registered (not started)."""
    cache = Cache(client, by_kind=dict(daemon.cache_options))
    manager = Manager(
        client,
        cache=cache,
        registry=registry,
        health_probe_address=daemon.settings.health_probe_addr,
        metrics_address=daemon.settings.metrics_addr,
        leader_election=daemon.settings.leader_election,
        handle_signals=handle_signals,
    )
    for setup in daemon.setups:
        setup(manager)
    return manager


async def connect(daemon: Daemon, registry: CollectorRegistry) -> Client:
    options: dict[str, Any] = {
        "qps": daemon.settings.qps,
        "burst": daemon.settings.burst,
        "registry": registry,
        "chaos_ratio": daemon.chaos_ratio,
    }
    if daemon.settings.kubeconfig:
        client = await Client.from_kubeconfig(daemon.settings.kubeconfig, **options)
    else:
        client = await Client.from_default_config(**options)
    name_client(client, daemon.name)
    return client


def name_client(client: Client, name: str) -> None:
    """Requests carry the daemon's name as their user agent, as Eno's do."""
    client.api_client.user_agent = name


async def serve(daemon: Daemon) -> None:
    registry = CollectorRegistry()
    async with await connect(daemon, registry) as client:
        manager = build_manager(daemon, client, registry=registry, handle_signals=True)
        structlog.get_logger(daemon.name).info(
            "manager_starting",
            healthProbeAddr=daemon.settings.health_probe_addr,
            metricsAddr=daemon.settings.metrics_addr,
            leaderElection=daemon.settings.leader_election is not None,
        )
        await manager.run()


def main(flags: FlagSet, argv: Sequence[str] | None, build: Callable[[dict[str, Any]], Daemon]) -> int:
    """Parse, check, configure logging and run; bad flags print one line and exit 2."""
    args = sys.argv[1:] if argv is None else argv
    try:
        daemon = build(flags.parse(args))
    except HelpRequested:
        print(flags.usage())
        return 0
    except FlagError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    configure_logging(json=True, level="debug" if daemon.debug else "info")
    if daemon.on_start is not None:
        daemon.on_start()
    try:
        asyncio.run(serve(daemon))
    except KeyboardInterrupt:
        return 0
    except Exception as err:  # a fatal start-up or runtime error: one line, as Eno prints it
        structlog.get_logger(daemon.name).error("manager_failed", exc_info=True)
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0
