"""``python -m preflight plan``: run the stack's program offline and print what it would create.

:func:`plan_stack` (stack file -> engine run) is what every stack command starts
from; :func:`render_tree` and :func:`render_summary` print a result.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .cli import EXIT_OK, EXIT_USAGE, CommandError, add_stack_arguments
from .engine import OFFLINE_LIMITS, PlanResult, RecordedResource, is_resource_ref, is_secret, is_unknown, run_program
from .export import write_deployment
from .stackfile import StackError, StackFile, load_stack

NAME = "plan"
# Seconds between progress lines on stderr during a long run.
PROGRESS_EVERY_S = 2.0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="run the program offline (preview) and print its resources",
        description=f"Run the stack's program under the SDK mock engine and print its resources. {OFFLINE_LIMITS}.",
    )
    add_stack_arguments(parser)
    parser.add_argument(
        "--export",
        type=Path,
        metavar="FILE",
        help="also write every resource as a `pulumi stack export` deployment (version 3)",
    )
    return parser


def _progress_printer(stream: TextIO) -> Callable[[int], None]:
    """A progress callback that prints at most one line every PROGRESS_EVERY_S seconds."""
    started = time.perf_counter()
    last = [started]
    lock = threading.Lock()

    def progress(count: int) -> None:
        now = time.perf_counter()
        if now - last[0] < PROGRESS_EVERY_S:
            return
        with lock:
            last[0] = now
            print(f"  ... {count} resources registered ({now - started:.1f} s)", file=stream, flush=True)

    return progress


def plan_stack(project_dir: Path, stack: str, *, progress: TextIO | None = None) -> tuple[StackFile, PlanResult]:
    """Load the stack file and run the project's program offline, in preview mode.

    Raises ``StackError`` (exit 2) and ``ProgramError`` (exit 1, or 2 for a config error).
    """
    stack_file = load_stack(project_dir, stack)
    if not stack_file.program.is_file():
        raise StackError(f"no Pulumi program at {stack_file.program} (set `main:` in Pulumi.yaml to move it)")
    result = run_program(
        stack_file.program,
        project=stack_file.project,
        stack=stack_file.stack,
        config=stack_file.config,
        secret_keys=stack_file.secret_keys,
        preview=True,
        progress=_progress_printer(progress) if progress is not None else None,
    )
    return stack_file, result


def _glyphs(stream: TextIO) -> tuple[str, str, str, str]:
    encoding = (getattr(stream, "encoding", None) or "").lower()
    if "utf" in encoding:
        return "├─ ", "└─ ", "│  ", "   "
    return "|- ", "`- ", "|  ", "   "


def render_tree(result: PlanResult, stream: TextIO) -> None:
    """Components and resources by parent, with type and name; roots (stack, default providers) first."""
    tee, last, pipe, space = _glyphs(stream)
    children: dict[str, list[RecordedResource]] = {}
    for res in result.resources:
        children.setdefault(res.parent, []).append(res)
    roots = sorted(children.get("", []), key=lambda res: (res.type != "pulumi:pulumi:Stack", res.urn))

    rows: list[tuple[str, RecordedResource]] = []
    # Iterative depth-first walk: deep component trees must not hit the recursion limit.
    stack: list[tuple[RecordedResource, str, str]] = [(res, "", "") for res in reversed(roots)]
    while stack:
        res, lead, child_lead = stack.pop()
        rows.append((lead, res))
        kids = children.get(res.urn, [])
        for i in range(len(kids) - 1, -1, -1):
            is_last = i == len(kids) - 1
            stack.append((kids[i], child_lead + (last if is_last else tee), child_lead + (space if is_last else pipe)))

    width = min(max((len(lead) + len(res.type) for lead, res in rows), default=0), 100)
    print(f"{'TYPE':<{width}}  NAME", file=stream)
    for lead, res in rows:
        flags = []
        if res.protect:
            flags.append("protect")
        if res.retain_on_delete:
            flags.append("retainOnDelete")
        suffix = f"  [{', '.join(flags)}]" if flags else ""
        print(f"{lead + res.type:<{width}}  {res.name}{suffix}", file=stream)


def _redacted(value: Any) -> Any:
    """A value fit to print: secrets (at any depth) and unknowns replaced by a word."""
    if is_unknown(value):
        return "(unknown until deployed)"
    if is_secret(value):
        return "[secret]"
    if is_resource_ref(value):
        return f"(resource {value.get('urn', '')})"
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def _show(value: Any) -> str:
    shown = _redacted(value)
    text = shown if isinstance(shown, str) else json.dumps(shown, sort_keys=True)
    return text if len(text) <= 100 else text[:97] + "..."


def render_summary(result: PlanResult, stream: TextIO) -> None:
    """Outputs, counts by type, total and wall time, and what an offline plan cannot see."""
    if result.outputs:
        print("\nOutputs:", file=stream)
        for key in sorted(result.outputs):
            print(f"    {key}: {_show(result.outputs[key])}", file=stream)
    counts = result.type_counts()
    print("\nResources by type:", file=stream)
    for token, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {count:5d}  {token}", file=stream)
    providers = sum(1 for res in result.resources if res.is_provider and not res.parent)
    plural = "" if providers == 1 else "s"
    print(
        f"\nTotal: {len(result.resources)} resources (incl. the stack and {providers} default provider{plural}) "
        f"in {result.duration_s:.1f} s",
        file=stream,
    )
    print(f"Note: {OFFLINE_LIMITS}.", file=stream)


def render_logs(result: PlanResult, stream: TextIO) -> None:
    """The program's own warnings and errors, each once."""
    seen: set[tuple[str, str]] = set()
    for record in result.logs:
        key = (record.severity, record.message)
        if record.severity in ("warning", "error") and key not in seen:
            seen.add(key)
            print(f"{record.severity}: {record.message}", file=stream)


def run(args: argparse.Namespace) -> int:
    print(f"Offline plan of {args.stack} ({args.project_dir.resolve()})", file=sys.stderr, flush=True)
    _, result = plan_stack(args.project_dir, args.stack, progress=sys.stderr)
    render_logs(result, sys.stderr)
    render_tree(result, sys.stdout)
    render_summary(result, sys.stdout)
    if args.export is not None:
        try:
            write_deployment(args.export, result)
        except OSError as exc:
            raise CommandError(f"cannot write the export to {args.export}: {exc.strerror or exc}", EXIT_USAGE) from None
        print(f"Wrote {len(result.resources)} resources to {args.export} (pulumi stack export, version 3)")
    return EXIT_OK
