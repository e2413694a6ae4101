"""Deterministic offline answers to data-source calls (invokes), by token.

Each stand-in takes the call's arguments (wire names) and an :class:`InvokeContext`
(the region the call runs against) and returns the result object in wire names.
A program that calls a data source with no stand-in fails with
:class:`UnknownInvokeError` naming the token: an offline plan never guesses.

* ``aws:index/getAvailabilityZones`` - six AZs ``<region>a`` .. ``<region>f``
  with zone ids in AWS's form (``use1-az1``), honouring ``excludeNames`` and
  ``excludeZoneIds``;
* ``aws:index/getCallerIdentity`` - account :data:`ACCOUNT_ID`;
* ``aws:index/getPartition`` - ``aws``, ``aws-us-gov`` (``us-gov-*``) or
  ``aws-cn`` (``cn-*``) with the matching DNS suffix;
* ``aws:index/getRegion`` - the provider's region (or the requested one);
* ``aws:iam/getPolicyDocument`` - a real JSON policy rendered from the
  statements (and source/override documents) as Terraform renders it: one value
  alone as a string, several sorted in reverse;
* ``aws:ssm/getParameter`` - public ``/aws/service/.../image_id`` parameters
  (EKS / Bottlerocket AMI ids) only, as a deterministic ``ami-...`` id;
* ``aws:ec2/getAmi`` - a deterministic AMI id derived from the filters.

No Kubernetes or Docker data source has a stand-in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ACCOUNT_ID = "111122223333"
AZ_LETTERS = "abcdef"


class UnknownInvokeError(Exception):
    """A data-source call with no offline stand-in."""


@dataclass(frozen=True)
class InvokeContext:
    """What a stand-in knows about the call: the region it runs against."""

    region: str

    @property
    def partition(self) -> str:
        return partition_of(self.region)


_PARTITIONS: dict[str, tuple[str, str]] = {
    # partition -> (dnsSuffix, reverseDnsPrefix)
    "aws": ("amazonaws.com", "com.amazonaws"),
    "aws-us-gov": ("amazonaws.com", "com.amazonaws"),
    "aws-cn": ("amazonaws.com.cn", "cn.com.amazonaws"),
}
_DIRECTIONS = {
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
}


def partition_of(region: str) -> str:
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def zone_id_prefix(region: str) -> str:
    """AWS's short region code used in zone ids: us-east-1 -> use1, us-gov-west-1 -> usgw1."""
    parts = region.split("-")
    if len(parts) < 3:
        return region.replace("-", "")
    area, number = parts[0], parts[-1]
    middle = parts[1:-1]
    code = "".join("g" if part == "gov" else _DIRECTIONS.get(part, part[:1]) for part in middle)
    return f"{area}{code}{number}"


def _region(args: Mapping[str, Any], ctx: InvokeContext) -> str:
    region = args.get("region")
    return region if isinstance(region, str) and region else ctx.region


