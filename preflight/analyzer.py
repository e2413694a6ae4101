"""A CrossGuard policy pack as a subprocess, driven over the analyzer gRPC protocol the way the engine does it.

The engine starts a Python pack as ``python -u -m pulumi.policy <engine-address> .`` in the pack's directory, reads
the port from the first stdout line, then calls ``GetAnalyzerInfo``, ``ConfigureStack``, ``Configure`` (every policy's
enforcement level and config, schema defaults filled in), ``Analyze`` once per resource (inputs) and ``AnalyzeStack``
once (all resources, outputs, parents and dependencies). This module does the same offline, from a
``pulumi stack export`` (v3) deployment, so a pack behaves here exactly as under ``pulumi preview --policy-pack``.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

import grpc
import jsonschema
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from preflight.engine import OUTPUT_VALUE_SIG, SECRET_SIG, SIG_KEY, UNKNOWN
from preflight.engine import RESOURCE_REF_SIG as RESOURCE_SIG
from preflight.export import WITHHELD

# The unknown value of each type, as in the engine's plugin/rpc.go (the wire markers are preflight.engine's).
UNKNOWN_SENTINELS: Final = frozenset(
    {
        UNKNOWN,
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # bool
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)

ENFORCEMENT_LEVELS: Final = ("advisory", "mandatory", "remediate", "disabled")
_LEVEL_FROM_PROTO: Final = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
_LEVEL_TO_PROTO: Final = {v: k for k, v in _LEVEL_FROM_PROTO.items()}
_SEVERITY_FROM_PROTO: Final = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_POLICY_TYPE_FROM_PROTO: Final = {
    analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
    analyzer_pb2.POLICY_TYPE_STACK: "stack",
}

# The SDK's wording when a policy read a value that is unknown at preview (pulumi_policy/policy.py).
_UNDECIDED_PREFIX: Final = "can't run policy '"
_UNDECIDED_MARKER: Final = "during preview: "

# The Python pack never dials the engine (pulumi.policy passes no engine to Settings), so an address that
# cannot be connected to is the honest stand-in: a pack that did try to call back would fail loudly.
NO_ENGINE_ADDRESS: Final = "127.0.0.1:0"
_MAX_MESSAGE: Final = 400 * 1024 * 1024  # the SDK's own limit
_CHANNEL_OPTIONS: Final = [
    ("grpc.max_receive_message_length", _MAX_MESSAGE),
    ("grpc.max_send_message_length", _MAX_MESSAGE),
]
DEFAULT_START_TIMEOUT: Final = 30.0
DEFAULT_CALL_TIMEOUT: Final = 120.0
# Outstanding Analyze calls: enough to keep the server's 4 worker threads busy while responses are read.
DEFAULT_IN_FLIGHT: Final = 16
# The SDK converts a resource's properties once per policy inside one GIL, so one pack process is CPU-bound at a
# few hundred resources per second with ~50 policies. Large stacks are spread over several identical processes
# (Analyze is per resource and stateless); below this size the extra start-up is not worth it.
SHARD_MIN_RESOURCES: Final = 1000
MAX_PACK_PROCESSES: Final = 4
# Linux refuses to exec a process with one environment string ("NAME=value") over MAX_ARG_STRLEN, 128 KiB (E2BIG),
# and the CLI passes the whole stack config as one variable, PULUMI_CONFIG.
MAX_ENV_STRING: Final = 128 * 1024
# The project-namespace config keys this project's pack reads (policies/guardrails/_env.py: `environment`); all the
# pack gets when the whole config would not fit in one environment string.
PACK_CONFIG_KEYS: Final = ("environment",)


class PolicyPackError(RuntimeError):
    """The pack could not be started or failed while answering."""


class PolicyConfigError(ValueError):
    """The policy-pack config (profile) does not fit the pack's policies; each message names the policy."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("invalid policy pack config:\n  " + "\n  ".join(errors))
        self.errors = list(errors)


# --------------------------------------------------------------------------------------------------------------------
# Pack metadata and config


