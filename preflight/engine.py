"""Run an unmodified Pulumi program under the SDK's mock engine and record it as the engine would.

:func:`run_program` is the one entry point. It runs a program file (or a callable)
with ``pulumi.runtime.set_mocks`` and a :class:`RecordingMonitor`, inside
``run_in_stack`` as the Python language host does, and returns a
:class:`PlanResult` with every registration:

* URNs in the engine's form ``urn:pulumi:<stack>::<project>::<parentType$...$type>::<name>``
  (the root stack's type left out of its children's type chain);
* parent, provider reference, dependencies, property dependencies, protect,
  retainOnDelete and deleteBeforeReplace from the registration request;
* inputs in the engine's wire form (camelCase names; secrets as
  ``{SIG_KEY: SECRET_SIG, "value": ...}``; values not known yet as :data:`UNKNOWN`;
  references to other resources as resource-reference values);
* default providers, which the engine (not the program) creates: one
  ``pulumi:providers:<pkg>`` resource named ``default_<major>_<minor>_<patch>``
  per package and version, with the package's config keys (``aws:region`` ->
  ``region``) and ``version`` as inputs and no parent; every resource without an
  explicit provider refers to it as ``<provider urn>::<provider id>``.

Preview (the default) answers each registration the way a real preview does for
a resource that does not exist yet: the inputs are echoed back and known, the id
and every computed output stay unknown, so ``apply`` on them does not run.

Data-source calls (invokes) are answered by the deterministic stand-ins of
:mod:`preflight.standins`; an invoke with no stand-in fails, naming its token.
The region of a call is its ``region`` argument, else its provider's ``region``
input (explicit provider) or ``aws:region`` (default provider).

A program error (an exception in the program, an ``apply`` or an RPC) becomes a
:class:`ProgramError` carrying the message; ``ProgramError.is_config_error`` is
true for the project's config error (a ``pulumi.RunError`` subclass named
``ConfigError``). Each run happens in a copied ``contextvars`` context with a new
event loop, fresh config, a fresh root stack and the garbage-collector thresholds
a previous run's program did not retune, so many runs in one process are
independent. Python modules the program imports stay cached between runs, as
any import does.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import logging
import os
import runpy
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import provider_pb2, resource_pb2
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from .standins import InvokeContext, UnknownInvokeError, answer

# Wire-protocol constants (pulumi/sdk/go/common/resource/sig and plugin.UnknownStringValue).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a wire signature, not a password
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"

STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_TYPE_PREFIX = "pulumi:providers:"
# How long a failed program may take to settle before its error is reported anyway.
ERROR_GRACE_S = 2.0

# What an offline plan cannot see; printed with every offline result.
OFFLINE_LIMITS = (
    "offline preview: no provider-side validation or defaults, no existing state or diff "
    "(everything is a create), computed values stay unknown, data sources are stand-ins"
)


# --- wire values -----------------------------------------------------------------------------


def is_unknown(value: Any) -> bool:
    """True for a value a preview does not know (also inside a secret)."""
    return value == UNKNOWN or (is_secret(value) and value.get("value") == UNKNOWN)


def is_secret(value: Any) -> bool:
    """True for a wire-form secret ``{SIG_KEY: SECRET_SIG, "value": ...}``."""
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def unwrap_secret(value: Any) -> Any:
    """The value inside a wire-form secret; any other value unchanged."""
    return value.get("value") if is_secret(value) else value


def is_resource_ref(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == RESOURCE_REF_SIG


def plain(value: Any) -> Any:
    """A deep copy with every secret unwrapped (unknowns and references stay marked)."""
    value = unwrap_secret(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _value_to_py(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "number_value":
        number = value.number_value
        # The wire has only doubles; whole numbers read (and export) as ints, as the engine's JSON does.
        return int(number) if number.is_integer() else number
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return struct_to_py(value.struct_value)
    if kind == "list_value":
        return [_value_to_py(item) for item in value.list_value.values]
    return None


def struct_to_py(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A protobuf ``Struct`` in wire form as plain Python (markers kept)."""
    return {key: _value_to_py(value) for key, value in struct.fields.items()}


# --- results ---------------------------------------------------------------------------------


