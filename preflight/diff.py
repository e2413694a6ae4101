"""`python -m preflight diff BASE HEAD`: compare two deployment exports without cloud credentials.

BASE and HEAD are `pulumi stack export` deployments (version 3), for example two
`preflight plan --export` files from a pull request's base and head. Resources are
matched by URN and reported as added, removed or changed; for a change, every input
property that differs is listed by path (``tags.owner``,
``spec.template.spec.containers[0].image``). Secrets are shown as ``[secret]``, never
their value, and values an offline plan cannot know as ``(known after apply)``.

A change is flagged as a replacement when it touches a property that a small lookup
table knows to force one (``REPLACEMENT_RULES``). The table is a known subset taken
from the providers' sources, not the providers' own diff: `pulumi preview` stays the
authority on what is replaced. An encrypted secret in a real `pulumi stack export`
cannot be read offline, so a change to one is not seen.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from preflight.cli import EXIT_OK, EXIT_USAGE, CommandError
from preflight.engine import (
    ARCHIVE_SIG,
    ASSET_SIG,
    OUTPUT_VALUE_SIG,
    RESOURCE_REF_SIG,
    SIG_KEY,
    UNKNOWN,
    is_secret,
)
from preflight.export import load_deployment

SECRET_TEXT: Final = "[secret]"  # noqa: S105 - the mask shown instead of a secret
UNKNOWN_TEXT: Final = "(known after apply)"
FORMATS: Final = ("text", "markdown")
_VALUE_LIMIT: Final = 120
_OPEN_ROWS: Final = 20  # more added/deleted resources than this are folded in the Markdown report
_BARE_KEY = re.compile(r"^[A-Za-z0-9_\-/:@$]+$")
_PATTERN_SEGMENT = re.compile(r"^([^.\[\]]+)((?:\[(?:\*|\d+)\])*)$")


class _Missing:
    """The property is absent on this side of the diff."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


# ---------------------------------------------------------------------------
# Paths


class _JsonDoc:
    """Path step into a string property that holds a JSON document (IAM policies)."""

    def __repr__(self) -> str:
        return "<json>"


JSON_DOC: Final = _JsonDoc()
# A concrete path step is a dict key, a list index or the JSON-document step;
# a rule pattern step may also be WILDCARD (any list index).
Step = str | int | _JsonDoc
WILDCARD: Final = "[*]"