@dataclass(frozen=True)
class PolicyInfo:
    """One policy as the pack describes it in GetAnalyzerInfo."""

    name: str
    description: str
    enforcement_level: str
    severity: str = ""
    policy_type: str = "unknown"
    display_name: str = ""
    config_properties: Mapping[str, Any] = field(default_factory=dict)
    config_required: tuple[str, ...] = ()
    framework: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    remediation_steps: str = ""
    url: str = ""


@dataclass(frozen=True)
class PolicyConfig:
    """Enforcement level and properties of one policy, as sent in Configure."""

    enforcement_level: str
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PackInfo:
    name: str
    version: str
    description: str
    supports_config: bool
    policies: tuple[PolicyInfo, ...]
    initial_config: Mapping[str, PolicyConfig] = field(default_factory=dict)

    def policy(self, name: str) -> PolicyInfo | None:
        return next((p for p in self.policies if p.name == name), None)


def _policy_info(p: Any) -> PolicyInfo:
    schema = json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {}
    framework = {
        k: v
        for k, v in (
            ("name", p.framework.name),
            ("version", p.framework.version),
            ("reference", p.framework.reference),
            ("specification", p.framework.specification),
        )
        if v
    }
    return PolicyInfo(
        name=p.name,
        description=p.description,
        enforcement_level=_LEVEL_FROM_PROTO.get(p.enforcementLevel, "advisory"),
        severity=_SEVERITY_FROM_PROTO.get(p.severity, ""),
        policy_type=_POLICY_TYPE_FROM_PROTO.get(p.policy_type, "unknown"),
        display_name=p.displayName,
        config_properties=schema,
        config_required=tuple(p.configSchema.required) if p.HasField("configSchema") else (),
        framework=framework,
        tags=tuple(p.tags),
        remediation_steps=p.remediation_steps,
        url=p.url,
    )


def pack_version_from_yaml(pack_dir: Path) -> str:
    """The version in PulumiPolicy.yaml, which the CLI prefers over the SDK's fixed 0.0.1."""
    path = pack_dir / "PulumiPolicy.yaml"
    if not path.is_file():
        return ""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    version = data.get("version") if isinstance(data, dict) else None
    return str(version) if version is not None else ""


def parse_policy_pack_config(raw: Mapping[str, Any]) -> dict[str, PolicyConfig]:
    """Parse a ``--policy-pack-config`` document the way the CLI does (string = level; object = level + properties)."""
    result: dict[str, PolicyConfig] = {}
    errors: list[str] = []
    for name, value in raw.items():
        if isinstance(value, str):
            if value not in ENFORCEMENT_LEVELS:
                errors.append(
                    f"{name}: {value!r} is not a valid enforcement level; allowed: {list(ENFORCEMENT_LEVELS)}"
                )
                continue
            result[name] = PolicyConfig(value, {})
        elif isinstance(value, Mapping):
            props = dict(value)
            level = props.pop("enforcementLevel", "")
            if level != "" and level not in ENFORCEMENT_LEVELS:
                errors.append(f"{name}.enforcementLevel: {level!r} is not valid; allowed: {list(ENFORCEMENT_LEVELS)}")
                continue
            if level or props:
                result[name] = PolicyConfig(level, props)
        else:
            errors.append(f"{name}: must be an enforcement level string or an object, got {type(value).__name__}")
    if errors:
        raise PolicyConfigError(errors)
    return result


def _apply_config(result: dict[str, PolicyConfig], given: Mapping[str, PolicyConfig]) -> None:
    all_level = given["all"].enforcement_level if "all" in given else ""
    if all_level:
        for name, cfg in list(result.items()):
            result[name] = PolicyConfig(all_level, cfg.properties)
    for name, cfg in given.items():
        current = result.get(name, PolicyConfig("", {}))
        result[name] = PolicyConfig(
            cfg.enforcement_level or current.enforcement_level, {**current.properties, **cfg.properties}
        )