@dataclass
class RecordedResource:
    """One resource as the engine records it (the fields of a ``pulumi stack export`` entry)."""

    urn: str
    type: str
    name: str
    custom: bool
    id: str = ""
    parent: str = ""
    provider: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    external: bool = False
    remote: bool = False

    @property
    def package(self) -> str:
        return self.type.split(":", 1)[0]

    @property
    def is_provider(self) -> bool:
        return self.type.startswith(PROVIDER_TYPE_PREFIX)

    @property
    def provider_urn(self) -> str:
        """The provider reference without its ``::<id>`` suffix."""
        return self.provider.rsplit("::", 1)[0] if self.provider else ""


@dataclass(frozen=True)
class LogRecord:
    severity: str
    message: str


@dataclass
class PlanResult:
    """Everything one run of the program registered, in registration order."""

    project: str
    stack: str
    preview: bool
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    duration_s: float
    logs: list[LogRecord] = field(default_factory=list)

    @property
    def stack_urn(self) -> str:
        return stack_urn(self.project, self.stack)

    @cached_property
    def _by_urn(self) -> dict[str, RecordedResource]:
        return {res.urn: res for res in self.resources}

    @cached_property
    def _by_type(self) -> dict[str, list[RecordedResource]]:
        index: dict[str, list[RecordedResource]] = {}
        for res in self.resources:
            index.setdefault(res.type, []).append(res)
        return index

    @cached_property
    def _children(self) -> dict[str, list[RecordedResource]]:
        index: dict[str, list[RecordedResource]] = {}
        for res in self.resources:
            index.setdefault(res.parent, []).append(res)
        return index

    def get(self, urn: str) -> RecordedResource:
        try:
            return self._by_urn[urn]
        except KeyError:
            raise LookupError(f"no resource with URN {urn}") from None

    def by_type(self, token: str) -> list[RecordedResource]:
        return list(self._by_type.get(token, ()))

    def one(self, token: str, name: str | None = None) -> RecordedResource:
        """The single resource of ``token`` (and ``name``); LookupError naming the candidates otherwise."""
        found = [res for res in self._by_type.get(token, ()) if name is None or res.name == name]
        if len(found) != 1:
            names = sorted(res.name for res in self._by_type.get(token, ()))
            wanted = f"{token} named {name!r}" if name is not None else token
            raise LookupError(f"expected one {wanted}, found {len(found)}; {token} names: {names}")
        return found[0]

    def children(self, urn: str) -> list[RecordedResource]:
        return list(self._children.get(urn, ()))

    def type_counts(self) -> Counter[str]:
        return Counter(res.type for res in self.resources)


class ProgramError(Exception):
    """The program failed. ``str()`` is the message; the traceback is kept for ``--debug``."""

    def __init__(self, message: str, *, traceback_text: str = "", is_config_error: bool = False, location: str = ""):
        super().__init__(message)
        self.message = message
        self.traceback_text = traceback_text
        self.is_config_error = is_config_error
        self.location = location