def format_path(path: Sequence[Step]) -> str:
    """``("spec", "containers", 0, "image")`` -> ``spec.containers[0].image``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif isinstance(step, _JsonDoc):
            out += "<json>"
        elif _BARE_KEY.match(step):
            out += f".{step}" if out else step
        else:
            out += f"[{json.dumps(step)}]"
    return out


def parse_pattern(pattern: str) -> tuple[str, ...]:
    """``"spec.containers[*].image"`` -> ``("spec", "containers", "[*]", "image")``."""
    steps: list[str] = []
    for segment in pattern.split("."):
        match = _PATTERN_SEGMENT.match(segment)
        if not match:
            raise ValueError(f"bad property pattern {pattern!r} (segment {segment!r})")
        steps.append(match.group(1))
        steps.extend(WILDCARD for _ in re.findall(r"\[(?:\*|\d+)\]", match.group(2)))
    return tuple(steps)


def _expand(value: Any, pattern: Sequence[str], prefix: tuple[Step, ...] = ()) -> Iterator[tuple[Step, ...]]:
    """Concrete paths in ``value`` that match ``pattern`` (the last step need not exist)."""
    if not pattern:
        yield prefix
        return
    head, rest = pattern[0], pattern[1:]
    if head == WILDCARD:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _expand(item, rest, (*prefix, index))
        return
    if isinstance(value, dict) and not _is_signature(value):
        yield from _expand(value.get(head, MISSING), rest, (*prefix, head))
    elif not rest:
        # The parent is absent or not an object: the leaf is absent too, but it may be set on the other side.
        yield (*prefix, head)


def _get(value: Any, path: Sequence[Step]) -> Any:
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and step < len(value) else MISSING
        elif isinstance(step, str) and isinstance(value, dict) and not _is_signature(value):
            value = value.get(step, MISSING)
        else:
            return MISSING
    return value


def _related(a: Sequence[Step], b: Sequence[Step]) -> bool:
    """One path is the other or lies under it."""
    size = min(len(a), len(b))
    return tuple(a[:size]) == tuple(b[:size])


# ---------------------------------------------------------------------------
# Values


def _is_signature(value: Any) -> bool:
    return isinstance(value, dict) and SIG_KEY in value


def _without_noise(value: Any) -> Any:
    """Drop provider-internal keys (``__defaults``, ``__meta``...) at every level, outside secrets."""
    if isinstance(value, dict) and not _is_signature(value):
        return {key: _without_noise(item) for key, item in value.items() if not key.startswith("__")}
    if isinstance(value, list):
        return [_without_noise(item) for item in value]
    return value


def _json_document(value: Any) -> Any:
    """The parsed document when ``value`` is a string holding a JSON object or array, else MISSING."""
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return MISSING
    try:
        parsed = json.loads(value)
    except ValueError:
        return MISSING
    return parsed if isinstance(parsed, dict | list) else MISSING


def render(value: Any, limit: int = _VALUE_LIMIT) -> str:
    """A one-line, secret-free display of a wire-form value."""
    text = _render(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _render(value: Any) -> str:  # noqa: PLR0911 - one branch per wire-form kind
    if value is MISSING:
        return "(absent)"
    if value == UNKNOWN:
        return UNKNOWN_TEXT
    if is_secret(value):
        return SECRET_TEXT
    if _is_signature(value):
        return _render_signature(value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        # The wire form carries every number as a float.
        return str(int(value))
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_render_key(k)}: {_render(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


def _render_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _render_signature(value: Mapping[str, Any]) -> str:
    sig = value[SIG_KEY]
    if value.get("secret"):
        return SECRET_TEXT
    if sig == OUTPUT_VALUE_SIG:
        return _render(value["value"]) if "value" in value else UNKNOWN_TEXT
    if sig == RESOURCE_REF_SIG:
        return f"ref({value.get('urn', '?')})"
    if sig in (ASSET_SIG, ARCHIVE_SIG):
        kind = "asset" if sig == ASSET_SIG else "archive"
        where = value.get("path") or value.get("uri")
        return f"{kind}({where})" if where else f"{kind}(hash {str(value.get('hash', '?'))[:12]})"
    return "<" + ", ".join(f"{k}={_render(v)}" for k, v in sorted(value.items()) if k != SIG_KEY) + ">"


# ---------------------------------------------------------------------------
# Replacement rules


def _removed(old: Any, new: Any) -> bool:
    return old not in (MISSING, None) and new in (MISSING, None)


def _not_dedicated_to_default(old: Any, new: Any) -> bool:
    return not (old == "dedicated" and new == "default")


@dataclass(frozen=True)
class ReplaceRule:
    """A property whose change makes the provider replace the resource."""

    path: str
    # Extra condition on (old, new) at ``path``; None means any change replaces.
    when: Callable[[Any, Any], bool] | None = None
    note: str = ""
    steps: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", parse_pattern(self.path))


def _rules(*paths: str) -> tuple[ReplaceRule, ...]:
    """Unconditional rules; each argument holds one or more space-separated paths."""
    return tuple(ReplaceRule(path) for text in paths for path in text.split())


# Kubernetes label selectors are immutable, and the provider replaces the object.
_SELECTOR = "spec.selector"
_CONTAINER = "args command env image imagePullPolicy lifecycle livenessProbe ports readinessProbe resources"
_CONTAINER += " securityContext volumeMounts workingDir"
# Docker can update only the restart policy and cgroup limits in place; the rest recreates the container.
_DOCKER_CONTAINER = "name image command entrypoints envs labels ports volumes mounts devices gpus capabilities"
_DOCKER_CONTAINER += " privileged user hostname domainname dns dnsOpts dnsSearches hosts networkMode networksAdvanced"
_DOCKER_CONTAINER += " logDriver logOpts readOnly runtime securityOpts shmSize stopSignal stopTimeout sysctls ulimits"
_DOCKER_CONTAINER += " uploads workingDir tty stdinOpen storageOpts publishAllPorts pidMode ipcMode usernsMode"
_DOCKER_CONTAINER += " groupAdds cpus cgroupnsMode"
# Networks and volumes have no update at all: every input recreates them.
_DOCKER_NETWORK = "name labels driver options internal attachable ingress ipv6 ipamDriver ipamOptions ipamConfigs"

# Type token (or "prefix*") -> rules. Sources, read for pulumi-aws 7.x / pulumi-kubernetes 4.x /
# pulumi-docker 5.x: ForceNew in hashicorp/terraform-provider-aws (internal/service/...),
# forceNewProperties in pulumi/pulumi-kubernetes (provider/pkg/provider/diff.go) and ForceNew in
# kreuzwerker/terraform-provider-docker (internal/provider/resource_docker_*.go). A known subset only.
REPLACEMENT_RULES: Final[Mapping[str, tuple[ReplaceRule, ...]]] = {
    # EKS changes subnets, security groups, endpoint access, logging and version in place.
    "aws:eks/cluster:Cluster": (
        *_rules(
            "name",
            "roleArn",
            "bootstrapSelfManagedAddons",
            "accessConfig.bootstrapClusterCreatorAdminPermissions",
            "kubernetesNetworkConfig.ipFamily",
            "kubernetesNetworkConfig.serviceIpv4Cidr",
            "outpostConfig.controlPlaneInstanceType",
            "remoteNetworkConfig",
        ),
        ReplaceRule("encryptionConfig", when=_removed, note="envelope encryption cannot be disabled in place"),
    ),
    "aws:eks/nodeGroup:NodeGroup": _rules(
        "amiType capacityType clusterName diskSize instanceTypes launchTemplate.id launchTemplate.name",
        "nodeGroupName nodeGroupNamePrefix nodeRoleArn remoteAccess subnetIds",
    ),
    "aws:s3/bucket:Bucket": _rules("bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:s3/bucketV2:BucketV2": _rules("bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:ec2/vpc:Vpc": (
        *_rules("cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"),
        ReplaceRule("instanceTenancy", when=_not_dedicated_to_default, note="only dedicated -> default is in place"),
    ),
    "aws:ec2/subnet:Subnet": _rules("vpcId cidrBlock availabilityZone availabilityZoneId ipv6Native outpostArn"),
    "aws:ec2/securityGroup:SecurityGroup": _rules("name", "namePrefix", "description", "vpcId"),
    "aws:kms/key:Key": _rules("customerMasterKeySpec keyUsage multiRegion customKeyStoreId xksKeyId"),
    "aws:ecr/repository:Repository": _rules("name", "encryptionConfigurations"),
    "aws:iam/role:Role": _rules("name", "namePrefix", "path"),
    "aws:cloudwatch/logGroup:LogGroup": _rules("name", "namePrefix", "logGroupClass"),
    # Every Kubernetes object is replaced when its name or namespace changes.
    "kubernetes:*": _rules("metadata.name", "metadata.namespace"),
    "kubernetes:apps/v1:Deployment": _rules(_SELECTOR),
    "kubernetes:apps/v1:StatefulSet": _rules(
        _SELECTOR, "spec.podManagementPolicy", "spec.serviceName", "spec.volumeClaimTemplates"
    ),
    "kubernetes:batch/v1:Job": _rules(_SELECTOR, "spec.completions", "spec.parallelism", "spec.template"),
    # ConfigMaps are replaced rather than edited unless the provider enables mutable ConfigMaps.
    "kubernetes:core/v1:ConfigMap": _rules("data", "binaryData"),
    "kubernetes:core/v1:Secret": _rules("type", "data", "stringData"),
    "kubernetes:core/v1:Service": _rules("spec.clusterIP"),
    "kubernetes:core/v1:PersistentVolumeClaim": _rules("spec"),
    "kubernetes:core/v1:Pod": _rules(
        "spec.nodeSelector spec.runtimeClassName spec.securityContext spec.serviceAccountName spec.volumes",
        *(f"spec.{kind}[*].{name}" for kind in ("containers", "initContainers") for name in _CONTAINER.split()),
    ),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": _rules("roleRef"),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": _rules("roleRef"),
    "kubernetes:storage.k8s.io/v1:StorageClass": _rules("parameters", "provisioner"),
    "docker:index/container:Container": _rules(_DOCKER_CONTAINER),
    "docker:index/network:Network": _rules(_DOCKER_NETWORK),
    "docker:index/volume:Volume": _rules("name", "labels", "driver", "driverOpts"),
}


def rules_for(type_token: str) -> tuple[ReplaceRule, ...]:
    """Exact-type rules plus those of every matching ``prefix*`` entry."""
    found: list[ReplaceRule] = []
    for key, rules in REPLACEMENT_RULES.items():
        if key == type_token or (key.endswith("*") and type_token.startswith(key[:-1])):
            found.extend(rules)
    return tuple(found)


# ---------------------------------------------------------------------------
# The diff


@dataclass(frozen=True)
class PropertyChange:
    path: tuple[Step, ...]
    old: Any
    new: Any
    # Why the change forces a replacement ("" when it does not).
    replacement: str = ""

    @property
    def replaces(self) -> bool:
        return bool(self.replacement)

    @property
    def kind(self) -> Literal["add", "remove", "update"]:
        if self.old is MISSING:
            return "add"
        if self.new is MISSING:
            return "remove"
        return "update"

    @property
    def path_text(self) -> str:
        return format_path(self.path)


@dataclass(frozen=True)
class ResourceRef:
    urn: str
    type: str

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class ResourceChange(ResourceRef):
    changes: tuple[PropertyChange, ...] = ()
    option_changes: tuple[tuple[str, Any, Any], ...] = ()

    @property
    def replaces(self) -> bool:
        return any(change.replaces for change in self.changes)


@dataclass(frozen=True)
class PlanDiff:
    added: tuple[ResourceRef, ...]
    removed: tuple[ResourceRef, ...]
    changed: tuple[ResourceChange, ...]
    unchanged: int

    @property
    def replacements(self) -> int:
        return sum(1 for change in self.changed if change.replaces)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


# Resource options whose change a reviewer must see (protection of data-holding resources).
_OPTIONS: Final = ("protect", "retainOnDelete")


def diff_values(old: Any, new: Any, path: tuple[Step, ...] = ()) -> Iterator[tuple[tuple[Step, ...], Any, Any]]:
    """Leaf differences between two wire-form values, as (path, old, new)."""
    if old == new:
        return
    if is_secret(old) or is_secret(new) or _is_signature(old) or _is_signature(new):
        # Never descend into a secret: its structure could reveal its value.
        yield path, old, new
    elif isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            yield from diff_values(old.get(key, MISSING), new.get(key, MISSING), (*path, key))
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else MISSING
            after = new[index] if index < len(new) else MISSING
            yield from diff_values(before, after, (*path, index))
    else:
        old_doc, new_doc = _json_document(old), _json_document(new)
        if old_doc is not MISSING and new_doc is not MISSING:
            yield from diff_values(old_doc, new_doc, (*path, JSON_DOC))
        else:
            yield path, old, new


def _replacement_paths(type_token: str, old: Any, new: Any) -> list[tuple[tuple[Step, ...], ReplaceRule]]:
    """Concrete paths where a known replacement-forcing property differs, with the rule."""
    fired: list[tuple[tuple[Step, ...], ReplaceRule]] = []
    for rule in rules_for(type_token):
        paths = dict.fromkeys([*_expand(old, rule.steps), *_expand(new, rule.steps)])
        for path in paths:
            before, after = _get(old, path), _get(new, path)
            if before != after and (rule.when is None or rule.when(before, after)):
                fired.append((path, rule))
    return fired


def _reason(path: tuple[Step, ...], forcing: Sequence[tuple[tuple[Step, ...], ReplaceRule]]) -> str:
    for fired, rule in forcing:
        if _related(path, fired):
            return f"forces replacement ({rule.note})" if rule.note else "forces replacement"
    return ""


def diff_resource(base: Mapping[str, Any], head: Mapping[str, Any]) -> ResourceChange | None:
    """The input and option changes of one resource, or None when it is unchanged."""
    old = _without_noise(base.get("inputs") or {})
    new = _without_noise(head.get("inputs") or {})
    leaves = list(diff_values(old, new))
    options = tuple(
        (name, bool(base.get(name, False)), bool(head.get(name, False)))
        for name in _OPTIONS
        if bool(base.get(name, False)) != bool(head.get(name, False))
    )
    if not leaves and not options:
        return None
    type_token = str(head.get("type", ""))
    forcing = _replacement_paths(type_token, old, new)
    changes = tuple(PropertyChange(path, before, after, _reason(path, forcing)) for path, before, after in leaves)
    return ResourceChange(urn=str(head["urn"]), type=type_token, changes=changes, option_changes=options)


def _index(resources: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    # A replaced resource still pending deletion is not part of the desired state.
    return {str(resource["urn"]): resource for resource in resources if not resource.get("delete")}


def diff_deployments(base: Sequence[Mapping[str, Any]], head: Sequence[Mapping[str, Any]]) -> PlanDiff:
    """Compare two exports' resource lists (as :func:`preflight.export.load_deployment` returns them) by URN."""
    old, new = _index(base), _index(head)

    def ref(resource: Mapping[str, Any]) -> ResourceRef:
        return ResourceRef(urn=str(resource["urn"]), type=str(resource.get("type", "")))

    def order(item: ResourceRef) -> tuple[str, str]:
        return (item.type, item.urn)

    added = sorted((ref(new[urn]) for urn in new.keys() - old.keys()), key=order)
    removed = sorted((ref(old[urn]) for urn in old.keys() - new.keys()), key=order)
    changed: list[ResourceChange] = []
    unchanged = 0
    for urn in old.keys() & new.keys():
        change = diff_resource(old[urn], new[urn])
        if change is None:
            unchanged += 1
        else:
            changed.append(change)
    changed.sort(key=order)
    return PlanDiff(tuple(added), tuple(removed), tuple(changed), unchanged)


