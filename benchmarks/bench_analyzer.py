"""Policy evaluation through the analyzer: ``Analyze`` throughput of the real pack process, before and after.

Resources come from real offline plans (``python -m preflight plan --stack S --export FILE``, or ``--export FILE``
for plans already written), replicated with distinct URNs (parents, dependencies and provider references renamed
within each copy) up to ``--resources``. The pack runs the way the engine starts it (``python -u -m pulumi.policy``,
through :class:`preflight.analyzer.PolicyPackProcess`), with the stack's environment, ``ConfigureStack`` and the
stack's compliance profile, in two modes (``--config-devices N`` puts N generated edge devices inline in that
environment's ``PULUMI_CONFIG``, as the CLI passes a stack that lists its fleet in the stack file):

* ``sdk``: ``GUARDRAILS_ANALYZER=sdk``, pulumi-policy's own servicer (converts every resource once per policy);
* ``fast``: the pack's default, :class:`guardrails._server.FastAnalyzerServicer`.

For each mode it prints pack start-up, ``Analyze`` one request at a time, with N client threads each sending one
request at a time, the gate's overlapped calls (``PolicyPackProcess.analyze``, 16 in flight), the gate's process pool
(``PolicyPackPool``, one process per core for large stacks) and ``AnalyzeStack`` over all resources; each figure is
the best of ``--repeat`` runs. It checks that both modes returned the same diagnostics and not-applicable entries and
the target (at least 2,000 resources per second), and writes everything to ``out/bench-analyzer.json``. A script,
not a test: figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import grpc
from pulumi.runtime.proto import analyzer_pb2_grpc

from benchmarks.bench_edge import generate_devices
from preflight import analyzer, gate, stackfile
from preflight.export import load_deployment

ROOT = Path(__file__).resolve().parent.parent
PACK_DIR = ROOT / "policies"
OUT = ROOT / "out" / "bench-analyzer.json"
DEFAULT_STACKS = ("prod",)
DEFAULT_RESOURCES = 2_000
DEFAULT_THREADS = (2, 4, 8)
TARGET_PER_S = 2_000.0
MODES = ("sdk", "fast")
MODE_ENV = "GUARDRAILS_ANALYZER"  # read by policies/guardrails/_install.py


@dataclass(frozen=True)
class Figure:
    """One measurement: resources per second (wall clock) and the pack processes' CPU time per resource."""

    per_s: float
    # Load on a shared machine slows the wall clock; CPU time per resource is the pack's own cost.
    server_cpu_us: float | None


@dataclass
class ModeResult:
    mode: str
    start_s: float = 0.0
    figures: dict[str, Figure] = field(default_factory=dict)
    analyze_stack_s: float = 0.0
    diagnostics: int = 0
    not_applicable: int = 0
    stderr_notice: str = ""


# --------------------------------------------------------------------------------------------------------------------
# Resources


