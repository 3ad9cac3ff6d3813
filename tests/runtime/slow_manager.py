"""A manager process for the SIGTERM test: each reconcile takes `--work` seconds and says so on stdout.

python -m tests.runtime.slow_manager URL --work 1.0 --grace 10
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from eno.runtime.logging import configure_logging
from eno.runtime.manager import Manager
from eno.runtime.reconcile import ReconcilerFunc, Request, Result


def say(line: str) -> None:
    print(line, flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--work", type=float, default=1.0)
    parser.add_argument("--grace", type=float, default=10.0)
    args = parser.parse_args()
    configure_logging(json=True, stream=sys.stderr)

    async def slow(request: Request) -> Result:
        say(f"started {request.name}")
        await asyncio.sleep(args.work)  # the in-flight work SIGTERM must not cut short
        say(f"finished {request.name}")
        return Result()

    async with await Client.from_url(args.url, qps=0) as client:
        manager = Manager(
            client,
            health_probe_address="127.0.0.1:0",
            metrics_address=None,
            graceful_shutdown_timeout=args.grace,
            handle_signals=True,
        )
        manager.builder().for_(GVK("", "v1", "ConfigMap")).complete(ReconcilerFunc(slow))
        await manager.run()
    say("exited")


if __name__ == "__main__":
    asyncio.run(main())