def reconcile_config(info: PackInfo, profile: Mapping[str, Any] | None) -> dict[str, PolicyConfig]:
    """Every policy's effective level and config, as the CLI computes it before Configure.

    Schema defaults first, then the pack's initial config, then the profile (``all`` sets every level); the result is
    validated against each policy's config schema. Sending every policy matters: a policy left out of Configure runs
    at the protocol's zero value, advisory, whatever its declared level.
    """
    result: dict[str, PolicyConfig] = {}
    for p in info.policies:
        defaults = {
            k: v["default"] for k, v in p.config_properties.items() if isinstance(v, Mapping) and "default" in v
        }
        result[p.name] = PolicyConfig(p.enforcement_level, defaults)
    _apply_config(result, info.initial_config)
    _apply_config(result, parse_policy_pack_config(profile or {}))

    errors = [
        f"{name}: no enforcement level; set enforcementLevel to one of {list(ENFORCEMENT_LEVELS)}"
        for name, cfg in result.items()
        if cfg.enforcement_level not in ENFORCEMENT_LEVELS
    ]
    for p in info.policies:
        schema: dict[str, Any] = {"type": "object"}
        if p.config_properties:
            schema["properties"] = dict(p.config_properties)
        if p.config_required:
            schema["required"] = list(p.config_required)
        validator = jsonschema.Draft7Validator(schema)
        for err in sorted(validator.iter_errors(dict(result[p.name].properties)), key=lambda e: list(e.path)):
            where = ".".join(str(x) for x in err.path)
            errors.append(f"{p.name}{'.' + where if where else ''}: {err.message}")
    if errors:
        raise PolicyConfigError(errors)
    return result


# --------------------------------------------------------------------------------------------------------------------
# Export records -> analyzer messages


