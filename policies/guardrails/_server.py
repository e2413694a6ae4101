"""The pack's analyzer servicer: the SDK's, with each request's resources converted once instead of once per policy.

pulumi-policy 1.21's ``_PolicyAnalyzerServicer`` turns a resource's protobuf properties into a proxied dict
(``MessageToDict``, ``deserialize_properties``, ``unknown_checking_proxy``) inside its loop over policies, so with ~70
policies about nine tenths of an ``Analyze`` call is the same conversion repeated, and ``AnalyzeStack`` converts the
whole stack once per stack policy. :class:`FastAnalyzerServicer` overrides ``Analyze`` and ``AnalyzeStack``:

* A resource is read from protobuf and deserialized once per request. Each policy that runs still gets its own
  unknown-checking proxy (a copy of every dict and list), options, provider, config copy and args, so what one
  policy writes never reaches another (see :class:`_Properties` for assets and archives).
* A policy built by :func:`guardrails._base.resource_policy` returns before reading anything for a resource type its
  spec does not list, and the SDK then adds nothing to the response: such policies are skipped for those types.
* In ``AnalyzeStack`` each stack policy gets its own resource graph, whose props, options and providers are built
  when the policy first reads them.
* What cannot change while the pack serves is worked out once: each policy's kind and whether it validates, the
  enforcement levels (again after each Configure), whether ``Settings`` takes an organization, and the parsed
  ``PULUMI_CONFIG`` (again whenever its text changes).

Everything else is the SDK's: the policy order, enforcement levels (disabled skipped, remediate reported as
mandatory), config copies, stack tags, not-applicable entries, the advisory "can't run policy ... during preview"
diagnostic for unknown values, awaitable validations, the runtime settings applied per request, and the SDK
servicer's own helper methods. Conversion happens where the SDK would first convert, so malformed input fails the
call as it does there. tests/policies/test_server.py checks that both servicers answer alike.

Verified against pulumi-policy 1.21.x only; :mod:`guardrails._install` falls back to the SDK's servicer otherwise.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from inspect import isawaitable, signature
from typing import Any, cast

import pulumi.runtime
from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import SPECIAL_ARCHIVE_SIG, SPECIAL_ASSET_SIG, deserialize_properties
from pulumi_policy.policy import _NotApplicableError, _PolicyAnalyzerServicer
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from ._base import type_gate

# The SDK's reason for a remediation-only policy met by Analyze (pulumi_policy/policy.py).
NO_VALIDATE_REASON = "Policy does not implement validate"
_ASSET_SIG = SPECIAL_ASSET_SIG.encode()
_ARCHIVE_SIG = SPECIAL_ARCHIVE_SIG.encode()
# Distinct resource types remembered for the policy dispatch; real stacks have a few hundred at most.
_MAX_CACHED_TYPES = 4096

TypeGate = Callable[[str], bool]

# The SDK asks inspect.signature(Settings) on every request (about a fifth of a request's cost in this pack); the
# answer cannot change while the process runs.
_SETTINGS_TAKE_ORGANIZATION = "organization" in signature(pulumi.runtime.Settings).parameters
_SETTINGS_ENV = ("PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN")
_IMMUTABLE = (str, int, float, bool, type(None))


def _raw_config_env() -> str | bytes | None:
    # os.environ decodes a value on every read (most of what a 1 MiB PULUMI_CONFIG still costs once parsed);
    # os.environb returns the stored bytes object itself, so an unchanged environment is recognised by identity.
    if os.supports_bytes_environ:
        return os.environb.get(b"PULUMI_CONFIG")
    return os.environ.get("PULUMI_CONFIG")


class _ConfigEnv:
    """The items of ``pulumi.runtime.get_config_env()``, parsed once per distinct ``PULUMI_CONFIG`` text.

    The SDK parses the variable on every request (0.4 ms at 1,000 inline edge devices, about 3 ms at 5,000), but
    the engine never changes the pack's environment. Keyed on the text, so a changed environment is still read; a
    malformed one raises on every request, as in the SDK. The CLI passes string values: any other (mutable) value
    is copied, so each request gets its own, as in the SDK.
    """

    def __init__(self) -> None:
        # (the raw value parsed, its items): swapped as one object for worker threads.
        self._parsed: tuple[str | bytes | None, tuple[tuple[str, Any], ...]] = (None, ())

    def items(self) -> list[tuple[str, Any]]:
        raw = _raw_config_env()
        if raw is None:
            return []
        parsed_from, items = self._parsed
        if raw is not parsed_from and raw != parsed_from:
            # Decoded as os.environ decodes it, then parsed as get_config_env does.
            items = tuple(json.loads(os.fsdecode(raw)).items())
            self._parsed = (raw, items)
        return [(key, value if isinstance(value, _IMMUTABLE) else copy.deepcopy(value)) for key, value in items]


_CONFIG_ENV = _ConfigEnv()


def spec_gate(policy: Policy) -> TypeGate | None:
    """``policy``'s resource-type test when it reports nothing for other types (built by ``resource_policy``)."""
    spec = type_gate(policy)
    return spec.applies_to if spec is not None else None


