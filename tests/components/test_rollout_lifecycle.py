"""A staged rollout as successive config changes, planned offline: stable only -> canary 10 % -> promoted.

For the ``prod``, ``onprem`` and ``edge`` example stacks, each step is the example's config with the
rollout edited, planned as ``preflight plan`` does, exported as ``pulumi stack export`` would be,
and compared with the step before (``preflight diff``): the expected resources appear, change or go
away, with the expected weights (edge: the expected devices run each version).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from component_harness import PROJECT, ROOT, plan_stack

from preflight.diff import PlanDiff, diff_deployments
from preflight.engine import PlanResult, RecordedResource, run_program
from preflight.export import to_deployment
from preflight.stackfile import load_stack

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
JOB = "kubernetes:batch/v1:Job"
CONTAINER = "docker:index/container:Container"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
CANDIDATE_DIGEST = "sha256:" + "7" * 64
# The candidate each stack rolls out (on-prem: from the site's registry, as config requires).
CANDIDATES = {
    "prod": {"image": f"nvcr.io/nvidia/tritonserver:24.09-py3@{CANDIDATE_DIGEST}", "modelVersion": "3.3.0"},
    "onprem": {
        "image": f"registry.site-a.example.internal:5000/inference/triton:24.09@{CANDIDATE_DIGEST}",
        "modelVersion": "2.2.0",
    },
}
Edit = Callable[[dict[str, Any]], None]
SERVICE_BLOCK = "platform-service-"  # the prod stack's inference service block and its children


def _plan(stack: str, edit: Edit) -> PlanResult:
    """The example stack with ``edit`` applied to its (parsed) project config, planned offline."""
    stack_file = load_stack(ROOT, stack)
    prefix = f"{PROJECT}:"
    sections = {
        key[len(prefix) :]: json.loads(value) if value[:1] in "{[" else value
        for key, value in stack_file.config.items()
        if key.startswith(prefix) and key not in stack_file.secret_keys
    }
    edit(sections)
    config = {key: value for key, value in stack_file.config.items() if not key.startswith(prefix)}
    secrets = {key: value for key, value in stack_file.config.items() if key in stack_file.secret_keys}
    config.update(secrets)
    config.update(
        {prefix + key: value if isinstance(value, str) else json.dumps(value) for key, value in sections.items()}
    )
    return run_program(ROOT, project=stack_file.project, stack=stack, config=config, secret_keys=stack_file.secret_keys)


def _canary(candidate: dict[str, str]) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        config["rollout"] = {"candidate": candidate, "canaryWeight": 10}

    return edit


def _promoted(candidate: dict[str, str]) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        config["inference"]["image"]["reference"] = candidate["image"]
        config["inference"]["model"]["version"] = candidate["modelVersion"]
        config.pop("rollout", None)

    return edit


def _diff(before: PlanResult, after: PlanResult) -> PlanDiff:
    """What ``preflight diff`` reports between the two steps' exports."""
    return diff_deployments(
        to_deployment(before)["deployment"]["resources"], to_deployment(after)["deployment"]["resources"]
    )


def _names(refs: Any, prefix: str = "") -> set[str]:
    """Names of the diffed resources, those of one block (``prefix``) only when given.

    Other blocks may follow the tracks too (e.g. per-track monitoring); this module checks the service's.
    """
    return {ref.name for ref in refs if ref.name.startswith(prefix)}


def _one(plan: PlanResult, token: str, suffix: str) -> RecordedResource:
    found = [res for res in plan.by_type(token) if res.name.endswith(suffix)]
    assert len(found) == 1, [res.name for res in plan.by_type(token)]
    return found[0]


def _image(deployment: RecordedResource) -> str:
    return deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"]


def _alb_weights(plan: PlanResult) -> list[tuple[str, int]]:
    notes = _one(plan, INGRESS, "-http-ingress").inputs["metadata"]["annotations"]
    action = json.loads(notes["alb.ingress.kubernetes.io/actions.weighted"])
    return [(group["serviceName"], group["weight"]) for group in action["forwardConfig"]["targetGroups"]]


