"""`preflight diff`: two exports compared by URN, secrets masked, replacements flagged."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest

from preflight import cli, diff
from preflight.engine import RESOURCE_REF_SIG, SECRET_SIG, SIG_KEY, UNKNOWN

STACK_URN = "urn:pulumi:dev::inference-platform::"
SECRET_PLAINTEXT = "s3cr3t-registry-password"


def urn(type_token: str, name: str) -> str:
    return f"{STACK_URN}{type_token}::{name}"


def resource(type_token: str, name: str, inputs: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {
        "urn": urn(type_token, name),
        "custom": True,
        "type": type_token,
        "inputs": inputs,
        "outputs": {},
        "protect": False,
        **options,
    }


def secret(value: Any) -> dict[str, Any]:
    return {SIG_KEY: SECRET_SIG, "value": value}


def bucket(name: str = "artifacts", **inputs: Any) -> dict[str, Any]:
    return resource("aws:s3/bucket:Bucket", name, {"bucket": name, "tags": {"owner": "ml-platform"}, **inputs})


def node_group(**inputs: Any) -> dict[str, Any]:
    base = {
        "amiType": "AL2023_x86_64_NVIDIA",
        "instanceTypes": ["g5.xlarge"],
        "scalingConfig": {"desiredSize": 1.0, "maxSize": 2.0, "minSize": 0.0},
    }
    return resource("aws:eks/nodeGroup:NodeGroup", "gpu-spot", {**base, **inputs})


def deployment(image: str) -> dict[str, Any]:
    return resource(
        "kubernetes:apps/v1:Deployment",
        "inference",
        {
            "metadata": {"name": "inference", "namespace": "models"},
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": "inference"}},
                "template": {"spec": {"containers": [{"name": "triton", "image": image}, {"name": "sidecar"}]}},
            },
        },
    )


def write_export(path: Path, resources: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"version": 3, "deployment": {"manifest": {}, "resources": resources}}))
    return path


def run_cli(*argv: str) -> int:
    return cli.main(["diff", *argv])


@pytest.fixture
def exports(tmp_path: Path):
    """Write BASE and HEAD exports and return their paths."""

    def make(base: list[dict[str, Any]], head: list[dict[str, Any]]) -> tuple[Path, Path]:
        return write_export(tmp_path / "base.json", base), write_export(tmp_path / "head.json", head)

    return make


def only_change(base: dict[str, Any], head: dict[str, Any]) -> diff.ResourceChange:
    result = diff.diff_deployments([base], [head])
    assert len(result.changed) == 1
    return result.changed[0]


# --- added / removed / changed -------------------------------------------------------------


def test_resource_only_in_head_is_added():
    result = diff.diff_deployments([bucket("a")], [bucket("a"), bucket("b")])

    assert [item.urn for item in result.added] == [urn("aws:s3/bucket:Bucket", "b")]
    assert (result.removed, result.changed, result.unchanged) == ((), (), 1)


def test_resource_only_in_base_is_removed():
    result = diff.diff_deployments([bucket("a"), bucket("b")], [bucket("b")])

    assert [item.urn for item in result.removed] == [urn("aws:s3/bucket:Bucket", "a")]
    assert (result.added, result.changed) == ((), ())


def test_changed_input_is_reported_by_path_with_both_values():
    change = only_change(bucket(), bucket(tags={"owner": "clinical-ml"}))

    assert [(c.path_text, c.old, c.new, c.kind) for c in change.changes] == [
        ("tags.owner", "ml-platform", "clinical-ml", "update")
    ]


def test_added_and_removed_properties_have_their_kind():
    change = only_change(bucket(tags={"owner": "a", "old": "x"}), bucket(tags={"owner": "a", "new": "y"}))

    assert {(c.path_text, c.kind) for c in change.changes} == {("tags.new", "add"), ("tags.old", "remove")}


def test_nested_list_change_is_reported_at_the_element():
    change = only_change(deployment("triton:24.07"), deployment("triton:24.08"))

    assert [c.path_text for c in change.changes] == ["spec.template.spec.containers[0].image"]
    assert not change.replaces


def test_keys_that_are_not_identifiers_are_quoted_in_paths():
    change = only_change(bucket(tags={"app.kubernetes.io/name": "a"}), bucket(tags={"app.kubernetes.io/name": "b"}))

    assert change.changes[0].path_text == 'tags["app.kubernetes.io/name"]'


def test_json_document_strings_are_compared_by_content():
    policy = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}
    changed_policy = {"Statement": [{"Effect": "Allow", "Action": "s3:PutObject"}]}
    change = only_change(bucket(policy=json.dumps(policy)), bucket(policy=json.dumps(changed_policy, indent=2)))

    assert [c.path_text for c in change.changes] == ["policy<json>.Statement[0].Action"]


def test_numbers_in_wire_form_equal_their_integer_value():
    assert diff.diff_deployments([node_group(diskSize=100.0)], [node_group(diskSize=100)]).unchanged == 1


def test_provider_internal_keys_are_ignored():
    result = diff.diff_deployments([bucket(__defaults=[])], [bucket(__defaults=["acl"])])

    assert (result.changed, result.unchanged) == ((), 1)


def test_protect_option_change_is_reported():
    change = only_change(bucket(), {**bucket(), "protect": True})

    assert change.option_changes == (("protect", False, True),)


def test_resources_pending_deletion_are_not_part_of_the_plan():
    result = diff.diff_deployments([bucket(), {**bucket("old"), "delete": True}], [bucket()])

    assert (result.removed, result.unchanged) == ((), 1)


# --- secrets and unknowns ------------------------------------------------------------------


def test_changed_secret_is_masked_in_text_and_markdown():
    base = resource("docker:index/container:Container", "edge", {"envs": [secret(SECRET_PLAINTEXT)]})
    head = resource("docker:index/container:Container", "edge", {"envs": [secret(SECRET_PLAINTEXT + "-rotated")]})
    result = diff.diff_deployments([base], [head])

    for formatter in diff.FORMATTERS.values():
        report = formatter(result, "dev")
        assert SECRET_PLAINTEXT not in report
        assert diff.SECRET_TEXT in report


def test_secret_turned_plain_shows_only_the_plain_side():
    base = resource("kubernetes:core/v1:Secret", "auth", {"stringData": secret({"token": SECRET_PLAINTEXT})})
    head = resource("kubernetes:core/v1:Secret", "auth", {"stringData": {"token": "visible"}})
    report = diff.format_text(diff.diff_deployments([base], [head]), "dev")

    assert SECRET_PLAINTEXT not in report
    assert '[secret] => {token: "visible"}' in report


def test_secret_output_value_is_masked():
    def job(value: str) -> dict[str, Any]:
        output = {SIG_KEY: diff.OUTPUT_VALUE_SIG, "value": value, "secret": True, "dependencies": []}
        return resource("kubernetes:core/v1:Secret", "auth", {"stringData": {"token": output}})

    report = diff.format_text(diff.diff_deployments([job(SECRET_PLAINTEXT)], [job("other")]), "dev")

    assert SECRET_PLAINTEXT not in report
    assert "~ stringData.token: [secret] => [secret]" in report


def test_secret_structure_is_not_descended():
    base = resource("kubernetes:core/v1:Secret", "auth", {"stringData": secret({"a": "1", "b": SECRET_PLAINTEXT})})
    head = resource("kubernetes:core/v1:Secret", "auth", {"stringData": secret({"a": "1", "b": "other"})})
    change = only_change(base, head)

    # One change at the secret itself, no path that names the keys inside it.
    assert [c.path_text for c in change.changes] == ["stringData"]


def test_unknown_value_is_shown_as_known_after_apply():
    result = diff.diff_deployments([node_group(subnetIds=["subnet-1"])], [node_group(subnetIds=[UNKNOWN])])

    assert [c.path_text for c in result.changed[0].changes] == ["subnetIds[0]"]
    assert f'~ subnetIds[0]: "subnet-1" => {diff.UNKNOWN_TEXT}' in diff.format_text(result, "dev")


def test_unknown_on_both_sides_is_not_a_change():
    assert diff.diff_deployments([node_group(nodeRoleArn=UNKNOWN)], [node_group(nodeRoleArn=UNKNOWN)]).unchanged


# --- replacements --------------------------------------------------------------------------


def test_forcing_property_change_is_flagged_as_replacement():
    change = only_change(node_group(), node_group(amiType="BOTTLEROCKET_x86_64_NVIDIA"))

    assert change.replaces
    assert [(c.path_text, c.replacement) for c in change.changes] == [("amiType", "forces replacement")]


def test_in_place_property_change_is_not_flagged():
    change = only_change(node_group(), node_group(scalingConfig={"desiredSize": 2, "maxSize": 2, "minSize": 0}))

    assert [(c.path_text, c.replaces) for c in change.changes] == [("scalingConfig.desiredSize", False)]
    assert not change.replaces


def test_only_the_forcing_property_of_a_change_is_flagged():
    change = only_change(bucket(), bucket(bucket="renamed", tags={"owner": "x"}))

    assert {c.path_text: c.replaces for c in change.changes} == {"bucket": True, "tags.owner": False}


def test_kubernetes_name_change_replaces_any_kind():
    base = resource("kubernetes:core/v1:Namespace", "ns", {"metadata": {"name": "models"}})
    head = resource("kubernetes:core/v1:Namespace", "ns", {"metadata": {"name": "models-v2"}})

    assert only_change(base, head).replaces


def test_selector_change_replaces_a_deployment():
    base, head = deployment("a"), deployment("a")
    head["inputs"]["spec"]["selector"] = {"matchLabels": {"app.kubernetes.io/name": "other"}}

    assert only_change(base, head).replaces


def test_forcing_property_added_inside_a_new_block_is_flagged():
    change = only_change(node_group(), node_group(launchTemplate={"id": "lt-1", "version": "1"}))

    assert change.replaces


def test_in_place_property_of_a_block_is_not_flagged():
    change = only_change(
        node_group(launchTemplate={"id": "lt-1", "version": "1"}),
        node_group(launchTemplate={"id": "lt-1", "version": "2"}),
    )

    assert not change.replaces


def test_cluster_encryption_removed_replaces_but_added_does_not():
    encrypted = resource("aws:eks/cluster:Cluster", "eks", {"encryptionConfig": {"resources": ["secrets"]}})
    plain = resource("aws:eks/cluster:Cluster", "eks", {})

    assert only_change(encrypted, plain).replaces
    assert not only_change(plain, encrypted).replaces


def test_conditional_replacement_gives_its_reason():
    encrypted = resource("aws:eks/cluster:Cluster", "eks", {"encryptionConfig": {"resources": ["secrets"]}})
    change = only_change(encrypted, resource("aws:eks/cluster:Cluster", "eks", {}))

    assert change.changes[0].replacement == "forces replacement (envelope encryption cannot be disabled in place)"


def test_vpc_tenancy_dedicated_to_default_is_in_place():
    dedicated = resource("aws:ec2/vpc:Vpc", "vpc", {"instanceTenancy": "dedicated"})
    default = resource("aws:ec2/vpc:Vpc", "vpc", {"instanceTenancy": "default"})

    assert not only_change(dedicated, default).replaces
    assert only_change(default, dedicated).replaces


def test_report_says_the_table_is_a_subset():
    result = diff.diff_deployments([node_group()], [node_group(amiType="X")])

    for formatter in diff.FORMATTERS.values():
        assert "known subset, not the provider's full diff" in formatter(result, "dev")


def _input_names(type_token: str) -> set[str]:
    """camelCase input names of a resource class of the installed provider SDK."""
    package, module, name = type_token.split(":")
    module = module.split("/")[0] if package != "kubernetes" else module
    modname = {
        "aws": f"pulumi_aws.{module}",
        "docker": "pulumi_docker",
        "kubernetes": "pulumi_kubernetes."
        + module.replace(".k8s.io", "").replace(".authorization", "").replace("/", "."),
    }[package]
    cls = getattr(importlib.import_module(modname), name)
    params = inspect.signature(cls._internal_init).parameters
    return {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), p) for p in params}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # importing the SDK modules warns about v2 aliases
@pytest.mark.parametrize("type_token", sorted(t for t in diff.REPLACEMENT_RULES if not t.endswith("*")))
def test_every_rule_names_a_real_input_of_its_resource(type_token):
    names = _input_names(type_token)

    unknown = [rule.path for rule in diff.REPLACEMENT_RULES[type_token] if rule.steps[0] not in names]
    assert unknown == []


# --- output formats ------------------------------------------------------------------------


def test_text_report_lists_each_kind_of_change():
    result = diff.diff_deployments([bucket("gone"), node_group()], [bucket("new"), node_group(amiType="X")])
    report = diff.format_text(result, "dev")

    assert "dev: 1 to add, 1 to change (1 to replace), 1 to delete, 0 unchanged" in report
    assert "+ aws:s3/bucket:Bucket new" in report
    assert "- aws:s3/bucket:Bucket gone" in report
    assert "+- aws:eks/nodeGroup:NodeGroup gpu-spot  [replace]" in report
    assert '~ amiType: "AL2023_x86_64_NVIDIA" => "X"  [forces replacement]' in report


def test_markdown_report_has_a_collapsible_section_per_changed_resource():
    result = diff.diff_deployments([bucket("a"), node_group()], [bucket("a", tags={}), node_group(amiType="X")])
    report = diff.format_markdown(result, "dev")

    assert report.count("<details>") == 2
    assert report.count("</details>") == 2
    assert "<summary><b>replace</b> <code>aws:eks/nodeGroup:NodeGroup</code> <code>gpu-spot</code>" in report


def test_markdown_folds_a_long_list_of_added_resources():
    few = diff.format_markdown(diff.diff_deployments([], [bucket("a")]), "dev")
    many = diff.format_markdown(diff.diff_deployments([], [bucket(f"b{i}") for i in range(25)]), "dev")

    assert "resources added or deleted" not in few
    assert "<details><summary>25 resources added or deleted</summary>" in many


def test_markdown_escapes_table_breaking_characters():
    change = diff.diff_deployments([bucket(description="a")], [bucket(description="x | <b>y</b>")])
    report = diff.format_markdown(change, "dev")

    assert "x &#124; &lt;b&gt;y&lt;/b&gt;" in report
    assert "<b>y</b>" not in report


def test_no_differences_are_said_plainly():
    report = diff.format_text(diff.diff_deployments([bucket()], [bucket()]), "dev")

    assert "No differences." in report


# --- command line --------------------------------------------------------------------------


def test_cli_exits_zero_when_plans_differ(exports, capsys):
    base, head = exports([bucket("a")], [bucket("b")])

    assert run_cli(str(base), str(head)) == 0
    assert "1 to add" in capsys.readouterr().out


def test_cli_writes_markdown_to_the_output_file(exports, tmp_path):
    base, head = exports([node_group()], [node_group(amiType="X")])
    out = tmp_path / "out" / "diff.md"

    assert run_cli(str(base), str(head), "--format", "markdown", "--output", str(out), "--title", "prod") == 0
    assert out.read_text().startswith("### prod\n")


def test_cli_missing_file_exits_two_naming_it(exports, tmp_path, capsys):
    base, _ = exports([], [])
    missing = tmp_path / "nope.json"

    assert run_cli(str(base), str(missing)) == 2
    assert f"{missing}: cannot read" in capsys.readouterr().err


def test_cli_invalid_json_exits_two_naming_it(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")

    assert run_cli(str(bad), str(bad)) == 2
    assert f"{bad}: not JSON" in capsys.readouterr().err


def test_cli_rejects_a_file_that_is_not_an_export(tmp_path, capsys):
    other = tmp_path / "other.json"
    other.write_text('{"resources": []}')

    assert run_cli(str(other), str(other)) == 2
    assert f"{other}: unsupported deployment version" in capsys.readouterr().err


def test_cli_unwritable_output_exits_two_naming_it(exports, tmp_path, capsys):
    base, head = exports([], [])
    blocker = tmp_path / "file"
    blocker.write_text("")

    assert run_cli(str(base), str(head), "--output", str(blocker / "diff.md")) == 2
    assert f"cannot write --output {blocker / 'diff.md'}" in capsys.readouterr().err


def test_cli_rejects_an_unknown_format(exports):
    base, head = exports([], [])

    assert run_cli(str(base), str(head), "--format", "html") == 2


def test_secret_from_a_real_export_is_never_printed(exports, capsys):
    # `pulumi stack export --show-secrets` form: the value is JSON text under "plaintext".
    def container(password: str) -> dict[str, Any]:
        plaintext = {SIG_KEY: SECRET_SIG, "plaintext": json.dumps(password)}
        return resource("docker:index/container:Container", "edge", {"envs": [plaintext]})

    base, head = exports([container(SECRET_PLAINTEXT)], [container(SECRET_PLAINTEXT + "2")])

    assert run_cli(str(base), str(head), "--format", "markdown") == 0
    out = capsys.readouterr().out
    assert SECRET_PLAINTEXT not in out
    assert "envs[0]" in out


def test_resource_references_are_shown_by_urn():
    def attachment(role: str) -> dict[str, Any]:
        ref = {SIG_KEY: RESOURCE_REF_SIG, "urn": urn("aws:iam/role:Role", role), "id": ""}
        return resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "attach", {"role": ref})

    report = diff.format_text(diff.diff_deployments([attachment("a")], [attachment("b")]), "dev")

    assert f"~ role: ref({urn('aws:iam/role:Role', 'a')}) => ref({urn('aws:iam/role:Role', 'b')})" in report
