"""The offline engine: registrations recorded as the Pulumi engine records them."""

from __future__ import annotations

import asyncio
import json
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.config import ConfigError
from preflight.engine import (
    ERROR_GRACE_S,
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN,
    OfflineMocks,
    PlanResult,
    ProgramError,
    is_secret,
    is_unknown,
    plain,
    run_program,
    stack_urn,
    unwrap_secret,
)

PROGRAM = Path(__file__).parent / "fixtures" / "programs" / "basic_program.py"
PREFIX = "urn:pulumi:dev::fixture::"
SETTINGS = {"cidr": "10.0.0.0/16", "azCount": 2, "owner": "team-a"}
CONFIG = {
    "fixture:settings": json.dumps(SETTINGS),
    "fixture:token": "[secret: not decrypted offline]",
    "aws:region": "eu-west-2",
}
AWS_VERSION = metadata.version("pulumi-aws")
DEFAULT_AWS = f"{PREFIX}pulumi:providers:aws::default_{AWS_VERSION.replace('.', '_')}"


@pytest.fixture(scope="module")
def result() -> PlanResult:
    return run_program(
        PROGRAM, project="fixture", stack="dev", config=CONFIG, secret_keys=["fixture:token"], preview=True
    )


def run(fn: Any, config: dict[str, str] | None = None, **kwargs: Any) -> PlanResult:
    return run_program(fn, project="p", stack="s", config=config or {"aws:region": "us-east-1"}, **kwargs)


# --- URNs and the parent tree ---------------------------------------------------------------


def test_stack_resource_has_the_engine_urn_and_comes_first(result: PlanResult) -> None:
    assert result.resources[0].urn == "urn:pulumi:dev::fixture::pulumi:pulumi:Stack::fixture-dev"
    assert result.resources[0].urn == stack_urn("fixture", "dev")


def test_child_of_the_stack_leaves_the_stack_type_out(result: PlanResult) -> None:
    assert result.one("fixture:app:App").urn == f"{PREFIX}fixture:app:App::main"


def test_nested_component_urn_carries_every_parent_type(result: PlanResult) -> None:
    key = result.one("aws:kms/key:Key")
    assert key.urn == f"{PREFIX}fixture:app:App$fixture:storage:Storage$aws:kms/key:Key::main-storage-key"


def test_parents_form_a_tree_rooted_at_the_stack(result: PlanResult) -> None:
    root = result.stack_urn
    for res in result.resources:
        if res.urn == root or (res.is_provider and not res.parent):
            continue
        seen: set[str] = set()
        urn = res.urn
        while urn != root:
            assert urn not in seen, f"cycle at {urn}"
            seen.add(urn)
            urn = result.get(urn).parent
            assert urn, f"{res.urn} does not lead to the stack"


def test_every_parent_is_registered_before_its_children(result: PlanResult) -> None:
    position = {res.urn: i for i, res in enumerate(result.resources)}
    for res in result.resources:
        if res.parent:
            assert position[res.parent] < position[res.urn]


# --- providers -------------------------------------------------------------------------------


def test_default_provider_is_named_after_the_package_version(result: PlanResult) -> None:
    provider = result.one("pulumi:providers:aws")
    assert provider.urn == DEFAULT_AWS


def test_default_provider_inputs_come_from_the_package_config(result: PlanResult) -> None:
    provider = result.one("pulumi:providers:aws")
    assert provider.inputs == {"region": "eu-west-2", "version": AWS_VERSION}


def test_default_provider_has_no_parent(result: PlanResult) -> None:
    assert result.one("pulumi:providers:aws").parent == ""


def test_resources_without_a_provider_refer_to_the_default_one(result: PlanResult) -> None:
    aws_resources = [res for res in result.resources if res.package == "aws" and res.custom]
    assert aws_resources
    assert {res.provider for res in aws_resources} == {f"{DEFAULT_AWS}::{UNKNOWN}"}


