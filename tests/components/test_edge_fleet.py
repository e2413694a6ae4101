"""Edge fleet model: the `edge` stack and variants of its config, run through the offline engine."""

from __future__ import annotations

import copy
import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from components import edge_fleet
from components.config import ConfigError, validate
from components.config.models import EdgeConfig, EdgeShardConfig, ShardBy, shard_bucket
from components.edge_fleet import LARGE_FLEET, PREVIEW_LOGIN_STAND_IN
from components.labels import IMAGE_LABEL, SITE_LABEL, WAVE_LABEL
from preflight.cli import EXIT_OK, main
from preflight.diff import diff_deployments
from preflight.engine import PlanResult, ProgramError, RecordedResource, is_secret, run_program, unwrap_secret
from preflight.export import load_deployment, to_deployment
from preflight.stackfile import load_stack
from tests.components.component_harness import plan_stack

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "inference-platform"
FLEET = "inference"
DEVICE = "inference:edge:Device"
PROVIDER = "pulumi:providers:docker"
IMAGE = "docker:index/remoteImage:RemoteImage"
CONTAINER = "docker:index/container:Container"
REGISTRY_AUTH = f"{PROJECT}:registryAuth"
LOGIN = {"username": "edge-robot", "password": "pw-Never-Shown-42"}

Edit = Callable[[dict[str, Any]], None]


def _stack_config() -> tuple[dict[str, str], list[str]]:
    stack = load_stack(ROOT, "edge")
    return dict(stack.config), list(stack.secret_keys)


def _section(config: dict[str, str], key: str) -> dict[str, Any]:
    text = config.get(f"{PROJECT}:{key}")
    return json.loads(text) if text else {}


def _variant(*edits: tuple[str, Edit], login: dict[str, str] | None = LOGIN) -> tuple[dict[str, str], list[str]]:
    """The edge stack's flat config with each (section, edit) applied; a decrypted login unless ``login`` is None."""
    config, secret_keys = _stack_config()
    for key, edit in edits:
        section = _section(config, key)
        edit(section)
        config[f"{PROJECT}:{key}"] = json.dumps(section)
    if login is not None:
        config[REGISTRY_AUTH] = json.dumps(login)
    return config, secret_keys


def _run(config: dict[str, str], secret_keys: list[str], *, preview: bool = True) -> PlanResult:
    return run_program(ROOT, project=PROJECT, stack="edge", config=config, secret_keys=secret_keys, preview=preview)


def _plan(*edits: tuple[str, Edit]) -> PlanResult:
    return _run(*_variant(*edits))


def _set(path: str, value: Any) -> Edit:
    def edit(section: dict[str, Any]) -> None:
        section[path] = value

    return edit


def _drop(path: str) -> Edit:
    def edit(section: dict[str, Any]) -> None:
        section.pop(path, None)

    return edit


def _devices() -> list[dict[str, Any]]:
    return _section(_stack_config()[0], "edge")["devices"]


def _waves() -> dict[str, int]:
    return {device["name"]: device["wave"] for device in _devices()}


STABLE_IMAGE = _section(_stack_config()[0], "inference")["image"]["reference"]
CANDIDATE_IMAGE = _section(_stack_config()[0], "rollout")["candidate"]["image"]


# --- plans, each run once per module ---------------------------------------------------------


@pytest.fixture(scope="module")
def edge() -> PlanResult:
    """The unmodified `edge` stack: candidate on wave 1, stable on wave 2, login not decryptable."""
    return plan_stack("edge")


@pytest.fixture(scope="module")
def with_login() -> PlanResult:
    return _plan()


@pytest.fixture(scope="module")
def promoted() -> PlanResult:
    return _plan(("edge", _set("candidateMaxWave", 2)))


@pytest.fixture(scope="module")
def rolled_back() -> PlanResult:
    return _plan(("edge", _drop("candidateMaxWave")))


@pytest.fixture(scope="module")
def finalised() -> PlanResult:
    """After promotion to every wave: the candidate becomes stable, the rollout section goes."""
    rollout = _section(_stack_config()[0], "rollout")["candidate"]

    def stable_is_candidate(section: dict[str, Any]) -> None:
        section["image"]["reference"] = rollout["image"]
        section["model"]["version"] = rollout["modelVersion"]

    return _plan(
        ("edge", _drop("candidateMaxWave")), ("rollout", _drop("candidate")), ("inference", stable_is_candidate)
    )