class _Properties:
    """A protobuf Struct of wire-form properties, read once; every policy gets its own proxied copy.

    ``unknown_checking_proxy`` copies every dict and list it wraps, so a policy's writes (through the proxy or its
    ``"__target"``) never reach the tree it was built from; the leaves are immutable scalars, except the pulumi
    Asset / Archive objects that asset and archive values deserialize to. So one deserialized tree serves every
    policy unless the properties hold an asset or archive; then each policy gets its own deserialization.
    """

    __slots__ = ("_deserialized", "_plain", "_shared")

    def __init__(self, struct: Any) -> None:
        # MessageToDict is most of the SDK's per-policy cost; its result is never handed out.
        self._plain: dict[str, Any] = json_format.MessageToDict(struct)
        # Deserialized now, where the SDK first does it, so a malformed value fails the call the same way.
        self._deserialized: dict[str, Any] | None = deserialize_properties(self._plain)
        # An asset or archive carries its signature as a value: a plain byte search cannot miss one.
        raw = struct.SerializeToString()
        self._shared = _ASSET_SIG not in raw and _ARCHIVE_SIG not in raw

    def fresh(self) -> Mapping[str, Any]:
        deserialized = self._deserialized
        if not self._shared:
            # The first policy gets the first deserialization, later ones their own.
            self._deserialized = None
            if deserialized is None:
                deserialized = deserialize_properties(self._plain)
        assert deserialized is not None
        return unknown_checking_proxy(deserialized)


class _Provider:
    """A request's provider, read once; :meth:`fresh` builds the ``PolicyProviderResource`` a policy gets."""

    __slots__ = ("name", "props", "type", "urn")

    def __init__(self, message: Any) -> None:
        self.type: str = message.type
        self.urn: str = message.urn
        self.name: str = message.name
        self.props = _Properties(message.properties)

    @classmethod
    def of(cls, message: Any) -> _Provider | None:
        return cls(message.provider) if message.HasField("provider") else None

    def fresh(self) -> PolicyProviderResource:
        return PolicyProviderResource(self.type, self.props.fresh(), self.urn, self.name)


class _StackEntry:
    """One ``AnalyzerResource`` of an AnalyzeStack request, read once for all stack policies."""

    __slots__ = ("dependencies", "message", "parent", "property_dependencies", "props", "provider")

    def __init__(self, message: Any) -> None:
        self.message = message
        self.props = _Properties(message.properties)
        self.provider = _Provider.of(message)
        self.parent: str = message.parent
        self.dependencies: list[str] = list(message.dependencies)
        self.property_dependencies: dict[str, list[str]] = {
            key: list(value.urns) for key, value in message.propertyDependencies.items()
        }


_UNSET: Any = object()


