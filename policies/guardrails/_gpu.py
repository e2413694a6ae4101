"""GPU instance knowledge: which EC2 families carry GPUs and how many per instance type."""

from __future__ import annotations

# NVIDIA GPU instance families on EC2 (accelerators that are not NVIDIA GPUs, e.g. inf/trn, are not here).
GPU_FAMILIES = frozenset(
    {
        "g4dn",
        "g5",
        "g5g",
        "g6",
        "g6e",
        "g6f",
        "gr6",
        "gr6f",
        "g7e",
        "p3",
        "p3dn",
        "p4d",
        "p4de",
        "p5",
        "p5e",
        "p5en",
        "p6-b200",
    }
)

# GPUs per instance type (EC2 documentation); sizes not listed here are looked up in config overrides.
GPUS_PER_INSTANCE: dict[str, int] = {
    **{f"g4dn.{size}": 1 for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g4dn.12xlarge": 4,
    "g4dn.metal": 8,
    **{f"g5.{size}": 1 for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g5.12xlarge": 4,
    "g5.24xlarge": 4,
    "g5.48xlarge": 8,
    **{f"g5g.{size}": 1 for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge")},
    "g5g.16xlarge": 2,
    "g5g.metal": 2,
    **{f"g6.{size}": 1 for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g6.12xlarge": 4,
    "g6.24xlarge": 4,
    "g6.48xlarge": 8,
    **{f"g6e.{size}": 1 for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g6e.12xlarge": 4,
    "g6e.24xlarge": 4,
    "g6e.48xlarge": 8,
    "gr6.4xlarge": 1,
    "gr6.8xlarge": 1,
    "p3.2xlarge": 1,
    "p3.8xlarge": 4,
    "p3.16xlarge": 8,
    "p3dn.24xlarge": 8,
    "p4d.24xlarge": 8,
    "p4de.24xlarge": 8,
    "p5.48xlarge": 8,
    "p5e.48xlarge": 8,
    "p5en.48xlarge": 8,
    "p6-b200.48xlarge": 8,
}


def family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def is_gpu_instance(instance_type: str) -> bool:
    return family(instance_type) in GPU_FAMILIES