def _device_of(res: RecordedResource | str, plan: PlanResult | None = None) -> str:
    """Device name of a resource inside an `inference:edge:Device` (from its URN's name)."""
    name = (res if isinstance(res, str) else res.urn).rsplit("::", 1)[1]
    for device in _waves():
        if name == f"{FLEET}-{device}" or name.startswith(f"{FLEET}-{device}-"):
            return device
    raise AssertionError(f"{name} is not a device resource")


def _containers(plan: PlanResult) -> dict[str, dict[str, Any]]:
    return {_device_of(res): res.inputs for res in plan.by_type(CONTAINER)}


def _labels(container: dict[str, Any]) -> dict[str, str]:
    return {item["label"]: item["value"] for item in container["labels"]}


def _pulled(plan: PlanResult) -> dict[str, set[str]]:
    pulled: dict[str, set[str]] = {}
    for res in plan.by_type(IMAGE):
        pulled.setdefault(_device_of(res), set()).add(res.inputs["name"])
    return pulled


# --- the example stack -------------------------------------------------------------------------


def test_every_device_of_the_stack_is_built(edge: PlanResult) -> None:
    assert sorted(_device_of(res) for res in edge.by_type(DEVICE)) == sorted(_waves())


def test_devices_hang_off_the_edge_fleet_model(edge: PlanResult) -> None:
    fleet = edge.one("inference:models:EdgeFleet", FLEET)
    assert fleet.parent == edge.stack_urn
    assert {res.parent for res in edge.by_type(DEVICE)} == {fleet.urn}


def test_each_device_has_its_own_provider_for_its_host(edge: PlanResult) -> None:
    hosts = {_device_of(res): res.inputs["host"] for res in edge.by_type(PROVIDER)}
    assert hosts == {device["name"]: device["host"] for device in _devices()}


def test_no_docker_resource_uses_a_default_provider(edge: PlanResult) -> None:
    explicit = {res.urn for res in edge.by_type(PROVIDER) if res.parent}
    docker = [res for res in edge.resources if res.type.startswith("docker:")]
    assert docker
    assert {res.provider_urn for res in docker} <= explicit


def test_devices_up_to_the_candidate_wave_run_the_candidate(edge: PlanResult) -> None:
    running = {device: _labels(inputs)[IMAGE_LABEL] for device, inputs in _containers(edge).items()}
    expected = {device: CANDIDATE_IMAGE if wave <= 1 else STABLE_IMAGE for device, wave in _waves().items()}
    assert running == expected


def test_candidate_devices_keep_the_stable_image_pulled(edge: PlanResult) -> None:
    expected = {
        device: {STABLE_IMAGE, CANDIDATE_IMAGE} if wave <= 1 else {STABLE_IMAGE} for device, wave in _waves().items()
    }
    assert _pulled(edge) == expected


def test_container_labels_carry_the_device_site_zone_and_wave(edge: PlanResult) -> None:
    containers = _containers(edge)
    for device in _devices():
        labels = _labels(containers[device["name"]])
        assert (labels[SITE_LABEL], labels["residency-zone"], labels[WAVE_LABEL]) == (
            device["site"],
            device["residencyZone"],
            str(device["wave"]),
        )


def test_container_labels_carry_the_stack_compliance_facts(edge: PlanResult) -> None:
    labels = _labels(next(iter(_containers(edge).values())))
    assert {key: labels[key] for key in ("data-classification", "compliance-profile", "owner")} == {
        "data-classification": "phi",
        "compliance-profile": "hipaa",
        "owner": "clinical-edge",
    }


def test_gpu_access_follows_each_device_accelerator(edge: PlanResult) -> None:
    expected = {"nvidia": ("all", None), "jetson": (None, "nvidia"), "none": (None, None)}
    containers = _containers(edge)
    for device in _devices():
        inputs = containers[device["name"]]
        assert (inputs.get("gpus"), inputs.get("runtime")) == expected[device["accelerator"]], device["name"]


def test_outputs_summarise_devices_and_versions(edge: PlanResult) -> None:
    waves = _waves()
    assert edge.outputs["edgeVersions"] == {
        "1.0.0": sum(1 for wave in waves.values() if wave <= 1),
        "0.9.4": sum(1 for wave in waves.values() if wave > 1),
    }
    summary = edge.outputs["edgeDevices"]["site-c-dev04"]
    assert summary == {"site": "site-c", "wave": 2, "version": "0.9.4", "image": STABLE_IMAGE, "track": "stable"}


