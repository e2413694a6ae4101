"""aws-ecr-repository-require-kms-encryption: container images are encrypted with KMS."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .. import _params
from .._aws import lacks_customer_managed_key
from .._base import Config, Report, Spec, resource_policy
from .._props import as_list, get

SPEC = Spec(
    name="aws-ecr-repository-require-kms-encryption",
    area="encryption_at_rest",
    description="ECR repositories encrypt images with KMS, with a CMK where required.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set encryption_configurations=[{'encryption_type': 'KMS', 'kms_key': <KMS key ARN>}] on the "
        "aws.ecr.Repository (repositories must be recreated to change encryption)."
    ),
    hipaa=("164.312(a)(2)(iv)",),
    nist=("SC-28", "SC-12"),
    config={"requireCustomerManagedKey": _params.REQUIRE_CMK},
    resource_types=("aws:ecr/repository:Repository",),
)


def _check(args: ResourceValidationArgs, report: Report, config: Config) -> None:
    configurations = as_list(get(args.props, "encryptionConfigurations"))
    if not configurations:
        report(f"ECR repository '{args.name}' has no encryptionConfigurations, so it uses AES256, not KMS.")
        return
    for configuration in configurations:
        kind = get(configuration, "encryptionType")
        if kind not in ("KMS", "KMS_DSSE"):
            report(f"ECR repository '{args.name}' uses encryptionType {kind!r}, not KMS.")
        elif lacks_customer_managed_key(config, configuration, "kmsKey"):
            report(f"ECR repository '{args.name}' has no kmsKey (customer-managed key).")


POLICY = resource_policy(SPEC, _check)
