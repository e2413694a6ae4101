"""Benchmark (``make bench``): the offline plan and the policy gate of every stack and of generated edge fleets.

Every figure of a command comes from one fresh interpreter (``python -m preflight ...``) so imports and start-up
count, as they do for a user: wall and CPU time, and peak memory from ``wait4`` (the largest resident set of the
command and of the policy-pack processes it reaped). It reports:

- for each example stack: ``plan`` and ``check`` wall time and peak memory, resources, the gate's own split (plan,
  pack start, Analyze, AnalyzeStack), resources per second through the analyzer, and policy evaluations per second
  (each resource times the enabled policies that apply to its type, over the Analyze time);
- for edge fleets (100, 1,000 and 5,000 devices; the generator of ``benchmarks.bench_edge``): ``plan --export``,
  then ``analyze`` of that export (the gate's half of ``check``), the real ``check`` at 1,000 devices when the pack can
  be started with the stack's config, and the growth of time per device between sizes (1.00 = linear);
- the pack's start-up time, and ``Analyze`` throughput one request at a time, with requests in flight, and spread over
  one pack process per core (:mod:`preflight.analyzer`);
- a profile of the hot spots of the plan (import time of each package in a cold run, cProfile of a warm run) and of
  Analyze (cProfile of the SDK's analyzer servicer running the pack in process), split by owner: the Pulumi and
  provider SDKs, protobuf, the project.

It prints the tables, checks the targets (``check --stack prod`` within 5 s, 2,000 resources/s through the analyzer,
a 1,000-device edge check within 40 s, linear growth) and writes everything to ``out/bench.json``. Figures depend on
the machine and its load (the 1-minute load average is recorded with each run). ``--quick`` leaves out the
5,000-device fleet and the profile.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import importlib
import io
import json
import os
import platform
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from itertools import pairwise
from pathlib import Path
from typing import Any

from benchmarks.bench_edge import write_project
from preflight import analyzer, gate, stackfile
from preflight.export import load_deployment

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "policies"
OUT = ROOT / "out" / "bench.json"
STACKS = ("dev", "prod", "private", "onprem", "hybrid", "edge")
FLEET_SIZES = (100, 1_000, 5_000)
QUICK_FLEET_SIZES = (100, 1_000)
FLEET_BASE_STACK = "edge"

TARGET_CHECK_STACK = "prod"
TARGET_CHECK_S = 5.0
TARGET_ANALYZER_RPS = 2_000.0
TARGET_EDGE_DEVICES = 1_000
TARGET_EDGE_CHECK_S = 40.0
# Time per device may grow this much between sizes and still count as linear (noise on a shared machine).
LINEAR_TOLERANCE = 1.25

# Linux refuses to exec a process with one argument or environment string longer than this (MAX_ARG_STRLEN).
MAX_ARG_STRLEN = 131_072
THROUGHPUT_REQUESTS = 2_000
SEQUENTIAL_REQUESTS = 500
PACK_STARTS = 3


# --------------------------------------------------------------------------------------------------------------------
# One command in a fresh interpreter


@dataclass(frozen=True)
class Proc:
    wall_s: float
    cpu_s: float
    peak_mib: float
    exit_code: int
    load: float  # 1-minute load average when it started: other work inflates wall time, not CPU time


def run(argv: Sequence[str], *, log: Path, cwd: Path = ROOT) -> Proc:
    """Run ``python -m preflight <argv>``; its own wall time, CPU time and peak RSS (it and the children it reaped)."""
    load = os.getloadavg()[0]
    with log.open("wb") as sink:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "preflight", *argv], cwd=cwd, stdout=sink, stderr=sink)
        # wait4 gives this child's rusage, which includes the pack processes it waited for (maxrss: the largest).
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    # Linux reports ru_maxrss in KiB.
    return Proc(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), load)


def require(proc: Proc, allowed: Iterable[int], what: str, log: Path) -> None:
    if proc.exit_code not in allowed:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{what} exited {proc.exit_code}:\n{tail}")


# --------------------------------------------------------------------------------------------------------------------
# Policy evaluations


def _guardrails() -> Any:
    """The pack's own catalog (this project's pack), for which policy applies to which resource type."""
    if str(PACK) not in sys.path:
        sys.path.insert(0, str(PACK))
    import guardrails  # noqa: PLC0415 - the pack's package, importable once PACK is on sys.path

    return guardrails


def evaluations(by_type: Mapping[str, int], policies: Iterable[Mapping[str, Any]]) -> int:
    """Resource x policy pairs Analyze decides: each resource with every enabled resource policy of its type."""
    spec = _guardrails().spec
    enabled = [p["name"] for p in policies if p["type"] == "resource" and p["enforcementLevel"] != "disabled"]
    return sum(count for t, count in by_type.items() for name in enabled if spec(name).applies_to(t))


# --------------------------------------------------------------------------------------------------------------------
# Stacks and fleets


@dataclass
class Row:
    name: str
    resources: int
    devices: int | None = None
    plan: Proc | None = None
    check: Proc | None = None
    check_measured: bool = True  # False: check could not run; check_s is plan + analyze
    note: str = ""
    plan_in_check_s: float | None = None
    pack_start_s: float = 0.0
    analyze_s: float = 0.0
    analyze_stack_s: float = 0.0
    evaluations: int = 0
    gate_exit: int = 0
    analyze: Proc | None = None
    # Parsing the stack's PULUMI_CONFIG, which the analyzer servicer repeats at every Analyze request.
    config_parse_ms: float | None = None

    @property
    def check_s(self) -> float | None:
        if self.check is not None:
            return self.check.wall_s
        if self.plan is not None and self.analyze is not None:
            return self.plan.wall_s + self.analyze.wall_s
        return None

    @property
    def resources_per_s(self) -> float:
        spent = self.analyze_s + self.analyze_stack_s
        return self.resources / spent if spent else 0.0

    @property
    def evaluations_per_s(self) -> float:
        return self.evaluations / self.analyze_s if self.analyze_s else 0.0

    def record_gate(self, report: Mapping[str, Any]) -> None:
        timing = report["timing"]
        self.resources = report["resources"]["total"]
        self.plan_in_check_s = timing["planSeconds"]
        self.pack_start_s = timing["packStartSeconds"]
        self.analyze_s = timing["analyzeSeconds"]
        self.analyze_stack_s = timing["analyzeStackSeconds"]
        self.evaluations = evaluations(report["resources"]["byType"], report["policies"])
        self.gate_exit = report["verdict"]["exitCode"]

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            check_s=self.check_s, resources_per_s=self.resources_per_s, evaluations_per_s=self.evaluations_per_s
        )
        return data


def export_resources(path: Path) -> int:
    return len(json.loads(path.read_text(encoding="utf-8"))["deployment"]["resources"])


def bench_stack(stack: str, work: Path) -> Row:
    print(f"stack {stack}: plan, check ...", file=sys.stderr, flush=True)
    export, report = work / f"{stack}.json", work / f"{stack}-gate.json"
    plan_log, check_log = work / f"{stack}-plan.log", work / f"{stack}-check.log"
    plan = run(["plan", "--stack", stack, "--export", str(export)], log=plan_log)
    require(plan, (0,), f"plan --stack {stack}", plan_log)
    check = run(["check", "--stack", stack, "--format", "json", "--output", str(report)], log=check_log)
    require(check, (0, 1), f"check --stack {stack}", check_log)
    row = Row(stack, export_resources(export), plan=plan, check=check)
    row.record_gate(json.loads(report.read_text(encoding="utf-8")))
    return row


def pack_environment_problem(project_dir: Path, stack: str) -> str:
    """Why the pack cannot be started with this stack's config in its environment ("" when it can)."""
    loaded = stackfile.load_stack(project_dir, stack)
    ctx = analyzer.StackContext(loaded.project, stack, True, config=loaded.config, secret_keys=loaded.secret_keys)
    too_long = {k: len(k) + len(v) + 1 for k, v in ctx.environment().items() if len(k) + len(v) + 1 > MAX_ARG_STRLEN}
    return "; ".join(
        f"{k} is {size // 1024} KiB, over Linux's {MAX_ARG_STRLEN // 1024} KiB limit for one environment string "
        "(exec fails with E2BIG)"
        for k, size in too_long.items()
    )