def _nginx_weights(plan: PlanResult) -> list[tuple[str, str]]:
    canaries = [res for res in plan.by_type(INGRESS) if res.name.endswith("-http-canary")]
    primary = _one(plan, INGRESS, "-http-ingress").inputs
    backends = [(primary["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"], "primary")]
    for canary in canaries:
        spec, notes = canary.inputs["spec"], canary.inputs["metadata"]["annotations"]
        service = spec["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"]
        backends.append((service, notes["nginx.ingress.kubernetes.io/canary-weight"]))
    return backends


# -- prod (public cloud, ALB weighted forward) ----------------------------------------------------


@pytest.fixture(scope="module")
def prod() -> dict[str, PlanResult]:
    candidate = CANDIDATES["prod"]
    return {
        "stable": plan_stack("prod"),
        "canary": _plan("prod", _canary(candidate)),
        "promoted": _plan("prod", _promoted(candidate)),
    }


def test_prod_stable_only_sends_everything_to_stable(prod: dict[str, PlanResult]) -> None:
    plan = prod["stable"]
    assert _alb_weights(plan) == [("inference-stable", 100)]
    assert [res.name for res in plan.by_type(DEPLOYMENT)] == ["platform-service-stable"]
    assert plan.outputs["trafficWeights"] == {"stable": 100}


def test_prod_canary_adds_the_candidate_track_and_weights_it_10(prod: dict[str, PlanResult]) -> None:
    plan = prod["canary"]
    assert _alb_weights(plan) == [("inference-stable", 90), ("inference-candidate", 10)]
    assert _image(_one(plan, DEPLOYMENT, "-candidate")) == CANDIDATES["prod"]["image"]
    assert plan.outputs["trafficWeights"] == {"stable": 90, "candidate": 10}
    assert plan.outputs["acceptanceTest"]["versions"] == {"stable": "3.2.0", "candidate": "3.3.0"}


def test_prod_canary_step_changes_only_the_routes_and_the_acceptance_job(prod: dict[str, PlanResult]) -> None:
    diff = _diff(prod["stable"], prod["canary"])
    assert _names(diff.added, SERVICE_BLOCK) == {
        "platform-service-candidate",
        "platform-service-candidate-hpa",
        "platform-service-candidate-pdb",
        "platform-service-svc-candidate",
    }
    assert _names(diff.removed) == set()
    assert _names(diff.changed, SERVICE_BLOCK) == {
        "platform-service-traffic-http-ingress",
        "platform-service-traffic-grpc-ingress",
        "platform-service-acceptance-job",
    }


def test_prod_promotion_runs_the_candidate_as_stable_and_removes_the_candidate(prod: dict[str, PlanResult]) -> None:
    plan = prod["promoted"]
    assert _image(_one(plan, DEPLOYMENT, "-stable")) == CANDIDATES["prod"]["image"]
    assert _alb_weights(plan) == [("inference-stable", 100)]
    diff = _diff(prod["canary"], plan)
    assert _names(diff.removed, SERVICE_BLOCK) == {
        "platform-service-candidate",
        "platform-service-candidate-hpa",
        "platform-service-candidate-pdb",
        "platform-service-svc-candidate",
    }
    assert _names(diff.added) == set()
    stable = next(change for change in diff.changed if change.name == "platform-service-stable")
    image = next(c for c in stable.changes if c.path_text == "spec.template.spec.containers[0].image")
    assert (image.old, image.new) == (_image(_one(prod["stable"], DEPLOYMENT, "-stable")), CANDIDATES["prod"]["image"])


def test_prod_each_step_runs_a_new_acceptance_job(prod: dict[str, PlanResult]) -> None:
    names = [_one(plan, JOB, "-acceptance-job").inputs["metadata"]["name"] for plan in prod.values()]
    assert len(set(names)) == 3


# -- onprem (ingress-nginx canary Ingress) --------------------------------------------------------


@pytest.fixture(scope="module")
def onprem() -> dict[str, PlanResult]:
    candidate = CANDIDATES["onprem"]
    return {
        "stable": plan_stack("onprem"),
        "canary": _plan("onprem", _canary(candidate)),
        "promoted": _plan("onprem", _promoted(candidate)),
    }