# ---------------------------------------------------------------------------
# Output

_DISCLAIMER: Final = (
    "Replacements are flagged from a table of properties known to force one ({types} resource types, "
    "from the providers' sources): a known subset, not the provider's full diff. `pulumi preview` "
    "is authoritative. An offline plan cannot see provider defaults or the current state, and shows "
    f"computed values as {UNKNOWN_TEXT}."
)


def _summary(result: PlanDiff) -> str:
    changed = f"{len(result.changed)} to change"
    if result.replacements:
        changed += f" ({result.replacements} to replace)"
    return f"{len(result.added)} to add, {changed}, {len(result.removed)} to delete, {result.unchanged} unchanged"


def _disclaimer() -> str:
    return _DISCLAIMER.format(types=len(REPLACEMENT_RULES))


def format_text(result: PlanDiff, title: str) -> str:
    lines = [f"{title}: {_summary(result)}"]
    if result.empty:
        lines.append("No differences.")
    for item in result.added:
        lines.append(f"+ {item.type} {item.name}")
    for item in result.removed:
        lines.append(f"- {item.type} {item.name}")
    for change in result.changed:
        marker = "+-" if change.replaces else "~"
        lines.append(f"{marker} {change.type} {change.name}{'  [replace]' if change.replaces else ''}")
        lines.append(f"    urn: {change.urn}")
        for prop in change.changes:
            lines.append("    " + _text_property(prop))
        for name, before, after in change.option_changes:
            lines.append(f"    ~ (option) {name}: {json.dumps(before)} => {json.dumps(after)}")
    lines.extend(["", _disclaimer()])
    return "\n".join(lines) + "\n"


