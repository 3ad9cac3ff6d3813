"""`eno`: the command-line entry point (subcommands: apiserver, ...)."""

from __future__ import annotations

import argparse
import sys

from eno_cmd import apiserver, dev, migrate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eno", description="Eno in Python.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version", help="print the version")
    apiserver.add_parser(sub)
    dev.add_parser(sub)
    migrate.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "version":
        print("eno-py 0.1.0")
    elif args.command == "apiserver":
        return apiserver.run(args)
    elif args.command == "dev":
        return dev.run(args)
    elif args.command == "migrate":
        return migrate.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
