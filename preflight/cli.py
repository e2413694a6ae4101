"""Command line: ``python -m preflight <command> [options]``.

Each command lives in its own module, listed once in :data:`COMMANDS`. A command
module exposes two functions:

``add_parser(subparsers) -> argparse.ArgumentParser``
    add its sub-command with ``subparsers.add_parser(NAME, help=...)`` and its
    options (:func:`add_stack_arguments` adds the shared ``--stack``,
    ``--project-dir`` and ``--debug``), and return the new parser;
``run(args) -> int``
    do the work and return the exit code.

To add a command, write the module and add its import path to ``COMMANDS``.
A command reports a failure either by returning its exit code or by raising
:class:`CommandError` (message and exit code); :func:`main` also maps the
shared errors (bad stack file, unknown stack, bad config, program error) to
their exit codes, so a command can let them propagate.

Exit codes, for every command: :data:`EXIT_OK` (0) success;
:data:`EXIT_FAILURE` (1) program error or mandatory policy violation;
:data:`EXIT_USAGE` (2) bad config, bad usage, or unknown stack.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, cast

from .engine import ProgramError
from .export import DeploymentError
from .stackfile import StackError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

# Command modules, in the order `--help` lists them.
COMMANDS: tuple[str, ...] = ("preflight.plan", "preflight.gate", "preflight.diff", "preflight.evidence")


class CommandModule(Protocol):
    def add_parser(
        self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]
    ) -> argparse.ArgumentParser: ...

    def run(self, args: argparse.Namespace) -> int: ...


class CommandError(Exception):
    """A failure a command reports with a message and an exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every stack command shares."""
    parser.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=Path.cwd(),
        help="directory holding Pulumi.yaml (default: the current directory)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of program errors")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m preflight",
        description="Offline plan and policy gate for this Pulumi project (no Pulumi CLI, cloud or cluster).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = cast(CommandModule, importlib.import_module(name))
        module.add_parser(subparsers).set_defaults(_run=module.run)
    return parser


def report_program_error(error: ProgramError, *, debug: bool) -> int:
    """Print a program error the way every command does; return its exit code."""
    if error.is_config_error:
        # The config error's message already names the key, the value and what is allowed.
        print(error.message, file=sys.stderr)
        return EXIT_USAGE
    if debug and error.traceback_text:
        print(error.traceback_text.rstrip(), file=sys.stderr)
    where = f" (at {error.location})" if error.location else ""
    print(f"error: the program failed{where}: {error.message}", file=sys.stderr)
    if not debug:
        print("       run with --debug for the traceback", file=sys.stderr)
    return EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the command, return its exit code (never raises SystemExit)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage and 0 on --help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    debug = bool(getattr(args, "debug", False))
    try:
        return int(args._run(args))
    except CommandError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except (StackError, DeploymentError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ProgramError as exc:
        return report_program_error(exc, debug=debug)