def bench_fleet(devices: int, stack: str, fleet_dir: Path, work: Path, profile: str) -> Row:
    """plan --export, then analyze of the export; the real check up to the target size when the pack can start."""
    print(f"edge fleet of {devices} devices: plan, analyze ...", file=sys.stderr, flush=True)
    export, report = work / f"{stack}.json", work / f"{stack}-gate.json"
    plan_log, analyze_log = work / f"{stack}-plan.log", work / f"{stack}-analyze.log"
    plan = run(["plan", "--stack", stack, "--project-dir", str(fleet_dir), "--export", str(export)], log=plan_log)
    require(plan, (0,), f"plan --stack {stack}", plan_log)
    # A project directory without the stack file: the pack gets no stack config, so it starts at any size.
    bare = work / "bare-project"
    bare.mkdir(exist_ok=True)
    argv = ["analyze", str(export), "--project-dir", str(bare), "--profile", profile, "--format", "json"]
    analyze = run([*argv, "--output", str(report)], log=analyze_log)
    require(analyze, (0, 1), f"analyze {export.name}", analyze_log)
    row = Row(f"edge-{devices}", export_resources(export), devices=devices, plan=plan, analyze=analyze)
    row.record_gate(json.loads(report.read_text(encoding="utf-8")))
    row.config_parse_ms = config_parse_ms(fleet_dir, stack)
    problem = pack_environment_problem(fleet_dir, stack)
    if problem:
        row.check_measured, row.note = False, f"check cannot start the pack: {problem}"
    elif devices <= TARGET_EDGE_DEVICES:  # larger fleets: check would only repeat the plan above
        print(f"edge fleet of {devices} devices: check ...", file=sys.stderr, flush=True)
        check_log, check_report = work / f"{stack}-check.log", work / f"{stack}-check.json"
        argv = ["check", "--stack", stack, "--project-dir", str(fleet_dir), "--format", "json"]
        row.check = run([*argv, "--output", str(check_report)], log=check_log)
        require(row.check, (0, 1), f"check --stack {stack}", check_log)
        row.plan_in_check_s = json.loads(check_report.read_text(encoding="utf-8"))["timing"]["planSeconds"]
    else:
        row.check_measured = False
    return row