def test_explicit_provider_reference_is_kept(result: PlanResult) -> None:
    namespace = result.one("kubernetes:core/v1:Namespace")
    assert namespace.provider == f"{PREFIX}fixture:app:App$pulumi:providers:kubernetes::main-k8s::{UNKNOWN}"


def test_no_default_provider_for_a_package_used_only_explicitly(result: PlanResult) -> None:
    assert result.by_type("pulumi:providers:kubernetes") == [result.one("pulumi:providers:kubernetes", "main-k8s")]


def test_components_have_no_provider(result: PlanResult) -> None:
    assert result.one("fixture:storage:Storage").provider == ""


# --- inputs, outputs and options --------------------------------------------------------------


def test_inputs_use_wire_names(result: PlanResult) -> None:
    subnet = result.one("aws:ec2/subnet:Subnet", "main-subnet-0")
    assert subnet.inputs["cidrBlock"] == "10.0.0.0/24"
    assert subnet.inputs["mapPublicIpOnLaunch"] is False


def test_preview_leaves_ids_unknown(result: PlanResult) -> None:
    assert result.one("aws:ec2/vpc:Vpc").id == UNKNOWN


def test_computed_output_flows_into_dependent_inputs_as_unknown(result: PlanResult) -> None:
    subnet = result.one("aws:ec2/subnet:Subnet", "main-subnet-0")
    assert is_unknown(subnet.inputs["vpcId"])


def test_apply_on_an_unknown_output_does_not_run_in_preview(result: PlanResult) -> None:
    assert is_unknown(result.one("pulumi:providers:kubernetes").inputs["kubeconfig"])


def test_echoed_inputs_are_known_outputs(result: PlanResult) -> None:
    assert result.outputs["cidr"] == "10.0.0.0/16"
    assert is_unknown(result.outputs["vpcId"])


def test_config_object_reaches_the_program(result: PlanResult) -> None:
    assert result.outputs["owner"] == "team-a"


def test_secret_config_is_a_secret_output(result: PlanResult) -> None:
    token = result.outputs["token"]
    assert is_secret(token)
    assert unwrap_secret(token) == "[secret: not decrypted offline]"


def test_protect_and_retain_on_delete_are_recorded(result: PlanResult) -> None:
    bucket = result.one("aws:s3/bucket:Bucket")
    assert (bucket.protect, bucket.retain_on_delete) == (True, True)
    assert (result.one("aws:kms/key:Key").protect, result.one("aws:kms/key:Key").retain_on_delete) == (False, False)


def test_property_dependencies_name_the_resource_an_input_came_from(result: PlanResult) -> None:
    sse = result.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    bucket = result.one("aws:s3/bucket:Bucket")
    assert sse.property_dependencies["bucket"] == [bucket.urn]
    assert bucket.urn in sse.dependencies


def test_component_outputs_are_recorded(result: PlanResult) -> None:
    assert is_unknown(result.one("fixture:storage:Storage").outputs["bucket"])


# --- invokes ---------------------------------------------------------------------------------


def test_availability_zones_stand_in_follows_the_region(result: PlanResult) -> None:
    zones = [result.one("aws:ec2/subnet:Subnet", f"main-subnet-{i}").inputs["availabilityZone"] for i in (0, 1)]
    assert zones == ["eu-west-2a", "eu-west-2b"]


def test_policy_document_stand_in_renders_usable_json(result: PlanResult) -> None:
    policy = json.loads(result.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "eks.amazonaws.com"}},
        ],
    }


def test_invoke_against_an_explicit_provider_uses_its_region() -> None:
    def program() -> None:
        west = aws.Provider("west", region="us-west-2")
        zones = aws.get_availability_zones(opts=pulumi.InvokeOptions(provider=west))
        pulumi.export("zones", zones.names)
        pulumi.export("ids", zones.zone_ids)

    outputs = run(program).outputs
    assert outputs["zones"] == [f"us-west-2{letter}" for letter in "abcdef"]
    assert outputs["ids"][0] == "usw2-az1"


