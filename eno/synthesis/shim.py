"""The synthesis shim: runs in the pod in front of the synthesizer command (docs/decisions/1000-*).

    shim -- synthesize [args...]

It reads its stdin to EOF (the whole input ResourceList, sent over attach), and only then starts the
synthesizer with that input on a pipe, so nothing the synthesizer prints can happen before the controller
is attached. The synthesizer's stderr goes straight to the shim's stderr (the pod log, the attach stderr
channel); its stdout is held and written in one piece after it exits, so it is never interleaved with
stderr. The shim exits with the synthesizer's exit code (128 + N for a signal, 127 when the command
cannot be started).

This module is the reference implementation, used wherever the pod runs on this machine (the embedded
kubelet); clusters run the same protocol as a static binary (shim.c) copied in by the init container.
"""

from __future__ import annotations

import subprocess
import sys

EXIT_CANNOT_START = 127


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print("usage: shim -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    data = sys.stdin.buffer.read()
    try:
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    except OSError as err:
        print(f"exec: {command[0]!r}: {err.strerror or err}", file=sys.stderr, flush=True)
        return EXIT_CANNOT_START
    # communicate() feeds stdin while draining stdout, and ignores a child that never reads its stdin.
    out, _ = child.communicate(data)
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    code = child.returncode
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