def test_undecryptable_login_is_a_secret_stand_in_with_a_warning(edge: PlanResult) -> None:
    auth = edge.one(PROVIDER, f"{FLEET}-site-a-dev01-docker").inputs["registryAuth"]
    assert is_secret(auth)
    # The registry address stays known for the policies; the login is the stand-in.
    assert json.loads(unwrap_secret(auth)) == [
        {
            "address": "registry.edge.example.internal:5000",
            "username": PREVIEW_LOGIN_STAND_IN,
            "password": PREVIEW_LOGIN_STAND_IN,
        }
    ]
    assert any("registryAuth" in log.message for log in edge.logs if log.severity == "warning")


def test_registry_login_reaches_the_provider_as_a_secret(with_login: PlanResult) -> None:
    auth = with_login.one(PROVIDER, f"{FLEET}-site-a-dev01-docker").inputs["registryAuth"]
    assert is_secret(auth)
    assert json.loads(unwrap_secret(auth)) == [{"address": "registry.edge.example.internal:5000", **LOGIN}]


def test_no_secret_in_outputs_or_in_the_export(with_login: PlanResult) -> None:
    assert LOGIN["password"] not in json.dumps(with_login.outputs)
    assert LOGIN["password"] not in json.dumps(to_deployment(with_login))


# --- promotion, rollback, finalisation: exactly the expected devices change ----------------------


def _changed_devices(base: PlanResult, head: PlanResult) -> dict[str, set[str]]:
    """Devices with added / removed / changed resources between two plans, by the project's diff."""
    diff = diff_deployments(
        to_deployment(base)["deployment"]["resources"], to_deployment(head)["deployment"]["resources"]
    )
    return {
        "added": {_device_of(ref.urn) for ref in diff.added},
        "removed": {_device_of(ref.urn) for ref in diff.removed},
        "changed": {_device_of(change.urn) for change in diff.changed},
        "added types": {ref.type for ref in diff.added},
        "removed types": {ref.type for ref in diff.removed},
        "changed types": {change.type for change in diff.changed},
    }


def _in_waves(predicate: Callable[[int], bool]) -> set[str]:
    return {device for device, wave in _waves().items() if predicate(wave)}


def test_promotion_to_wave_2_changes_only_wave_2_devices(with_login: PlanResult, promoted: PlanResult) -> None:
    wave2 = _in_waves(lambda wave: wave == 2)
    assert _changed_devices(with_login, promoted) == {
        "added": wave2,
        "removed": set(),
        "changed": wave2,
        "added types": {IMAGE},
        "removed types": set(),
        "changed types": {CONTAINER},
    }


def test_rollback_changes_only_candidate_devices_and_pulls_nothing(
    with_login: PlanResult, rolled_back: PlanResult
) -> None:
    wave1 = _in_waves(lambda wave: wave <= 1)
    assert _changed_devices(with_login, rolled_back) == {
        "added": set(),
        "removed": wave1,
        "changed": wave1,
        "added types": set(),
        "removed types": {IMAGE},
        "changed types": {CONTAINER},
    }


def test_rollback_puts_every_device_on_stable(rolled_back: PlanResult) -> None:
    assert {_labels(inputs)[IMAGE_LABEL] for inputs in _containers(rolled_back).values()} == {STABLE_IMAGE}


def test_finalising_a_promotion_changes_no_container(promoted: PlanResult, finalised: PlanResult) -> None:
    # The candidate's image resource keeps its name as stable; only the old stable images go.
    assert _changed_devices(promoted, finalised) == {
        "added": set(),
        "removed": set(_waves()),
        "changed": set(),
        "added types": set(),
        "removed types": {IMAGE},
        "changed types": set(),
    }


# --- sharding ------------------------------------------------------------------------------------


def _shard_plan(shard: dict[str, Any]) -> PlanResult:
    return _plan(("edge", _set("shard", shard)))


def test_shard_by_site_builds_only_that_site() -> None:
    plan = _shard_plan({"by": "site", "sites": ["site-b"]})
    assert set(_containers(plan)) == {d["name"] for d in _devices() if d["site"] == "site-b"}


@pytest.fixture(scope="module")
def hash_shards() -> list[set[str]]:
    return [set(_containers(_shard_plan({"by": "hash", "index": i, "count": 3}))) for i in range(3)]


def test_hash_shards_cover_every_device_exactly_once(hash_shards: list[set[str]]) -> None:
    assert sum(len(shard) for shard in hash_shards) == len(_waves())
    assert set().union(*hash_shards) == set(_waves())


def test_hash_shard_holds_the_devices_whose_bucket_is_its_index(hash_shards: list[set[str]]) -> None:
    assert hash_shards == [{name for name in _waves() if shard_bucket(name, 3) == i} for i in range(3)]