def growth(rows: Sequence[Row]) -> list[dict[str, float]]:
    """Per-device time of each fleet size relative to the previous one: 1.00 is linear growth."""
    out = []
    for small, large in pairwise(rows):
        assert small.devices and large.devices and small.plan and large.plan
        size = large.devices / small.devices
        out.append(
            {
                "from_devices": small.devices,
                "to_devices": large.devices,
                "size_ratio": size,
                "plan_per_device": (large.plan.wall_s / small.plan.wall_s) / size,
                "plan_cpu_per_device": (large.plan.cpu_s / small.plan.cpu_s) / size,
                "analyze_per_resource": (large.analyze_s / large.resources) / (small.analyze_s / small.resources),
                "check_per_device": ((large.check_s or 0.0) / (small.check_s or 1.0)) / size,
            }
        )
    return out


# --------------------------------------------------------------------------------------------------------------------
# The pack: start-up and Analyze throughput


def stack_context(stack: str, project_dir: Path = ROOT) -> analyzer.StackContext:
    loaded = stackfile.load_stack(project_dir, stack)
    return analyzer.StackContext(loaded.project, stack, True, config=loaded.config, secret_keys=loaded.secret_keys)


def profile_document(stack: str) -> Mapping[str, Any]:
    loaded = stackfile.load_stack(ROOT, stack)
    name = gate.stack_profile_name(loaded.config, loaded.project)
    assert name is not None, f"Pulumi.{stack}.yaml selects no profile"
    return gate.load_profile(name, PACK).document


# The pack serves with its own analyzer servicer unless this says "sdk" (policies/guardrails/_install.py): the
# benchmark runs both, to show what the pack's servicer gains over pulumi-policy's.
ANALYZER_ENV = "GUARDRAILS_ANALYZER"
SERVICERS = (("pack servicer", None), ("pulumi-policy servicer", "sdk"))


@contextlib.contextmanager
def environment(name: str, value: str | None) -> Iterator[None]:
    """``name`` set to ``value`` (or left as it is when None) for the processes started inside."""
    saved = os.environ.get(name)
    if value is not None:
        os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved


def _throughput(seconds: float, requests: int) -> dict[str, float]:
    return {"requests": requests, "seconds": seconds, "resources_per_s": requests / seconds}


