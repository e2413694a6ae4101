"""``python -m preflight evidence --stack NAME``: a compliance record an auditor can file, in Markdown and JSON.

It plans the stack offline and runs the policy gate on it (the same :func:`preflight.gate.evaluate` as ``check``),
then writes ``evidence-<stack>.md`` and ``evidence-<stack>.json`` (schema ``report/schema/evidence-v1.json``):

- the deployment model, regions, residency zones, profile and data classification;
- every control (HIPAA Security Rule section, NIST SP 800-53 control) with the policies that enforce it and their
  result on this stack, and the controls in scope that nothing checks, listed as gaps with who must cover them;
- the images and model versions deployed, the encryption keys and what they protect, the exposure paths, the audit
  logs and where they go, the rollout plan;
- the stack mapped to the NIST AI RMF lifecycle phases.

Everything is read from the plan's resources (inputs and the engine's property dependencies, which are known at
preview even where a value is not) and, for intent the plan cannot show (rollout, hypercare), from the stack's
config. Secret values never reach the record: every secret is replaced by :data:`SECRET_SHOWN` before it is read.

Exit codes as ``check``: 0 the record is written and the gate passed; 1 written but the gate failed (or a program or
pack failure, then nothing is written); 2 bad config, profile or usage.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from preflight import analyzer, gate, plan, stackfile
from preflight.cli import EXIT_USAGE, CommandError, add_stack_arguments
from preflight.engine import PlanResult, RecordedResource, is_resource_ref, is_secret, is_unknown
from preflight.report import SCHEMA_DIR
from preflight.report.model import LIMITATIONS, UNDECIDED, VIOLATION, GateReport

NAME: Final = "evidence"
SCHEMA_NAME: Final = "preflight-evidence"
SCHEMA_VERSION: Final = "1"
EVIDENCE_SCHEMA: Final = SCHEMA_DIR / "evidence-v1.json"

SECRET_SHOWN: Final = "[secret]"  # noqa: S105 - what the record shows instead of a secret value
UNKNOWN_SHOWN: Final = "(unknown until deployed)"
NOT_APPLICABLE: Final = "not-applicable"
GAP: Final = "gap"
HIPAA: Final = "HIPAA"
NIST: Final = "NIST SP 800-53"

NOTICE: Final = (
    "This record comes from an offline plan (`python -m preflight evidence`): the program ran under the Pulumi SDK's "
    "mock engine and the policy pack judged what it would create. It is not a record of deployed infrastructure. "
    "An offline plan cannot see provider-side validation and defaults, the existing state and the diff (everything "
    "is judged as a fresh create), real computed values (ARNs, IDs and generated names are shown as "
    f"{UNKNOWN_SHOWN!r}), or data-source results (they are stand-ins); remediations are not run. Re-run the gate "
    "with the Pulumi CLI (`pulumi preview --policy-pack policies`) or on a deployed stack's `pulumi stack export` "
    "(`python -m preflight analyze`) for those."
)

# Label, tag and annotation keys of the project's conventions (docs/architecture.md).
AUTH_MODE_KEY: Final = "inference.auth/mode"
TRACK_LABEL: Final = "inference.platform/track"
ROLE_LABEL: Final = "inference.platform/role"
WAVE_LABEL: Final = "inference.platform/wave"
SITE_LABEL: Final = "inference.platform/site"
IMAGE_LABEL: Final = "inference.platform/image"
APP_NAME_LABEL: Final = "app.kubernetes.io/name"
APP_VERSION_LABEL: Final = "app.kubernetes.io/version"
RESIDENCY_KEY: Final = "residency-zone"
CLASSIFICATION_KEY: Final = "data-classification"
DEPLOYMENT_MODEL_KEY: Final = "deployment-model"


# --------------------------------------------------------------------------------------------------------------------
# Controls in scope for an AI inference deployment


@dataclass(frozen=True)
class Control:
    framework: str  # HIPAA or NIST
    id: str
    title: str
    owner: str  # who covers what the pack does not check


# The controls an auditor of an AI inference deployment asks about. A control that no policy of the pack maps to is
# reported as a gap, with the owner who must cover it outside this stack.
CONTROLS_IN_SCOPE: Final[tuple[Control, ...]] = (
    Control(
        HIPAA,
        "164.308(a)(1)(ii)(D)",
        "Information system activity review",
        "Security operations: review the audit logs, access reports and security incident tracking on a schedule "
        "(a SIEM fed by the control-plane, flow and VPN logs)",
    ),
    Control(
        HIPAA,
        "164.308(a)(7)",
        "Contingency plan",
        "Operator: data backup, disaster recovery and emergency-mode plans, with tested restores",
    ),
    Control(
        HIPAA,
        "164.312(a)(1)",
        "Access control",
        "Identity team: unique user identification, emergency access and automatic logoff for clients and operators",
    ),
    Control(
        HIPAA,
        "164.312(a)(2)(iv)",
        "Encryption and decryption",
        "Key custodians: key policies, who may decrypt, and encryption of data outside this stack",
    ),
    Control(HIPAA, "164.312(b)", "Audit controls", "Security operations: keep and examine the audit records"),
    Control(
        HIPAA,
        "164.312(c)(1)",
        "Integrity",
        "Operator: integrity of ePHI in the model's inputs and outputs (application level)",
    ),
    Control(
        HIPAA,
        "164.312(d)",
        "Person or entity authentication",
        "Identity team: the identity provider and client certificates the endpoints trust",
    ),
    Control(HIPAA, "164.312(e)(1)", "Transmission security", "Network team: links outside this stack"),
    Control(
        HIPAA,
        "164.312(e)(2)(ii)",
        "Encryption (in transmission)",
        "Network team: encryption of links outside this stack (clients, site networks)",
    ),
    Control(
        NIST,
        "AC-2",
        "Account management",
        "Identity team: account lifecycle in the identity provider and AWS IAM Identity Center (joiners, movers, "
        "leavers, periodic access reviews)",
    ),
    Control(NIST, "AC-3", "Access enforcement", "Identity team: authorization rules inside the identity provider"),
    Control(NIST, "AC-4", "Information flow enforcement", "Network team: flows outside this stack"),
    Control(NIST, "AC-6", "Least privilege", "Identity team: IAM permission sets and Kubernetes RBAC for people"),
    Control(NIST, "AU-2", "Event logging", "Security operations: which events the organisation logs"),
    Control(
        NIST,
        "AU-6",
        "Audit record review, analysis, and reporting",
        "Security operations: review and analyse the audit records (SIEM correlation, alerting, reporting)",
    ),
    Control(NIST, "AU-9", "Protection of audit information", "Security operations: access to the log archive"),
    Control(NIST, "AU-11", "Audit record retention", "Records management: retention schedule"),
    Control(NIST, "AU-12", "Audit record generation", "Security operations: logging of systems outside this stack"),
    Control(
        NIST,
        "CA-7",
        "Continuous monitoring",
        "ISSO: continuous monitoring strategy (drift detection with `pulumi refresh` and `preflight analyze` on the "
        "stack export, AWS Config, Security Hub), with its frequency and reporting",
    ),
    Control(NIST, "CM-2", "Baseline configuration", "Operator: the reviewed stack config is the baseline"),
    Control(NIST, "CM-6", "Configuration settings", "Operator: settings of systems outside this stack"),
    Control(NIST, "CM-7", "Least functionality", "Operator: functions of systems outside this stack"),
    Control(NIST, "CP-9", "System backup", "Operator: backups of model artifacts and configuration, tested restores"),
    Control(NIST, "CP-10", "System recovery and reconstitution", "Operator: recovery runbooks and exercises"),
    Control(
        NIST,
        "IA-2",
        "Identification and authentication (organizational users)",
        "Identity team: MFA and identity proofing in the identity provider",
    ),
    Control(
        NIST,
        "IA-5",
        "Authenticator management",
        "Identity team and PKI: issue, rotate and revoke client certificates, OIDC client secrets, registry "
        "credentials and kubeconfigs",
    ),
    Control(
        NIST,
        "IR-4",
        "Incident handling",
        "Incident response team: playbooks for model or data incidents (rollback: the rollout config; isolation: "
        "the exposure paths below)",
    ),
    Control(NIST, "RA-5", "Vulnerability monitoring and scanning", "Security operations: act on the scan findings"),
    Control(NIST, "SC-7", "Boundary protection", "Network team: boundaries outside this stack"),
    Control(NIST, "SC-8", "Transmission confidentiality and integrity", "Network team: links outside this stack"),
    Control(
        NIST,
        "SC-12",
        "Cryptographic key establishment and management",
        "Key custodians: key policies, custody and destruction",
    ),
    Control(NIST, "SC-13", "Cryptographic protection", "Operator: FIPS-validated modules outside this stack"),
    Control(
        NIST, "SC-28", "Protection of information at rest", "Operator: storage outside this stack (sites, devices)"
    ),
    Control(NIST, "SI-4", "System monitoring", "Security operations: detection on the logs and metrics"),
    Control(
        NIST,
        "SR-3",
        "Supply chain controls and processes",
        "Operator: provenance of images and model weights (signatures, SBOMs, model cards)",
    ),
)

_CONTROL_LABELS: Final = ((f"{HIPAA} ", HIPAA), (f"{NIST} ", NIST))


def parse_control(label: str) -> tuple[str, str] | None:
    """``"HIPAA 164.312(b)"`` -> ``("HIPAA", "164.312(b)")``; None for a framework the record does not cover."""
    for prefix, framework in _CONTROL_LABELS:
        if label.startswith(prefix):
            return framework, label[len(prefix) :].strip()
    return None


def covers(policy_control: str, control: str) -> bool:
    """A policy mapped to a control, a control enhancement (SC-8(1)) or a sub-paragraph (164.308(a)(7)(ii)(A))."""
    return policy_control == control or policy_control.startswith(control + "(")


# --------------------------------------------------------------------------------------------------------------------
# The plan's resources, secrets removed


def _public(value: Any) -> Any:
    """A copy with every secret (and any stray offline secret placeholder) replaced by SECRET_SHOWN."""
    if is_secret(value):
        return SECRET_SHOWN
    if isinstance(value, dict):
        return {key: _public(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_public(item) for item in value]
    if isinstance(value, str) and stackfile.SECRET_PLACEHOLDER in value:
        return SECRET_SHOWN
    return value


@dataclass(frozen=True)
class Res:
    """A planned resource, with its secrets removed."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    parent: str
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, Sequence[str]]
    protect: bool

    @classmethod
    def of(cls, res: RecordedResource) -> Res:
        return cls(
            urn=res.urn,
            type=res.type,
            name=res.name,
            inputs=_public(res.inputs),
            parent=res.parent,
            dependencies=tuple(res.dependencies),
            property_dependencies={k: tuple(v) for k, v in res.property_dependencies.items()},
            protect=res.protect,
        )

    def get(self, *path: str | int) -> Any:
        return dig(self.inputs, *path)

    def deps(self, prop: str) -> Sequence[str]:
        return self.property_dependencies.get(prop, ())