def test_hash_buckets_do_not_depend_on_the_interpreter_hash_seed() -> None:
    names = sorted(_waves())
    script = f"from components.config.models import shard_bucket; print([shard_bucket(n, 7) for n in {names!r}])"
    runs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert runs == {f"{[shard_bucket(name, 7) for name in names]}\n"}


@pytest.mark.parametrize("count", [2, 5, 16])
def test_hash_shard_configs_partition_a_large_fleet(count: int) -> None:
    devices = [
        {
            "name": f"dev{i:04d}",
            "host": f"ssh://deploy@dev{i}.example.internal",
            "servingAddress": f"10.9.{i // 250}.{i % 250 + 1}",
            "site": "site-a",
            "residencyZone": "us-site-a",
        }
        for i in range(1000)
    ]
    shards = [
        {d.name for d in EdgeConfig.model_validate({"devices": devices, "shard": shard}).selected_devices()}
        for shard in ({"by": "hash", "index": i, "count": count} for i in range(count))
    ]
    assert sum(len(s) for s in shards) == len(devices)
    assert set().union(*shards) == {d["name"] for d in devices}
    # Roughly even: no shard gets more than twice its share.
    assert max(len(s) for s in shards) < 2 * len(devices) / count


def test_shard_config_selects_by_site() -> None:
    config = EdgeConfig.model_validate({"devices": _devices(), "shard": {"by": "site", "sites": ["site-a", "site-c"]}})
    assert {d.site for d in config.selected_devices()} == {"site-a", "site-c"}
    assert EdgeShardConfig(by=ShardBy.SITE, sites=["site-a"]).selects(config.devices[0]) is True


# --- config errors for the edge keys -------------------------------------------------------------


def _raw_edge_stack() -> dict[str, Any]:
    config, _ = _stack_config()
    raw: dict[str, Any] = {}
    for key, text in config.items():
        name = key.split(":", 1)[1]
        if key == REGISTRY_AUTH or not key.startswith(f"{PROJECT}:"):
            continue
        raw[name] = text if name in ("deploymentModel", "environment") else json.loads(text)
    return raw


def _config_error(*edits: tuple[str, Edit]) -> str:
    raw = copy.deepcopy(_raw_edge_stack())
    for key, edit in edits:
        section = raw.setdefault(key, {})
        edit(section)
    with pytest.raises(ConfigError) as error:
        validate(raw, PROJECT)
    return str(error.value)


def _device_edit(index: int, field: str, value: Any) -> Edit:
    def edit(section: dict[str, Any]) -> None:
        section["devices"][index][field] = value

    return edit


def test_example_stack_config_is_valid() -> None:
    assert validate(_raw_edge_stack(), PROJECT).edge is not None


def test_duplicate_device_names_are_refused() -> None:
    message = _config_error(("edge", _device_edit(1, "name", "site-a-dev01")))
    assert f"{PROJECT}:edge: devices[].name must be unique, got duplicates ['site-a-dev01']" in message


@pytest.mark.parametrize("address", ["0.0.0.0", "255.255.255.255"])
def test_wildcard_serving_address_is_refused(address: str) -> None:
    message = _config_error(("edge", _device_edit(0, "servingAddress", address)))
    assert f"{PROJECT}:edge.devices[0].servingAddress: must be one of the device's own addresses" in message


def test_malformed_serving_address_is_refused() -> None:
    message = _config_error(("edge", _device_edit(0, "servingAddress", "10.1.0.300")))
    assert f"{PROJECT}:edge.devices[0].servingAddress: must be the device's IPv4 address" in message


@pytest.mark.parametrize(
    "host", ["tcp://edge01.example.internal:2376", "ssh://edge01.example.internal", "edge01", "ssh://u@-bad"]
)
def test_bad_host_url_is_refused(host: str) -> None:
    message = _config_error(("edge", _device_edit(0, "host", host)))
    assert f"{PROJECT}:edge.devices[0].host: must be an SSH Docker host 'ssh://user@host[:port]'" in message


def test_candidate_max_wave_without_candidate_is_refused() -> None:
    message = _config_error(("rollout", _drop("candidate")))
    assert "edge.candidateMaxWave needs rollout.candidate" in message


def test_candidate_with_the_stable_digest_is_refused() -> None:
    def same_digest(section: dict[str, Any]) -> None:
        digest = STABLE_IMAGE.split("@", 1)[1]
        section["candidate"]["image"] = f"registry.edge.example.internal:5000/inference/triage:1.0.0@{digest}"

    assert "rollout.candidate.image has the same digest" in _config_error(("rollout", same_digest))