def bench_servicer(batch: Sequence[Any], ctx: analyzer.StackContext, profile: Mapping[str, Any]) -> dict[str, Any]:
    starts = []
    for _ in range(PACK_STARTS):
        with analyzer.PolicyPackProcess(PACK, stack=ctx) as pack:
            starts.append(pack.start_seconds)
    modes: dict[str, dict[str, float]] = {}
    with analyzer.PolicyPackProcess(PACK, stack=ctx) as pack:
        config = analyzer.reconcile_config(pack.info(), profile)
        pack.configure(config)
        sequential = batch[:SEQUENTIAL_REQUESTS]
        modes["one at a time"] = _throughput(pack.analyze(sequential, in_flight=1).analyze_seconds, len(sequential))
        seconds = pack.analyze(batch, in_flight=analyzer.DEFAULT_IN_FLIGHT).analyze_seconds
        modes[f"{analyzer.DEFAULT_IN_FLIGHT} in flight"] = _throughput(seconds, len(batch))
    processes = analyzer.processes_for(analyzer.SHARD_MIN_RESOURCES)
    with analyzer.PolicyPackPool(PACK, processes=processes, stack=ctx) as pool:
        pool.configure(config)
        seconds = pool.run(batch).analyze_seconds
    modes[f"{processes} processes x {analyzer.DEFAULT_IN_FLIGHT} in flight"] = _throughput(seconds, len(batch))
    return {
        "start_seconds": {"median": statistics.median(starts), "min": min(starts), "runs": starts},
        "analyze": modes,
    }