def _get_availability_zones(args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region = _region(args, ctx)
    prefix = zone_id_prefix(region)
    zones = [(f"{region}{letter}", f"{prefix}-az{i}") for i, letter in enumerate(AZ_LETTERS, start=1)]
    excluded_names = set(args.get("excludeNames") or ())
    excluded_ids = set(args.get("excludeZoneIds") or ())
    zones = [(name, zone) for name, zone in zones if name not in excluded_names and zone not in excluded_ids]
    return {
        "id": region,
        "region": region,
        "names": [name for name, _ in zones],
        "zoneIds": [zone for _, zone in zones],
        "groupNames": [region] * len(zones),
        "state": args.get("state") or "available",
        "allAvailabilityZones": bool(args.get("allAvailabilityZones")),
        "excludeNames": sorted(excluded_names),
        "excludeZoneIds": sorted(excluded_ids),
    }


def _get_caller_identity(_args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {
        "id": ACCOUNT_ID,
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{ctx.partition}:iam::{ACCOUNT_ID}:user/preflight-offline",
        "userId": "AIDAPREFLIGHTOFFLINE00",
    }


def _get_partition(_args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    dns_suffix, reverse = _PARTITIONS[ctx.partition]
    return {"id": ctx.partition, "partition": ctx.partition, "dnsSuffix": dns_suffix, "reverseDnsPrefix": reverse}


def _get_region(args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    name = args.get("name")
    region = name if isinstance(name, str) and name else _region(args, ctx)
    dns_suffix, _ = _PARTITIONS[partition_of(region)]
    return {
        "id": region,
        "name": region,
        "region": region,
        "endpoint": f"ec2.{region}.{dns_suffix}",
        "description": f"{region} (offline stand-in)",
    }


def _ami_id(*parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"ami-{digest[:17]}"


def _get_parameter(args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    name = str(args.get("name") or "")
    if not (name.startswith("/aws/service/") and name.endswith("/image_id")):
        raise UnknownInvokeError(
            f"no offline stand-in for SSM parameter {name!r} (aws:ssm/getParameter:getParameter); "
            "only public AMI parameters (/aws/service/.../image_id) are answered offline"
        )
    region = _region(args, ctx)
    return {
        "id": name,
        "name": name,
        "arn": f"arn:{partition_of(region)}:ssm:{region}::parameter{name}",
        "region": region,
        "type": "String",
        "value": _ami_id(region, name),
        "insecureValue": _ami_id(region, name),
        "version": 1,
        "withDecryption": bool(args.get("withDecryption", True)),
    }


def _get_ami(args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region = _region(args, ctx)
    filters = args.get("filters") or []
    image_id = _ami_id(region, args.get("owners"), filters, args.get("nameRegex"))
    names = [value for item in filters if item.get("name") == "name" for value in item.get("values", [])]
    return {
        "id": image_id,
        "imageId": image_id,
        "arn": f"arn:{partition_of(region)}:ec2:{region}::image/{image_id}",
        "architecture": "x86_64",
        "name": (names[0] if names else args.get("nameRegex") or "offline-stand-in").replace("*", "0"),
        "ownerId": ACCOUNT_ID,
        "owners": args.get("owners") or [],
        "filters": filters,
        "mostRecent": bool(args.get("mostRecent")),
        "region": region,
        "rootDeviceName": "/dev/xvda",
        "rootDeviceType": "ebs",
        "virtualizationType": "hvm",
        "state": "available",
        "public": True,
        "tags": {},
    }


def _string_list(values: Sequence[Any] | None) -> Any:
    """Terraform's rendering of a string set: one value alone, else sorted in reverse."""
    items = [str(value) for value in (values or [])]
    return items[0] if len(items) == 1 else sorted(items, reverse=True)


def _render_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if statement.get("sid"):
        out["Sid"] = statement["sid"]
    out["Effect"] = statement.get("effect") or "Allow"
    for key, wire in (("Action", "actions"), ("NotAction", "notActions")):
        if statement.get(wire):
            out[key] = _string_list(statement[wire])
    for key, wire in (("Resource", "resources"), ("NotResource", "notResources")):
        if statement.get(wire):
            out[key] = _string_list(statement[wire])
    for key, wire in (("Principal", "principals"), ("NotPrincipal", "notPrincipals")):
        blocks = statement.get(wire) or []
        if not blocks:
            continue
        if len(blocks) == 1 and blocks[0].get("type") == "*" and blocks[0].get("identifiers") == ["*"]:
            out[key] = "*"
            continue
        grouped: dict[str, list[str]] = {}
        for block in blocks:
            grouped.setdefault(block.get("type", ""), []).extend(block.get("identifiers") or [])
        out[key] = {kind: _string_list(ids) for kind, ids in grouped.items()}
    conditions = statement.get("conditions") or []
    if conditions:
        rendered: dict[str, dict[str, Any]] = {}
        for condition in conditions:
            rendered.setdefault(condition["test"], {})[condition["variable"]] = _string_list(condition.get("values"))
        out["Condition"] = rendered
    return out


def _statements_of(document: str) -> list[dict[str, Any]]:
    parsed = json.loads(document)
    statements = parsed.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _get_policy_document(args: Mapping[str, Any], _ctx: InvokeContext) -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    for source in args.get("sourcePolicyDocuments") or []:
        statements.extend(_statements_of(source))

    def merge(statement: dict[str, Any]) -> None:
        sid = statement.get("Sid")
        for i, existing in enumerate(statements):
            if sid and existing.get("Sid") == sid:
                statements[i] = statement
                return
        statements.append(statement)

    for statement in args.get("statements") or []:
        merge(_render_statement(statement))
    for override in args.get("overridePolicyDocuments") or []:
        for statement in _statements_of(override):
            merge(statement)
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    document["Statement"] = statements
    text = json.dumps(document, indent=2)
    return {
        "id": str(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)),
        "json": text,
        "minifiedJson": json.dumps(document, separators=(",", ":")),
        "version": document["Version"],
        "statements": args.get("statements") or [],
    }


StandIn = Callable[[Mapping[str, Any], InvokeContext], dict[str, Any]]

STAND_INS: dict[str, StandIn] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _get_availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": _get_caller_identity,
    "aws:index/getPartition:getPartition": _get_partition,
    "aws:index/getRegion:getRegion": _get_region,
    "aws:iam/getPolicyDocument:getPolicyDocument": _get_policy_document,
    "aws:ssm/getParameter:getParameter": _get_parameter,
    "aws:ec2/getAmi:getAmi": _get_ami,
}


def answer(token: str, args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    """The stand-in result of ``token``; UnknownInvokeError naming it when there is none."""
    stand_in = STAND_INS.get(token)
    if stand_in is None:
        known = ", ".join(sorted(STAND_INS))
        raise UnknownInvokeError(
            f"no offline stand-in for data source {token!r}; the offline plan answers only: {known}"
        )
    return stand_in(args, ctx)