def to_wire(value: Any) -> Any:  # noqa: PLR0911 - one return per wire marker
    """A state/export property value in the form the engine marshals for analyzers.

    Unknowns and secrets are kept (KeepUnknowns, KeepSecrets), resource references become the referenced ID (or URN
    for components) as with ``KeepResources: false``, output values collapse to their value, and internal ``__`` keys
    are dropped (SkipInternalKeys). A secret exported as ciphertext (or withheld by ``preflight.export``) cannot be
    read offline, so it is sent as an unknown secret: a policy that needs it is undecided rather than guessed.
    """
    if isinstance(value, Mapping):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            if "value" in value and value["value"] != WITHHELD:
                inner = to_wire(value["value"])
            elif "plaintext" in value:
                inner = to_wire(json.loads(value["plaintext"]))
            else:
                inner = UNKNOWN
            return {SIG_KEY: SECRET_SIG, "value": inner}
        if sig == RESOURCE_SIG:
            if "id" in value:
                ref_id = value["id"]
                return UNKNOWN if ref_id in ("", None) else to_wire(ref_id)
            return value.get("urn", "")
        if sig == OUTPUT_VALUE_SIG:
            out = to_wire(value["value"]) if "value" in value else UNKNOWN
            return {SIG_KEY: SECRET_SIG, "value": out} if value.get("secret") else out
        return {k: to_wire(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    return value


def contains_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value in UNKNOWN_SENTINELS
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(props)
    return s


def urn_name(urn: str) -> str:
    parts = urn.split("::", 3)
    return parts[3] if len(parts) == 4 else urn


def _provider_urn(ref: str) -> str:
    # A provider reference is "<urn>::<id>"; the ID never contains "::".
    return ref.rsplit("::", 1)[0] if ref else ""


@dataclass(frozen=True)
class AnalyzerResource:
    """One resource ready to send: the Analyze request and its AnalyzeStack counterpart."""

    urn: str
    type: str
    request: Any  # analyzer_pb2.AnalyzeRequest
    stack_resource: Any  # analyzer_pb2.AnalyzerResource


def deployment_resources(export: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The resource records of a ``pulumi stack export`` document (or of its ``deployment`` object)."""
    deployment = export.get("deployment", export)
    resources = deployment.get("resources") if isinstance(deployment, Mapping) else None
    if not isinstance(resources, list):
        raise ValueError("not a stack export: expected deployment.resources to be a list")  # noqa: TRY004
    # Pending deletions are not part of the stack the policies judge.
    return [dict(r) for r in resources if isinstance(r, Mapping) and not r.get("delete")]


def build_resources(records: Sequence[Mapping[str, Any]]) -> list[AnalyzerResource]:
    """Turn export records into Analyze requests (inputs) and AnalyzeStack resources (outputs over inputs)."""
    by_urn = {r["urn"]: r for r in records}
    providers: dict[str, Any] = {}

    def provider_msg(ref: str) -> Any:
        urn = _provider_urn(ref)
        if urn not in providers:
            rec = by_urn.get(urn)
            providers[urn] = (
                None
                if rec is None
                else analyzer_pb2.AnalyzerProviderResource(
                    type=rec["type"], urn=urn, name=urn_name(urn), properties=_struct(to_wire(_inputs(rec)))
                )
            )
        return providers[urn]

    out: list[AnalyzerResource] = []
    for rec in records:
        urn, typ = rec["urn"], rec["type"]
        timeouts = rec.get("customTimeouts") or {}
        options = analyzer_pb2.AnalyzerResourceOptions(
            protect=bool(rec.get("protect", False)),
            ignoreChanges=list(rec.get("ignoreChanges") or []),
            deleteBeforeReplace=bool(rec.get("deleteBeforeReplace", False)),
            deleteBeforeReplaceDefined="deleteBeforeReplace" in rec,
            additionalSecretOutputs=list(rec.get("additionalSecretOutputs") or []),
            aliases=[a if isinstance(a, str) else a.get("urn", "") for a in rec.get("aliases") or []],
            customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(
                create=float(timeouts.get("create", 0)),
                update=float(timeouts.get("update", 0)),
                delete=float(timeouts.get("delete", 0)),
            ),
            parent=rec.get("parent") or "",
        )
        provider = provider_msg(rec["provider"]) if rec.get("provider") else None
        inputs = _struct(to_wire(_inputs(rec)))
        # AnalyzeStack judges the final state: outputs, which at preview are the inputs plus unknowns.
        state = _struct(to_wire({**(rec.get("inputs") or {}), **(rec.get("outputs") or {})}))
        request = analyzer_pb2.AnalyzeRequest(
            type=typ, urn=urn, name=urn_name(urn), properties=inputs, options=options, provider=provider
        )
        prop_deps = {
            k: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(v))
            for k, v in (rec.get("propertyDependencies") or {}).items()
            if v
        }
        stack_resource = analyzer_pb2.AnalyzerResource(
            type=typ,
            urn=urn,
            name=urn_name(urn),
            properties=state,
            options=options,
            provider=provider,
            parent=rec.get("parent") or "",
            dependencies=list(rec.get("dependencies") or []),
            propertyDependencies=prop_deps,
        )
        out.append(AnalyzerResource(urn, typ, request, stack_resource))
    return out


def _inputs(rec: Mapping[str, Any]) -> Mapping[str, Any]:
    # Policies judge inputs; an export without them (old state, components) falls back to outputs.
    inputs = rec.get("inputs")
    return inputs if inputs is not None else rec.get("outputs") or {}


# --------------------------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Diagnostic:
    """A diagnostic attributed to a resource (``urn``), or to the whole stack (``urn`` empty)."""

    policy_name: str
    policy_pack_name: str
    policy_pack_version: str
    description: str
    message: str
    enforcement_level: str
    severity: str
    urn: str
    stage: str  # "resource" (Analyze) or "stack" (AnalyzeStack)

    @property
    def undecided(self) -> bool:
        """True when the SDK could not run the policy because a value it read is unknown at preview."""
        return (
            self.enforcement_level == "advisory"
            and self.message.startswith(_UNDECIDED_PREFIX)
            and _UNDECIDED_MARKER in self.message
        )

    @property
    def detail(self) -> str:
        """The message without the policy description the SDK prepends to violations."""
        if self.undecided:
            return self.message.split(_UNDECIDED_MARKER, 1)[1]
        prefix = self.description + "\n"
        return self.message[len(prefix) :] if self.message.startswith(prefix) else self.message


@dataclass(frozen=True)
class NotApplicable:
    policy_name: str
    reason: str
    urn: str


@dataclass
class AnalysisResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)
    resources: int = 0
    analyze_seconds: float = 0.0
    analyze_stack_seconds: float = 0.0


def _diagnostic(d: Any, urn: str, stage: str, version: str) -> Diagnostic:
    return Diagnostic(
        policy_name=d.policyName,
        policy_pack_name=d.policyPackName,
        policy_pack_version=version or d.policyPackVersion,
        description=d.description,
        message=d.message,
        enforcement_level=_LEVEL_FROM_PROTO.get(d.enforcementLevel, "advisory"),
        severity=_SEVERITY_FROM_PROTO.get(d.severity, ""),
        urn=d.urn or urn,
        stage=stage,
    )


# --------------------------------------------------------------------------------------------------------------------
# The pack process


@dataclass(frozen=True)
class StackContext:
    """What the CLI tells a pack about the stack: environment at start, then ConfigureStack."""

    project: str
    stack: str
    dry_run: bool
    organization: str = "organization"
    config: Mapping[str, str] = field(default_factory=dict)
    secret_keys: Sequence[str] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def config_env_size(self) -> int:
        """Bytes of the ``PULUMI_CONFIG=<whole config>`` environment string the CLI would start the pack with."""
        return len(b"PULUMI_CONFIG=") + len(json.dumps(dict(self.config)).encode()) + 1

    @property
    def config_trimmed(self) -> bool:
        """Whether the whole config is too large for one environment string, so the pack gets PACK_CONFIG_KEYS only."""
        return self.config_env_size > MAX_ENV_STRING

    def pack_config(self) -> dict[str, str]:
        """The config passed in PULUMI_CONFIG: all of it, as the CLI passes it, when it fits in one environment
        string; otherwise only the keys the pack reads (PACK_CONFIG_KEYS), so the pack still starts. (The whole
        config would make exec fail with E2BIG, as it would for ``pulumi up``: see docs/edge-sharding.md.)"""
        if not self.config_trimmed:
            return dict(self.config)
        read = {f"{self.project}:{key}" for key in PACK_CONFIG_KEYS}
        return {key: value for key, value in self.config.items() if key in read}

    def environment(self) -> dict[str, str]:
        env = {
            "PULUMI_PROJECT": self.project,
            "PULUMI_STACK": self.stack,
            "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
            "PULUMI_ORGANIZATION": self.organization,
        }
        config = self.pack_config()
        if config:
            env["PULUMI_CONFIG"] = json.dumps(config)
        secret_keys = [key for key in self.secret_keys if key in config]
        if secret_keys:
            env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(secret_keys)
        return env


class PolicyPackProcess:
    """The pack as a child process with a gRPC client; use as a context manager so the process always stops.

    >>> with PolicyPackProcess(Path("policies"), stack=ctx) as pack:
    ...     info = pack.info()
    """

    def __init__(
        self,
        pack_dir: Path,
        *,
        stack: StackContext | None = None,
        python: str = sys.executable,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
    ) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self.stack = stack
        self.python = python
        self.start_timeout = start_timeout
        self.call_timeout = call_timeout
        self.start_seconds = 0.0
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._spawned_at = 0.0
        self._first_line_at = 0.0
        self._channel: grpc.Channel | None = None
        self._stub: Any = None
        self._info: PackInfo | None = None
        self._levels: dict[str, str] = {}

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    def __enter__(self) -> PolicyPackProcess:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> None:
        """Start the process and wait until it serves (:meth:`spawn`, then :meth:`wait_ready`)."""
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        """Start the process without waiting: it imports the pack while the caller does other work (the plan).

        Call :meth:`wait_ready` before any request, and :meth:`stop` in every case (a context manager does both).
        """
        if self._proc is not None:
            return
        if not (self.pack_dir / "__main__.py").is_file():
            raise PolicyPackError(f"no policy pack at {self.pack_dir}: __main__.py not found")
        self._spawned_at, self._first_line_at = time.perf_counter(), 0.0
        self._lines = queue.Queue()
        env = dict(os.environ)
        env.update(self.stack.environment() if self.stack else {})
        env["PYTHONUNBUFFERED"] = "1"
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        try:
            # Same command line as the engine: the engine address, then "." with the pack directory as cwd.
            self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [self.python, "-u", "-m", "pulumi.policy", NO_ENGINE_ADDRESS, "."],
                cwd=self.pack_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
            )
        except OSError as e:
            raise PolicyPackError(self._spawn_failure(e, env)) from None
        stdout, lines = self._proc.stdout, self._lines
        assert stdout is not None

        def pump() -> None:
            # Keep draining stdout after the handshake so a chatty policy cannot fill the pipe and stall the pack.
            for line in stdout:
                if not self._first_line_at:
                    self._first_line_at = time.perf_counter()
                lines.put(line)
            lines.put(None)

        self._reader = threading.Thread(target=pump, name="policy-pack-stdout", daemon=True)
        self._reader.start()

    def _spawn_failure(self, e: OSError, env: Mapping[str, str]) -> str:
        what = f"cannot start the policy pack {self.pack_dir} with {self.python}"
        if e.errno != errno.E2BIG:
            return f"{what}: {e.strerror or e}"
        largest = sorted(((len(k) + len(v) + 2, k) for k, v in env.items()), reverse=True)[:3]
        sizes = ", ".join(f"{name} {size / 1024:.0f} KiB" for size, name in largest)
        return (
            f"{what}: its environment is too large to start a process (E2BIG: one variable over "
            f"{MAX_ENV_STRING // 1024} KiB, or all of them over the system limit); largest: {sizes}"
        )

    def wait_ready(self) -> None:
        """Wait for the port the pack prints, connect, and send ConfigureStack; PolicyPackError if it fails."""
        if self._stub is not None:
            return
        if self._proc is None:
            raise PolicyPackError("policy pack is not running")
        try:
            first = self._lines.get(timeout=self.start_timeout)
        except queue.Empty:
            raise PolicyPackError(
                f"policy pack {self.pack_dir} printed no port within {self.start_timeout:.0f}s{self._stderr_tail()}"
            ) from None
        text = (first or b"").decode(errors="replace").strip()
        if not text.isdigit():
            if first is None:  # stdout closed: the pack has exited (or is about to)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=5)
            what = f"exited with code {self._proc.returncode}" if first is None else f"printed {text[:200]!r}"
            raise PolicyPackError(f"policy pack {self.pack_dir} {what} instead of its port{self._stderr_tail()}")
        self.port = int(text)
        connecting = time.perf_counter()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}", options=_CHANNEL_OPTIONS)
        try:
            grpc.channel_ready_future(self._channel).result(timeout=self.start_timeout)
        except grpc.FutureTimeoutError:
            raise PolicyPackError(f"policy pack port {self.port} did not accept a connection") from None
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        # The pack's own start-up (to its port, then connected), not the time the caller was busy meanwhile.
        self.start_seconds = (self._first_line_at or connecting) - self._spawned_at + time.perf_counter() - connecting
        if self.stack is not None:
            self.configure_stack(self.stack)

    def stop(self) -> None:
        """Close the channel and end the process (terminate, then kill); always reaps it."""
        self._stub = None
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self._reader is not None:
            self._reader.join(timeout=5)
            self._reader = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _stderr_tail(self, limit: int = 4000) -> str:
        if self._stderr is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self._stderr.flush()
            self._stderr.seek(0)
            text = self._stderr.read().decode(errors="replace").strip()
            if text:
                return "; its stderr:\n" + text[-limit:]
        return ""

    def _call(self, name: str, request: Any) -> Any:
        if self._stub is None:
            raise PolicyPackError("policy pack is not running")
        try:
            return getattr(self._stub, name)(request, timeout=self.call_timeout)
        except grpc.RpcError as e:
            raise PolicyPackError(f"{name} failed: {e.code().name}: {e.details()}{self._stderr_tail()}") from e

    # -- protocol ----------------------------------------------------------------------------------------------------

    def info(self) -> PackInfo:
        if self._info is None:
            resp = self._call("GetAnalyzerInfo", empty_pb2.Empty())
            initial = {
                k: PolicyConfig(
                    _LEVEL_FROM_PROTO.get(v.enforcementLevel, "advisory"), json_format.MessageToDict(v.properties)
                )
                for k, v in resp.initialConfig.items()
            }
            self._info = PackInfo(
                name=resp.name,
                version=pack_version_from_yaml(self.pack_dir) or resp.version,
                description=resp.description,
                supports_config=resp.supportsConfig,
                policies=tuple(sorted((_policy_info(p) for p in resp.policies), key=lambda p: p.name)),
                initial_config=initial,
            )
        return self._info

    def configure(self, config: Mapping[str, PolicyConfig]) -> None:
        """Send every policy's level and properties; policies missing here would silently run as advisory."""
        info = self.info()
        missing = [p.name for p in info.policies if p.name not in config]
        if missing:
            raise PolicyConfigError([f"{name}: missing from Configure (it would run as advisory)" for name in missing])
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, cfg in config.items():
            request.policyConfig[name].CopyFrom(
                analyzer_pb2.PolicyConfig(
                    enforcementLevel=_LEVEL_TO_PROTO[cfg.enforcement_level], properties=_struct(cfg.properties)
                )
            )
        self._call("Configure", request)
        self._levels = {name: cfg.enforcement_level for name, cfg in config.items()}

    def configure_stack(self, ctx: StackContext) -> None:
        request = analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=ctx.stack,
            project=ctx.project,
            organization=ctx.organization,
            dry_run=ctx.dry_run,
            config=dict(ctx.config),
            config_secret_keys=list(ctx.secret_keys),
            tags=dict(ctx.tags),
        )
        try:
            self._stub.ConfigureStack(request, timeout=self.call_timeout)
        except grpc.RpcError as e:
            # Older packs do not implement it; the CLI carries on in that case too.
            if e.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise PolicyPackError(f"ConfigureStack failed: {e.code().name}: {e.details()}") from e

    @property
    def levels(self) -> Mapping[str, str]:
        """The enforcement level each policy was configured with."""
        return self._levels

    def analyze(self, resources: Sequence[AnalyzerResource], *, in_flight: int = DEFAULT_IN_FLIGHT) -> AnalysisResult:
        """Analyze every resource, keeping ``in_flight`` calls outstanding so the server's workers stay busy."""
        if self._stub is None:
            raise PolicyPackError("policy pack is not running")
        version = self.info().version
        result = AnalysisResult(resources=len(resources))
        began = time.perf_counter()
        pending: collections.deque[tuple[AnalyzerResource, Any]] = collections.deque()

        def collect(res: AnalyzerResource, fut: Any) -> None:
            try:
                resp = fut.result()
            except grpc.RpcError as e:
                raise PolicyPackError(
                    f"Analyze failed for {res.urn}: {e.code().name}: {e.details()}{self._stderr_tail()}"
                ) from e
            # Analyze diagnostics carry no URN: they belong to the resource that was sent.
            result.diagnostics.extend(_diagnostic(d, res.urn, "resource", version) for d in resp.diagnostics)
            result.not_applicable.extend(NotApplicable(n.policy_name, n.reason, res.urn) for n in resp.not_applicable)

        try:
            for res in resources:
                pending.append((res, self._stub.Analyze.future(res.request, timeout=self.call_timeout)))
                if len(pending) >= in_flight:
                    collect(*pending.popleft())
            while pending:
                collect(*pending.popleft())
        finally:
            for _, fut in pending:
                fut.cancel()
        result.analyze_seconds = time.perf_counter() - began
        return result

    def analyze_stack(self, resources: Sequence[AnalyzerResource], *, stack_urn: str = "") -> AnalysisResult:
        version = self.info().version
        began = time.perf_counter()
        resp = self._call(
            "AnalyzeStack", analyzer_pb2.AnalyzeStackRequest(resources=[r.stack_resource for r in resources])
        )
        return AnalysisResult(
            diagnostics=[_diagnostic(d, stack_urn, "stack", version) for d in resp.diagnostics],
            not_applicable=[NotApplicable(n.policy_name, n.reason, stack_urn) for n in resp.not_applicable],
            resources=len(resources),
            analyze_stack_seconds=time.perf_counter() - began,
        )

    def run(self, resources: Sequence[AnalyzerResource], *, stack_urn: str = "") -> AnalysisResult:
        """Analyze, then AnalyzeStack, merged into one result."""
        per_resource = self.analyze(resources)
        stack = self.analyze_stack(resources, stack_urn=stack_urn)
        per_resource.diagnostics.extend(stack.diagnostics)
        per_resource.not_applicable.extend(stack.not_applicable)
        per_resource.analyze_stack_seconds = stack.analyze_stack_seconds
        return per_resource


def stack_urn(records: Iterable[Mapping[str, Any]]) -> str:
    return next((r["urn"] for r in records if r.get("type") == "pulumi:pulumi:Stack"), "")


def processes_for(resources: int, cpus: int | None = None) -> int:
    """How many pack processes to spread ``resources`` Analyze calls over: one per core for large stacks."""
    if resources < SHARD_MIN_RESOURCES:
        return 1
    return max(1, min(cpus or os.cpu_count() or 1, MAX_PACK_PROCESSES))


class PolicyPackPool:
    """One or more identical pack processes: Analyze is spread over all of them, AnalyzeStack runs on the first.

    Started and stopped together (a failure to start any stops all); use as a context manager, or call
    :meth:`spawn` early (start-up then overlaps the caller's work) and :meth:`stop` in a ``finally``.
    """

    def __init__(self, pack_dir: Path, *, processes: int = 1, **kwargs: Any) -> None:
        if processes < 1:
            raise ValueError(f"processes must be at least 1, got {processes}")
        self._pack_dir, self._kwargs = pack_dir, kwargs
        self.packs = [PolicyPackProcess(pack_dir, **kwargs) for _ in range(processes)]

    def __enter__(self) -> PolicyPackPool:
        try:
            self.spawn()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def spawn(self) -> None:
        """Start every process without waiting: start-up is mostly each child importing the pack, side by side."""
        for pack in self.packs:
            pack.spawn()

    def wait_ready(self) -> None:
        for pack in self.packs:
            pack.wait_ready()

    def grow(self, processes: int) -> None:
        """Start more processes until there are ``processes``, and wait until all serve (the caller stops them)."""
        while len(self.packs) < processes:
            self.packs.append(PolicyPackProcess(self._pack_dir, **self._kwargs))
        self.spawn()
        self.wait_ready()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for pack in self.packs:
            pack.stop()

    @property
    def start_seconds(self) -> float:
        return max(p.start_seconds for p in self.packs)

    def info(self) -> PackInfo:
        return self.packs[0].info()

    def configure(self, config: Mapping[str, PolicyConfig]) -> None:
        for pack in self.packs:
            pack.configure(config)

    def run(self, resources: Sequence[AnalyzerResource], *, stack_urn: str = "") -> AnalysisResult:
        if len(self.packs) == 1:
            return self.packs[0].run(resources, stack_urn=stack_urn)
        began = time.perf_counter()
        shards = [resources[i :: len(self.packs)] for i in range(len(self.packs))]
        pool = ThreadPoolExecutor(len(self.packs))
        try:
            parts = [f.result() for f in [pool.submit(p.analyze, s) for p, s in zip(self.packs, shards, strict=True)]]
        finally:
            # On Ctrl-C do not wait for the other shards: stopping the processes ends their calls.
            pool.shutdown(wait=False, cancel_futures=True)
        order = {r.urn: i for i, r in enumerate(resources)}
        result = AnalysisResult(resources=len(resources), analyze_seconds=time.perf_counter() - began)
        result.diagnostics = sorted((d for p in parts for d in p.diagnostics), key=lambda d: order.get(d.urn, -1))
        result.not_applicable = sorted((n for p in parts for n in p.not_applicable), key=lambda n: order.get(n.urn, -1))
        stack = self.packs[0].analyze_stack(resources, stack_urn=stack_urn)
        result.diagnostics.extend(stack.diagnostics)
        result.not_applicable.extend(stack.not_applicable)
        result.analyze_stack_seconds = stack.analyze_stack_seconds
        return result