class Plan:
    """The plan's resources indexed by URN and type."""

    def __init__(self, resources: Iterable[RecordedResource]) -> None:
        self.resources = [Res.of(r) for r in resources]
        self.by_urn = {r.urn: r for r in self.resources}
        self._by_type: dict[str, list[Res]] = collections.defaultdict(list)
        for r in self.resources:
            self._by_type[r.type].append(r)

    def of_type(self, *types: str) -> list[Res]:
        return [r for t in types for r in self._by_type.get(t, ())]

    def matching(self, predicate: Callable[[str], bool]) -> list[Res]:
        return [r for r in self.resources if predicate(r.type)]

    def linked(self, res: Res, prop: str, *types: str) -> list[Res]:
        """Resources of ``types`` that ``res.<prop>`` was computed from (the engine records this at preview)."""
        found = [self.by_urn[u] for u in res.deps(prop) if u in self.by_urn]
        return [r for r in found if not types or r.type in types]


def dig(value: Any, *path: str | int) -> Any:
    """``value[path[0]][path[1]]...``; None where a step is missing or of the wrong kind."""
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and -len(value) <= step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def known(value: Any) -> Any:
    """The value, or None when a preview does not know it (or it is a resource reference)."""
    return None if value is None or is_unknown(value) or is_resource_ref(value) else value


def shown(value: Any) -> Any:
    """A value for the record: unknown ones say so."""
    if value is not None and is_unknown(value):
        return UNKNOWN_SHOWN
    return value


def as_int(value: Any) -> int | None:
    value = known(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def as_bool(value: Any) -> bool | None:
    value = known(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def str_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def labels_of(res: Res) -> dict[str, str]:
    """Kubernetes metadata labels, Docker container labels or AWS tags."""
    if res.type.startswith("kubernetes:"):
        found = res.get("metadata", "labels")
    elif res.type == "docker:index/container:Container":
        found = {item.get("label"): item.get("value") for item in res.get("labels") or [] if isinstance(item, dict)}
    else:
        found = res.get("tags")
    return {k: v for k, v in (found or {}).items() if isinstance(k, str) and isinstance(v, str)}


def annotations_of(res: Res) -> dict[str, str]:
    found = res.get("metadata", "annotations") or {}
    return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)}


# Where each Kubernetes workload kind keeps its pod template.
_POD_SPEC_PATHS: Final[dict[str, tuple[str, ...]]] = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
    "kubernetes:core/v1:Pod": (),
}


def pod_template(res: Res) -> Mapping[str, Any]:
    found = res.get(*_POD_SPEC_PATHS[res.type]) if _POD_SPEC_PATHS[res.type] else res.inputs
    return found if isinstance(found, dict) else {}


_DIGEST: Final = re.compile(r"@(sha256:[0-9a-f]{64})$")


def parse_image(reference: str) -> dict[str, Any]:
    """Registry, repository, tag and digest of an image reference (``docker.io`` when no registry is named)."""
    digest_match = _DIGEST.search(reference)
    digest = digest_match.group(1) if digest_match else None
    rest = reference[: digest_match.start()] if digest_match else reference
    first, _, remainder = rest.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = "docker.io", rest
    repository, _, tag = path.rpartition(":") if ":" in path else (path, "", "")
    return {
        "reference": reference,
        "registry": registry,
        "repository": repository,
        "tag": tag or None,
        "digest": digest,
        "pinned": digest is not None,
    }


# --------------------------------------------------------------------------------------------------------------------
# Stack config (intent the plan cannot show: rollout, hypercare); secret keys are never read


class Settings:
    """The few non-secret config sections the record quotes."""

    def __init__(self, stack: stackfile.StackFile) -> None:
        self._config = stack.config
        self._secret = set(stack.secret_keys)
        self._project = stack.project

    def raw(self, key: str) -> str | None:
        full = key if ":" in key else f"{self._project}:{key}"
        return None if full in self._secret else self._config.get(full)

    def section(self, key: str) -> dict[str, Any]:
        text = self.raw(key)
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return {}
        return _public(value) if isinstance(value, dict) else {}

    def items(self, key: str) -> list[str]:
        text = self.raw(key)
        if not text:
            return []
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return [text]
        return str_list(value)


# --------------------------------------------------------------------------------------------------------------------
# Sections


def deployment_section(settings: Settings, plan_: Plan, report: GateReport) -> dict[str, Any]:
    compliance = settings.section("compliance")
    regions = {
        region
        for r in plan_.resources
        if r.type == "pulumi:providers:aws" or (r.type.startswith("aws:") and r.get("region") is not None)
        for region in [known(r.get("region"))]
        if isinstance(region, str) and region
    }
    zones = {z for r in plan_.resources for z in [labels_of(r).get(RESIDENCY_KEY)] if z}
    classifications = {c for r in plan_.resources for c in [labels_of(r).get(CLASSIFICATION_KEY)] if c}
    if isinstance(compliance.get("residencyZone"), str):
        zones.add(compliance["residencyZone"])
    models = {m for r in plan_.resources for m in [labels_of(r).get(DEPLOYMENT_MODEL_KEY)] if m}
    return {
        "model": settings.raw("deploymentModel") or (sorted(models)[0] if len(models) == 1 else None),
        "environment": settings.raw("environment"),
        "regions": sorted(regions),
        "allowedRegions": settings.items("allowedRegions"),
        "residencyZones": sorted(zones),
        "dataClassification": compliance.get("dataClassification"),
        "dataClassificationsInPlan": sorted(classifications),
        "owner": compliance.get("owner"),
        "profile": {
            "name": report.profile,
            "path": report.profile_path or None,
            "failOnUndecided": report.fail_on_undecided,
        },
    }


def _applicability(pack_dir: Path | None) -> Callable[[str, str], bool] | None:
    """``applies(policy, resource_type)`` from the pack's own catalog when the pack is this project's, else None."""
    if pack_dir is None or gate._guardrails(pack_dir.resolve()) is None:
        return None
    guardrails = importlib.import_module("guardrails")
    spec = getattr(guardrails, "spec", None)
    if spec is None:
        return None

    def applies(policy: str, resource_type: str) -> bool:
        try:
            return bool(spec(policy).applies_to(resource_type))
        except KeyError:  # a policy the catalog does not know: assume it applies
            return True

    return applies


def policy_statuses(
    report: GateReport, plan_: Plan, applies: Callable[[str, str], bool] | None
) -> list[dict[str, Any]]:
    """Each policy's result on this stack; a policy that passed but reads no resource here is not applicable."""
    types = collections.Counter(r.type for r in plan_.resources)
    out = []
    for p in report.policies:
        status = report.policy_status(p)
        applicable = sum(n for t, n in types.items() if applies(p.name, t)) if applies else None
        if status == "pass" and applicable == 0:
            status = NOT_APPLICABLE
        findings = report.findings_for(p.name)
        out.append(
            {
                "name": p.name,
                "severity": p.severity or None,
                "enforcementLevel": p.enforcement_level,
                "status": status,
                "violations": sum(1 for f in findings if f.status == VIOLATION),
                "undecided": sum(1 for f in findings if f.status == UNDECIDED),
                "applicableResources": applicable,
                "controls": list(p.controls),
            }
        )
    return out


def _control_status(statuses: Sequence[str]) -> str:
    if not statuses:
        return GAP
    for status in (VIOLATION, UNDECIDED, "pass"):
        if status in statuses:
            return status
    return "disabled" if all(s == "disabled" for s in statuses) else NOT_APPLICABLE


