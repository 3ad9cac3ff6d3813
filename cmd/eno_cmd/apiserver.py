"""`eno apiserver`: the embedded API server in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal

from eno.apiserver.server import ApiServer


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("apiserver", help="run the embedded Kubernetes API server")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=6443, help="port to bind; 0 picks a free one")
    parser.add_argument("--kubeconfig", default="", help="write a kubeconfig for this server to PATH")
    parser.add_argument(
        "--data-dir", default="", help="persist objects in SQLite under DIR (default: memory)"
    )


async def serve(
    host: str, port: int, kubeconfig: str, data_dir: str = "", stop: asyncio.Event | None = None
) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        # A foreground server runs for days: bound what it keeps for tests (request log, per-key history).
        async with ApiServer(
            host=host, port=port, data_dir=data_dir or None, request_log_limit=10_000, history_per_key=16
        ) as srv:
            print(f"eno apiserver listening on {srv.url}", flush=True)
            if kubeconfig:
                path = srv.write_kubeconfig(kubeconfig)
                print(
                    f"kubeconfig written to {path}; try: kubectl --kubeconfig {path} get namespaces",
                    flush=True,
                )
            await stop.wait()
            print("eno apiserver stopping", flush=True)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def run(args: argparse.Namespace) -> int:
    asyncio.run(serve(args.host, args.port, args.kubeconfig, args.data_dir))
    return 0
