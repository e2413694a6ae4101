"""Deployments in the shape of `pulumi stack export`, written and read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from preflight.engine import SECRET_SIG, SIG_KEY, UNKNOWN, PlanResult, run_program
from preflight.export import WITHHELD, DeploymentError, load_deployment, to_deployment, write_deployment

FIXTURE_EXPORT = Path(__file__).parent / "fixtures" / "export.json"


def program() -> None:
    vpc = aws.ec2.Vpc("net", cidr_block="10.0.0.0/16", tags={"owner": "team-a"})
    aws.ec2.Subnet("private", vpc_id=vpc.id, cidr_block="10.0.1.0/24")
    aws.ssm.Parameter("password", type="SecureString", value=pulumi.Output.secret("hunter2"))
    pulumi.export("vpcId", vpc.id)


@pytest.fixture(scope="module")
def result() -> PlanResult:
    return run_program(program, project="proj", stack="dev", config={"aws:region": "us-east-1"})


@pytest.fixture(scope="module")
def document(result: PlanResult) -> dict[str, Any]:
    return to_deployment(result, "dev", "proj")


def entry(document: dict[str, Any], type_: str) -> dict[str, Any]:
    (found,) = [r for r in document["deployment"]["resources"] if r["type"] == type_]
    return found


def test_version_and_manifest(document: dict[str, Any]) -> None:
    assert document["version"] == 3
    assert set(document["deployment"]["manifest"]) == {"time", "magic", "version"}


def test_top_level_note_says_offline_preview(document: dict[str, Any]) -> None:
    note = document["preflight"]
    assert (note["offline"], note["preview"], note["stack"], note["project"]) == (True, True, "dev", "proj")
    assert "offline" in note["note"]


def test_every_resource_is_exported_in_order(document: dict[str, Any], result: PlanResult) -> None:
    assert [r["urn"] for r in document["deployment"]["resources"]] == [res.urn for res in result.resources]


def test_resource_entry_has_the_engine_fields(document: dict[str, Any]) -> None:
    subnet = entry(document, "aws:ec2/subnet:Subnet")
    assert {
        "urn",
        "custom",
        "id",
        "type",
        "inputs",
        "outputs",
        "parent",
        "provider",
        "dependencies",
        "propertyDependencies",
        "protect",
        "retainOnDelete",
    } <= set(subnet)


def test_unknowns_are_the_engine_sentinel(document: dict[str, Any]) -> None:
    subnet = entry(document, "aws:ec2/subnet:Subnet")
    assert (subnet["id"], subnet["inputs"]["vpcId"]) == (UNKNOWN, UNKNOWN)


def test_components_and_stack_have_no_id(document: dict[str, Any]) -> None:
    assert "id" not in entry(document, "pulumi:pulumi:Stack")


def test_default_provider_is_exported(document: dict[str, Any]) -> None:
    provider = entry(document, "pulumi:providers:aws")
    assert provider["inputs"]["region"] == "us-east-1"
    assert entry(document, "aws:ec2/vpc:Vpc")["provider"] == f"{provider['urn']}::{provider['id']}"


def test_secret_value_is_withheld_by_default(document: dict[str, Any]) -> None:
    value = entry(document, "aws:ssm/parameter:Parameter")["inputs"]["value"]
    assert value == {SIG_KEY: SECRET_SIG, "ciphertext": WITHHELD}
    assert "hunter2" not in json.dumps(document)


def test_show_secrets_writes_plaintext_like_the_cli(result: PlanResult) -> None:
    value = entry(to_deployment(result, show_secrets=True), "aws:ssm/parameter:Parameter")["inputs"]["value"]
    assert value == {SIG_KEY: SECRET_SIG, "plaintext": '"hunter2"'}


def test_round_trip_through_load_deployment(tmp_path: Path, result: PlanResult) -> None:
    path = tmp_path / "out" / "dev.json"
    write_deployment(path, result, show_secrets=True)
    loaded = load_deployment(path)
    by_urn = {r["urn"]: r for r in loaded}
    for res in result.resources:
        back = by_urn[res.urn]
        assert (back["type"], back["parent"], back["provider"], back["inputs"], back["dependencies"]) == (
            res.type,
            res.parent,
            res.provider,
            res.inputs,
            res.dependencies,
        )


def test_withheld_secret_loads_as_a_wire_secret(tmp_path: Path, result: PlanResult) -> None:
    path = tmp_path / "dev.json"
    write_deployment(path, result)
    (parameter,) = [r for r in load_deployment(path) if r["type"] == "aws:ssm/parameter:Parameter"]
    assert parameter["inputs"]["value"] == {SIG_KEY: SECRET_SIG, "value": WITHHELD}


def test_real_export_shape_loads_with_defaults_filled() -> None:
    resources = load_deployment(FIXTURE_EXPORT)
    stack = resources[0]
    assert stack["type"] == "pulumi:pulumi:Stack"
    assert (stack["parent"], stack["provider"], stack["dependencies"], stack["inputs"]) == ("", "", [], {})


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document))
    return path


def test_not_json_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text("{not json")
    with pytest.raises(DeploymentError, match=r"export\.json: not JSON"):
        load_deployment(path)


def test_wrong_version_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match="unsupported deployment version 2; expected 3"):
        load_deployment(write(tmp_path, {"version": 2, "deployment": {"resources": []}}))


def test_resource_without_urn_is_named_by_position(tmp_path: Path) -> None:
    document = {"version": 3, "deployment": {"resources": [{"urn": "urn:a", "type": "t"}, {"type": "t"}]}}
    with pytest.raises(DeploymentError, match=r"deployment\.resources\[1\]\.urn must be a non-empty string"):
        load_deployment(write(tmp_path, document))


def test_field_of_the_wrong_type_is_named(tmp_path: Path) -> None:
    document = {"version": 3, "deployment": {"resources": [{"urn": "urn:a", "type": "t", "dependencies": "x"}]}}
    with pytest.raises(DeploymentError, match=r"resources\[0\]\.dependencies must be a list"):
        load_deployment(write(tmp_path, document))