def _text_property(prop: PropertyChange) -> str:
    suffix = f"  [{prop.replacement}]" if prop.replaces else ""
    if prop.kind == "add":
        return f"+ {prop.path_text}: {render(prop.new)}{suffix}"
    if prop.kind == "remove":
        return f"- {prop.path_text}: {render(prop.old)}{suffix}"
    return f"~ {prop.path_text}: {render(prop.old)} => {render(prop.new)}{suffix}"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell and HTML."""
    return html.escape(text, quote=False).replace("|", "&#124;").replace("\n", " ")


def _code(text: str) -> str:
    return f"<code>{_cell(text)}</code>"


def format_markdown(result: PlanDiff, title: str) -> str:
    lines = [f"### {_cell(title)}", "", f"**{_summary(result)}**", ""]
    if result.empty:
        lines += ["No differences.", ""]
    if result.added or result.removed:
        count = len(result.added) + len(result.removed)
        # A long list (a new stack, a bigger fleet) folds away so the changes stay in view.
        folded = count > _OPEN_ROWS
        if folded:
            lines += [f"<details><summary>{count} resources added or deleted</summary>", ""]
        lines += ["| Action | Type | Name |", "|---|---|---|"]
        lines += [f"| add | {_code(item.type)} | {_code(item.name)} |" for item in result.added]
        lines += [f"| delete | {_code(item.type)} | {_code(item.name)} |" for item in result.removed]
        lines += ["", "</details>", ""] if folded else [""]
    for change in result.changed:
        action = "<b>replace</b>" if change.replaces else "update"
        count = len(change.changes) + len(change.option_changes)
        lines += [
            "<details>",
            f"<summary>{action} {_code(change.type)} {_code(change.name)} ({count} "
            f"{'property' if count == 1 else 'properties'})</summary>",
            "",
            f"URN: {_code(change.urn)}",
            "",
            "| Property | Base | Head | |",
            "|---|---|---|---|",
        ]
        for prop in change.changes:
            before = "" if prop.kind == "add" else _code(render(prop.old))
            after = "" if prop.kind == "remove" else _code(render(prop.new))
            note = _cell(prop.replacement) if prop.replaces else prop.kind
            lines.append(f"| {_code(prop.path_text)} | {before} | {after} | {note} |")
        for name, old, new in change.option_changes:
            lines.append(f"| {_code(name)} (option) | {_code(json.dumps(old))} | {_code(json.dumps(new))} | option |")
        lines += ["", "</details>", ""]
    lines += [f"<sub>{_cell(_disclaimer())}</sub>", ""]
    return "\n".join(lines)


FORMATTERS: Final[Mapping[str, Callable[[PlanDiff, str], str]]] = {
    "text": format_text,
    "markdown": format_markdown,
}


# ---------------------------------------------------------------------------
# Command line


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``diff`` on the ``preflight`` command's subparsers."""
    parser = subparsers.add_parser(
        "diff",
        help="compare two plan exports (no cloud credentials needed)",
        description="Compare two `preflight plan --export` or `pulumi stack export` files by URN: resources added, "
        "removed and changed, the input properties that differ (secrets masked) and known replacements. "
        "Exit 0 whether or not they differ; 2 on bad usage or an unreadable file.",
    )
    parser.add_argument("base", type=Path, metavar="BASE", help="export of the base plan")
    parser.add_argument("head", type=Path, metavar="HEAD", help="export of the head plan")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument("--title", help="heading of the report, e.g. the stack name (default: the two file names)")
    return parser


def run(args: argparse.Namespace) -> int:
    """A diff is not an error: 0 whether or not the plans differ. Unreadable files raise (exit 2)."""
    result = diff_deployments(load_deployment(args.base), load_deployment(args.head))
    title = args.title or f"Plan diff {args.base.name} -> {args.head.name}"
    report = FORMATTERS[args.format](result, title)
    if args.output is None:
        sys.stdout.write(report)
        return EXIT_OK
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write --output {args.output}: {exc.strerror or exc}", EXIT_USAGE) from None
    return EXIT_OK