def controls_section(policies: Sequence[dict[str, Any]], profile: str) -> tuple[list[dict[str, Any]], list[dict]]:
    """Every control in scope or mapped by a policy, with its policies and result; and the gaps."""
    mapped: dict[tuple[str, str], list[dict[str, Any]]] = collections.defaultdict(list)
    for p in policies:
        for label in p["controls"]:
            parsed = parse_control(label)
            if parsed is not None:
                mapped[parsed].append(p)
    rows: list[dict[str, Any]] = []
    gaps: list[dict[str, Any]] = []
    in_scope = {(c.framework, c.id): c for c in CONTROLS_IN_SCOPE}
    for framework, control_id in [*in_scope, *sorted(set(mapped) - set(in_scope))]:
        control = in_scope.get((framework, control_id))
        if control is not None:
            enforcing = [
                p for (fw, cid), ps in mapped.items() if fw == framework and covers(cid, control_id) for p in ps
            ]
        else:
            enforcing = mapped[(framework, control_id)]
        by_name = {p["name"]: p for p in enforcing}
        status = _control_status([p["status"] for p in by_name.values()])
        rows.append(
            {
                "framework": framework,
                "id": control_id,
                "title": control.title if control else None,
                "inScope": control is not None,
                "status": status,
                "policies": [{"name": p["name"], "status": p["status"]} for p in by_name.values()],
                "owner": control.owner if control else None,
            }
        )
        if control is not None and status in (GAP, "disabled"):
            reason = (
                "no policy in the pack maps to this control"
                if status == GAP
                else f"every policy mapped to this control is disabled in profile {profile!r}"
            )
            gaps.append(
                {
                    "framework": framework,
                    "id": control_id,
                    "title": control.title,
                    "reason": reason,
                    "owner": control.owner,
                }
            )
    return rows, gaps


_WORKLOAD_TYPES: Final = tuple(_POD_SPEC_PATHS)
_REMOTE_IMAGE: Final = "docker:index/remoteImage:RemoteImage"
_CONTAINER: Final = "docker:index/container:Container"


def _container_images(res: Res, plan_: Plan) -> str | None:
    """A Docker container's image: the RemoteImage it was computed from, else the image label, else the input."""
    for image in plan_.linked(res, "image", _REMOTE_IMAGE):
        name = known(image.get("name"))
        if isinstance(name, str):
            return name
    label = labels_of(res).get(IMAGE_LABEL)
    return label or known(res.get("image"))


@dataclass(frozen=True)
class Release:
    """A version the stack config declares: ``stable`` (inference.image, inference.model) or ``candidate``."""

    track: str
    image: str | None
    model: str | None
    version: str | None


def releases(settings: Settings) -> tuple[Release, Release | None]:
    inference, rollout = settings.section("inference"), settings.section("rollout")
    model = dig(inference, "model", "name")
    stable = Release("stable", dig(inference, "image", "reference"), model, dig(inference, "model", "version"))
    candidate = rollout.get("candidate")
    if not isinstance(candidate, dict):
        return stable, None
    return stable, Release("candidate", candidate.get("image"), model, candidate.get("modelVersion"))


