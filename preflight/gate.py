"""The policy gate: ``python -m preflight check --stack NAME`` and ``python -m preflight analyze FILE``.

``check`` plans the stack offline, ``analyze`` reads a saved export (``preflight plan --export`` output or a real
``pulumi stack export``). Both then run the policy pack as the engine does (see :mod:`preflight.analyzer`) with the
stack's compliance profile, turn the diagnostics into findings (``violation``, or ``undecided`` when a policy needs
a value that is unknown at preview) and write the reports asked for.

Exit codes: 0 no blocking finding; 1 a mandatory violation (or an undecided mandatory check under
``--fail-on-undecided``), a program error or a pack failure; 2 bad config, profile or usage.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import re
import signal
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, Final

import yaml

from preflight import analyzer, export, plan, stackfile
from preflight.analyzer import AnalysisResult, PackInfo, PolicyConfig, PolicyInfo, StackContext
from preflight.cli import EXIT_FAILURE, EXIT_USAGE, CommandError, add_stack_arguments
from preflight.engine import PlanResult
from preflight.report import FORMATS, write_reports
from preflight.report.model import (
    BLOCKING_LEVELS,
    LIMITATIONS,
    UNDECIDED,
    VIOLATION,
    Finding,
    GateReport,
    PolicyMeta,
    ResourceRef,
    SourcePosition,
    Timing,
)

PACK_DIRNAME: Final = "policies"
# The pack shipped beside preflight/: the default for a --project-dir that has no pack of its own.
BUNDLED_PACK: Final = Path(__file__).resolve().parent.parent / PACK_DIRNAME
STACK_TYPE: Final = "pulumi:pulumi:Stack"
# Profiles whose gate fails on undecided mandatory checks unless told otherwise, for packs that do not say
# (this project's pack says in guardrails.profiles.FAIL_ON_UNDECIDED). Never a key in the profile JSON: the CLI
# sends every key of --policy-pack-config to Configure and rejects one without an enforcement level.
FAIL_ON_UNDECIDED_BY_PROFILE: Final = {"fedramp-high": True}
# Control tags the pack uses (``hipaa:164.312(b)``, ``nist-800-53:SC-28``) and how reports name them.
_CONTROL_TAGS: Final = (("hipaa:", "HIPAA "), ("nist-800-53:", "NIST SP 800-53 "), ("nist:", "NIST SP 800-53 "))
_TOKEN_LITERAL: Final = re.compile(r"""["']([A-Za-z0-9_-]+:[A-Za-z0-9_./-]*:[A-Za-z0-9_]+)["']""")
_SOURCE_SCAN_SKIP: Final = frozenset({"venv", ".venv", "tests", "policies", "preflight", "benchmarks", "node_modules"})


class GateUsageError(Exception):
    """Bad usage, config or profile: exit code 2."""


# --------------------------------------------------------------------------------------------------------------------
# Profiles


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    document: Mapping[str, Any]


def _guardrails(pack_dir: Path) -> ModuleType | None:
    """The pack's own ``guardrails.profiles`` when the pack is this project's (it validates profiles by name)."""
    if not (pack_dir / "guardrails" / "profiles.py").is_file():
        return None
    if str(pack_dir) not in sys.path:
        sys.path.insert(0, str(pack_dir))
    return importlib.import_module("guardrails.profiles")


def profile_path(name_or_path: str, pack_dir: Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".json" or "/" in name_or_path:
        return candidate
    return pack_dir / "profiles" / f"{name_or_path}.json"


def load_profile(name_or_path: str, pack_dir: Path) -> Profile:
    """Read and validate a profile by name (``<pack>/profiles/<name>.json``) or path; GateUsageError if bad.

    This project's pack validates it by policy name and schema (``guardrails.profiles``); any pack's profile is
    checked again against the running pack's schemas before Configure (:func:`analyzer.reconcile_config`).
    """
    path = profile_path(name_or_path, pack_dir)
    if not path.is_file():
        known = sorted(p.stem for p in (pack_dir / "profiles").glob("*.json"))
        raise GateUsageError(
            f"unknown profile {name_or_path!r}: {path} does not exist; profiles: {', '.join(known) or 'none'}"
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise GateUsageError(f"profile {path}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    if not isinstance(document, dict):
        raise GateUsageError(f"profile {path}: expected a JSON object of policy name -> config")
    profiles = _guardrails(pack_dir.resolve())
    if profiles is not None:
        errors = list(profiles.validate_profile(document))
        if errors:
            raise GateUsageError(f"profile {path} is invalid:\n  " + "\n  ".join(errors))
    return Profile(path.stem, path, document)


def fail_on_undecided_default(profile: Profile, pack_dir: Path) -> bool:
    """The profile's default for failing on undecided mandatory checks (the pack's table, else the gate's)."""
    profiles = _guardrails(pack_dir.resolve())
    table = getattr(profiles, "FAIL_ON_UNDECIDED", None) if profiles is not None else None
    return bool((table if isinstance(table, Mapping) else FAIL_ON_UNDECIDED_BY_PROFILE).get(profile.name, False))


def stack_profile_name(config: Mapping[str, str], project: str) -> str | None:
    """``compliance.profile`` from the stack's flat config (objects travel as JSON text)."""
    raw = config.get(f"{project}:compliance")
    if not raw:
        return None
    try:
        compliance = json.loads(raw)
    except json.JSONDecodeError:
        return None
    profile = compliance.get("profile") if isinstance(compliance, dict) else None
    return profile if isinstance(profile, str) and profile else None


# --------------------------------------------------------------------------------------------------------------------
# Findings


def policy_controls(p: PolicyInfo) -> tuple[str, ...]:
    """Framework controls of a policy, from its control tags and its compliance framework, without duplicates."""
    controls: list[str] = []
    for tag in p.tags:
        for prefix, label in _CONTROL_TAGS:
            if tag.startswith(prefix):
                controls.append(label + tag[len(prefix) :])
                break
    name, reference = p.framework.get("name", ""), p.framework.get("reference", "")
    if name and reference:
        controls += [f"{name} {ref.strip()}" for ref in reference.split(",") if ref.strip()]
    return tuple(dict.fromkeys(controls))


def policy_metas(info: PackInfo, config: Mapping[str, PolicyConfig]) -> list[PolicyMeta]:
    return [
        PolicyMeta(
            name=p.name,
            description=p.description,
            severity=p.severity,
            enforcement_level=config[p.name].enforcement_level if p.name in config else p.enforcement_level,
            policy_type=p.policy_type,
            remediation=p.remediation_steps,
            controls=policy_controls(p),
            tags=p.tags,
            url=p.url,
        )
        for p in info.policies
    ]


def build_findings(
    result: AnalysisResult,
    policies: Sequence[PolicyMeta],
    types: Mapping[str, str],
    *,
    fail_on_undecided: bool,
) -> list[Finding]:
    """One finding per diagnostic; undecided ones carry the policy's configured level, never the SDK's advisory."""
    by_name = {p.name: p for p in policies}
    findings: list[Finding] = []
    for d in result.diagnostics:
        meta = by_name.get(d.policy_name)
        configured = meta.enforcement_level if meta else d.enforcement_level
        if d.undecided:
            status, level = UNDECIDED, configured
            blocking = fail_on_undecided and configured in BLOCKING_LEVELS
        else:
            status, level = VIOLATION, d.enforcement_level
            blocking = level in BLOCKING_LEVELS
        findings.append(
            Finding(
                policy=d.policy_name,
                severity=d.severity or (meta.severity if meta else ""),
                enforcement_level=level,
                status=status,
                urn=d.urn,
                resource_type=types.get(d.urn, ""),
                message=d.detail,
                remediation=meta.remediation if meta else "",
                controls=meta.controls if meta else (),
                stage=d.stage,
                blocking=blocking,
            )
        )
    return findings


# --------------------------------------------------------------------------------------------------------------------
# Resources and where they come from


def _parse_source_position(value: Any, project_dir: Path) -> SourcePosition | None:
    """``project:///path.py#12,5`` (state) or ``file:///abs/path.py#12`` -> path relative to the project, line."""
    if not isinstance(value, str) or "#" not in value:
        return None
    uri, _, fragment = value.partition("#")
    line_text = fragment.split(",", 1)[0]
    if not line_text.isdigit():
        return None
    if uri.startswith("project:///"):
        path = uri[len("project:///") :]
    elif uri.startswith("file://"):
        try:
            path = Path(uri[len("file://") :]).resolve().relative_to(project_dir.resolve()).as_posix()
        except ValueError:
            return None
    else:
        return None
    return SourcePosition(path, int(line_text))


def component_sources(project_dir: Path) -> dict[str, SourcePosition]:
    """Where each component type token is written in the program's source (``"inference:net:Network"``)."""
    found: dict[str, SourcePosition] = {}
    for path in sorted(project_dir.rglob("*.py")):
        rel = path.relative_to(project_dir)
        if any(part in _SOURCE_SCAN_SKIP or part.startswith(".") for part in rel.parts[:-1]):
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, 1):
            for token in _TOKEN_LITERAL.findall(line):
                found.setdefault(token, SourcePosition(rel.as_posix(), number))
    return found


def resource_refs(records: Sequence[Mapping[str, Any]], project_dir: Path | None) -> list[ResourceRef]:
    by_urn = {r["urn"]: r for r in records}
    stack = analyzer.stack_urn(records)
    sources = component_sources(project_dir) if project_dir is not None else {}

    def top_component(urn: str) -> str:
        seen: set[str] = set()
        current = by_urn.get(urn)
        while current is not None and current["urn"] not in seen:
            seen.add(current["urn"])
            parent = current.get("parent") or ""
            if parent == stack or not parent:
                is_component = not current.get("custom", False) and current.get("type") != STACK_TYPE
                return current["urn"] if is_component else ""
            current = by_urn.get(parent)
        return ""

    refs = []
    for r in records:
        source = _parse_source_position(r.get("sourcePosition"), project_dir) if project_dir else None
        if source is None and not r.get("custom", False):
            source = sources.get(r["type"])
        refs.append(
            ResourceRef(
                urn=r["urn"],
                type=r["type"],
                name=analyzer.urn_name(r["urn"]),
                parent=r.get("parent") or "",
                component=top_component(r["urn"]),
                source=source,
            )
        )
    return refs


def config_key_lines(stack_file: Path) -> dict[str, int]:
    """1-based line of each top-level key under ``config:`` in a stack file."""
    try:
        root = yaml.compose(stack_file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key, value in root.value:
        if key.value == "config" and isinstance(value, yaml.MappingNode):
            return {k.value: k.start_mark.line + 1 for k, _ in value.value if isinstance(k, yaml.ScalarNode)}
    return {}


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return ""


# --------------------------------------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class Evaluation:
    """Everything needed to run the pack over a set of export records."""

    records: Sequence[Mapping[str, Any]]
    pack_dir: Path
    profile: Profile
    stack: StackContext
    fail_on_undecided: bool
    project_dir: Path | None = None
    stack_file: Path | None = None
    python: str = sys.executable
    processes: int = 0  # pack processes; 0 = one per core for large stacks (analyzer.processes_for)


def evaluate(
    ev: Evaluation,
    *,
    command: str,
    plan_seconds: float | None = None,
    began: float | None = None,
    pack: analyzer.PolicyPackPool | None = None,
) -> GateReport:
    """Run the pack over the records and build the report; PolicyConfigError when the profile does not fit.

    ``pack``: processes already spawned for ``ev`` (by ``check``, before its plan); grown to the size the records
    need and left running for the caller to stop. Without it, the pack is started and stopped here.
    """
    began = time.perf_counter() if began is None else began
    resources = analyzer.build_resources(ev.records)
    processes = ev.processes or analyzer.processes_for(len(resources))
    with contextlib.ExitStack() as running:
        if pack is None:
            pack = running.enter_context(
                analyzer.PolicyPackPool(ev.pack_dir, processes=processes, stack=ev.stack, python=ev.python)
            )
        else:
            pack.grow(processes)
        info = pack.info()
        config = analyzer.reconcile_config(info, ev.profile.document)
        pack.configure(config)
        result = pack.run(resources, stack_urn=analyzer.stack_urn(ev.records))
        start_seconds = pack.start_seconds
    policies = policy_metas(info, config)
    types = {r["urn"]: r["type"] for r in ev.records}
    findings = build_findings(result, policies, types, fail_on_undecided=ev.fail_on_undecided)
    root = ev.project_dir
    return GateReport(
        command=command,
        stack=ev.stack.stack,
        project=ev.stack.project,
        profile=ev.profile.name,
        profile_path=_relative(ev.profile.path, root) if root else str(ev.profile.path),
        pack_name=info.name,
        pack_version=info.version,
        preview=ev.stack.dry_run,
        fail_on_undecided=ev.fail_on_undecided,
        policies=policies,
        resources=resource_refs(ev.records, root),
        findings=findings,
        stack_file=_relative(ev.stack_file, root) if (root and ev.stack_file) else "",
        config_lines=config_key_lines(ev.stack_file) if ev.stack_file else {},
        timing=Timing(
            plan_seconds=plan_seconds,
            pack_start_seconds=start_seconds,
            analyze_seconds=result.analyze_seconds,
            analyze_stack_seconds=result.analyze_stack_seconds,
            total_seconds=time.perf_counter() - began,
        ),
    )


# --------------------------------------------------------------------------------------------------------------------
# Command line


class _FormatAction(argparse.Action):
    """``--format F`` opens a new (format, output) pair."""

    def __call__(
        self, parser: argparse.ArgumentParser, ns: argparse.Namespace, values: Any, opt: str | None = None
    ) -> None:
        del parser, opt
        pairs = list(getattr(ns, self.dest) or [])
        pairs.append([values, None])
        setattr(ns, self.dest, pairs)


class _OutputAction(argparse.Action):
    """``--output FILE`` completes the pair opened by the ``--format`` just before it."""

    def __call__(
        self, parser: argparse.ArgumentParser, ns: argparse.Namespace, values: Any, opt: str | None = None
    ) -> None:
        del opt
        pairs = list(getattr(ns, self.dest) or [])
        if not pairs or pairs[-1][1] is not None:
            parser.error("--output must follow the --format it is for (e.g. --format sarif --output gate.sarif)")
        pairs[-1][1] = Path(values)
        setattr(ns, self.dest, pairs)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (automatic) or more, got {value}")
    return value


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help="profile name (policies/profiles/<name>.json) or path to a profile JSON")
    parser.add_argument(
        "--fail-on-undecided",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="fail the gate when a mandatory check is undecided at preview (default: per profile; on for fedramp-high)",
    )
    parser.add_argument(
        "--format",
        dest="reports",
        action=_FormatAction,
        choices=FORMATS,
        help="report format; repeat with --output for several files in one run (default: text on stdout)",
    )
    parser.add_argument(
        "--output", dest="reports", action=_OutputAction, metavar="FILE", help="file for the --format before it"
    )
    parser.add_argument(
        "--pack",
        type=Path,
        default=None,
        help="policy pack directory (default: <project>/policies, else the pack beside preflight/)",
    )
    parser.add_argument(
        "--pack-processes",
        type=_non_negative,
        default=0,
        metavar="N",
        help=f"pack processes to spread Analyze over (default 0: one per core from {analyzer.SHARD_MIN_RESOURCES} "
        "resources up)",
    )


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``check`` and ``analyze`` (one module, two commands); returns the ``check`` parser."""
    check = subparsers.add_parser(
        "check",
        help="plan a stack offline and run the policy gate on it",
        description="Plan the stack offline, then run the policy pack over it as `pulumi preview --policy-pack` "
        f"would. Exit 0: no blocking finding; 1: a mandatory violation or a failure; 2: bad usage or config. "
        f"{LIMITATIONS[0]}",
    )
    add_stack_arguments(check)
    _add_common(check)
    analyze = subparsers.add_parser(
        "analyze",
        help="run the policy gate on a saved stack export",
        description="Run the policy pack over a `preflight plan --export` file or a real `pulumi stack export`.",
    )
    analyze.add_argument("file", type=Path, help="a `preflight plan --export` or `pulumi stack export` file")
    analyze.add_argument("--stack-name", help="stack name (default: from the export's URNs)")
    analyze.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="project directory (default: the current directory)"
    )
    analyze.add_argument("--debug", action="store_true", help="show tracebacks")
    _add_common(analyze)
    # The CLI sets its runner on the returned parser only; both commands run through run().
    check.set_defaults(_run=run, _gate=_check)
    analyze.set_defaults(_run=run, _gate=_analyze)
    return check


def _outputs(args: argparse.Namespace) -> list[tuple[str, Path | None]]:
    pairs = [(fmt, path) for fmt, path in (args.reports or [])]
    to_stdout = [fmt for fmt, path in pairs if path is None]
    if len(to_stdout) > 1:
        raise CommandError(f"only one format can go to stdout, got {', '.join(to_stdout)}; add --output FILE", 2)
    if not to_stdout:
        pairs.insert(0, ("text", None))
    return pairs


def _fail_on_undecided(args: argparse.Namespace, profile: Profile, pack_dir: Path) -> bool:
    if args.fail_on_undecided is not None:
        return bool(args.fail_on_undecided)
    return fail_on_undecided_default(profile, pack_dir)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so the pack process is stopped on the way out."""

    def handler(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace) -> int:
    """Run ``check`` or ``analyze``; the pack process is stopped whatever happens."""
    try:
        with _terminate_as_interrupt():
            code: int = args._gate(args)
            return code
    except GateUsageError as e:
        raise CommandError(str(e), EXIT_USAGE) from None
    except analyzer.PolicyConfigError as e:
        raise CommandError(str(e), EXIT_USAGE) from None
    except analyzer.PolicyPackError as e:
        raise CommandError(f"policy pack: {e}", EXIT_FAILURE) from None
    except KeyboardInterrupt:
        print("interrupted; the policy pack was stopped", file=sys.stderr)
        return 130


def _pack_dir(args: argparse.Namespace, project_dir: Path) -> Path:
    pack = (args.pack or project_dir / PACK_DIRNAME).resolve()
    if args.pack is None and not (pack / "__main__.py").is_file():
        pack = BUNDLED_PACK
    if not (pack / "__main__.py").is_file():
        raise GateUsageError(f"no policy pack at {pack} (expected __main__.py); pass --pack DIR")
    return pack


def _stack_tags(project: str) -> dict[str, str]:
    return {"pulumi:project": project, "pulumi:runtime": "python"}


def _note_trimmed_config(ctx: StackContext) -> None:
    """Say so when the stack config is too large for the one environment variable Pulumi passes it in."""
    if ctx.config_trimmed:
        keys = ", ".join(f"{ctx.project}:{key}" for key in analyzer.PACK_CONFIG_KEYS)
        print(
            f"note: the stack config is {ctx.config_env_size // 1024} KiB as PULUMI_CONFIG, over Linux's "
            f"{analyzer.MAX_ENV_STRING // 1024} KiB limit for one environment variable: `pulumi up` could not start "
            f"the program or the pack with it. The pack here gets only {keys}. Move long lists to files "
            "(edge.inventory: docs/edge-sharding.md).",
            file=sys.stderr,
        )


def check_context(stack: stackfile.StackFile) -> StackContext:
    """What ``check`` tells the pack about the stack: a preview (dry run) with the stack file's config."""
    return StackContext(
        project=stack.project,
        stack=stack.stack,
        dry_run=True,
        config=stack.config,
        secret_keys=stack.secret_keys,
        tags=_stack_tags(stack.project),
    )


def _finish(report: GateReport, outputs: list[tuple[str, Path | None]]) -> int:
    for path in write_reports(report, outputs):
        print(f"wrote {path}", file=sys.stderr)
    return report.exit_code


def plan_evaluation(
    stack: stackfile.StackFile,
    plan_result: PlanResult,
    profile: Profile,
    pack_dir: Path,
    *,
    fail_on_undecided: bool,
    processes: int = 0,
) -> Evaluation:
    """What ``check`` runs the pack over: an offline plan of ``stack``, as a preview (dry run)."""
    # In memory only: secrets stay readable to the policies, as the engine sends them.
    document = export.to_deployment(plan_result, stack.stack, stack.project, show_secrets=True)
    return Evaluation(
        records=analyzer.deployment_resources(document),
        pack_dir=pack_dir,
        profile=profile,
        stack=check_context(stack),
        fail_on_undecided=fail_on_undecided,
        project_dir=stack.project_dir.resolve(),
        stack_file=stack.path,
        processes=processes,
    )


def _check(args: argparse.Namespace) -> int:
    began = time.perf_counter()
    outputs = _outputs(args)
    project_dir = args.project_dir.resolve()
    pack_dir = _pack_dir(args, project_dir)
    stack = stackfile.load_stack(project_dir, args.stack)
    name = args.profile or stack_profile_name(stack.config, stack.project)
    if name is None:
        raise GateUsageError(
            f"stack {args.stack!r} sets no {stack.project}:compliance.profile in {stack.path.name}; pass --profile"
        )
    # Profile errors surface before the (slow) plan runs.
    profile = load_profile(name, pack_dir)
    ctx = check_context(stack)
    _note_trimmed_config(ctx)
    # The pack starts (imports its policies) while the program is planned; it is stopped whatever happens,
    # a failed plan included. The plan's size decides how many more processes evaluate() adds.
    pack = analyzer.PolicyPackPool(pack_dir, processes=args.pack_processes or 1, stack=ctx)
    try:
        pack.spawn()
        print(f"Offline plan of {stack.stack} ({project_dir})", file=sys.stderr, flush=True)
        _, plan_result = plan.plan_stack(project_dir, args.stack, progress=sys.stderr)
        plan.render_logs(plan_result, sys.stderr)
        # The plan first, then the findings, as `pulumi preview --policy-pack` shows them; a machine-readable
        # format on stdout keeps stdout to itself.
        stream = sys.stdout if ("text", None) in outputs else sys.stderr
        plan.render_tree(plan_result, stream)
        plan.render_summary(plan_result, stream)
        ev = plan_evaluation(
            stack,
            plan_result,
            profile,
            pack_dir,
            fail_on_undecided=_fail_on_undecided(args, profile, pack_dir),
            processes=args.pack_processes,
        )
        report = evaluate(ev, command="check", plan_seconds=plan_result.duration_s, began=began, pack=pack)
    finally:
        pack.stop()
    return _finish(report, outputs)


def _analyze(args: argparse.Namespace) -> int:
    began = time.perf_counter()
    outputs = _outputs(args)
    project_dir = args.project_dir.resolve()
    pack_dir = _pack_dir(args, project_dir)
    records = [r for r in export.load_deployment(args.file) if not r.get("delete")]
    if not records:
        raise GateUsageError(f"{args.file}: the export has no resources")
    parts = records[0]["urn"].split("::")
    project = parts[1] if len(parts) > 1 else ""
    stack_name = args.stack_name or parts[0].rsplit(":", 1)[-1]

    stack_file: Path | None = None
    config: Mapping[str, str] = {}
    secret_keys: Sequence[str] = ()
    with contextlib.suppress(stackfile.StackError):
        loaded = stackfile.load_stack(project_dir, stack_name)
        # Only the stack file of the exported project describes this state.
        if loaded.project == project:
            stack_file, config, secret_keys = loaded.path, loaded.config, loaded.secret_keys
    name = args.profile or stack_profile_name(config, project)
    if name is None:
        raise GateUsageError(
            f"no profile for stack {stack_name!r}: pass --profile (no Pulumi.{stack_name}.yaml with "
            f"{project}:compliance.profile in {project_dir})"
        )
    profile = load_profile(name, pack_dir)
    # A plan export still holds unknowns (a preview); a deployed stack's export does not.
    preview = any(
        analyzer.contains_unknown(r.get("inputs")) or analyzer.contains_unknown(r.get("outputs")) for r in records
    )
    ctx = StackContext(
        project=project,
        stack=stack_name,
        dry_run=preview,
        config=config,
        secret_keys=secret_keys,
        tags=_stack_tags(project),
    )
    _note_trimmed_config(ctx)
    ev = Evaluation(
        records=records,
        pack_dir=pack_dir,
        profile=profile,
        stack=ctx,
        fail_on_undecided=_fail_on_undecided(args, profile, pack_dir),
        project_dir=project_dir,
        stack_file=stack_file,
        processes=args.pack_processes,
    )
    report = evaluate(ev, command="analyze", began=began)
    report.source_file = _relative(args.file, project_dir)
    return _finish(report, outputs)