def test_invoke_creates_the_default_provider() -> None:
    def program() -> None:
        pulumi.export("account", aws.get_caller_identity().account_id)

    result = run(program)
    assert result.outputs["account"] == "111122223333"
    assert [res.name for res in result.by_type("pulumi:providers:aws")] == [DEFAULT_AWS.rsplit("::", 1)[1]]


def test_invoke_without_a_stand_in_fails_naming_it() -> None:
    def program() -> None:
        aws.ec2.get_vpc(default=True)

    with pytest.raises(ProgramError, match=r"no offline stand-in for data source 'aws:ec2/getVpc:getVpc'"):
        run(program)


def test_output_form_invoke_without_a_stand_in_fails_naming_it() -> None:
    def program() -> None:
        vpc = aws.ec2.get_vpc_output(default=True)
        aws.ec2.Subnet("s", vpc_id=vpc.id, cidr_block="10.0.0.0/24")

    with pytest.raises(ProgramError, match=r"'aws:ec2/getVpc:getVpc'"):
        run(program)


# --- errors ----------------------------------------------------------------------------------


def test_program_exception_surfaces_with_its_type_and_message() -> None:
    def program() -> None:
        aws.ec2.Vpc("v", cidr_block="10.0.0.0/16")
        raise ValueError("bad subnet plan")

    with pytest.raises(ProgramError, match=r"^ValueError: bad subnet plan$") as caught:
        run(program)
    assert caught.value.is_config_error is False
    assert "Traceback" in caught.value.traceback_text


def test_exception_inside_apply_surfaces() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("v", cidr_block="10.0.0.0/16")
        pulumi.export("x", vpc.cidr_block.apply(lambda _: 1 / 0))

    with pytest.raises(ProgramError, match="ZeroDivisionError"):
        run(program)


def test_config_error_is_distinguishable() -> None:
    def program() -> None:
        raise ConfigError("invalid stack config:\n  - p:network.cidr: not a CIDR (got 'x')")

    with pytest.raises(ProgramError) as caught:
        run(program)
    assert caught.value.is_config_error is True
    assert caught.value.message == "invalid stack config:\n  - p:network.cidr: not a CIDR (got 'x')"


def test_other_run_error_is_not_a_config_error() -> None:
    def program() -> None:
        raise pulumi.RunError("something else")

    with pytest.raises(ProgramError) as caught:
        run(program)
    assert (caught.value.is_config_error, caught.value.message) == (False, "something else")


def test_error_location_is_the_program_file(tmp_path: Path) -> None:
    program = tmp_path / "__main__.py"
    program.write_text("import pulumi\n\nraise RuntimeError('line three')\n")
    with pytest.raises(ProgramError) as caught:
        run_program(program, project="p", stack="s", config={})
    assert caught.value.location == "__main__.py:3"


def test_error_location_of_a_failed_invoke_is_the_calling_line(tmp_path: Path) -> None:
    program = tmp_path / "__main__.py"
    program.write_text("import pulumi_aws as aws\n\naws.ec2.get_vpc(default=True)\n")
    with pytest.raises(ProgramError) as caught:
        run_program(program, project="p", stack="s", config={"aws:region": "us-east-1"})
    assert caught.value.location == "__main__.py:3"
    assert "getVpc" in caught.value.message


def test_program_error_with_outstanding_work_does_not_hang() -> None:
    def program() -> None:
        never = asyncio.get_event_loop().create_future()
        vpc = aws.ec2.Vpc("v", cidr_block="10.0.0.0/16")
        for i in range(20):
            aws.ec2.Subnet(f"s{i}", vpc_id=vpc.id, cidr_block=f"10.0.{i}.0/24")
        aws.ec2.Subnet("waits", vpc_id=pulumi.Output.from_input(never), cidr_block="10.0.99.0/24")
        raise ValueError("failed with registrations outstanding")

    started = time.perf_counter()
    with pytest.raises(ProgramError, match="failed with registrations outstanding"):
        run(program, timeout_s=60)
    assert time.perf_counter() - started < ERROR_GRACE_S + 10