def test_onprem_stable_only_has_no_canary_ingress(onprem: dict[str, PlanResult]) -> None:
    assert _nginx_weights(onprem["stable"]) == [("inference-stable", "primary")]


def test_onprem_canary_adds_a_canary_ingress_weighted_10(onprem: dict[str, PlanResult]) -> None:
    plan = onprem["canary"]
    assert _nginx_weights(plan) == [("inference-stable", "primary"), ("inference-candidate", "10")]
    assert _image(_one(plan, DEPLOYMENT, "-candidate")) == CANDIDATES["onprem"]["image"]
    diff = _diff(onprem["stable"], plan)
    assert {
        "platform-inference-candidate",
        "platform-inference-svc-candidate",
        "platform-inference-traffic-http-canary",
        "platform-inference-traffic-grpc-canary",
    } <= _names(diff.added)
    # The namespace quota makes room for the candidate track.
    assert "platform-inference-guardrails-quota" in _names(diff.changed)


def test_onprem_promotion_removes_the_canary_and_runs_the_candidate_as_stable(onprem: dict[str, PlanResult]) -> None:
    plan = onprem["promoted"]
    assert _nginx_weights(plan) == [("inference-stable", "primary")]
    assert _image(_one(plan, DEPLOYMENT, "-stable")) == CANDIDATES["onprem"]["image"]
    removed = _names(_diff(onprem["canary"], plan).removed)
    assert {"platform-inference-traffic-http-canary", "platform-inference-candidate"} <= removed


# -- edge (waves) ---------------------------------------------------------------------------------


def _edge_stable_only(config: dict[str, Any]) -> None:
    config.pop("rollout", None)
    config["edge"].pop("candidateMaxWave", None)


def _edge_promoted(candidate: dict[str, str]) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        _promoted(candidate)(config)
        config["edge"].pop("candidateMaxWave", None)

    return edit


@pytest.fixture(scope="module")
def edge() -> dict[str, Any]:
    example = load_stack(ROOT, "edge").config
    rollout = json.loads(example[f"{PROJECT}:rollout"])
    candidate = rollout["candidate"]
    stable_image = json.loads(example[f"{PROJECT}:inference"])["image"]["reference"]
    return {
        "candidate": candidate,
        "stableImage": stable_image,
        "stable": _plan("edge", _edge_stable_only),
        # The example stack is the canary step: wave 1 runs the candidate.
        "canary": plan_stack("edge"),
        "promoted": _plan("edge", _edge_promoted(candidate)),
    }


def _versions(plan: PlanResult) -> dict[str, str]:
    return {device: summary["version"] for device, summary in plan.outputs["edgeDevices"].items()}


def _waves(plan: PlanResult) -> dict[str, int]:
    return {device: int(summary["wave"]) for device, summary in plan.outputs["edgeDevices"].items()}


def test_edge_stable_only_runs_stable_everywhere(edge: dict[str, Any]) -> None:
    assert set(_versions(edge["stable"]).values()) == {"0.9.4"}


def test_edge_canary_runs_the_candidate_on_wave_1_only(edge: dict[str, Any]) -> None:
    plan = edge["canary"]
    waves, versions = _waves(plan), _versions(plan)
    assert {device for device, version in versions.items() if version == "1.0.0"} == {
        device for device, wave in waves.items() if wave == 1
    }
    assert {versions[device] for device, wave in waves.items() if wave == 2} == {"0.9.4"}


def test_edge_canary_devices_keep_the_stable_image_pulled(edge: dict[str, Any]) -> None:
    plan = edge["canary"]
    pulled = [res.inputs["name"] for res in plan.by_type(REMOTE_IMAGE) if "site-a-dev01" in res.name]
    assert sorted(pulled) == sorted([edge["candidate"]["image"], edge["stableImage"]])


def test_edge_promotion_runs_the_candidate_everywhere(edge: dict[str, Any]) -> None:
    plan = edge["promoted"]
    assert set(_versions(plan).values()) == {"1.0.0"}
    images = {res.inputs["image"] for res in plan.by_type(CONTAINER)}
    assert len(images) == 1