class _StackResource(PolicyResource):
    """A ``PolicyResource`` of one stack policy whose props, options and provider are built on first read.

    A stack policy usually reads a few resource types out of the whole stack; building every resource's proxied
    props for every stack policy was most of AnalyzeStack. Each instance belongs to one policy and builds its own
    fresh copies (as the SDK's eager ones), so what a policy sees and may change is the same.
    """

    def __init__(self, entry: _StackEntry, options: Callable[[Any], PolicyResourceOptions]) -> None:
        # PolicyResource.__init__ is not called: it would assign the lazy attributes eagerly.
        self.resource_type = entry.message.type
        self.urn = entry.message.urn
        self.name = entry.message.name
        self.parent = None
        self.dependencies = []
        self.property_dependencies = {}
        self._entry = entry
        self._options = options
        self._props: Mapping[str, Any] = _UNSET
        self._opts: PolicyResourceOptions = _UNSET
        self._provider: PolicyProviderResource | None = _UNSET

    @property
    def props(self) -> Mapping[str, Any]:
        if self._props is _UNSET:
            self._props = self._entry.props.fresh()
        return self._props

    @props.setter
    def props(self, value: Mapping[str, Any]) -> None:
        self._props = value

    @property
    def opts(self) -> PolicyResourceOptions:
        if self._opts is _UNSET:
            self._opts = self._options(self._entry.message)
        return self._opts

    @opts.setter
    def opts(self, value: PolicyResourceOptions) -> None:
        self._opts = value

    @property
    def provider(self) -> PolicyProviderResource | None:
        if self._provider is _UNSET:
            provider = self._entry.provider
            self._provider = provider.fresh() if provider is not None else None
        return self._provider

    @provider.setter
    def provider(self, value: PolicyProviderResource | None) -> None:
        self._provider = value


def _run_awaitable(result: Awaitable[Any]) -> None:
    # As the SDK does: a private event loop per awaitable validation, run to completion on this worker thread.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(asyncio.Task(cast(Any, result), loop=loop))
    finally:
        loop.close()