def stack_urn(project: str, stack: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"


def default_provider_name(version: str, plugin_download_url: str = "") -> str:
    """The engine's name for a default provider (``ProviderRequest.DefaultName``)."""
    name = "default"
    if version:
        core, _, build = version.partition("+")
        release, _, pre = core.partition("-")
        name += "_" + "_".join(release.split("."))
        for part in (pre.split(".") if pre else []) + (build.split(".") if build else []):
            name += "_" + part
    if plugin_download_url:
        segments = []
        for segment in plugin_download_url.split("/"):
            if not segment:
                continue
            first = segment[0] if segment[0].isalpha() or segment[0] in "_." else "_"
            rest = "".join(c if c.isalnum() or c in "_.-" else "_" for c in segment[1:])
            segments.append(first + rest)
        name += "_" + ("/".join(segments) or "_")
    return name


# --- mocks and monitor -------------------------------------------------------------------------


class OfflineMocks(pulumi.runtime.Mocks):
    """Answers registrations as a preview would, and invokes with :mod:`preflight.standins`.

    Subclass it to change a few answers and call ``super()`` for the rest.
    ``provider_region`` is bound by the engine: provider reference -> region.
    """

    def __init__(self, *, preview: bool = True, default_region: str = "") -> None:
        self.preview = preview
        self.default_region = default_region
        self.provider_region: Callable[[str], str] = lambda _ref: self.default_region

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        # In preview a resource that does not exist yet has an unknown id; its inputs come back as known.
        if self.preview:
            return "", dict(args.inputs)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        ctx = InvokeContext(region=self.provider_region(args.provider) or self.default_region)
        return answer(args.token, args.args, ctx), None


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that records every registration in the engine's form."""

    def __init__(
        self,
        mocks: pulumi.runtime.Mocks,
        *,
        project: str,
        stack: str,
        preview: bool,
        config: Mapping[str, str],
        secret_keys: Sequence[str] = (),
        progress: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(mocks)
        self.project = project
        self.stack = stack
        self.preview = preview
        self.config = config
        self.secret_keys = frozenset(secret_keys)
        self.records: list[RecordedResource] = []
        self.by_urn: dict[str, RecordedResource] = {}
        # What the offline run could not do as the engine would; reported as warnings.
        self.warnings: list[str] = []
        self._prefix = f"urn:pulumi:{stack}::{project}::"
        self._lock = threading.Lock()
        self._default_providers: dict[tuple[str, str, str], str] = {}
        self._progress = progress
        # The default mocks echo the request's struct back: no deserialize/serialize round trip.
        self._echo = type(mocks).new_resource is OfflineMocks.new_resource and isinstance(mocks, OfflineMocks)
        if isinstance(mocks, OfflineMocks):
            mocks.provider_region = self.provider_region

    # URNs ------------------------------------------------------------------------------------

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            qualified = parent[len(self._prefix) :].split("::", 1)[0]
            if qualified != STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return f"{self._prefix}{type_}::{name}"

    # Providers -------------------------------------------------------------------------------

    def _provider_id(self, urn: str) -> str:
        # A provider that does not exist yet has an unknown id in preview, as in the engine's preview.
        return UNKNOWN if self.preview else str(uuid.uuid5(uuid.NAMESPACE_URL, urn))

    def _package_config(self, package: str) -> dict[str, Any]:
        prefix = f"{package}:"
        inputs: dict[str, Any] = {}
        for key, value in self.config.items():
            if key.startswith(prefix):
                name = key[len(prefix) :]
                inputs[name] = {SIG_KEY: SECRET_SIG, "value": value} if key in self.secret_keys else value
        return inputs

    def default_provider(self, package: str, version: str, download_url: str = "") -> str:
        """The reference to the engine's default provider for a package version, created on first use."""
        key = (package, version, download_url)
        with self._lock:
            ref = self._default_providers.get(key)
            if ref is not None:
                return ref
            urn = f"{self._prefix}{PROVIDER_TYPE_PREFIX}{package}::{default_provider_name(version, download_url)}"
            inputs = self._package_config(package)
            if version:
                inputs["version"] = version
            if download_url:
                inputs["pluginDownloadURL"] = download_url
            provider_id = self._provider_id(urn)
            record = RecordedResource(
                urn=urn,
                type=f"{PROVIDER_TYPE_PREFIX}{package}",
                name=urn.rsplit("::", 1)[1],
                custom=True,
                id=provider_id,
                inputs=inputs,
                outputs=dict(inputs),
            )
            self._append(record)
            ref = f"{urn}::{provider_id}"
            self._default_providers[key] = ref
            return ref

    def provider_region(self, ref: str) -> str:
        urn = ref.rsplit("::", 1)[0] if ref else ""
        record = self.by_urn.get(urn)
        region = unwrap_secret(record.inputs.get("region")) if record is not None else None
        if isinstance(region, str) and region:
            return region
        return self.config.get("aws:region", "")

    # Recording ------------------------------------------------------------------------------

    def _append(self, record: RecordedResource) -> None:
        # Called with the lock held.
        self.records.append(record)
        self.by_urn[record.urn] = record
        if self._progress is not None:
            self._progress(len(self.records))

    def _record(self, record: RecordedResource) -> None:
        with self._lock:
            self._append(record)

    def _resolve_provider(self, type_: str, custom: bool, provider: str, version: str, url: str) -> str:
        if provider or not custom or type_.startswith(PROVIDER_TYPE_PREFIX):
            return provider
        return self.default_provider(type_.split(":", 1)[0], version, url)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            self._record(RecordedResource(urn=urn, type=STACK_TYPE, name=request.name, custom=False))
            return resource_pb2.RegisterResourceResponse(urn=urn)

        custom = bool(request.custom)
        provider = self._resolve_provider(
            request.type, custom, request.provider, request.version, request.pluginDownloadURL
        )
        inputs = struct_to_py(request.object)
        if request.remote:
            self.warnings.append(f"{urn} is a multi-language component: its children are not visible offline")
        if request.transforms:
            self.warnings.append(f"{urn}: resource transforms are not applied offline")

        if self._echo:
            if not custom:
                resource_id, outputs, response = "", {}, struct_pb2.Struct()
            elif self.preview:
                resource_id, outputs, response = "", inputs, request.object
            else:
                resource_id = (
                    str(uuid.uuid5(uuid.NAMESPACE_URL, urn))
                    if request.type.startswith(PROVIDER_TYPE_PREFIX)
                    else f"{request.name}-id"
                )
                outputs, response = inputs, request.object
        else:
            pulumi_mocks._ensure_event_loop()
            resource_args = pulumi_mocks.MockResourceArgs(
                typ=request.type,
                name=request.name,
                inputs=rpc.deserialize_properties(request.object),
                provider=provider,
                resource_id=request.importId,
                custom=custom,
            )
            mock_id, state = self.mocks.new_resource(resource_args)
            resource_id = mock_id or ""
            response = _sync_await(rpc.serialize_properties(state, {}))
            outputs = struct_to_py(response) if custom else {}

        record = RecordedResource(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=custom,
            id=(resource_id or UNKNOWN) if custom else "",
            parent=request.parent,
            provider=provider,
            dependencies=list(request.dependencies),
            property_dependencies={key: list(deps.urns) for key, deps in request.propertyDependencies.items()},
            inputs=inputs,
            outputs=outputs,
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=bool(request.deleteBeforeReplace),
            remote=bool(request.remote),
        )
        self._record(record)
        # The stock monitor's registry answers `pulumi:pulumi:getResource` (resource-reference rehydration).
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id, outputs)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=response)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        provider = self._resolve_provider(
            request.type, True, request.provider, request.version, request.pluginDownloadURL
        )
        response = super().ReadResource(request)
        registration = self.resources.get(response.urn)
        self._record(
            RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=True,
                id=(registration.id if registration is not None else "") or request.id,
                parent=request.parent,
                provider=provider,
                dependencies=list(request.dependencies),
                inputs=struct_to_py(request.properties),
                outputs=struct_to_py(response.properties),
                external=True,
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        outputs = struct_to_py(request.outputs)
        with self._lock:
            record = self.by_urn.get(request.urn)
            if record is not None:
                record.outputs = outputs
        return super().RegisterResourceOutputs(request)

    def RegisterStackTransform(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self.warnings.append("stack transforms are not applied offline: resources are recorded as written")
        return super().RegisterStackTransform(request)

    def RegisterResourceHook(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self.warnings.append(f"resource hook {request.name!r} is not run offline")
        return super().RegisterResourceHook(request)

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)
        provider = request.provider
        package = request.tok.split(":", 1)[0]
        if not provider and package != "pulumi":
            # The engine serves an invoke without a provider from the package's default provider.
            provider = self.default_provider(package, request.version, request.pluginDownloadURL)
        pulumi_mocks._ensure_event_loop()
        args = rpc.deserialize_properties(request.args)
        result, failures = self.mocks.call(pulumi_mocks.MockCallArgs(token=request.tok, args=args, provider=provider))
        response = _sync_await(rpc.serialize_properties(result, {}))
        failure_protos = [provider_pb2.CheckFailure(property=prop, reason=reason) for prop, reason in failures or []]
        return resource_pb2.ResourceInvokeResponse(failures=failure_protos, **{"return": response})


# --- running -----------------------------------------------------------------------------------


class _CaptureHandler(logging.Handler):
    def __init__(self, sink: list[LogRecord]) -> None:
        super().__init__(level=logging.INFO)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(LogRecord(severity=record.levelname.lower(), message=record.getMessage()))


class _RootPlaceholder:
    """Stands in as the root resource while ``set_mocks`` runs, so it does not create its own Stack."""


_RUN_LOCK = threading.Lock()


@dataclass
class _CollectorTuning:
    """Keeps a program's garbage-collector tuning out of the runs after it.

    A program may tune the collector for itself (the edge model stops full passes for large fleets,
    ``components.edge_fleet``); under ``pulumi up`` it has a process of its own. Here runs share one,
    so each run starts from the thresholds the process had before the previous run retuned them, unless
    the caller has set others since. The tuning stays in place after its run, as in the program's process.
    """

    before: tuple[int, ...] = ()
    after: tuple[int, ...] = ()

    @contextlib.contextmanager
    def isolated(self) -> Iterator[None]:
        if self.after and gc.get_threshold() == self.after:
            gc.set_threshold(*self.before)
        self.before = gc.get_threshold()
        try:
            yield
        finally:
            self.after = gc.get_threshold()


_COLLECTOR = _CollectorTuning()


@contextlib.contextmanager
def _program_environment(program_dir: Path | None) -> Iterator[None]:
    """cwd and sys.path as the language host sets them; no PULUMI_CONFIG* fallbacks from the caller's shell."""
    saved_env = {key: os.environ.pop(key) for key in list(os.environ) if key.startswith("PULUMI_CONFIG")}
    saved_cwd = Path.cwd()
    added_path = False
    try:
        if program_dir is not None:
            os.chdir(program_dir)
            if str(program_dir) not in sys.path:
                sys.path.insert(0, str(program_dir))
                added_path = True
        yield
    finally:
        os.chdir(saved_cwd)
        if added_path:
            with contextlib.suppress(ValueError):
                sys.path.remove(str(program_dir))
        os.environ.update(saved_env)


def _is_config_error(exc: BaseException) -> bool:
    return isinstance(exc, pulumi.RunError) and any(cls.__name__ == "ConfigError" for cls in type(exc).__mro__)


def _location(tb: TracebackType | None, program_dir: Path | None) -> str:
    """The innermost frame in the program's own files, as ``file:line``."""
    if program_dir is None:
        return ""
    root = str(program_dir.resolve())
    # Frames of installed packages and of this engine are not the program's, even under its directory.
    foreign = (sys.prefix, sys.base_prefix, str(Path(__file__).resolve().parent))
    found = ""
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith(root) and not frame.filename.startswith(foreign):
            found = f"{os.path.relpath(frame.filename, root)}:{frame.lineno}"
    return found


def _program_error(exc: BaseException, tb: TracebackType | None, program_dir: Path | None) -> ProgramError:
    config_error = _is_config_error(exc)
    # RunError and a missing stand-in carry a message meant for users; anything else is a bug: name its type.
    clear = isinstance(exc, pulumi.RunError | UnknownInvokeError)
    message = str(exc) if clear else f"{type(exc).__name__}: {exc}"
    return ProgramError(
        message,
        traceback_text="".join(traceback.format_exception(type(exc), exc, tb)),
        is_config_error=config_error,
        location="" if config_error else _location(tb, program_dir),
    )


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


async def _supervise(main: Awaitable[None], failed: asyncio.Event, failure: list[_Failure], timeout_s: float) -> None:
    """Await the run; once the program has raised, wait at most ERROR_GRACE_S for it to settle.

    After an exception the SDK still waits for every outstanding registration and output; one
    that never resolves would hang the run, so the program's own error is reported instead.
    """
    task = asyncio.ensure_future(main)
    failed_wait = asyncio.ensure_future(failed.wait())
    try:
        done, _ = await asyncio.wait({task, failed_wait}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        if task not in done and failed_wait in done:
            await asyncio.wait({task}, timeout=ERROR_GRACE_S)
        if not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=ERROR_GRACE_S)
            if failure:
                raise failure[0].exc
            raise ProgramError(f"the program did not settle within {timeout_s:g} s (an output that never resolves?)")
        task.result()
    finally:
        failed_wait.cancel()


@dataclass(frozen=True)
class _Failure:
    exc: BaseException
    tb: TracebackType | None


@dataclass
class _Run:
    """One run of a program: what it needs, and what it leaves behind."""

    body: Callable[[], None]
    project: str
    stack: str
    config: Mapping[str, str]
    secret_keys: Sequence[str]
    preview: bool
    mocks: pulumi.runtime.Mocks
    monitor: RecordingMonitor
    timeout_s: float
    logs: list[LogRecord] = field(default_factory=list)
    failure: list[_Failure] = field(default_factory=list)

    def execute(self) -> None:
        """Run the program; call inside a copied context, so its context variables stay here."""
        loop = asyncio.new_event_loop()
        # The loop must be current before set_mocks, or waiting for registrations hangs.
        asyncio.set_event_loop(loop)
        failed = asyncio.Event()

        def guarded_body() -> None:
            try:
                self.body()
            except BaseException as exc:
                self.failure.append(_Failure(exc, exc.__traceback__))
                failed.set()
                raise

        logger = logging.getLogger("preflight.program")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        handler = _CaptureHandler(self.logs)
        logger.addHandler(handler)
        # As the language host does: a failed program leaves futures nobody awaits; do not log each.
        asyncio_logger = logging.getLogger("asyncio")
        asyncio_level = asyncio_logger.level
        asyncio_logger.setLevel(logging.CRITICAL)
        try:
            set_all_config(dict(self.config), list(self.secret_keys))
            # Keep set_mocks from creating a root Stack of its own (its registrations would race the real one).
            settings.ROOT.set(cast(Any, _RootPlaceholder()))
            pulumi.runtime.set_mocks(
                self.mocks,
                project=self.project,
                stack=self.stack,
                preview=self.preview,
                logger=logger,
                monitor=self.monitor,
            )
            # run_in_stack creates the real root Stack (so exports survive), as the language host does.
            settings.ROOT.set(None)
            loop.run_until_complete(_supervise(run_in_stack(guarded_body), failed, self.failure, self.timeout_s))
        finally:
            logger.removeHandler(handler)
            _cancel_pending(loop)
            loop.run_until_complete(loop.shutdown_default_executor())
            asyncio.set_event_loop(None)
            loop.close()
            if self.failure:
                gc.collect()
            asyncio_logger.setLevel(asyncio_level)


def _program_body(program: Path | Callable[[], None]) -> tuple[Callable[[], None], Path | None]:
    """The callable to run and the program's directory (None for a callable)."""
    if callable(program):
        return program, None
    program_file = Path(program)
    if program_file.is_dir():
        program_file = program_file / "__main__.py"
    if not program_file.is_file():
        raise FileNotFoundError(f"no Pulumi program at {program_file}")
    path = str(program_file.resolve())

    def run_main() -> None:
        # As the language host runs a Python program: the file as __main__.
        runpy.run_path(path, run_name="__main__")

    return run_main, program_file.resolve().parent


def run_program(
    program: Path | Callable[[], None],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: Sequence[str] = (),
    preview: bool = True,
    mocks: pulumi.runtime.Mocks | None = None,
    progress: Callable[[int], None] | None = None,
    timeout_s: float = 600.0,
) -> PlanResult:
    """Run ``program`` (a ``__main__.py``, its directory, or a callable) offline and record it.

    ``progress`` is called with the number of resources recorded so far (from worker threads).
    Raises :class:`ProgramError` when the program fails or does not settle within ``timeout_s``.
    """
    if asyncio._get_running_loop() is not None:
        raise RuntimeError("run_program cannot run inside a running event loop")
    body, program_dir = _program_body(program)
    if mocks is None:
        mocks = OfflineMocks(preview=preview, default_region=config.get("aws:region", ""))
    monitor = RecordingMonitor(
        mocks,
        project=project,
        stack=stack,
        preview=preview,
        config=config,
        secret_keys=secret_keys,
        progress=progress,
    )
    run = _Run(body, project, stack, config, secret_keys, preview, mocks, monitor, timeout_s)

    started = time.perf_counter()
    with _RUN_LOCK, _program_environment(program_dir), _COLLECTOR.isolated():
        try:
            # A copied context isolates the SDK's context variables (settings, root, config) per run.
            contextvars.copy_context().run(run.execute)
        except ProgramError:
            raise
        except (Exception, SystemExit) as exc:
            # The program's exception as the program raised it: the SDK may re-raise the same object
            # from an RPC with that RPC's traceback, which no longer shows the program's line.
            first = run.failure[0] if run.failure else _Failure(exc, exc.__traceback__)
            raise _program_error(first.exc, first.tb, program_dir) from exc
    duration = time.perf_counter() - started

    stack_record = monitor.by_urn.get(stack_urn(project, stack))
    resources = monitor.records
    if stack_record is not None and resources[0] is not stack_record:
        # An invoke can make the engine create a default provider before the stack; state lists the stack first.
        resources.remove(stack_record)
        resources.insert(0, stack_record)
    logs = run.logs + [LogRecord("warning", message) for message in monitor.warnings]
    return PlanResult(
        project=project,
        stack=stack,
        preview=preview,
        resources=resources,
        outputs=stack_record.outputs if stack_record is not None else {},
        duration_s=duration,
        logs=logs,
    )