def test_edge_needs_the_http_port_for_its_healthcheck() -> None:
    def grpc_only(section: dict[str, Any]) -> None:
        section["ports"] = {"http": None, "grpc": 8001}

    assert "deploymentModel 'edge' needs inference.ports.http" in _config_error(("inference", grpc_only))


@pytest.mark.parametrize(
    ("shard", "expected"),
    [
        ({"by": "hash", "index": 3, "count": 3}, "edge.shard: shard index (3) must be < count (3)"),
        ({"by": "site", "sites": []}, "edge.shard: shard by 'site' needs a non-empty 'sites' list"),
        ({"by": "site", "sites": ["site-z"]}, "edge: shard.sites must name sites of devices, got unknown site(s)"),
        ({"by": "site", "sites": ["site-a"], "count": 2}, "edge.shard: shard by 'site' takes 'sites' only"),
        ({"by": "hash", "sites": ["site-a"], "count": 2}, "edge.shard: shard by 'hash' takes 'index' and 'count'"),
        ({"by": "zone", "sites": ["site-a"]}, "edge.shard.by: Input should be 'site' or 'hash'"),
    ],
)
def test_bad_shard_is_refused(shard: dict[str, Any], expected: str) -> None:
    assert f"{PROJECT}:{expected}" in _config_error(("edge", _set("shard", shard)))


def test_empty_hash_shard_is_refused() -> None:
    # One device in 64 buckets: 63 shards would be empty stacks.
    devices = _devices()[:1]
    index = (shard_bucket(devices[0]["name"], 64) + 1) % 64

    def one_device(section: dict[str, Any]) -> None:
        section["devices"] = devices
        section.pop("candidateMaxWave")
        section["shard"] = {"by": "hash", "index": index, "count": 64}

    assert "edge: shard must select at least one device, got none" in _config_error(("edge", one_device))


# --- the registry login ------------------------------------------------------------------------


def _program_error(config: dict[str, str], secret_keys: list[str], *, preview: bool) -> ProgramError:
    with pytest.raises(ProgramError) as error:
        _run(config, secret_keys, preview=preview)
    assert error.value.is_config_error
    return error.value


def test_undecryptable_login_fails_an_update() -> None:
    config, secret_keys = _variant(login=None)
    message = _program_error(config, secret_keys, preview=False).message
    assert f"{PROJECT}:registryAuth: must be a JSON object" in message
    assert config[REGISTRY_AUTH] not in message


def test_login_missing_a_password_is_refused_even_in_preview() -> None:
    config, secret_keys = _variant(login={"username": "edge-robot"})
    assert "registryAuth: must be a JSON object" in _program_error(config, secret_keys, preview=True).message


def test_missing_login_is_refused() -> None:
    config, secret_keys = _variant(login=None)
    del config[REGISTRY_AUTH]
    assert f"{PROJECT}:registryAuth: missing" in _program_error(config, secret_keys, preview=True).message


# --- the stack through the command line --------------------------------------------------------


def test_plan_command_exports_the_edge_stack(tmp_path: Path) -> None:
    export = tmp_path / "edge.json"
    assert main(["plan", "--stack", "edge", "--project-dir", str(ROOT), "--export", str(export)]) == EXIT_OK
    records = load_deployment(export)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_type.setdefault(record["type"], []).append(record)
    devices = len(_waves())
    assert len(by_type[DEVICE]) == len(by_type[PROVIDER]) == len(by_type[CONTAINER]) == devices
    assert {r["inputs"]["name"] for r in by_type[IMAGE]} == {STABLE_IMAGE, CANDIDATE_IMAGE}
    assert all(r["inputs"]["readOnly"] and r["inputs"]["privileged"] is False for r in by_type[CONTAINER])


# --- scale ---------------------------------------------------------------------------------------


@pytest.fixture
def gc_threshold() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    yield saved
    gc.set_threshold(*saved)


def test_small_fleet_leaves_the_gc_defaults(gc_threshold: tuple[int, int, int]) -> None:
    assert len(_devices()) < LARGE_FLEET
    _run(*_variant())
    assert gc.get_threshold() == gc_threshold


def test_large_fleet_skips_full_gc_passes(gc_threshold: tuple[int, int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    # The program imports the same module: lower the bar to the example fleet instead of planning 200 devices.
    monkeypatch.setattr(edge_fleet, "LARGE_FLEET", len(_devices()))
    _run(*_variant())
    assert gc.get_threshold() == (*gc_threshold[:2], 1_000_000)