def bench_pack(export: Path, stack: str) -> dict[str, Any]:
    """Start-up and Analyze throughput of the pack, with its own servicer and with pulumi-policy's."""
    ctx, profile = stack_context(stack), profile_document(stack)
    resources = analyzer.build_resources([r for r in load_deployment(export) if not r.get("delete")])
    batch = (resources * (THROUGHPUT_REQUESTS // len(resources) + 1))[:THROUGHPUT_REQUESTS]
    servicers = {}
    for name, choice in SERVICERS:
        print(f"pack ({name}): start-up and Analyze throughput ...", file=sys.stderr, flush=True)
        with environment(ANALYZER_ENV, choice):
            servicers[name] = bench_servicer(batch, ctx, profile)
    return {"stack": stack, "distinct_resources": len(resources), "servicers": servicers}


# --------------------------------------------------------------------------------------------------------------------
# Profiles


# Functions in which a worker thread only waits for work: their "own time" is idle time, not cost.
_IDLE = frozenset(
    {
        "<method 'get' of '_queue.SimpleQueue' objects>",
        "<method 'poll' of 'select.epoll' objects>",
        "<method 'acquire' of '_thread.lock' objects>",
        "<built-in method time.sleep>",
    }
)


def owner(filename: str, function: str = "") -> str:
    """Who owns the code a profile entry ran: an SDK, protobuf/gRPC, the project, or the standard library."""
    if function in _IDLE:
        return "waiting (idle worker threads)"
    path = filename.replace("\\", "/")
    project = ROOT.as_posix() + "/"
    rules = (
        ("/site-packages/pulumi_policy/", "SDK: pulumi-policy"),
        ("/site-packages/pulumi/", "SDK: pulumi"),
        ("/site-packages/pulumi_", "SDK: providers (pulumi-aws/-kubernetes/-docker)"),
        ("/site-packages/google/protobuf/", "protobuf"),
        ("/site-packages/grpc/", "grpc"),
        ("/site-packages/", "other packages"),
        (project + "components/", "project: components"),
        (project + "policies/", "project: policies"),
        (project + "preflight/", "project: preflight"),
    )
    for marker, name in rules:
        if marker in path:
            return name
    return "builtins (C)" if path == "~" else "standard library"


def summarize(stats: pstats.Stats, top: int = 10) -> dict[str, Any]:
    """Own time by owner, and the functions with the most own time (each with its owner)."""
    by_owner: collections.Counter[str] = collections.Counter()
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        who = owner(filename, function)
        by_owner[who] += own
        if not who.startswith("waiting"):
            rows.append((own, cumulative, calls, f"{Path(filename).name}:{line}({function})", who))
    idle = sum(v for k, v in by_owner.items() if k.startswith("waiting"))
    busy = sum(by_owner.values()) - idle or 1.0
    rows.sort(reverse=True)
    project = [r for r in rows if r[4].startswith("project")]
    return {
        "seconds": busy,
        "idle_seconds": idle,
        # Shares of the busy time (idle worker threads left out).
        "by_owner": {
            k: {"seconds": v, "share": v / busy} for k, v in by_owner.most_common() if not k.startswith("waiting")
        },
        "top": [
            {"own_s": r[0], "cumulative_s": r[1], "calls": r[2], "function": r[3], "owner": r[4]} for r in rows[:top]
        ],
        "top_project": [
            {"own_s": r[0], "cumulative_s": r[1], "calls": r[2], "function": r[3], "owner": r[4]} for r in project[:top]
        ],
    }


def _profile_threads(body: Callable[[], Any]) -> pstats.Stats:
    """cProfile ``body`` on this thread and on every thread it starts (the SDK runs RPCs on worker threads)."""
    profiles: list[cProfile.Profile] = []

    def start(*_: Any) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        sys.setprofile(None)
        profile.enable()

    main = cProfile.Profile()
    threading.setprofile(start)
    main.enable()
    try:
        body()
    finally:
        main.disable()
        threading.setprofile(None)
    stats = pstats.Stats(main)
    for profile in profiles:
        stats.add(profile)
    return stats


def profile_plan_child(stack: str, out: Path) -> None:
    """In a fresh interpreter (run with -X importtime): a cold plan, then a warm one under cProfile."""
    from preflight.plan import plan_stack  # noqa: PLC0415 - imported after the parent's timing starts

    print("BENCH-MARK cold plan starts", file=sys.stderr, flush=True)
    began = time.perf_counter()
    _, cold = plan_stack(ROOT, stack)
    cold_s = time.perf_counter() - began
    print("BENCH-MARK cold plan ends", file=sys.stderr, flush=True)
    warm: list[float] = []

    def body() -> None:
        started = time.perf_counter()
        plan_stack(ROOT, stack)
        warm.append(time.perf_counter() - started)

    stats = _profile_threads(body)
    result = {"stack": stack, "resources": len(cold.resources), "cold_s": cold_s, "warm_profiled_s": warm[0]}
    result["warm_profile"] = summarize(stats)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+\d+\s+\|(\s*)(\S+)")


def import_times(stderr: str) -> dict[str, float]:
    """Own import seconds per top-level package, for the modules imported while the cold plan ran."""
    inside = False
    seconds: dict[str, float] = collections.defaultdict(float)
    for line in stderr.splitlines():
        if line.startswith("BENCH-MARK"):
            inside = "starts" in line
            continue
        match = _IMPORT_LINE.match(line)
        if inside and match:
            seconds[match.group(3).split(".", 1)[0]] += int(match.group(1)) / 1e6
    return dict(sorted(seconds.items(), key=lambda kv: -kv[1]))


def profile_plan(stack: str, work: Path) -> dict[str, Any]:
    print(f"profile: plan of {stack} (cold imports, warm cProfile) ...", file=sys.stderr, flush=True)
    out = work / "plan-profile.json"
    argv = [sys.executable, "-X", "importtime", "-m", "benchmarks.bench", "--profile-plan", stack, str(out)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"plan profile failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    imports = import_times(done.stderr)
    result["cold_import_s"] = sum(imports.values())
    result["cold_import_by_package"] = dict(list(imports.items())[:12])
    return result


def servicer_classes() -> dict[str, Any]:
    """The analyzer servicer classes to profile: the pack's own (as its __main__ installs it) and pulumi-policy's."""
    from pulumi_policy import policy as sdk_policy  # noqa: PLC0415

    original = sdk_policy._PolicyAnalyzerServicer
    classes: dict[str, Any] = {}
    _guardrails()
    try:
        install = importlib.import_module("guardrails._install").install
    except (ImportError, AttributeError):  # a pack without its own servicer
        install = None
    if install is not None and install(stream=io.StringIO()):
        classes[SERVICERS[0][0]] = sdk_policy._PolicyAnalyzerServicer
        setattr(sdk_policy, "_PolicyAnalyzerServicer", original)  # noqa: B010 - undo the install for this process
    classes[SERVICERS[1][0]] = original
    return classes


def profile_analyze(
    export: Path, ctx: analyzer.StackContext, profile: Mapping[str, Any], label: str, servicer_class: Any
) -> dict[str, Any]:
    """Analyze and AnalyzeStack of every resource through an analyzer servicer, in this process, profiled.

    The same calls the pack's gRPC server makes, minus gRPC: cProfile cannot follow the server's worker threads
    inside the pack process.
    """
    print(f"profile: Analyze of {label} in process ...", file=sys.stderr, flush=True)
    from pulumi.runtime.proto import analyzer_pb2  # noqa: PLC0415
    from pulumi_policy import EnforcementLevel  # noqa: PLC0415

    guardrails = _guardrails()
    saved = dict(os.environ)
    os.environ.update(ctx.environment())
    try:
        servicer = servicer_class(guardrails.PACK_NAME, "0.0.1", list(guardrails.POLICIES), EnforcementLevel.MANDATORY)
        with analyzer.PolicyPackProcess(PACK) as pack:
            config = analyzer.reconcile_config(pack.info(), profile)
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, cfg in config.items():
            request.policyConfig[name].enforcementLevel = analyzer_pb2.EnforcementLevel.Value(
                cfg.enforcement_level.upper()
            )
            request.policyConfig[name].properties.update(dict(cfg.properties))
        servicer.Configure(request, None)
        resources = analyzer.build_resources([r for r in load_deployment(export) if not r.get("delete")])
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.enable()
        for res in resources:
            servicer.Analyze(res.request, None)
        profiler.disable()
        analyze_s = time.perf_counter() - began
        stack_request = analyzer_pb2.AnalyzeStackRequest(resources=[r.stack_resource for r in resources])
        began = time.perf_counter()
        profiler.enable()
        servicer.AnalyzeStack(stack_request, None)
        profiler.disable()
        stack_s = time.perf_counter() - began
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {
        "label": label,
        "servicer": type(servicer).__name__,
        "resources": len(resources),
        "analyze_profiled_s": analyze_s,
        "analyze_stack_profiled_s": stack_s,
        "profile": summarize(pstats.Stats(profiler)),
    }


def config_parse_ms(project_dir: Path, stack: str) -> float:
    """Milliseconds to parse the stack's PULUMI_CONFIG, which the servicer does again at every request."""
    text = stack_context(stack, project_dir).environment().get("PULUMI_CONFIG", "{}")
    runs = []
    for _ in range(5):
        began = time.perf_counter()
        json.loads(text)
        runs.append(1000 * (time.perf_counter() - began))
    return statistics.median(runs)


# --------------------------------------------------------------------------------------------------------------------
# Report


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def print_rows(title: str, rows: Sequence[Row]) -> None:
    print(f"\n{title}")
    print(
        f"{'run':<10} {'resources':>9} {'plan s':>7} {'cpu':>6} {'MiB':>5} {'check s':>8} {'cpu':>6} {'MiB':>5} "
        f"{'plan*':>6} {'start':>6} {'analyze':>8} {'stack':>6} {'res/s':>7} {'evals':>7} {'evals/s':>8} "
        f"{'gate':>4} {'load':>5}"
    )
    for r in rows:
        check_s = _fmt(r.check_s) + ("" if r.check_measured else "~")
        # Without a real check: the analyze run's CPU added to the plan's, and its peak memory.
        gate_run = r.check or r.analyze
        check_cpu = r.check.cpu_s if r.check else (r.plan.cpu_s + r.analyze.cpu_s if r.plan and r.analyze else None)
        first = r.plan or r.check or r.analyze
        print(
            f"{r.name:<10} {r.resources:>9} {_fmt(r.plan.wall_s if r.plan else None):>7} "
            f"{_fmt(r.plan.cpu_s if r.plan else None):>6} {_fmt(r.plan.peak_mib if r.plan else None, '.0f'):>5} "
            f"{check_s:>8} {_fmt(check_cpu):>6} {_fmt(gate_run.peak_mib if gate_run else None, '.0f'):>5} "
            f"{_fmt(r.plan_in_check_s):>6} {r.pack_start_s:>6.2f} {r.analyze_s:>8.2f} {r.analyze_stack_s:>6.2f} "
            f"{r.resources_per_s:>7.0f} {r.evaluations:>7} {r.evaluations_per_s:>8.0f} {r.gate_exit:>4} "
            f"{_fmt(first.load if first else None):>5}"
        )
    print(
        "  s = wall seconds, cpu = CPU seconds (with the pack processes), MiB = peak RSS of the largest process;\n"
        "  plan* = the plan inside check (in process); start = pack start-up; analyze / stack = Analyze and "
        "AnalyzeStack seconds;\n  res/s = resources / (analyze + stack); evals = resource x applicable enabled "
        "policy pairs; gate = the gate's exit code;\n  ~ = check could not run: plan + analyze (the analyze run's "
        "MiB); load = 1-minute load average at the start."
    )
    for r in rows:
        if r.note:
            print(f"  {r.name}: {r.note}")
        if r.config_parse_ms is not None:
            print(
                f"  {r.name}: PULUMI_CONFIG parses in {r.config_parse_ms:.2f} ms, once per Analyze request: "
                f"{r.config_parse_ms * r.resources / 1000:.1f} s over the stack's {r.resources} resources"
            )


def print_growth(ratios: Sequence[Mapping[str, float]]) -> None:
    for g in ratios:
        print(
            f"  {g['from_devices']:>5} -> {g['to_devices']:<5} devices (x{g['size_ratio']:g}): per device, plan wall "
            f"x{g['plan_per_device']:.2f} (cpu x{g['plan_cpu_per_device']:.2f}), check x{g['check_per_device']:.2f}; "
            f"Analyze per resource x{g['analyze_per_resource']:.2f}  (1.00 = linear)"
        )


def print_pack(pack: Mapping[str, Any]) -> None:
    print(f"\nPolicy pack (requests: the {pack['stack']} stack's {pack['distinct_resources']} resources, repeated)")
    for servicer, figures in pack["servicers"].items():
        starts = figures["start_seconds"]
        print(
            f"  {servicer}: start-up median {starts['median']:.2f} s (min {starts['min']:.2f} s, "
            f"{len(starts['runs'])} starts)"
        )
        for name, mode in figures["analyze"].items():
            print(
                f"    Analyze {name:<28} {mode['requests']:>5} requests in {mode['seconds']:>6.2f} s: "
                f"{mode['resources_per_s']:>6.0f} resources/s"
            )


def print_profile(name: str, summary: Mapping[str, Any]) -> None:
    idle = f", {summary['idle_seconds']:.2f} s idle in worker threads" if summary["idle_seconds"] >= 0.01 else ""
    print(f"  {name}: {summary['seconds']:.2f} s of busy time (profiled){idle}")
    for who, part in summary["by_owner"].items():
        if part["share"] >= 0.01:
            print(f"    {who:<48} {part['seconds']:>6.2f} s  {100 * part['share']:>4.0f}%")
    print("    top functions (own time):")
    for entry in summary["top"][:6]:
        print(f"      {entry['own_s']:>6.2f} s  {entry['function']:<60} {entry['owner']}")
    if summary["top_project"]:
        print("    the project's own, top:")
        for entry in summary["top_project"][:4]:
            print(f"      {entry['own_s']:>6.3f} s  (cumulative {entry['cumulative_s']:.3f} s)  {entry['function']}")


def print_profiles(profiles: Mapping[str, Any]) -> None:
    print("\nHot spots")
    plan = profiles.get("plan")
    if plan:
        print(
            f"  plan of {plan['stack']} ({plan['resources']} resources): cold {plan['cold_s']:.2f} s, of which "
            f"{plan['cold_import_s']:.2f} s importing modules; by package:"
        )
        for package, seconds in plan["cold_import_by_package"].items():
            if seconds >= 0.05:
                print(f"    {package:<48} {seconds:>6.2f} s")
        print_profile(f"warm plan ({plan['warm_profiled_s']:.2f} s wall, all threads)", plan["warm_profile"])
    for entry in profiles.get("analyze", []):
        print_profile(
            f"Analyze of {entry['label']} ({entry['resources']} resources, {entry['analyze_profiled_s']:.2f} s "
            f"+ AnalyzeStack {entry['analyze_stack_profiled_s']:.2f} s)",
            entry["profile"],
        )


def targets(
    stacks: Sequence[Row], fleets: Sequence[Row], pack: Mapping[str, Any] | None, ratios: Sequence[Any]
) -> dict:
    checks: dict[str, Any] = {}
    prod = next((r for r in stacks if r.name == TARGET_CHECK_STACK), None)
    if prod and prod.check:
        checks[f"check --stack {TARGET_CHECK_STACK} within {TARGET_CHECK_S:g} s"] = {
            "value": prod.check.wall_s,
            "cpu_s": prod.check.cpu_s,
            "load": prod.check.load,
            "met": prod.check.wall_s <= TARGET_CHECK_S,
        }
    if pack:
        served = pack["servicers"][SERVICERS[0][0]]
        best = max(served["analyze"].items(), key=lambda kv: kv[1]["resources_per_s"])
        checks[f">= {TARGET_ANALYZER_RPS:,.0f} resources/s through the analyzer"] = {
            "value": best[1]["resources_per_s"],
            "mode": best[0],
            "met": best[1]["resources_per_s"] >= TARGET_ANALYZER_RPS,
        }
    edge = next((r for r in fleets if r.devices == TARGET_EDGE_DEVICES), None)
    if edge and edge.check_s is not None:
        checks[f"{TARGET_EDGE_DEVICES:,}-device edge check within {TARGET_EDGE_CHECK_S:g} s"] = {
            "value": edge.check_s,
            "measured": edge.check_measured,
            "met": edge.check_s <= TARGET_EDGE_CHECK_S and edge.check_measured,
            "note": edge.note or None,
        }
    if ratios:
        worst = max(max(g["plan_per_device"], g["analyze_per_resource"]) for g in ratios)
        checks["linear growth (time per device)"] = {"value": worst, "met": worst <= LINEAR_TOLERANCE}
    return checks


def print_targets(checks: Mapping[str, Any]) -> None:
    print("\nTargets")
    for name, check in checks.items():
        extra = f" ({check['mode']})" if "mode" in check else ""
        if "cpu_s" in check:
            extra += f" (cpu {check['cpu_s']:.2f} s, load {check['load']:.1f} at the start)"
        if check.get("measured") is False:
            extra += " (estimated: plan + analyze; check could not run)"
        print(f"  {'met    ' if check['met'] else 'NOT met'}  {name}: {check['value']:,.2f}{extra}")


# --------------------------------------------------------------------------------------------------------------------
# Main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fleets of 100 and 1,000 devices only; no profile")
    parser.add_argument("--stacks", nargs="+", default=list(STACKS), choices=STACKS, help="stacks to run")
    parser.add_argument("--sizes", type=int, nargs="+", help="edge fleet sizes (default: 100 1000 5000)")
    parser.add_argument("--no-profile", action="store_true", help="skip the hot-spot profile")
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON results file (default: {OUT})")
    parser.add_argument("--profile-plan", nargs=2, metavar=("STACK", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.profile_plan:  # the child of profile_plan()
        profile_plan_child(args.profile_plan[0], Path(args.profile_plan[1]))
        return 0
    sizes = sorted(set(args.sizes or (QUICK_FLEET_SIZES if args.quick else FLEET_SIZES)))
    began = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        stacks = [bench_stack(stack, work) for stack in args.stacks]
        fleet_dir = work / "fleet"
        fleet_dir.mkdir()
        fleet_stacks = write_project(fleet_dir, sizes)
        edge_profile = gate.stack_profile_name(
            stackfile.load_stack(ROOT, FLEET_BASE_STACK).config, stackfile.load_stack(ROOT, FLEET_BASE_STACK).project
        )
        assert edge_profile is not None
        fleets = [bench_fleet(size, fleet_stacks[size], fleet_dir, work, edge_profile) for size in sizes]
        ratios = growth(fleets)
        prod_export = work / f"{TARGET_CHECK_STACK}.json"
        pack = bench_pack(prod_export, TARGET_CHECK_STACK) if prod_export.is_file() else None
        profiles: dict[str, Any] = {}
        if not (args.quick or args.no_profile) and prod_export.is_file():
            profiles["plan"] = profile_plan(TARGET_CHECK_STACK, work)
            prod_ctx, prod_profile = stack_context(TARGET_CHECK_STACK), profile_document(TARGET_CHECK_STACK)
            classes = servicer_classes()
            profiles["analyze"] = [
                profile_analyze(prod_export, prod_ctx, prod_profile, f"{TARGET_CHECK_STACK}, {name}", cls)
                for name, cls in classes.items()
            ]
            if sizes:
                # The smallest fleet with its own stack config in the pack's environment, as check runs it.
                fleet_stack = fleet_stacks[sizes[0]]
                fleet_ctx = stack_context(fleet_stack, fleet_dir)
                label = f"edge fleet of {sizes[0]} devices, {SERVICERS[0][0]}"
                edge_profile_doc = profile_document(FLEET_BASE_STACK)
                pack_class = next(iter(classes.values()))
                profiles["analyze"].append(
                    profile_analyze(work / f"{fleet_stack}.json", fleet_ctx, edge_profile_doc, label, pack_class)
                )

    print_rows("Stacks (one fresh process per command)", stacks)
    if fleets:
        print_rows("Edge fleets (plan --export, then analyze of the export)", fleets)
        print_growth(ratios)
    if pack:
        print_pack(pack)
    if profiles:
        print_profiles(profiles)
    checks = targets(stacks, fleets, pack, ratios)
    print_targets(checks)
    elapsed = time.perf_counter() - began
    print(f"\nbenchmark wall time {elapsed:.0f} s; load average now {os.getloadavg()[0]:.1f}")

    result = {
        "benchmark": "offline plan and policy gate (python -m preflight plan|check|analyze), one fresh process each",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "pulumi": metadata.version("pulumi"),
            "pulumi_policy": metadata.version("pulumi-policy"),
            "pulumi_aws": metadata.version("pulumi-aws"),
            "pulumi_kubernetes": metadata.version("pulumi-kubernetes"),
        },
        "stacks": [r.as_json() for r in stacks],
        "fleets": [r.as_json() for r in fleets],
        "growth": ratios,
        "pack": pack,
        "profiles": profiles,
        "targets": checks,
        "seconds": elapsed,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