def plan_export(stack: str, workdir: Path) -> Path:
    """``preflight plan --stack`` in a fresh interpreter, exported to ``workdir``."""
    path = workdir / f"{stack}.json"
    print(f"planning {stack} ...", file=sys.stderr, flush=True)
    command = [sys.executable, "-m", "preflight", "plan", "--stack", stack, "--export", str(path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"preflight plan --stack {stack} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return path


def _renamed(urn: str, suffix: str) -> str:
    return f"{urn}{suffix}" if urn.startswith("urn:pulumi:") else urn


def replicate(records: Sequence[Mapping[str, Any]], total: int) -> list[dict[str, Any]]:
    """Copies of ``records`` until there are ``total``, each copy's URNs (and references to them) suffixed."""
    if not records:
        raise SystemExit("no resources to replicate")
    out: list[dict[str, Any]] = []
    copy = 0
    while len(out) < total:
        suffix = f"-r{copy}"
        for record in records:
            if len(out) == total:
                break
            item = json.loads(json.dumps(record))
            item["urn"] = _renamed(item["urn"], suffix)
            if item.get("parent"):
                item["parent"] = _renamed(item["parent"], suffix)
            item["dependencies"] = [_renamed(urn, suffix) for urn in item.get("dependencies") or []]
            item["propertyDependencies"] = {
                key: [_renamed(urn, suffix) for urn in urns]
                for key, urns in (item.get("propertyDependencies") or {}).items()
            }
            if item.get("provider"):
                # "<provider urn>::<id>"
                urn, _, ref_id = item["provider"].rpartition("::")
                item["provider"] = f"{_renamed(urn, suffix)}::{ref_id}"
            out.append(item)
        copy += 1
    return out


def stack_context(stack: str) -> tuple[analyzer.StackContext, str]:
    """What the CLI gives the pack for ``stack`` (environment, ConfigureStack), and the stack's profile name."""
    loaded = stackfile.load_stack(ROOT, stack)
    ctx = analyzer.StackContext(
        project=loaded.project,
        stack=loaded.stack,
        dry_run=True,
        config=loaded.config,
        secret_keys=loaded.secret_keys,
        tags={"pulumi:project": loaded.project, "pulumi:runtime": "python"},
    )
    return ctx, gate.stack_profile_name(loaded.config, loaded.project) or "hipaa"


def with_inline_devices(ctx: analyzer.StackContext, count: int) -> analyzer.StackContext:
    """``ctx`` with ``count`` generated devices inline in its ``edge`` config (no inventory file).

    The pack parses PULUMI_CONFIG, which then holds the whole fleet; this measures what that costs per request.
    """
    key = f"{ctx.project}:edge"
    edge = json.loads(ctx.config.get(key) or "{}")
    edge.pop("inventory", None)
    edge["devices"] = generate_devices(count)
    return dataclasses.replace(ctx, config={**ctx.config, key: json.dumps(edge)})


# --------------------------------------------------------------------------------------------------------------------
# Measurements


@contextlib.contextmanager
def analyzer_mode(mode: str) -> Iterator[None]:
    """The pack process inherits the environment at start: select the servicer for the packs started inside."""
    before = os.environ.get(MODE_ENV)
    os.environ[MODE_ENV] = mode
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(MODE_ENV, None)
        else:
            os.environ[MODE_ENV] = before


def process_cpu_s(pids: Sequence[int | None]) -> float | None:
    """User + system CPU seconds of ``pids`` so far (Linux /proc); None where that cannot be read."""
    total = 0.0
    for pid in pids:
        try:
            # Fields after the parenthesised command name: state is the first, utime the 12th, stime the 13th.
            fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def best_figure(count: int, repeat: int, pids: Sequence[int | None], run: Callable[[], object]) -> Figure:
    """The fastest of ``repeat`` runs of ``run`` over ``count`` resources, and the least pack CPU per resource."""
    best_s, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        cpu_before = process_cpu_s(pids)
        began = time.perf_counter()
        run()
        best_s = min(best_s, time.perf_counter() - began)
        cpu_after = process_cpu_s(pids)
        if cpu_before is not None and cpu_after is not None:
            best_cpu = min(best_cpu, cpu_after - cpu_before)
    return Figure(count / best_s, 1e6 * best_cpu / count if best_cpu != float("inf") else None)


def threaded_analyze(port: int, requests: Sequence[Any], threads: int) -> None:
    """``threads`` client threads, each sending its share of requests one at a time over a shared channel."""
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = analyzer_pb2_grpc.AnalyzerStub(channel)
    try:

        def work(share: Sequence[Any]) -> None:
            for request in share:
                stub.Analyze(request, timeout=analyzer.DEFAULT_CALL_TIMEOUT)

        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(work, requests[i::threads]) for i in range(threads)]:
                future.result()
    finally:
        channel.close()


def measure(
    mode: str,
    resources: Sequence[analyzer.AnalyzerResource],
    ctx: analyzer.StackContext,
    profile: gate.Profile,
    *,
    threads: Sequence[int],
    repeat: int,
) -> tuple[ModeResult, analyzer.AnalysisResult]:
    result = ModeResult(mode)
    requests = [r.request for r in resources]
    count = len(resources)
    with analyzer_mode(mode), analyzer.PolicyPackProcess(PACK_DIR, stack=ctx) as pack:
        result.start_s = pack.start_seconds
        config = analyzer.reconcile_config(pack.info(), profile.document)
        pack.configure(config)
        # Warm-up, and the answers compared between modes.
        answers = pack.run(resources)
        result.diagnostics, result.not_applicable = len(answers.diagnostics), len(answers.not_applicable)
        pids = [pack.pid]
        figures = result.figures
        figures["sequential"] = best_figure(count, repeat, pids, lambda: pack.analyze(resources, in_flight=1))
        for n in threads:
            figures[f"{n} threads"] = best_figure(
                count, repeat, pids, partial(threaded_analyze, pack.port, requests, n)
            )
        figures[f"gate ({analyzer.DEFAULT_IN_FLIGHT} in flight)"] = best_figure(
            count, repeat, pids, lambda: pack.analyze(resources)
        )
        figures["gate, 1 process (+AnalyzeStack)"] = best_figure(count, repeat, pids, lambda: pack.run(resources))
        result.analyze_stack_s = 1 / best_figure(1, repeat, pids, lambda: pack.analyze_stack(resources)).per_s
        # The pack's stderr: the one-line notice when it kept the SDK's servicer.
        notice = pack._stderr_tail()
        result.stderr_notice = notice.split("\n", 1)[1].strip() if notice else ""
    # What `check` does for this many resources: the gate shards large stacks over one process per core.
    processes = analyzer.processes_for(count)
    if processes > 1:
        with analyzer_mode(mode), analyzer.PolicyPackPool(PACK_DIR, processes=processes, stack=ctx) as pool:
            pool.configure(config)
            pids = [p.pid for p in pool.packs]
            figures[f"gate, {processes} processes (+AnalyzeStack)"] = best_figure(
                count, repeat, pids, lambda: pool.run(resources)
            )
    return result, answers


def _key(result: analyzer.AnalysisResult) -> tuple[list[Any], list[Any]]:
    return [asdict(d) for d in result.diagnostics], [asdict(n) for n in result.not_applicable]


# --------------------------------------------------------------------------------------------------------------------
# Report


def print_report(results: Sequence[ModeResult], resources: int, identical: bool | None) -> dict[str, Any]:
    labels = list(results[0].figures)
    width = max(len(label) for label in labels) + 2
    print(f"\nAnalyze, {resources} resources: resources per second (best run) | pack CPU microseconds per resource")
    header = "".join(f"{r.mode + ' /s':>12}{r.mode + ' cpu':>12}" for r in results)
    print(f"{'':<{width}}{header}" + ("    speed-up" if len(results) > 1 else ""))
    for label in labels:
        row = [r.figures[label] for r in results]
        cells = "".join(
            f"{f.per_s:>12.0f}" + (f"{f.server_cpu_us:>12.0f}" if f.server_cpu_us is not None else f"{'-':>12}")
            for f in row
        )
        speedup = f"{row[-1].per_s / row[0].per_s:>11.1f}x" if len(results) > 1 else ""
        print(f"{label:<{width}}{cells}{speedup}")
    for name, values in (
        ("AnalyzeStack (s)", [f"{r.analyze_stack_s:.3f}" for r in results]),
        ("pack start-up (s)", [f"{r.start_s:.2f}" for r in results]),
        ("diagnostics", [str(r.diagnostics) for r in results]),
        ("not applicable", [str(r.not_applicable) for r in results]),
    ):
        print(f"{name:<{width}}" + "".join(f"{value:>12}{'':>12}" for value in values))
    for r in results:
        if r.stderr_notice:
            print(f"{r.mode}: pack said: {r.stderr_notice}")
    if identical is not None:
        print(f"\nsame diagnostics and not-applicable entries in every mode: {'yes' if identical else 'NO'}")
    last = results[-1]
    best_label = max(last.figures, key=lambda label: last.figures[label].per_s)
    best = last.figures[best_label].per_s
    met = best >= TARGET_PER_S
    print(
        f"target {TARGET_PER_S:,.0f} resources/s ({last.mode}): {'met' if met else 'NOT met'} "
        f"(best {best:,.0f}/s, {best_label}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    return {"per_s": TARGET_PER_S, "mode": last.mode, "best_per_s": best, "best": best_label, "met": met}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_analyzer", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", help=f"stack to plan (repeatable; default {DEFAULT_STACKS[0]})")
    parser.add_argument("--export", action="append", type=Path, help="use this plan export instead of planning")
    parser.add_argument("--context-stack", default="prod", help="stack whose environment/profile --export runs use")
    parser.add_argument("--resources", type=int, default=DEFAULT_RESOURCES, help="resources to analyze")
    parser.add_argument("--threads", type=int, nargs="+", default=list(DEFAULT_THREADS), help="client thread counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the best is kept)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="servicers to measure")
    parser.add_argument(
        "--config-devices", type=int, default=0, help="generated edge devices inline in the pack's PULUMI_CONFIG"
    )
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON results file (default: {OUT})")
    args = parser.parse_args(argv)
    if args.resources < 1 or args.repeat < 1 or any(n < 1 for n in args.threads):
        parser.error("--resources, --repeat and --threads must be at least 1")
    if args.config_devices < 0:
        parser.error("--config-devices must be at least 0")

    with tempfile.TemporaryDirectory(prefix="bench-analyzer-") as tmp:
        stacks = args.stack or ([] if args.export else list(DEFAULT_STACKS))
        exports = list(args.export or []) + [plan_export(stack, Path(tmp)) for stack in stacks]
        records = [r for path in exports for r in load_deployment(path) if not r.get("delete")]
    ctx, profile_name = stack_context(stacks[0] if stacks else args.context_stack)
    if args.config_devices:
        ctx = with_inline_devices(ctx, args.config_devices)
    config_bytes = len(ctx.environment().get("PULUMI_CONFIG", ""))
    # The gate may pass less than the whole config when it would not fit in one environment string.
    trimmed = config_bytes < len(json.dumps(dict(ctx.config)))
    profile = gate.load_profile(profile_name, PACK_DIR)
    resources = analyzer.build_resources(replicate(records, args.resources))
    print(
        f"{len(records)} planned resources from {', '.join(str(p.name) for p in exports)} -> {len(resources)} "
        f"analyzed; profile {profile.name}, stack context {ctx.stack}; PULUMI_CONFIG {config_bytes / 1024:.1f} KiB"
        + (" (trimmed: the whole config is over the environment limit)" if trimmed else ""),
        file=sys.stderr,
    )

    results: list[ModeResult] = []
    answers: list[analyzer.AnalysisResult] = []
    for mode in args.modes:
        print(f"measuring {mode} ...", file=sys.stderr, flush=True)
        result, answer = measure(mode, resources, ctx, profile, threads=args.threads, repeat=args.repeat)
        results.append(result)
        answers.append(answer)
    identical = all(_key(a) == _key(answers[0]) for a in answers[1:]) if len(answers) > 1 else None
    target = print_report(results, len(resources), identical)

    document = {
        "benchmark": "Analyze / AnalyzeStack against the real pack process (python -u -m pulumi.policy)",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "pulumi": metadata.version("pulumi"),
            "pulumi_policy": metadata.version("pulumi-policy"),
            "load_average": os.getloadavg()[0],
        },
        "input": {
            "exports": [str(p) for p in exports],
            "planned": len(records),
            "resources": len(resources),
            "config_devices": args.config_devices,
            "pulumi_config_bytes": config_bytes,
        },
        "profile": profile.name,
        "results": [asdict(r) for r in results],
        "identical_answers": identical,
        "target": target,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0 if identical is not False else 1


if __name__ == "__main__":
    raise SystemExit(main())
