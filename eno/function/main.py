"""The synthesizer entry point: `@synthesizer` turns a function of the inputs into a KRM function.

    @synthesizer
    def main(inputs: Inputs) -> list[dict]: ...

    if __name__ == "__main__":
        main.run()

How failures reach the user (decision 0600):
- an input that is missing or does not fit its type, or a SynthesisError raised on purpose: one error
  result carrying the message, no outputs, exit 0 (as Go's SDK), so the composition's status shows it;
- any other exception (a bug), stdin that is not a ResourceList, or an output that is not a valid manifest:
  an error result and one line on stderr (the pod log) naming the exception and where it was raised,
  exit 1. `ENO_TRACEBACK=1` prints the whole traceback as well.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import sys
import sysconfig
import traceback
import typing
from collections.abc import Callable, Sequence
from typing import Any, Final, TextIO

import attrs

from eno.api.v1 import constants as c
from eno.cel.engine import DEFAULT_ENGINE, Program, default_engine
from eno.function.inputs import InputError, Inputs, ProtocolError
from eno.function.outputs import Munger, OutputError, OutputWriter, as_list
from eno.synthesis.output import validate_items

EXIT_FAILED: Final = 1
TRACEBACK_ENV: Final = "ENO_TRACEBACK"


class SynthesisError(Exception):
    """Raise to fail the synthesis on purpose: the message becomes the error result (exit 0)."""


@attrs.frozen
class Environment:
    """What Eno tells the synthesizer about the synthesis, through environment variables."""

    composition_name: str = ""
    composition_namespace: str = ""
    synthesis_uuid: str = ""
    image: str = ""

    @classmethod
    def from_env(cls, env: typing.Mapping[str, str] | None = None) -> Environment:
        env = os.environ if env is None else env
        return cls(
            composition_name=env.get(c.ENV_COMPOSITION_NAME, ""),
            composition_namespace=env.get(c.ENV_COMPOSITION_NAMESPACE, ""),
            synthesis_uuid=env.get(c.ENV_SYNTHESIS_UUID, ""),
            image=env.get(c.ENV_IMAGE, ""),
        )


@attrs.frozen
class Run:
    """One run's outcome: the document written to stdout and the exit code."""

    document: dict[str, Any]
    exit_code: int
    stderr: str = ""

    @property
    def items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.document["items"]
        return items

    @property
    def results(self) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.document.get("results", [])
        return results

    @property
    def error(self) -> str | None:
        """The first error result's message (what the composition's status would show)."""
        errors = (r["message"] for r in self.results if r.get("severity") == c.RESULT_SEVERITY_ERROR)
        return next(errors, None)


@attrs.frozen
class Synthesizer:
    fn: Callable[..., Any]  # fn(inputs) or fn()
    mungers: tuple[Munger, ...] = ()
    validate: bool = True  # Eno's strict preflight on every output before writing it

    @property
    def name(self) -> str:
        return getattr(self.fn, "__name__", "synthesizer")

    def __call__(self, *inputs: Any) -> Any:
        """Call the function itself (no protocol, no mungers)."""
        return self.fn(*inputs)

    def inputs_type(self) -> Any:
        """The annotated type of the function's parameter (Inputs when unannotated)."""
        params = list(inspect.signature(self.fn).parameters)
        if not params:
            return None
        hints = typing.get_type_hints(self.fn)
        return hints.get(params[0], Inputs)

    def execute(self, stdin: str, stderr: TextIO | None = None) -> Run:
        """Run on stdin's text; never raises for the synthesizer's own failures."""
        err = io.StringIO() if stderr is None else stderr
        writer = OutputWriter(self.mungers)
        code = self._execute(stdin, writer, err)
        return Run(writer.document(), code, err.getvalue() if isinstance(err, io.StringIO) else "")

    def _execute(self, stdin: str, writer: OutputWriter, stderr: TextIO) -> int:
        try:
            inputs = Inputs.parse(stdin)
        except ProtocolError as err:
            return self._failed(writer, stderr, str(err))
        try:
            argument = self._argument(inputs)
            # Whatever the function prints goes to the pod log, never into the ResourceList.
            with contextlib.redirect_stdout(stderr):
                outputs = as_list(self.fn(argument) if argument is not _NO_ARGUMENT else self.fn())
                writer.add(*outputs)
        except (InputError, SynthesisError) as err:
            writer.fail(str(err))
            return 0
        except OutputError as err:
            return self._failed(writer, stderr, f"invalid output: {err}")
        except Exception as err:
            if os.environ.get(TRACEBACK_ENV):
                traceback.print_exception(err, file=stderr)
            return self._failed(writer, stderr, describe_exception(err))
        if self.validate:
            problems = validate_items(writer.items, _LazyEngine())
            if problems:
                return self._failed(writer, stderr, "invalid output: " + "; ".join(problems))
        return 0

    def _argument(self, inputs: Inputs) -> Any:
        type_ = self.inputs_type()
        if type_ is None:
            return _NO_ARGUMENT
        if type_ is Inputs or type_ is Any:
            return inputs
        return inputs.bind(type_)

    def _failed(self, writer: OutputWriter, stderr: TextIO, message: str) -> int:
        writer.fail(message)
        print(f"synthesizer {self.name}: {message}", file=stderr)
        return EXIT_FAILED

    def run(self) -> None:
        """Read stdin, write the ResourceList to stdout, exit with the run's code."""
        result = self.execute(sys.stdin.read(), sys.stderr)
        OutputWriter(items=result.document["items"], results=result.document.get("results", [])).write(
            sys.stdout
        )
        sys.exit(result.exit_code)


_NO_ARGUMENT: Final = object()


class _LazyEngine:
    """The default CEL engine, built on first use: building it costs more than a whole synthesizer
    run whose outputs carry no CEL (most of them)."""

    name = DEFAULT_ENGINE

    def compile(self, expression: str) -> Program:
        return default_engine().compile(expression)


def describe_exception(err: BaseException) -> str:
    """`ValueError: bad replicas (synthesize.py:12 in main)`: the exception and the innermost frame of the
    synthesizer's own code (library frames say less about what to fix), else the innermost frame."""
    frames = traceback.extract_tb(err.__traceback__)
    own = [f for f in frames if not f.filename.startswith(_LIBRARY_DIRS)]
    where = ""
    if frames:
        frame = (own or frames)[-1]
        where = f" ({os.path.basename(frame.filename)}:{frame.lineno} in {frame.name})"
    return f"{type(err).__name__}: {err}{where}"


_LIBRARY_DIRS: Final = tuple(
    {sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")} | {os.path.dirname(__file__)}
)


@typing.overload
def synthesizer(fn: Callable[..., Any], /) -> Synthesizer: ...
@typing.overload
def synthesizer(
    *, mungers: Sequence[Munger] = (), validate: bool = True
) -> Callable[[Callable[..., Any]], Synthesizer]: ...


def synthesizer(
    fn: Callable[..., Any] | None = None, /, *, mungers: Sequence[Munger] = (), validate: bool = True
) -> Synthesizer | Callable[[Callable[..., Any]], Synthesizer]:
    """Make `fn(inputs) -> outputs` a synthesizer; with arguments, `@synthesizer(mungers=[...])`.

    `inputs` is an Inputs (look inputs up by ref key) unless the parameter is annotated with a dataclass
    or attrs class, which is then filled by ref key (see Inputs.bind)."""

    def wrap(f: Callable[..., Any]) -> Synthesizer:
        return Synthesizer(f, tuple(mungers), validate)

    return wrap(fn) if fn is not None else wrap
