"""Model image: an ECR repository, and either a build pushed there or an external image pinned by digest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from .common import child_options, policy_json, retained
from .config import parse_image

RESOURCE_TYPE = "inference:model_image:ModelImage"


def lifecycle_policy(keep_images: int) -> str:
    """Expire all but the newest ``keep_images`` images, so a rollback never needs a rebuild."""
    return policy_json(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"keep the last {keep_images} images for rollback",
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                    "action": {"type": "expire"},
                }
            ]
        }
    )


@dataclass(frozen=True)
class ImageBuild:
    context: str
    dockerfile: str = "Dockerfile"
    """Relative to ``context``."""
    platform: str = "linux/amd64"


@dataclass(frozen=True)
class ModelImageArgs:
    model_version: str
    """Tag of a built image (tags are immutable: a new model version means a new tag)."""
    kms_key_arn: pulumi.Input[str]
    """The ECR purpose key."""
    tags: Mapping[str, str]
    reference: str | None = None
    """External image, pinned by digest."""
    build: ImageBuild | None = None
    """Build context to build and push to the repository."""
    keep_images: int = 10
    protect: bool = True
    """Protect and retain the repository; on unless the caller opts out (stacks that are not prod-like)."""

    def __post_init__(self) -> None:
        if (self.reference is None) == (self.build is None):
            raise ValueError("ModelImageArgs: set exactly one of 'reference' (pinned by digest) or 'build'")
        if self.reference is not None and parse_image(self.reference)[2] is None:
            raise ValueError(
                "ModelImageArgs.reference must be pinned by digest ('repo[:tag]@sha256:<64 hex>'), "
                f"got {self.reference!r}"
            )


class ModelImage(pulumi.ComponentResource):
    """ECR repository (KMS, immutable tags, scan on push, lifecycle) and the image the service runs."""

    repository: aws.ecr.Repository
    """The ECR repository."""
    repository_url: pulumi.Output[str]
    """Repository URL (registry/name)."""
    image_reference: pulumi.Output[str]
    """Image to run, always ``name@sha256:<digest>``."""

    def __init__(self, name: str, args: ModelImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RESOURCE_TYPE, name, None, opts)
        self.repository = aws.ecr.Repository(
            f"{name}-repo",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.kms_key_arn)
            ],
            force_delete=False,
            tags=dict(args.tags),
            opts=child_options(self, opts, retained(args.protect)),
        )
        self.repository_url = self.repository.repository_url
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=self.repository.name,
            policy=lifecycle_policy(args.keep_images),
            opts=child_options(self, opts),
        )
        if args.build is not None:
            self.image_reference = self._build(name, args.build, args.model_version, opts)
        else:
            assert args.reference is not None  # checked in ModelImageArgs
            self.image_reference = pulumi.Output.from_input(args.reference)
        self.register_outputs({"repositoryUrl": self.repository_url, "imageReference": self.image_reference})

    def _build(
        self, name: str, build: ImageBuild, version: str, opts: pulumi.ResourceOptions | None
    ) -> pulumi.Output[str]:
        token = aws.ecr.get_authorization_token_output(
            registry_id=self.repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        image = docker.Image(
            f"{name}-image",
            image_name=pulumi.Output.concat(self.repository.repository_url, ":", version),
            build=docker.DockerBuildArgs(
                context=build.context,
                # pulumi-docker resolves a relative dockerfile against the working directory, not the context.
                dockerfile=str(Path(build.context) / build.dockerfile),
                platform=build.platform,
            ),
            registry=docker.RegistryArgs(
                server=self.repository.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=child_options(self, opts),
        )
        # repo_digest is `<repository>@sha256:<digest>`: the service pins what was pushed, not the tag.
        return image.repo_digest