class FastAnalyzerServicer(_PolicyAnalyzerServicer):
    """``_PolicyAnalyzerServicer`` with ``Analyze`` and ``AnalyzeStack`` converting each resource once per request.

    Constructed exactly like the SDK's servicer (``PolicyPack`` does it), and answers with the same responses.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What cannot change while the pack serves, worked out once (PolicyPack never changes the policy list, and a
        # policy's class and callbacks are fixed at construction). isinstance on the SDK's ABCs is slow per call.
        policies = self._policies()
        self._resource_policies: tuple[ResourceValidationPolicy | None, ...] = tuple(
            policy if isinstance(policy, ResourceValidationPolicy) else None for policy in policies
        )
        self._stack_policies: tuple[StackValidationPolicy | None, ...] = tuple(
            policy if isinstance(policy, StackValidationPolicy) else None for policy in policies
        )
        self._validates: tuple[bool, ...] = tuple(
            policy is not None and policy.has_validation() for policy in self._resource_policies
        )
        self._gates: tuple[TypeGate | None, ...] = tuple(spec_gate(policy) for policy in policies)
        self._applicable: dict[str, tuple[bool, ...]] = {}
        # (the SDK's level dict the levels were read from, the levels): swapped as one object for worker threads.
        self._levels: tuple[object, tuple[EnforcementLevel, ...]] = (None, ())

    # -- the SDK servicer's private state (name-mangled in pulumi_policy/policy.py) ----------------------------------

    def _sdk(self, attribute: str) -> Any:
        return getattr(self, f"_PolicyAnalyzerServicer__{attribute}")

    def _policies(self) -> Sequence[Policy]:
        return cast(Sequence[Policy], self._sdk("policies"))

    # -- requests ----------------------------------------------------------------------------------------------------

    def _configure_runtime_settings(self) -> None:
        """The SDK's per-request set-up, with the Settings signature looked up and PULUMI_CONFIG parsed once.

        gRPC runs each call in a fresh ``contextvars`` context, so the stack's config and settings (from the
        environment the engine starts the pack with) are applied at the start of every request, as the SDK does.
        """
        for key, value in _CONFIG_ENV.items():
            pulumi.runtime.set_config(key, value)
        if all(name in os.environ for name in _SETTINGS_ENV):
            settings: dict[str, Any] = {
                "project": os.environ["PULUMI_PROJECT"],
                "stack": os.environ["PULUMI_STACK"],
                "dry_run": os.environ["PULUMI_DRY_RUN"] == "true",
            }
            if _SETTINGS_TAKE_ORGANIZATION:
                # PULUMI_ORGANIZATION is not set for self-managed backends.
                settings["organization"] = os.environ.get("PULUMI_ORGANIZATION", "organization")
            pulumi.runtime.configure(pulumi.runtime.Settings(**settings))

    def Analyze(self, request: Any, _context: Any) -> Any:  # noqa: N802 - the gRPC method name
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        stack_tags = self._sdk("stack_tags")
        applicable = self._applicable_to(request.type)
        levels = self._enforcement_levels()
        props: _Properties | None = None
        provider: _Provider | None = None
        for index, policy in enumerate(self._resource_policies):
            level = levels[index]
            if policy is None or level == EnforcementLevel.DISABLED:
                continue
            if not self._validates[index]:
                response.not_applicable.append(
                    proto.PolicyNotApplicable(policy_name=policy.name, reason=NO_VALIDATE_REASON)
                )
                continue
            if level == EnforcementLevel.REMEDIATE:
                # A violation left after remediation is reported as mandatory, as the SDK does.
                level = EnforcementLevel.MANDATORY
            if props is None:
                props = _Properties(request.properties)
                provider = _Provider.of(request)
            if not applicable[index]:
                continue
            args = ResourceValidationArgs(
                request.type,
                props.fresh(),
                request.urn,
                request.name,
                self._get_resource_options(request),
                provider.fresh() if provider is not None else None,
                self._get_policy_config(policy.name),
                stack_tags,
            )
            self._validate(policy, args, response, level)
        return response

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:  # noqa: N802 - the gRPC method name
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        stack_tags = self._sdk("stack_tags")
        levels = self._enforcement_levels()
        entries: list[_StackEntry] | None = None
        for index, policy in enumerate(self._stack_policies):
            level = levels[index]
            if policy is None or level == EnforcementLevel.DISABLED:
                continue
            if level == EnforcementLevel.REMEDIATE:
                # Stack policies cannot remediate: the SDK reports them as mandatory.
                level = EnforcementLevel.MANDATORY
            if entries is None:
                entries = [_StackEntry(resource) for resource in request.resources]
            args = StackValidationArgs(self._stack_resources(entries), self._get_policy_config(policy.name), stack_tags)
            self._validate(policy, args, response, level)
        return response

    # -- helpers -----------------------------------------------------------------------------------------------------

    def _enforcement_levels(self) -> tuple[EnforcementLevel, ...]:
        """Every policy's level from the SDK's own lookup, again whenever Configure has replaced the levels."""
        source = self._sdk("policy_pack_config_enforcement_level")
        read_from, levels = self._levels
        if read_from is not source:
            levels = tuple(self._get_enforcement_level(policy) for policy in self._policies())
            self._levels = (source, levels)
        return levels

    def _applicable_to(self, resource_type: str) -> tuple[bool, ...]:
        """Per policy: False when the policy is known to report nothing for ``resource_type``."""
        cached = self._applicable.get(resource_type)
        if cached is None:
            cached = tuple(gate is None or gate(resource_type) for gate in self._gates)
            if len(self._applicable) >= _MAX_CACHED_TYPES:
                self._applicable.clear()
            self._applicable[resource_type] = cached
        return cached

    def _stack_resources(self, entries: Sequence[_StackEntry]) -> list[PolicyResource]:
        """A fresh resource graph for one stack policy: parents and dependencies resolved within the request."""
        resources: list[PolicyResource] = [_StackResource(entry, self._get_resource_options) for entry in entries]
        by_urn = {resource.urn: resource for resource in resources}
        for entry, resource in zip(entries, resources, strict=True):
            if entry.parent in by_urn:
                resource.parent = by_urn[entry.parent]
            resource.dependencies.extend(by_urn[urn] for urn in entry.dependencies if urn in by_urn)
            for key, urns in entry.property_dependencies.items():
                resource.property_dependencies[key] = [by_urn[urn] for urn in urns if urn in by_urn]
        return resources

    def _validate(
        self,
        policy: ResourceValidationPolicy | StackValidationPolicy,
        args: Any,
        response: Any,
        level: EnforcementLevel,
    ) -> None:
        report: ReportViolation = self._create_report_violation(
            response, policy.name, policy.description, level, policy.severity
        )
        try:
            result = policy.validate(args, report)
            if isawaitable(result):
                _run_awaitable(result)
        except UnknownValueError as e:
            response.diagnostics.append(self._undecided(policy, e))
        except _NotApplicableError as e:
            response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or ""))

    def _undecided(self, policy: Policy, error: UnknownValueError) -> Any:
        """The SDK's advisory diagnostic for a policy that read a value unknown at preview (whatever its level)."""
        name, version = self._sdk("policy_pack_name"), self._sdk("policy_pack_version")
        return proto.AnalyzeDiagnostic(
            policyName=policy.name,
            policyPackName=name,
            policyPackVersion=version,
            message=f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during preview: "
            f"{error.message}",
            urn="",
            description=policy.description,
            enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY),
        )