def test_program_that_never_settles_times_out() -> None:
    def program() -> None:
        never = asyncio.get_event_loop().create_future()
        aws.ec2.Subnet("waits", vpc_id=pulumi.Output.from_input(never), cidr_block="10.0.99.0/24")

    with pytest.raises(ProgramError, match="did not settle within 1 s"):
        run(program, timeout_s=1)


# --- isolation between runs ------------------------------------------------------------------


def test_two_runs_do_not_share_config_or_resources() -> None:
    def first() -> None:
        aws.s3.Bucket("only-in-first")
        pulumi.export("flag", pulumi.Config().get("flag"))

    def second() -> None:
        aws.s3.Bucket("only-in-second")
        pulumi.export("flag", pulumi.Config().get("flag"))

    one = run_program(first, project="p", stack="s", config={"p:flag": "set", "aws:region": "us-east-1"})
    two = run_program(second, project="p", stack="s", config={"aws:region": "us-east-1"})
    assert (one.outputs["flag"], "flag" in two.outputs) == ("set", False)
    assert [res.name for res in two.by_type("aws:s3/bucket:Bucket")] == ["only-in-second"]


def test_runs_ignore_pulumi_config_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"p:flag": "from-env"}))
    monkeypatch.setenv("PULUMI_CONFIG_P_FLAG", "from-env")

    def program() -> None:
        pulumi.export("flag", pulumi.Config().get("flag"))

    assert "flag" not in run(program).outputs


def test_project_name_is_the_config_namespace() -> None:
    def program() -> None:
        pulumi.export("mine", pulumi.Config().get("key"))

    result = run_program(program, project="right", stack="s", config={"right:key": "v", "wrong:key": "x"})
    assert result.outputs["mine"] == "v"


# --- modes and mocks -------------------------------------------------------------------------


def test_update_mode_knows_ids_and_runs_apply() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("v", cidr_block="10.0.0.0/16")
        pulumi.export("id", vpc.id.apply(lambda value: f"seen:{value}"))

    result = run(program, preview=False)
    assert result.outputs["id"] == "seen:v-id"
    assert result.one("aws:ec2/vpc:Vpc").provider.endswith("::" + result.one("pulumi:providers:aws").id)


def test_custom_mocks_supply_outputs() -> None:
    class ArnMocks(OfflineMocks):
        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            return f"{args.name}-id", {**args.inputs, "arn": f"arn:aws:ec2:::{args.name}"}

    def program() -> None:
        pulumi.export("arn", aws.ec2.Vpc("v", cidr_block="10.0.0.0/16").arn)

    result = run(program, mocks=ArnMocks())
    assert result.outputs["arn"] == "arn:aws:ec2:::v"
    assert result.one("aws:ec2/vpc:Vpc").outputs["arn"] == "arn:aws:ec2:::v"


def test_secret_inputs_keep_the_secret_signature() -> None:
    def program() -> None:
        aws.ssm.Parameter("p", type="SecureString", value=pulumi.Output.secret("hunter2"))

    value = run(program).one("aws:ssm/parameter:Parameter").inputs["value"]
    assert value == {SIG_KEY: SECRET_SIG, "value": "hunter2"}
    assert plain({"v": value}) == {"v": "hunter2"}


def test_progress_is_reported_per_registration() -> None:
    counts: list[int] = []

    def program() -> None:
        for i in range(5):
            aws.s3.Bucket(f"b{i}")

    result = run(program, progress=counts.append)
    assert counts == list(range(1, len(result.resources) + 1))


def test_stack_transform_is_reported_as_not_applied() -> None:
    def program() -> None:
        pulumi.runtime.register_resource_transform(lambda _args: None)
        aws.s3.Bucket("b")

    result = run(program)
    assert ("warning", "stack transforms are not applied offline: resources are recorded as written") in [
        (log.severity, log.message) for log in result.logs
    ]
    assert result.one("aws:s3/bucket:Bucket").name == "b"


def test_missing_program_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no Pulumi program"):
        run_program(tmp_path, project="p", stack="s", config={})
