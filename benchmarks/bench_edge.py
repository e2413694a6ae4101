"""Edge fleet scale benchmark (``make bench-edge``): the offline plan of generated fleets.

For each fleet size the script writes a stack file based on ``Pulumi.edge.yaml``
(same settings, generated devices over ten sites and three waves, wave 1 on the
candidate; the devices in an ``edge.inventory`` file) into a temporary project
that runs this project's program, then runs
``python -m preflight plan --stack <stack> --export <file>`` in a fresh
subprocess, so every figure is one run's own: wall time, peak memory
(``wait4`` resource usage of that child) and resources registered per second.

It prints a table and the growth of time per device between sizes (1.0 = linear),
checks the targets (1,000 devices within 30 s and 1 GiB) and writes everything to
``out/bench-edge.json``. Figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASE_STACK = "edge"
PROJECT = "inference-platform"
DEFAULT_SIZES = (100, 1_000, 5_000)
SITES = 10
WAVES = 3
ACCELERATORS = ("nvidia", "nvidia", "jetson", "none")
TARGET_DEVICES = 1_000
TARGET_WALL_S = 30.0
TARGET_PEAK_MIB = 1024.0
OUT = ROOT / "out" / "bench-edge.json"
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class Run:
    devices: int
    resources: int
    wall_s: float
    cpu_s: float
    peak_mib: float
    # 1-minute load average when the run started: other work on the machine inflates wall time, not CPU time.
    load_before: float

    @property
    def resources_per_s(self) -> float:
        return self.resources / self.wall_s

    @property
    def ms_per_device(self) -> float:
        return 1000 * self.wall_s / self.devices


def generate_devices(count: int) -> list[dict[str, Any]]:
    """``count`` devices spread over SITES sites, WAVES waves and the accelerator kinds."""
    devices = []
    for i in range(count):
        site = f"site-{i % SITES:02d}"
        devices.append(
            {
                "name": f"{site}-dev{i:05d}",
                "host": f"ssh://deploy@dev{i:05d}.{site}.example.internal",
                "servingAddress": f"10.{i % SITES}.{(i // 250) % 250}.{i % 250 + 1}",
                "site": site,
                "residencyZone": f"us-{site}",
                "accelerator": ACCELERATORS[i % len(ACCELERATORS)],
                "wave": 1 + (i // SITES) % WAVES,
            }
        )
    return devices


def write_project(workdir: Path, sizes: list[int]) -> dict[int, str]:
    """A project in ``workdir`` running this project's program, with one stack (and inventory file) per size."""
    shutil.copy(ROOT / "Pulumi.yaml", workdir / "Pulumi.yaml")
    # The program copied, its package linked: the program runs in ``workdir`` (as Pulumi would run it there),
    # so edge.inventory resolves in this project, and `import components` finds this project's package.
    shutil.copy(ROOT / "__main__.py", workdir / "__main__.py")
    (workdir / "components").symlink_to(ROOT / "components", target_is_directory=True)
    base = yaml.safe_load((ROOT / f"Pulumi.{BASE_STACK}.yaml").read_text(encoding="utf-8"))
    stacks = {}
    for size in sizes:
        stack = f"bench-{size}"
        # An inventory file, not inline devices: inline, 1,000 devices make a ~210 KiB config, over Linux's
        # 128 KiB limit on the one environment variable (PULUMI_CONFIG) Pulumi passes it in (docs/edge-sharding.md).
        inventory = Path("fleets") / f"{stack}.yaml"
        (workdir / inventory).parent.mkdir(exist_ok=True)
        text = yaml.dump({"devices": generate_devices(size)}, Dumper=_DUMPER, sort_keys=False)
        (workdir / inventory).write_text(text, encoding="utf-8")
        document = json.loads(json.dumps(base))
        edge = document["config"][f"{PROJECT}:edge"]
        edge.pop("devices", None)
        edge["inventory"] = inventory.as_posix()
        edge["candidateMaxWave"] = 1
        edge.pop("shard", None)
        (workdir / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        stacks[size] = stack
    return stacks


def run_plan(workdir: Path, stack: str, devices: int) -> Run:
    """One `preflight plan` in a fresh interpreter; its own wall time and peak RSS."""
    export = workdir / f"{stack}.json"
    log = workdir / f"{stack}.log"
    command = [
        sys.executable,
        "-m",
        "preflight",
        "plan",
        "--stack",
        stack,
        "--project-dir",
        str(workdir),
        "--export",
        str(export),
    ]
    load = os.getloadavg()[0]
    with log.open("wb") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would be the maximum over every child so far).
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise SystemExit(f"preflight plan --stack {stack} exited {process.returncode}:\n{tail}")
    resources = len(json.loads(export.read_text(encoding="utf-8"))["deployment"]["resources"])
    # Linux reports ru_maxrss in KiB.
    return Run(
        devices=devices,
        resources=resources,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_mib=usage.ru_maxrss / 1024,
        load_before=load,
    )


