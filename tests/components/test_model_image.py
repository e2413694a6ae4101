"""Model image: hardened ECR repository; an external image pinned by digest, or a build pushed there."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from component_harness import KEY_ARN, TAGS, plan_block

from components.model_image import ImageBuild, ModelImage, ModelImageArgs
from preflight.engine import OfflineMocks, PlanResult, is_secret, is_unknown

PINNED = "nvcr.io/nvidia/tritonserver:24.08-py3@sha256:" + "a" * 64
AUTH_TOKEN = "aws:ecr/getAuthorizationToken:getAuthorizationToken"


class _EcrTokenMocks(OfflineMocks):
    """The offline engine has no stand-in for the ECR token; the build path needs one."""

    def call(self, args: Any) -> Any:
        if args.token == AUTH_TOKEN:
            return {
                "userName": "AWS",
                "password": "token",
                "proxyEndpoint": "https://registry",
                "authorizationToken": "",
            }, None
        return super().call(args)


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    def build() -> None:
        image = ModelImage(
            "external",
            ModelImageArgs(model_version="1.0.0", kms_key_arn=KEY_ARN, tags=TAGS, reference=PINNED),
        )
        pulumi.export("image", image.image_reference)

    return plan_block(build)


@pytest.fixture(scope="module")
def build_plan() -> PlanResult:
    def build() -> None:
        ModelImage(
            "built",
            ModelImageArgs(
                model_version="2.1.0",
                kms_key_arn=KEY_ARN,
                tags=TAGS,
                build=ImageBuild(context="model"),
                keep_images=25,
            ),
        )

    return plan_block(build, mocks=_EcrTokenMocks(default_region="us-east-1"))


def test_repository_is_kms_encrypted_immutable_and_scanned(plan: PlanResult) -> None:
    repo = plan.one("aws:ecr/repository:Repository").inputs
    assert repo["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KEY_ARN}]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}


def test_repository_is_protected_and_retained_by_default(plan: PlanResult) -> None:
    repo = plan.one("aws:ecr/repository:Repository")
    assert (repo.protect, repo.retain_on_delete) == (True, True)


def test_lifecycle_keeps_the_last_n_images(build_plan: PlanResult) -> None:
    rule = json.loads(build_plan.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])["rules"][0]
    assert rule["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 25}
    assert rule["action"] == {"type": "expire"}


def test_external_image_is_used_as_pinned_and_nothing_is_built(plan: PlanResult) -> None:
    assert plan.by_type("docker:index/image:Image") == []
    assert plan.outputs["image"] == PINNED


def test_unpinned_external_image_is_refused() -> None:
    with pytest.raises(ValueError, match="pinned by digest"):
        ModelImageArgs(model_version="1", kms_key_arn=KEY_ARN, tags=TAGS, reference="nvcr.io/nvidia/tritonserver:24.08")


def test_reference_and_build_are_exclusive() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ModelImageArgs(model_version="1", kms_key_arn=KEY_ARN, tags=TAGS, reference=PINNED, build=ImageBuild("x"))


def test_build_uses_the_context_and_its_dockerfile(build_plan: PlanResult) -> None:
    image = build_plan.one("docker:index/image:Image").inputs
    # The repository URL (and so the image name) is unknown until the repository exists.
    assert is_unknown(image["imageName"])
    assert image["build"]["context"] == "model"
    assert image["build"]["dockerfile"] == "model/Dockerfile"
    assert image["build"]["platform"] == "linux/amd64"


def test_registry_password_is_a_secret(build_plan: PlanResult) -> None:
    registry = build_plan.one("docker:index/image:Image").inputs["registry"]
    assert is_secret(registry["password"])