def artifacts_section(plan_: Plan, settings: Settings) -> dict[str, Any]:
    """Images (by reference, with the resources that run or pull them), model versions, charts, repositories."""
    stable, candidate = releases(settings)
    declared = [r for r in (stable, candidate) if r is not None]
    images: dict[str, dict[str, Any]] = {}
    unknown: list[str] = []
    models: dict[tuple[str, str, str], dict[str, Any]] = {}

    def track_of(reference: str | None, version: str | None, label: str | None) -> str | None:
        """stable / candidate: the workload's track label, else the release whose image or version it runs."""
        if label in ("stable", "candidate"):
            return label
        for release in declared:
            if reference is not None and reference == release.image:
                return release.track
        return next((r.track for r in declared if version is not None and version == r.version), None)

    def add_image(reference: Any, res: Res, role: str, track: str | None) -> None:
        reference = known(reference)
        if not isinstance(reference, str) or not reference:
            unknown.append(res.name)
            return
        # Resources as dict keys: ordered, and a fleet's thousands of containers stay linear to collect.
        entry = images.setdefault(reference, {**parse_image(reference), "track": None, "roles": [], "resources": {}})
        entry["track"] = entry["track"] or track_of(reference, None, track)
        if role not in entry["roles"]:
            entry["roles"].append(role)
        entry["resources"][res.name] = None

    def add_model(labels: Mapping[str, str], role: str, reference: str | None) -> None:
        service, version = labels.get(APP_NAME_LABEL), labels.get(APP_VERSION_LABEL)
        if not service or not version or role == "acceptance-test":
            return
        track = track_of(reference, version, labels.get(TRACK_LABEL)) or role
        entry = models.setdefault(
            (service, version, track),
            {
                "service": service,
                # The model named in config is the one the stable and candidate tracks serve.
                "model": stable.model if track in ("stable", "candidate") else None,
                "version": version,
                "track": track,
                "resources": 0,
            },
        )
        entry["resources"] += 1

    for res in plan_.of_type(*_WORKLOAD_TYPES):
        template = pod_template(res)
        labels = {**labels_of(res), **(dig(template, "metadata", "labels") or {})}
        role = labels.get(TRACK_LABEL) or labels.get(ROLE_LABEL) or "workload"
        spec = dig(template, "spec") or {}
        containers = [c for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])] if c]
        for container in containers:
            if isinstance(container, dict):
                add_image(container.get("image"), res, role, labels.get(TRACK_LABEL))
        main = known(dig(spec, "containers", 0, "image"))
        add_model(labels, role, main if isinstance(main, str) else None)
    for res in plan_.of_type(_CONTAINER):
        labels = labels_of(res)
        wave = labels.get(WAVE_LABEL)
        reference = _container_images(res, plan_)
        add_image(reference, res, f"wave {wave}" if wave else "container", None)
        add_model(labels, "edge", reference)
    for res in plan_.of_type(_REMOTE_IMAGE):
        add_image(res.get("name"), res, "pulled", None)
    charts = [
        {
            "release": res.name,
            "chart": known(res.get("chart")),
            "version": known(res.get("version")),
            "repository": known(res.get("repositoryOpts", "repo")),
            "namespace": known(res.get("namespace")),
            "image": _chart_image(res),
        }
        for res in plan_.of_type("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
    ]
    repositories = [
        {
            "name": res.name,
            "tagMutability": known(res.get("imageTagMutability")),
            "scanOnPush": as_bool(res.get("imageScanningConfiguration", "scanOnPush")),
            "encryption": known(res.get("encryptionConfigurations", 0, "encryptionType")),
        }
        for res in plan_.of_type("aws:ecr/repository:Repository")
    ]
    return {
        "images": [{**i, "resources": list(i["resources"])} for _, i in sorted(images.items())],
        "imagesUnknownAtPreview": sorted(set(unknown)),
        "models": sorted(models.values(), key=lambda m: (m["service"], m["version"], m["track"])),
        "charts": charts,
        "repositories": repositories,
    }


def _chart_image(res: Res) -> str | None:
    repository, tag = known(res.get("values", "image", "repository")), known(res.get("values", "image", "tag"))
    if isinstance(repository, str) and isinstance(tag, str):
        return f"{repository}:{tag}"
    return None


_KEY: Final = "aws:kms/key:Key"
_ALIAS: Final = "aws:kms/alias:Alias"
_KMS_LITERAL: Final = re.compile(r"^(arn:aws[a-z-]*:kms:[^\s]+|alias/[^\s]+)$")
# Resources whose reference to a key grants use of it rather than encrypting something with it.
_GRANT_TYPES: Final = frozenset(
    {"aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:kms/grant:Grant", "aws:iam/role:Role"}
)
# Configuration resources that encrypt another resource: the property naming that resource.
_TARGET_PROPERTY: Final = {
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "bucket",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": "bucket",
}


def _alias_name(alias: Res) -> str:
    name = known(alias.get("name"))
    if isinstance(name, str):
        return name
    prefix = known(alias.get("namePrefix"))
    return f"{prefix}* (suffix assigned at deploy)" if isinstance(prefix, str) else UNKNOWN_SHOWN


def _literal_key_refs(value: Any, path: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(value, str) and _KMS_LITERAL.match(value):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _literal_key_refs(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _literal_key_refs(item, f"{path}[{i}]")


def keys_section(plan_: Plan) -> dict[str, Any]:
    """KMS keys by purpose, with what each protects and who may use it (joined through property dependencies)."""
    keys = plan_.of_type(_KEY)
    key_urns = {k.urn for k in keys}
    protects: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    grants: dict[str, list[str]] = collections.defaultdict(list)
    aliases: dict[str, list[str]] = collections.defaultdict(list)
    external: list[dict[str, Any]] = []
    references = (
        (res, prop, urn)
        for res in plan_.resources
        if res.type != _KEY
        for prop, urns in res.property_dependencies.items()
        for urn in urns
        if urn in key_urns
    )
    for res, prop, urn in references:
        if res.type == _ALIAS:
            aliases[urn].append(_alias_name(res))
        elif res.type in _GRANT_TYPES:
            grants[urn].append(res.name)
        else:
            entry: dict[str, Any] = {"resource": res.name, "type": res.type, "property": prop}
            target_prop = _TARGET_PROPERTY.get(res.type)
            if target_prop:
                entry["target"] = [t.name for t in plan_.linked(res, target_prop)] or None
            protects[urn].append(entry)
    for res in plan_.resources:
        if res.type not in (_KEY, _ALIAS):
            for path, reference in _literal_key_refs(res.inputs):
                external.append({"resource": res.name, "type": res.type, "property": path, "reference": reference})
    items = [
        {
            "name": key.name,
            "purpose": known(key.get("description")),
            "aliases": aliases.get(key.urn, []),
            "rotation": as_bool(key.get("enableKeyRotation")),
            "rotationPeriodDays": as_int(key.get("rotationPeriodInDays")),
            "keySpec": known(key.get("customerMasterKeySpec")),
            "protect": key.protect,
            "protects": protects.get(key.urn, []),
            "grants": sorted(set(grants.get(key.urn, []))),
        }
        for key in keys
    ]
    notes = []
    if keys:
        notes.append(
            "Key ARNs and IDs are unknown at preview; the links above come from the engine's property dependencies "
            "(which input was computed from which key), which are known."
        )
    else:
        notes.append(
            "No KMS keys in this plan: encryption at rest of the cluster's or devices' storage is the site's "
            "(the operator's) responsibility."
        )
    return {"keys": items, "externalReferences": external, "notes": notes}


_LB_SERVICE_INTERNAL: Final = (
    ("service.beta.kubernetes.io/aws-load-balancer-scheme", "internal"),
    ("service.beta.kubernetes.io/aws-load-balancer-internal", "true"),
    ("networking.gke.io/load-balancer-type", "Internal"),
    ("service.beta.kubernetes.io/azure-load-balancer-internal", "true"),
)


def _auth(res: Res) -> str | None:
    return annotations_of(res).get(AUTH_MODE_KEY) or labels_of(res).get(AUTH_MODE_KEY)


def _path(kind: str, res: Res, scope: str, *, tls: bool | None, auth: str | None, detail: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "resource": res.name,
        "type": res.type,
        "scope": scope,
        "tls": tls,
        "auth": auth,
        "detail": detail,
    }


def _k8s_paths(plan_: Plan) -> list[dict[str, Any]]:
    paths = []
    for svc in plan_.of_type("kubernetes:core/v1:Service"):
        kind = known(svc.get("spec", "type"))
        if kind not in ("LoadBalancer", "NodePort"):
            continue
        notes = annotations_of(svc)
        internal = any(notes.get(key, "").lower() == value.lower() for key, value in _LB_SERVICE_INTERNAL)
        ports = [as_int(p.get("port")) for p in svc.get("spec", "ports") or [] if isinstance(p, dict)]
        scope = "node ports" if kind == "NodePort" else ("internal" if internal else "internet-facing")
        paths.append(_path(f"Service {kind}", svc, scope, tls=None, auth=_auth(svc), detail=f"ports {ports}"))
    for ing in plan_.of_type("kubernetes:networking.k8s.io/v1:Ingress"):
        notes = annotations_of(ing)
        hosts = [h for rule in ing.get("spec", "rules") or [] if isinstance(rule, dict) for h in [rule.get("host")]]
        klass = known(ing.get("spec", "ingressClassName")) or notes.get("kubernetes.io/ingress.class")
        scheme = notes.get("alb.ingress.kubernetes.io/scheme")
        scope = scheme or ("internal" if klass == "alb" else f"the {klass or 'default'} ingress controller's network")
        tls = bool(ing.get("spec", "tls")) or "alb.ingress.kubernetes.io/certificate-arn" in notes
        auth = _auth(ing) or notes.get("alb.ingress.kubernetes.io/auth-type")
        detail = f"class {klass}, hosts {[h for h in hosts if isinstance(h, str)] or ['*']}"
        paths.append(_path("Ingress", ing, scope, tls=tls, auth=auth, detail=detail))
    for route in plan_.matching(lambda t: t.startswith("kubernetes:gateway.networking.k8s.io/") and "Route" in t):
        parents = [p.get("name") for p in route.get("spec", "parentRefs") or [] if isinstance(p, dict)]
        hostnames = str_list(route.get("spec", "hostnames"))
        detail = f"gateways {parents}, hostnames {hostnames or ['*']}"
        paths.append(
            _path(
                route.type.rsplit(":", 1)[-1],
                route,
                "the gateway's listeners",
                tls=None,
                auth=_auth(route),
                detail=detail,
            )
        )
    return paths


def _lb_scope(lb: Res) -> str:
    # AWS makes a load balancer internet-facing unless `internal` is set.
    return "internal" if as_bool(lb.get("internal")) else "internet-facing"


def _aws_paths(plan_: Plan) -> list[dict[str, Any]]:
    paths = []
    for cluster in plan_.of_type("aws:eks/cluster:Cluster"):
        public = as_bool(cluster.get("vpcConfig", "endpointPublicAccess"))
        public = True if public is None else public  # AWS's default
        cidrs = str_list(cluster.get("vpcConfig", "publicAccessCidrs")) or (["0.0.0.0/0"] if public else [])
        scope = "internet-facing" if public else "internal"
        detail = f"Kubernetes API endpoint; public access {public}, CIDRs {cidrs}"
        paths.append(_path("EKS API endpoint", cluster, scope, tls=True, auth="AWS IAM", detail=detail))
    for lb in plan_.of_type("aws:lb/loadBalancer:LoadBalancer"):
        detail = f"{known(lb.get('loadBalancerType')) or 'application'} load balancer"
        paths.append(_path("Load balancer", lb, _lb_scope(lb), tls=None, auth=None, detail=detail))
    for listener in plan_.of_type("aws:lb/listener:Listener"):
        protocol = known(listener.get("protocol"))
        tls = protocol in ("HTTPS", "TLS") if isinstance(protocol, str) else None
        detail = f"{protocol} :{as_int(listener.get('port'))}, TLS policy {known(listener.get('sslPolicy'))}"
        balancers = plan_.linked(listener, "loadBalancerArn", "aws:lb/loadBalancer:LoadBalancer")
        scope = _lb_scope(balancers[0]) if balancers else "unknown (load balancer outside this stack)"
        paths.append(_path("Listener", listener, scope, tls=tls, auth=_auth(listener), detail=detail))
    for service in plan_.of_type("aws:ec2/vpcEndpointService:VpcEndpointService"):
        principals = str_list(service.get("allowedPrincipals"))
        accept = as_bool(service.get("acceptanceRequired"))
        detail = f"PrivateLink to {principals or 'no principals'}; acceptance required {accept}"
        paths.append(_path("Endpoint service", service, "private (PrivateLink)", tls=None, auth=None, detail=detail))
    gateways = {g.urn: g for g in plan_.of_type("aws:ec2/customerGateway:CustomerGateway")}
    for vpn in plan_.of_type("aws:ec2/vpnConnection:VpnConnection"):
        peer = [known(gateways[u].get("ipAddress")) for u in vpn.deps("customerGatewayId") if u in gateways]
        ike = sorted({v for n in (1, 2) for v in str_list(vpn.get(f"tunnel{n}IkeVersions"))})
        detail = f"IPsec to customer gateway {peer or [UNKNOWN_SHOWN]}, IKE {ike or ['provider default']}"
        paths.append(_path("Site-to-site VPN", vpn, "private (IPsec)", tls=None, auth="pre-shared key", detail=detail))
    for attachment in plan_.of_type("aws:ec2transitgateway/vpcAttachment:VpcAttachment"):
        detail = f"transit gateway {shown(attachment.get('transitGatewayId'))}"
        paths.append(_path("Transit gateway attachment", attachment, "private", tls=None, auth=None, detail=detail))
    for igw in plan_.of_type("aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway"):
        kind = "Internet gateway" if igw.type.endswith("InternetGateway") else "NAT gateway"
        paths.append(_path(kind, igw, "internet egress", tls=None, auth=None, detail="route to the internet"))
    for sg in plan_.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for i, rule in enumerate(sg.get("ingress") or []):
            cidrs = [*str_list(dig(rule, "cidrBlocks")), *str_list(dig(rule, "ipv6CidrBlocks"))]
            if any(c in ("0.0.0.0/0", "::/0") for c in cidrs):
                ports = f"{as_int(dig(rule, 'fromPort'))}-{as_int(dig(rule, 'toPort'))}"
                detail = f"ingress[{i}] {dig(rule, 'protocol')} ports {ports} from {cidrs}"
                paths.append(_path("Open security group", sg, "internet-facing", tls=None, auth=None, detail=detail))
    return paths


def _docker_paths(plan_: Plan) -> list[dict[str, Any]]:
    """Edge containers' port bindings, grouped by address kind (a fleet has thousands)."""
    groups: dict[str, list[Res]] = collections.defaultdict(list)
    for container in plan_.of_type(_CONTAINER):
        for port in container.get("ports") or []:
            if not isinstance(port, dict):
                continue
            ip = known(port.get("ip"))
            scope = "all interfaces" if ip in (None, "", "0.0.0.0", "::") else "device address"  # noqa: S104
            key = f"{scope}|{as_int(port.get('internal'))}|{as_int(port.get('external'))}"
            groups[key].append(container)
    paths = []
    for key, containers in sorted(groups.items()):
        scope, internal, external = key.split("|")
        first = containers[0]
        detail = f"{len(containers)} container(s) publish port {internal} as {external} on the {scope}"
        paths.append(_path("Container port binding", first, scope, tls=None, auth=_auth_label(first), detail=detail))
    return paths


def _auth_label(res: Res) -> str | None:
    return labels_of(res).get(AUTH_MODE_KEY)


def exposure_section(plan_: Plan) -> dict[str, Any]:
    paths = _k8s_paths(plan_) + _aws_paths(plan_) + _docker_paths(plan_)
    notes = []
    if not paths:
        notes.append("No exposure path in this plan.")
    if any(p["kind"] == "Container port binding" for p in paths):
        notes.append("Edge containers are reached on the device's own address; the site network decides who can.")
    return {"paths": paths, "notes": notes}


# A bucket named as a log store (joined by naming where nothing in the plan says what a bucket holds).
_ARCHIVE_NAME: Final = re.compile(r"(^|[-_.])(audit|logs?|cloudtrail)([-_.]|$)")
_BUCKETS: Final = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
_LOG_GROUP: Final = "aws:cloudwatch/logGroup:LogGroup"
_FIREHOSE: Final = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
_SUBSCRIPTION: Final = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
_OBJECT_LOCK: Final = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
_SSE_TYPES: Final = tuple(_TARGET_PROPERTY)


def _destination(
    kind: str,
    name: Any,
    *,
    retention: int | None = None,
    key: str | None = None,
    protect: bool | None = None,
    archive: str | None = None,
) -> dict[str, Any]:
    return {
        "type": kind,
        "name": name,
        "retentionDays": retention,
        "kmsKey": key,
        "protect": protect,
        "archive": archive,
    }


def _bucket_name(bucket: Res) -> str:
    name = known(bucket.get("bucket"))
    return name if isinstance(name, str) else bucket.name


def _targets(plan_: Plan, res: Res, prop: str, candidates: Sequence[Res], literal: Any) -> list[Res]:
    """Resources ``res.<prop>`` points at: through property dependencies, else by a literal name or ARN."""
    urns = {c.urn for c in candidates}
    linked = [plan_.by_urn[u] for u in res.deps(prop) if u in urns]
    if linked or not isinstance(literal, str):
        return linked
    name = literal.split(":::", 1)[1].split("/", 1)[0] if literal.startswith("arn:") and ":::" in literal else literal
    return [c for c in candidates if name in (known(c.get("name")), known(c.get("bucket")))]


class _Archives:
    """The audit archive chain: log group -> subscription filter -> Firehose stream -> (Object Lock) bucket."""

    def __init__(self, plan_: Plan, keys: Mapping[str, str]) -> None:
        buckets = plan_.of_type(*_BUCKETS)
        streams: dict[str, Res] = {}
        stream_bucket: dict[str, Res] = {}
        for stream in plan_.of_type(_FIREHOSE):
            for prop in ("extendedS3Configuration", "s3Configuration"):
                found = _targets(plan_, stream, prop, buckets, stream.get(prop, "bucketArn"))
                if found:
                    streams[stream.urn], stream_bucket[stream.urn] = stream, found[0]
                    break
        # Log group URN -> archive bucket, through the subscription filters that feed a stream.
        self.by_group: dict[str, Res] = {}
        groups = plan_.of_type(_LOG_GROUP)
        for sub in plan_.of_type(_SUBSCRIPTION):
            targets = [stream_bucket[u] for u in sub.deps("destinationArn") if u in stream_bucket]
            for group in _targets(plan_, sub, "logGroup", groups, sub.get("logGroup")) if targets else []:
                self.by_group[group.urn] = targets[0]
        archived = {b.urn: b for b in stream_bucket.values()}
        archived.update({b.urn: b for b in buckets if _ARCHIVE_NAME.search(b.name)})
        locks = plan_.of_type(_OBJECT_LOCK)
        sse = plan_.of_type(*_SSE_TYPES)
        self.items = []
        for bucket in archived.values():
            lock = next(
                (lk for lk in locks if bucket in _targets(plan_, lk, "bucket", [bucket], lk.get("bucket"))), None
            )
            retention = dig(lock.inputs, "rule", "defaultRetention") if lock else None
            encryption = next(
                (e for e in sse if bucket in _targets(plan_, e, "bucket", [bucket], e.get("bucket"))), None
            )
            key = [keys[u] for u in encryption.deps("rules") if u in keys] if encryption else []
            self.items.append(
                {
                    "name": bucket.name,
                    "bucket": _bucket_name(bucket),
                    "protect": bucket.protect,
                    "objectLock": {
                        "mode": known(dig(retention, "mode")),
                        "days": as_int(dig(retention, "days")),
                        "years": as_int(dig(retention, "years")),
                    }
                    if lock
                    else None,
                    "kmsKey": key[0] if key else None,
                    "fedBy": sorted(s.name for u, s in streams.items() if stream_bucket[u] is bucket),
                }
            )

    def of(self, group: Res) -> str | None:
        bucket = self.by_group.get(group.urn)
        return _bucket_name(bucket) if bucket else None


def audit_section(plan_: Plan) -> dict[str, Any]:
    groups = {g.urn: g for g in plan_.of_type(_LOG_GROUP)}
    keys = {k.urn: k.name for k in plan_.of_type(_KEY)}
    archives = _Archives(plan_, keys)
    used: set[str] = set()

    def destination(group: Res) -> dict[str, Any]:
        used.add(group.urn)
        key = [keys[u] for u in group.deps("kmsKeyId") if u in keys]
        name = known(group.get("name"))
        return _destination(
            "cloudwatch-logs",
            name if isinstance(name, str) else f"{group.name} (name assigned at deploy)",
            retention=as_int(group.get("retentionInDays")),
            key=key[0] if key else ("external" if known(group.get("kmsKeyId")) else None),
            protect=group.protect,
            archive=archives.of(group),
        )

    sources: list[dict[str, Any]] = []
    for cluster in plan_.of_type("aws:eks/cluster:Cluster"):
        name = known(cluster.get("name"))
        expected = f"/aws/eks/{name}/cluster" if isinstance(name, str) else None
        found = [g for g in groups.values() if g.urn in cluster.dependencies or known(g.get("name")) == expected]
        sources.append(
            {
                "kind": "EKS control plane",
                "source": cluster.name,
                "records": str_list(cluster.get("enabledClusterLogTypes")),
                "destination": destination(found[0]) if found else _destination("cloudwatch-logs", expected),
            }
        )
    for flow in plan_.of_type("aws:ec2/flowLog:FlowLog"):
        vpcs = [v.name for v in plan_.linked(flow, "vpcId")] or [shown(flow.get("vpcId"))]
        target = plan_.linked(flow, "logDestination") or plan_.linked(flow, "logGroupName")
        kind = known(flow.get("logDestinationType")) or "cloud-watch-logs"
        dest: dict[str, Any] = (
            destination(target[0])
            if target and target[0].urn in groups
            else _destination(kind, target[0].name if target else shown(flow.get("logDestination")))
        )
        sources.append(
            {
                "kind": "VPC flow log",
                "source": ", ".join(map(str, vpcs)),
                "records": [f"traffic {known(flow.get('trafficType'))}"],
                "destination": dest,
            }
        )
    for vpn in plan_.of_type("aws:ec2/vpnConnection:VpnConnection"):
        for n in (1, 2):
            options = vpn.get(f"tunnel{n}LogOptions", "cloudwatchLogOptions")
            enabled = as_bool(dig(options, "logEnabled"))
            target = [groups[u] for u in vpn.deps(f"tunnel{n}LogOptions") if u in groups]
            sources.append(
                {
                    "kind": "VPN tunnel log",
                    "source": f"{vpn.name} tunnel {n}",
                    "records": [f"enabled {enabled}", f"format {known(dig(options, 'logOutputFormat'))}"],
                    "destination": destination(target[0]) if target else _destination("none", None),
                }
            )
    drivers: dict[str, int] = collections.Counter()
    for container in plan_.of_type(_CONTAINER):
        opts = container.get("logOpts") or {}
        drivers[f"{known(container.get('logDriver')) or 'json-file'} {json.dumps(opts, sort_keys=True)}"] += 1
    for driver, count in sorted(drivers.items()):
        name, _, opts = driver.partition(" ")
        sources.append(
            {
                "kind": "Container logs",
                "source": f"{count} edge container(s)",
                "records": ["stdout/stderr"],
                "destination": _destination("device-local", f"{name} {opts}"),
            }
        )
    for group in groups.values():
        if group.urn not in used:
            sources.append(
                {"kind": "Log group", "source": group.name, "records": [], "destination": destination(group)}
            )
    notes = []
    if not plan_.of_type("aws:eks/cluster:Cluster") and plan_.matching(lambda t: t.startswith("kubernetes:")):
        notes.append(
            "The Kubernetes API audit log of the existing cluster is not created by this stack: the cluster's "
            "operator must keep it."
        )
    if drivers:
        notes.append("Edge container logs stay on the device; shipping them to a central store is the operator's.")
    if sources and not archives.items:
        notes.append("No audit archive (long-term log bucket) in this plan; the retention above is the only one.")
    return {"sources": sources, "archives": archives.items, "notes": notes}


def _weights(res: Res) -> dict[str, int]:
    """Backend -> weight of a traffic split, from ALB actions, ingress-nginx canary or Gateway API backendRefs."""
    notes = annotations_of(res)
    weights: dict[str, int] = {}
    for key, value in notes.items():
        if key.startswith("alb.ingress.kubernetes.io/actions."):
            with contextlib.suppress(json.JSONDecodeError):
                action = json.loads(value)
                for group in dig(action, "forwardConfig", "targetGroups") or []:
                    name, weight = dig(group, "serviceName"), as_int(dig(group, "weight"))
                    if isinstance(name, str) and weight is not None:
                        weights[name] = weight
    if notes.get("nginx.ingress.kubernetes.io/canary") == "true":
        backend = dig(res.inputs, "spec", "rules", 0, "http", "paths", 0, "backend", "service", "name")
        weight = as_int(notes.get("nginx.ingress.kubernetes.io/canary-weight"))
        if isinstance(backend, str) and weight is not None:
            weights[backend] = weight
    for rule in res.get("spec", "rules") or []:
        for ref in dig(rule, "backendRefs") or []:
            name, weight = dig(ref, "name"), as_int(dig(ref, "weight"))
            if isinstance(name, str):
                weights[name] = 1 if weight is None else weight
    return weights


def rollout_section(settings: Settings, plan_: Plan, artifacts: Mapping[str, Any]) -> dict[str, Any]:
    config = settings.section("rollout")
    edge = settings.section("edge")
    stable, candidate = releases(settings)
    tracks = []
    for res in plan_.of_type("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"):
        labels = {**labels_of(res), **(dig(pod_template(res), "metadata", "labels") or {})}
        if TRACK_LABEL not in labels:
            continue
        containers = dig(pod_template(res), "spec", "containers") or []
        tracks.append(
            {
                "track": labels[TRACK_LABEL],
                "resource": res.name,
                "replicas": as_int(res.get("spec", "replicas")),
                "image": shown(dig(containers, 0, "image")),
                "modelVersion": labels.get(APP_VERSION_LABEL),
            }
        )
    splits = [
        {"resource": r.name, "type": r.type, "weights": w}
        for r in plan_.matching(lambda t: "Ingress" in t or "Route" in t)
        for w in [_weights(r)]
        if w
    ]
    waves: dict[int, dict[str, Any]] = {}
    for container in plan_.of_type(_CONTAINER):
        labels = labels_of(container)
        wave = as_int(labels.get(WAVE_LABEL))
        if wave is None:
            continue
        entry = waves.setdefault(wave, {"wave": wave, "devices": 0, "modelVersions": [], "sites": []})
        entry["devices"] += 1
        for key, value in (("modelVersions", labels.get(APP_VERSION_LABEL)), ("sites", labels.get(SITE_LABEL))):
            if value and value not in entry[key]:
                entry[key].append(value)
    acceptance: dict[str, Any] = config["acceptanceTest"] if isinstance(config.get("acceptanceTest"), dict) else {}
    jobs = [
        r.name
        for r in plan_.of_type("kubernetes:batch/v1:Job")
        if dig(pod_template(r), "metadata", "labels", ROLE_LABEL) == "acceptance-test"
        or labels_of(r).get(ROLE_LABEL) == "acceptance-test"
    ]
    is_edge = bool(waves)
    return {
        "strategy": "waves" if is_edge else config.get("strategy", "canary"),
        "trafficRouter": config.get("trafficRouter"),
        "stable": {"image": stable.image, "model": stable.model, "modelVersion": stable.version},
        "candidate": {"image": candidate.image, "model": candidate.model, "modelVersion": candidate.version}
        if candidate
        else None,
        "canaryWeight": None if is_edge else config.get("canaryWeight", 0),
        "active": None if is_edge else config.get("active", "stable"),
        "candidateMaxWave": edge.get("candidateMaxWave") if is_edge else None,
        "acceptanceTest": {
            "enabled": acceptance.get("enabled", True) if not is_edge else None,
            "jobs": jobs,
            "samplePath": acceptance.get("samplePath"),
        },
        "tracks": tracks,
        "trafficSplits": splits,
        "edgeWaves": [waves[w] for w in sorted(waves)],
        "modelsDeployed": list(
            dict.fromkeys(f"{m['model'] or m['service']} {m['version']} ({m['track']})" for m in artifacts["models"])
        ),
    }


# --------------------------------------------------------------------------------------------------------------------
# NIST AI RMF lifecycle


AI_RMF_PHASES: Final = (
    ("provisioning", "GOVERN"),
    ("packaging", "MAP"),
    ("integration", "MANAGE"),
    ("acceptance", "MEASURE"),
    ("staged rollout", "MANAGE"),
    ("hypercare", "MEASURE"),
    ("handover", "GOVERN"),
)


def ai_rmf_section(doc: Mapping[str, Any], settings: Settings, plan_: Plan) -> list[dict[str, Any]]:
    """What the stack does for each lifecycle phase (from the plan) and what is left to the operator."""
    deployment, gate_, artifacts = doc["deployment"], doc["gate"], doc["artifacts"]
    rollout, exposure = doc["rollout"], doc["exposurePaths"]["paths"]
    data_holders = [r for r in plan_.resources if r.type in _DATA_HOLDING]
    images = artifacts["images"]
    unpinned = [i["reference"] for i in images if not i["pinned"]]
    auth_modes = sorted({p["auth"] for p in exposure if p["auth"]})
    internet = [p["resource"] for p in exposure if p["scope"] == "internet-facing"]
    monitoring = settings.section("monitoring")
    hypercare = monitoring.get("hypercare") if isinstance(monitoring.get("hypercare"), dict) else None
    monitors = plan_.matching(lambda t: t.startswith("kubernetes:monitoring.coreos.com/") or t in _ALARM_TYPES)
    integration = settings.section("integration")
    does: dict[str, list[str]] = {
        "provisioning": [
            f"{doc['resources']['total']} resources planned for deployment model {deployment['model']} in "
            + (f"regions {', '.join(deployment['regions'])}" if deployment["regions"] else "no AWS region")
            + f", residency zones {', '.join(deployment['residencyZones']) or '(none)'}.",
            f"Policy gate on profile {deployment['profile']['name']}: "
            f"{'passed' if gate_['passed'] else 'FAILED'} ({gate_['violations']['mandatory']} mandatory, "
            f"{gate_['violations']['advisory']} advisory violations, {gate_['undecided']} undecided at preview).",
            f"{sum(1 for r in data_holders if r.protect)} of {len(data_holders)} data-holding resources protected "
            "from deletion.",
        ],
        "packaging": [
            f"{len(images)} image reference(s); "
            + ("all pinned by digest." if not unpinned else f"{len(unpinned)} NOT pinned by digest: {unpinned}."),
            f"Model versions: {rollout['modelsDeployed'] or 'none'}.",
        ]
        + (
            [
                f"{len(artifacts['repositories'])} ECR repository(ies): tag mutability "
                f"{sorted({str(r['tagMutability']) for r in artifacts['repositories']})}, scan on push "
                f"{sorted({str(r['scanOnPush']) for r in artifacts['repositories']})}."
            ]
            if artifacts["repositories"]
            else []
        ),
        "integration": [
            f"{len(exposure)} exposure path(s); "
            + (f"internet-facing: {internet}." if internet else "none internet-facing."),
            f"Client authentication on the exposure paths: {', '.join(auth_modes) or 'none declared'}; configured "
            f"mode {dig(integration, 'auth', 'mode') or 'none'}; rate limit "
            f"{_configured(integration.get('rateLimitRps'), 'req/s')}, request timeout "
            f"{_configured(integration.get('requestTimeoutSeconds'), 's')} (config).",
        ],
        "acceptance": [
            f"Acceptance-test Job(s) after each rollout step: {rollout['acceptanceTest']['jobs']}."
            if rollout["acceptanceTest"]["jobs"]
            else "No acceptance-test Job in this plan.",
        ],
        "staged rollout": [_rollout_summary(rollout)],
        "hypercare": [
            f"Hypercare window from {hypercare.get('startDate')} for {hypercare.get('days', 30)} days, thresholds "
            f"tightened by {hypercare.get('tightenFactor', 0.5)} (config)."
            if hypercare
            else "No hypercare window configured (monitoring.hypercare).",
            f"{len(monitors)} monitoring resource(s) in the plan (ServiceMonitor, PodMonitor, PrometheusRule, "
            "CloudWatch alarms).",
        ],
        "handover": [
            "This record: controls with their policies and results, gaps with owners, artifacts, keys, exposure, "
            "audit logs and the rollout plan.",
            f"{len(doc['gaps'])} control gap(s) listed with the owner who must cover each.",
        ],
    }
    left: dict[str, list[str]] = {
        "provisioning": [
            "Run the gate with the Pulumi CLI against the real backend (`pulumi preview --policy-pack policies`): "
            "provider-side validation and the diff against existing state are not in this record.",
            "Account-level guardrails outside the stack (SCPs, AWS Config rules, the existing cluster's settings).",
        ],
        "packaging": [
            "Verify image signatures and SBOMs, act on the scan findings, and keep the model card and the training "
            "data lineage for each model version.",
        ],
        "integration": [
            "Register clients with the identity provider or issue client certificates; review the consumer side of "
            "every exposure path.",
        ],
        "acceptance": [
            "Define the model-quality acceptance criteria (accuracy, bias, safety evaluations): the Job checks "
            "readiness and a sample request only.",
        ],
        "staged rollout": [
            "Decide promotion or rollback from the metrics (change the rollout config and re-run the gate).",
        ],
        "hypercare": [
            "Staff the on-call rotation, watch the alerts during the window, record incidents (IR-4).",
        ],
        "handover": [
            "File this record, assign the gap owners, and re-run `preflight analyze` on the deployed stack's "
            "`pulumi stack export` on a schedule (CA-7).",
        ],
    }
    return [
        {"phase": phase, "riskCategory": category, "stackDoes": does[phase], "leftToOperator": left[phase]}
        for phase, category in AI_RMF_PHASES
    ]


def _configured(value: Any, unit: str) -> str:
    return f"{value} {unit}" if value is not None else "default"


_ALARM_TYPES: Final = frozenset(
    {"aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm"}
)

# Types of data-holding resources (KMS keys, buckets, ECR repositories, audit-log stores, volumes).
_DATA_HOLDING: Final = frozenset(
    {
        _KEY,
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:ecr/repository:Repository",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:ebs/volume:Volume",
        "aws:efs/fileSystem:FileSystem",
        "kubernetes:core/v1:PersistentVolumeClaim",
    }
)


def _rollout_summary(rollout: Mapping[str, Any]) -> str:
    candidate = rollout["candidate"]
    if rollout["strategy"] == "waves":
        waves = ", ".join(
            f"wave {w['wave']}: {w['devices']} device(s) on {w['modelVersions']}" for w in rollout["edgeWaves"]
        )
        return f"Edge waves (candidate up to wave {rollout['candidateMaxWave']}): {waves}."
    if candidate is None:
        return f"Strategy {rollout['strategy']}: no candidate; all traffic on stable."
    if rollout["strategy"] == "canary":
        return f"Canary: {rollout['canaryWeight']}% of requests to candidate {candidate['modelVersion']}."
    return f"Blue-green: {rollout['active']} is active (candidate {candidate['modelVersion']})."


# --------------------------------------------------------------------------------------------------------------------
# The document


def build(
    stack: stackfile.StackFile,
    plan_result: PlanResult,
    report: GateReport,
    *,
    pack_dir: Path | None = None,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """The evidence document (schema ``evidence-v1.json``) for a planned stack and its gate report."""
    settings = Settings(stack)
    plan_ = Plan(plan_result.resources)
    policies = policy_statuses(report, plan_, _applicability(pack_dir))
    controls, gaps = controls_section(policies, report.profile)
    statuses = collections.Counter(p["status"] for p in policies)
    artifacts = artifacts_section(plan_, settings)
    project_dir = stack.project_dir.resolve()
    doc: dict[str, Any] = {
        "schema": SCHEMA_NAME,
        "schemaVersion": SCHEMA_VERSION,
        "generatedAt": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "offline": True,
        "notice": NOTICE,
        "limitations": list(LIMITATIONS),
        "stack": {
            "name": stack.stack,
            "project": stack.project,
            "file": stack.path.resolve().relative_to(project_dir).as_posix()
            if stack.path.resolve().is_relative_to(project_dir)
            else stack.path.name,
        },
        "deployment": deployment_section(settings, plan_, report),
        "gate": {
            "pack": {"name": report.pack_name, "version": report.pack_version},
            "passed": report.passed,
            "exitCode": report.exit_code,
            "blocking": len(report.blocking),
            "violations": {
                "mandatory": report.count_violations("mandatory"),
                "advisory": report.count_violations("advisory"),
            },
            "undecided": len(report.undecided),
            "policies": {
                "total": len(policies),
                **{s: statuses.get(s, 0) for s in (VIOLATION, UNDECIDED, "pass", NOT_APPLICABLE, "disabled")},
            },
        },
        "resources": {"total": len(plan_.resources), "byType": report.counts_by_type()},
        "controls": controls,
        "gaps": gaps,
        "policies": policies,
        "artifacts": artifacts,
        "encryptionKeys": keys_section(plan_),
        "exposurePaths": exposure_section(plan_),
        "auditLogs": audit_section(plan_),
        "rollout": rollout_section(settings, plan_, artifacts),
    }
    doc["aiRmf"] = ai_rmf_section(doc, settings, plan_)
    return doc


# --------------------------------------------------------------------------------------------------------------------
# Markdown


def _cell(value: Any) -> str:
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list):
        text = ", ".join(str(v) for v in value) or "—"
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


_STATUS_SHOWN: Final = {
    "pass": "✅ pass",
    VIOLATION: "❌ violation",
    UNDECIDED: "❔ undecided",
    NOT_APPLICABLE: "○ not applicable",
    "disabled": "⏸ disabled",
    GAP: "⚠️ gap",
}


def render_markdown(doc: Mapping[str, Any]) -> str:
    stack, deployment, gate_ = doc["stack"], doc["deployment"], doc["gate"]
    verdict = "PASSED" if gate_["passed"] else "FAILED"
    out = [
        f"# Compliance evidence: stack `{stack['name']}` ({stack['project']})",
        "",
        f"> **Offline record.** {doc['notice']}",
        ">",
        "> What an offline plan cannot see:",
        *[f"> - {item}" for item in doc["limitations"]],
        "",
        f"Generated {doc['generatedAt']} from `{stack['file']}` with policy pack "
        f"`{gate_['pack']['name']}@{gate_['pack']['version']}`. Gate verdict: **{verdict}** "
        f"({gate_['violations']['mandatory']} mandatory and {gate_['violations']['advisory']} advisory "
        f"violation(s), {gate_['undecided']} undecided at preview, {gate_['blocking']} blocking).",
        "",
        "## Deployment",
        "",
        *_table(
            ("Item", "Value"),
            [
                ("Deployment model", deployment["model"]),
                ("Environment", deployment["environment"]),
                ("Regions", deployment["regions"]),
                ("Allowed regions", deployment["allowedRegions"]),
                ("Residency zones", deployment["residencyZones"]),
                ("Data classification", deployment["dataClassification"]),
                ("Classifications in the plan", deployment["dataClassificationsInPlan"]),
                ("Owner", deployment["owner"]),
                ("Compliance profile", f"{deployment['profile']['name']} ({deployment['profile']['path']})"),
                ("Fail on undecided", deployment["profile"]["failOnUndecided"]),
                ("Resources", doc["resources"]["total"]),
            ],
        ),
        "## Controls",
        "",
        "Each control in scope for an AI inference deployment, and each control a policy maps to, with the policies "
        "that enforce it and their result on this stack. *Undecided* means a policy needed a value that is unknown "
        "at preview: it is never counted as a pass.",
        "",
        *_table(
            ("Framework", "Control", "Title", "In scope", "Result", "Policies"),
            [
                (
                    c["framework"],
                    c["id"],
                    c["title"],
                    c["inScope"],
                    _STATUS_SHOWN.get(c["status"], c["status"]),
                    [f"{p['name']} ({p['status']})" for p in c["policies"]],
                )
                for c in doc["controls"]
            ],
        ),
        "### Gaps: controls nothing in this stack checks",
        "",
        *(
            _table(
                ("Framework", "Control", "Title", "Why", "Who must cover it"),
                [(g["framework"], g["id"], g["title"], g["reason"], g["owner"]) for g in doc["gaps"]],
            )
            if doc["gaps"]
            else ["None.", ""]
        ),
        "<details><summary>Policies on this stack</summary>",
        "",
        *_table(
            ("Policy", "Level", "Result", "Violations", "Undecided", "Applicable resources"),
            [
                (
                    p["name"],
                    p["enforcementLevel"],
                    _STATUS_SHOWN.get(p["status"], p["status"]),
                    p["violations"],
                    p["undecided"],
                    p["applicableResources"],
                )
                for p in doc["policies"]
            ],
        ),
        "</details>",
        "",
        *_artifacts_md(doc["artifacts"]),
        *_keys_md(doc["encryptionKeys"]),
        *_exposure_md(doc["exposurePaths"]),
        *_audit_md(doc["auditLogs"]),
        *_rollout_md(doc["rollout"]),
        "## NIST AI RMF lifecycle",
        "",
        *_table(
            ("Phase", "Risk category", "What this stack does", "Left to the operator"),
            [
                (a["phase"], a["riskCategory"], "<br>".join(a["stackDoes"]), "<br>".join(a["leftToOperator"]))
                for a in doc["aiRmf"]
            ],
        ),
    ]
    return "\n".join(out).rstrip() + "\n"


def _artifacts_md(artifacts: Mapping[str, Any]) -> list[str]:
    out = ["## Images and model versions", ""]
    out += _table(
        ("Image", "Digest", "Pinned", "Track", "Roles", "Resources"),
        [
            (
                f"`{i['registry']}/{i['repository']}:{i['tag'] or ''}`",
                i["digest"],
                i["pinned"],
                i["track"],
                i["roles"],
                len(i["resources"]),
            )
            for i in artifacts["images"]
        ],
    )
    if artifacts["imagesUnknownAtPreview"]:
        out += [f"Images unknown at preview: {', '.join(artifacts['imagesUnknownAtPreview'])}.", ""]
    out += _table(
        ("Service", "Model", "Version", "Track", "Resources"),
        [(m["service"], m["model"], m["version"], m["track"], m["resources"]) for m in artifacts["models"]],
    )
    if artifacts["charts"]:
        out += _table(
            ("Helm release", "Chart", "Version", "Repository", "Image"),
            [(c["release"], c["chart"], c["version"], c["repository"], c["image"]) for c in artifacts["charts"]],
        )
    if artifacts["repositories"]:
        out += _table(
            ("ECR repository", "Tag mutability", "Scan on push", "Encryption"),
            [(r["name"], r["tagMutability"], r["scanOnPush"], r["encryption"]) for r in artifacts["repositories"]],
        )
    return out


def _keys_md(section: Mapping[str, Any]) -> list[str]:
    out = ["## Encryption keys", ""]
    if section["keys"]:
        out += _table(
            ("Key", "Purpose", "Aliases", "Rotation", "Protected", "Protects", "Use granted to"),
            [
                (
                    k["name"],
                    k["purpose"],
                    k["aliases"],
                    f"yes, every {k['rotationPeriodDays'] or 365} days" if k["rotation"] else k["rotation"],
                    k["protect"],
                    [
                        f"{p['resource']} ({p['property']})" + (f" -> {p['target']}" if p.get("target") else "")
                        for p in k["protects"]
                    ],
                    k["grants"],
                )
                for k in section["keys"]
            ],
        )
    if section["externalReferences"]:
        out += _table(
            ("Resource", "Property", "Key outside this stack"),
            [(e["resource"], e["property"], e["reference"]) for e in section["externalReferences"]],
        )
    return out + [f"- {n}" for n in section["notes"]] + ([""] if section["notes"] else [])


def _exposure_md(section: Mapping[str, Any]) -> list[str]:
    out = ["## Exposure paths", ""]
    if section["paths"]:
        out += _table(
            ("Kind", "Resource", "Scope", "TLS", "Auth", "Detail"),
            [(p["kind"], p["resource"], p["scope"], p["tls"], p["auth"], p["detail"]) for p in section["paths"]],
        )
    return out + [f"- {n}" for n in section["notes"]] + ([""] if section["notes"] else [])


def _audit_md(section: Mapping[str, Any]) -> list[str]:
    out = ["## Audit logs", ""]
    if section["sources"]:
        out += _table(
            ("Kind", "Source", "Records", "Destination", "Retention (days)", "KMS key", "Protected", "Archived to"),
            [
                (
                    s["kind"],
                    s["source"],
                    s["records"],
                    f"{s['destination']['type']}: {s['destination']['name']}",
                    s["destination"]["retentionDays"],
                    s["destination"]["kmsKey"],
                    s["destination"]["protect"],
                    s["destination"]["archive"],
                )
                for s in section["sources"]
            ],
        )
    if section["archives"]:
        out += _table(
            ("Audit archive", "Bucket", "Object Lock", "KMS key", "Protected", "Fed by"),
            [
                (
                    a["name"],
                    a["bucket"],
                    _lock_text(a["objectLock"]),
                    a["kmsKey"],
                    a["protect"],
                    a["fedBy"],
                )
                for a in section["archives"]
            ],
        )
    return out + [f"- {n}" for n in section["notes"]] + ([""] if section["notes"] else [])


def _lock_text(lock: Mapping[str, Any] | None) -> str:
    if not lock:
        return "none"
    period = f"{lock['days']} days" if lock["days"] else (f"{lock['years']} years" if lock["years"] else "no default")
    return f"{lock['mode']}, {period}"


def _rollout_md(rollout: Mapping[str, Any]) -> list[str]:
    candidate = rollout["candidate"] or {}
    out = [
        "## Rollout plan",
        "",
        *_table(
            ("Item", "Value"),
            [
                ("Strategy", rollout["strategy"]),
                ("Traffic router", rollout["trafficRouter"]),
                ("Stable", f"{rollout['stable']['modelVersion']} `{rollout['stable']['image']}`"),
                ("Candidate", f"{candidate['modelVersion']} `{candidate['image']}`" if candidate else None),
                ("Canary weight (%)", rollout["canaryWeight"]),
                ("Active (blue-green)", rollout["active"]),
                ("Candidate up to wave", rollout["candidateMaxWave"]),
                ("Acceptance test Jobs", rollout["acceptanceTest"]["jobs"]),
                ("Summary", _rollout_summary(rollout)),
            ],
        ),
    ]
    if rollout["tracks"]:
        out += _table(
            ("Track", "Deployment", "Replicas", "Model version", "Image"),
            [(t["track"], t["resource"], t["replicas"], t["modelVersion"], t["image"]) for t in rollout["tracks"]],
        )
    if rollout["trafficSplits"]:
        out += _table(
            ("Traffic split", "Weights"),
            [(s["resource"], [f"{k}: {v}" for k, v in s["weights"].items()]) for s in rollout["trafficSplits"]],
        )
    if rollout["edgeWaves"]:
        out += _table(
            ("Wave", "Devices", "Model versions", "Sites"),
            [(w["wave"], w["devices"], w["modelVersions"], w["sites"]) for w in rollout["edgeWaves"]],
        )
    return out


# --------------------------------------------------------------------------------------------------------------------
# Files and command line


def write(doc: Mapping[str, Any], output_dir: Path) -> tuple[Path, Path]:
    """Write ``evidence-<stack>.md`` and ``evidence-<stack>.json``; returns their paths."""
    output_dir.mkdir(parents=True, exist_ok=True)
    stem = f"evidence-{doc['stack']['name']}"
    markdown, document = output_dir / f"{stem}.md", output_dir / f"{stem}.json"
    markdown.write_text(render_markdown(doc), encoding="utf-8")
    document.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return markdown, document


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        NAME,
        help="write a compliance evidence record (Markdown and JSON) of a stack from an offline plan and the gate",
        description="Plan the stack offline, run the policy gate, and write evidence-<stack>.md and "
        "evidence-<stack>.json: controls and their results, gaps, artifacts, keys, exposure, audit logs, rollout and "
        "the NIST AI RMF lifecycle. Exit 0: written, gate passed; 1: written, gate failed (or a failure); 2: bad "
        "usage or config.",
    )
    add_stack_arguments(parser)
    parser.add_argument(
        "--output-dir", type=Path, default=None, metavar="DIR", help="where to write (default: <project>/out)"
    )
    parser.add_argument("--profile", help="profile name (policies/profiles/<name>.json) or path to a profile JSON")
    parser.add_argument("--pack", type=Path, default=None, help="policy pack directory (default: as for check)")
    return parser


def stack_profile(stack: stackfile.StackFile, name: str | None, pack_dir: Path) -> gate.Profile:
    """The profile ``name``, else the one the stack file selects; GateUsageError when there is none or it is bad."""
    name = name or gate.stack_profile_name(stack.config, stack.project)
    if name is None:
        raise gate.GateUsageError(
            f"stack {stack.stack!r} sets no {stack.project}:compliance.profile in {stack.path.name}; pass --profile"
        )
    return gate.load_profile(name, pack_dir)


def evaluate_plan(
    stack: stackfile.StackFile, plan_result: PlanResult, profile: gate.Profile, pack_dir: Path
) -> GateReport:
    """The gate on an offline plan, as ``check`` runs it (the profile's own fail-on-undecided default)."""
    undecided = gate.fail_on_undecided_default(profile, pack_dir)
    ev = gate.plan_evaluation(stack, plan_result, profile, pack_dir, fail_on_undecided=undecided)
    return gate.evaluate(ev, command=NAME, plan_seconds=plan_result.duration_s)


def run(args: argparse.Namespace) -> int:
    project_dir = args.project_dir.resolve()
    try:
        pack_dir = gate._pack_dir(args, project_dir)
        stack = stackfile.load_stack(project_dir, args.stack)
        # Profile errors surface before the (slow) plan runs.
        profile = stack_profile(stack, args.profile, pack_dir)
        print(f"Offline plan of {stack.stack} ({project_dir})", file=sys.stderr, flush=True)
        _, plan_result = plan.plan_stack(project_dir, args.stack, progress=sys.stderr)
        plan.render_logs(plan_result, sys.stderr)
        report = evaluate_plan(stack, plan_result, profile, pack_dir)
    except (gate.GateUsageError, analyzer.PolicyConfigError) as e:
        raise CommandError(str(e), EXIT_USAGE) from None
    except analyzer.PolicyPackError as e:
        raise CommandError(f"policy pack: {e}") from None
    doc = build(stack, plan_result, report, pack_dir=pack_dir)
    for path in write(doc, args.output_dir or project_dir / "out"):
        print(f"wrote {path}", file=sys.stderr)
    verdict = "passed" if report.passed else f"FAILED ({len(report.blocking)} blocking finding(s))"
    print(f"policy gate {verdict}; {len(doc['gaps'])} control gap(s) listed", file=sys.stderr)
    return report.exit_code