def growth(runs: list[Run]) -> list[dict[str, float]]:
    """Time per device of each size relative to the previous one: 1.0 is linear growth."""
    return [
        {
            "from_devices": small.devices,
            "to_devices": large.devices,
            "size_ratio": large.devices / small.devices,
            "time_ratio": large.wall_s / small.wall_s,
            "per_device_ratio": large.ms_per_device / small.ms_per_device,
            "cpu_per_device_ratio": (large.cpu_s / large.devices) / (small.cpu_s / small.devices),
        }
        for small, large in pairwise(runs)
    ]


def targets(runs: list[Run]) -> dict[str, Any]:
    run = next((r for r in runs if r.devices == TARGET_DEVICES), None)
    if run is None:
        return {"checked": False}
    return {
        "checked": True,
        "devices": TARGET_DEVICES,
        "wall_s_max": TARGET_WALL_S,
        "peak_mib_max": TARGET_PEAK_MIB,
        "wall_ok": run.wall_s <= TARGET_WALL_S,
        "memory_ok": run.peak_mib <= TARGET_PEAK_MIB,
    }


def print_report(runs: list[Run], ratios: list[dict[str, float]], checked: dict[str, Any]) -> None:
    print(
        f"{'devices':>8}  {'resources':>9}  {'wall s':>7}  {'cpu s':>7}  {'peak MiB':>8}  "
        f"{'resources/s':>11}  {'ms/device':>9}  {'load':>5}"
    )
    for run in runs:
        print(
            f"{run.devices:>8}  {run.resources:>9}  {run.wall_s:>7.1f}  {run.cpu_s:>7.1f}  {run.peak_mib:>8.0f}  "
            f"{run.resources_per_s:>11.0f}  {run.ms_per_device:>9.1f}  {run.load_before:>5.1f}"
        )
    print()
    for ratio in ratios:
        print(
            f"{ratio['from_devices']:>5} -> {ratio['to_devices']:<5} devices (x{ratio['size_ratio']:g}): "
            f"time x{ratio['time_ratio']:.2f}, per device: wall x{ratio['per_device_ratio']:.2f}, "
            f"cpu x{ratio['cpu_per_device_ratio']:.2f} (1.00 = linear)"
        )
    if checked["checked"]:
        verdict = "met" if checked["wall_ok"] and checked["memory_ok"] else "NOT met"
        print(f"\ntarget {TARGET_DEVICES} devices within {TARGET_WALL_S:g} s and {TARGET_PEAK_MIB:g} MiB: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_edge", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="fleet sizes to plan")
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON results file (default: {OUT})")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes))

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-edge-") as tmp:
        workdir = Path(tmp)
        stacks = write_project(workdir, sizes)
        for size in sizes:
            print(f"planning {size} devices ...", file=sys.stderr, flush=True)
            runs.append(run_plan(workdir, stacks[size], size))

    ratios = growth(runs)
    checked = targets(runs)
    print_report(runs, ratios, checked)
    result = {
        "benchmark": "edge fleet offline plan (python -m preflight plan --export), one fresh process per size",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "pulumi": metadata.version("pulumi"),
            "pulumi_docker": metadata.version("pulumi-docker"),
        },
        "runs": [
            {**asdict(run), "resources_per_s": run.resources_per_s, "ms_per_device": run.ms_per_device} for run in runs
        ],
        "growth": ratios,
        "targets": checked,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
