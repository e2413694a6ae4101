"""edge.inventory: the fleet read from a YAML file in the project, validated exactly as inline edge.devices."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import ConfigError, StackConfig, validate
from components.config.models import EdgeConfig, ShardBy
from preflight.engine import PlanResult, run_program
from preflight.stackfile import load_stack

ROOT = Path(__file__).resolve().parents[3]
PROJECT = "inference-platform"
FIXTURE = Path(__file__).parent / "fixtures" / "inventory.yaml"
# The fixture as a stack file names it: relative to the project directory.
FIXTURE_KEY = FIXTURE.relative_to(ROOT).as_posix()
FLEET = "fleets/site-a.yaml"


def _edge_stack() -> dict[str, Any]:
    """The edge example stack's config as the loader hands it to validation (YAML keys)."""
    stack = load_stack(ROOT, "edge")
    raw: dict[str, Any] = {}
    for key, text in stack.config.items():
        namespace, name = key.split(":", 1)
        if namespace != PROJECT or key in stack.secret_keys:
            continue
        raw[name] = text if name in ("deploymentModel", "environment") else json.loads(text)
    return raw


EDGE_STACK = _edge_stack()
INLINE = EDGE_STACK["edge"]["devices"]


def _with_inventory(**edge: Any) -> dict[str, Any]:
    """The edge stack with its inline devices replaced by ``edge`` (e.g. ``inventory=...``)."""
    raw = copy.deepcopy(EDGE_STACK)
    raw["edge"].pop("devices")
    raw["edge"].update(edge)
    return raw


def _write(project: Path, document: Any, name: str = FLEET) -> Path:
    path = project / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False))
    return path


def _load(project: Path, **edge: Any) -> StackConfig:
    return validate(_with_inventory(**edge), PROJECT, project)


def _error(project: Path, **edge: Any) -> str:
    with pytest.raises(ConfigError) as error:
        _load(project, **edge)
    message = str(error.value)
    assert "Traceback" not in message
    return message


# --- loading ----------------------------------------------------------------------------------------------------


def test_inventory_devices_equal_the_same_devices_inline(tmp_path: Path) -> None:
    _write(tmp_path, {"devices": INLINE})
    from_file, inline = _load(tmp_path, inventory=FLEET).edge, validate(EDGE_STACK, PROJECT).edge
    assert from_file is not None and inline is not None
    assert from_file.devices == inline.devices
    assert from_file.inventory == FLEET


def test_inventory_path_is_relative_to_the_working_directory_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pulumi runs the program in the project directory: no directory argument, as load_config() calls it.
    _write(tmp_path, {"devices": INLINE[:2]})
    monkeypatch.chdir(tmp_path)
    config = validate(_with_inventory(inventory=FLEET), PROJECT)
    assert config.edge is not None
    assert [d.name for d in config.edge.devices] == [d["name"] for d in INLINE[:2]]


def test_inventory_path_is_relative_to_pulumi_yaml_when_main_moves_the_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With `main: src/`, Pulumi runs the program in src/; the path still starts where Pulumi.yaml is.
    (tmp_path / "Pulumi.yaml").write_text("name: inference-platform\nruntime: python\nmain: src/\n")
    (tmp_path / "src").mkdir()
    _write(tmp_path, {"devices": INLINE[:2]})
    monkeypatch.chdir(tmp_path / "src")
    config = validate(_with_inventory(inventory=FLEET), PROJECT)
    assert config.edge is not None
    assert [d.name for d in config.edge.devices] == [d["name"] for d in INLINE[:2]]


def test_yaml_merge_keys_may_share_a_device_s_settings(tmp_path: Path) -> None:
    # A merge (`<<: *a1`) overridden by the device's own keys is not a key given twice.
    _write(
        tmp_path,
        "devices:\n"
        "  - &a1 {name: a1, host: ssh://deploy@a1.example.internal, servingAddress: 10.1.0.1, site: site-a,"
        " residencyZone: us-site-a, wave: 2}\n"
        "  - {<<: *a1, name: a2, host: ssh://deploy@a2.example.internal, servingAddress: 10.1.0.2, wave: 1}\n",
    )
    config = _load(tmp_path, inventory=FLEET)
    assert config.edge is not None
    second = config.edge.devices[1]
    assert (second.name, second.site, second.residency_zone, second.wave) == ("a2", "site-a", "us-site-a", 1)


def test_hash_shard_selects_inventory_devices_as_it_selects_inline_ones(tmp_path: Path) -> None:
    _write(tmp_path, {"devices": INLINE})
    shard = {"by": "hash", "index": 1, "count": 3}
    from_file = EdgeConfig.model_validate({"inventory": FLEET, "shard": shard}, context={"project_dir": tmp_path})
    inline = EdgeConfig.model_validate({"devices": INLINE, "shard": shard})
    assert from_file.shard is not None and from_file.shard.by is ShardBy.HASH
    assert [d.name for d in from_file.selected_devices()] == [d.name for d in inline.selected_devices()]
    assert 0 < len(from_file.selected_devices()) < len(INLINE)


def test_site_shard_must_name_a_site_of_the_inventory(tmp_path: Path) -> None:
    _write(tmp_path, {"devices": INLINE})
    message = _error(tmp_path, inventory=FLEET, shard={"by": "site", "sites": ["site-z"]})
    assert f"{PROJECT}:edge: shard.sites must name sites of devices, got unknown site(s) ['site-z']" in message


# --- errors -----------------------------------------------------------------------------------------------------


def test_devices_and_inventory_together_are_refused_naming_both(tmp_path: Path) -> None:
    _write(tmp_path, {"devices": INLINE})
    message = _error(tmp_path, inventory=FLEET, devices=INLINE)
    assert (
        f"{PROJECT}:edge: set exactly one of devices (the fleet inline) and inventory (a file listing it), got both"
        in message
    )
    assert "ssh://" not in message  # the section is not dumped


def test_neither_devices_nor_inventory_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path)
    assert f"{PROJECT}:edge: set exactly one of devices (the fleet inline) and inventory (a file listing it)" in message
    assert "got neither" in message


def test_bad_device_in_the_inventory_names_the_file_and_the_device(tmp_path: Path) -> None:
    devices = copy.deepcopy(INLINE)
    devices[3]["host"] = "tcp://edge04.site-a.example.internal:2376"
    _write(tmp_path, {"devices": devices})
    message = _error(tmp_path, inventory=FLEET)
    assert (
        f"{PROJECT}:edge.inventory ({FLEET}): devices[3].host: must be an SSH Docker host 'ssh://user@host[:port]', "
        "got 'tcp://edge04.site-a.example.internal:2376'"
    ) in message


def test_unknown_device_key_in_the_inventory_lists_the_device_keys(tmp_path: Path) -> None:
    devices = copy.deepcopy(INLINE)
    devices[1]["gpu"] = "a100"
    _write(tmp_path, {"devices": devices})
    message = _error(tmp_path, inventory=FLEET)
    assert f"{PROJECT}:edge.inventory ({FLEET}): devices[1].gpu: unknown key; allowed keys are: accelerator" in message


def test_duplicate_device_names_in_the_inventory_name_the_file(tmp_path: Path) -> None:
    devices = copy.deepcopy(INLINE)
    devices[2]["name"] = devices[0]["name"]
    _write(tmp_path, {"devices": devices})
    message = _error(tmp_path, inventory=FLEET)
    assert f"devices[].name must be unique, got duplicates ['{devices[0]['name']}'] in inventory {FLEET}" in message


def test_key_given_twice_in_one_device_is_refused(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "devices:\n"
        "  - name: a1\n"
        "    host: ssh://deploy@a1.example.internal\n"
        "    host: ssh://deploy@a2.example.internal\n"
        "    servingAddress: 10.1.0.1\n    site: site-a\n    residencyZone: us-site-a\n",
    )
    message = _error(tmp_path, inventory=FLEET)
    assert (
        f"{PROJECT}:edge.inventory ({FLEET}): invalid YAML at line 2, column 5: key(s) ['host'] given twice" in message
    )


def test_missing_inventory_file_names_it(tmp_path: Path) -> None:
    message = _error(tmp_path, inventory="fleets/nowhere.yaml")
    assert f"{PROJECT}:edge.inventory (fleets/nowhere.yaml): no such file in the project directory" in message


def test_inventory_that_is_not_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "devices:\n  - name: a1\n    host: [unclosed\n")
    message = _error(tmp_path, inventory=FLEET)
    assert f"{PROJECT}:edge.inventory ({FLEET}): invalid YAML at line 4" in message


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("", "the file is empty; it must hold 'devices: [...]'"),
        ("- name: a1\n", "must be a YAML mapping with the single key 'devices: [...]', got a list"),
        (
            "devices: []\nshard: {by: site}\n",
            "must be a YAML mapping with the single key 'devices: [...]', got keys ['devices', 'shard']",
        ),
        ("devices: {name: a1}\n", "'devices' must be a list of devices, got dict"),
    ],
)
def test_inventory_must_be_a_devices_list(tmp_path: Path, document: str, expected: str) -> None:
    _write(tmp_path, document)
    assert f"{PROJECT}:edge.inventory ({FLEET}): {expected}" in _error(tmp_path, inventory=FLEET)


def test_empty_device_list_in_the_inventory_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, {"devices": []})
    message = _error(tmp_path, inventory=FLEET)
    assert f"{PROJECT}:edge.inventory ({FLEET}): devices: List should have at least 1 item" in message


@pytest.mark.parametrize("path", ["/etc/fleet.yaml", "/tmp/fleet.yaml"])
def test_absolute_inventory_path_is_refused(tmp_path: Path, path: str) -> None:
    message = _error(tmp_path, inventory=path)
    assert f"{PROJECT}:edge.inventory ({path}): must be relative to the project directory" in message


@pytest.mark.parametrize("path", ["../fleet.yaml", "fleets/../../fleet.yaml"])
def test_inventory_path_leaving_the_project_is_refused(tmp_path: Path, path: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    _write(tmp_path, {"devices": INLINE}, "fleet.yaml")  # exists, but outside the project
    message = _error(project, inventory=path)
    assert f"{PROJECT}:edge.inventory ({path}): must stay inside the project directory {project}" in message


def test_symlink_leading_out_of_the_project_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    outside = _write(tmp_path, {"devices": INLINE}, "fleet.yaml")
    (project / "fleet.yaml").symlink_to(outside)
    message = _error(project, inventory="fleet.yaml")
    assert f"{PROJECT}:edge.inventory (fleet.yaml): must stay inside the project directory {project}" in message


def test_inventory_that_is_not_a_string_is_a_type_error(tmp_path: Path) -> None:
    message = _error(tmp_path, inventory=["fleet.yaml"])
    assert f"{PROJECT}:edge.inventory: Input should be a valid string" in message


# --- the program, from a stack whose fleet is in an inventory file ------------------------------------------------


def _plan(edge: dict[str, Any]) -> PlanResult:
    stack = load_stack(ROOT, "edge")
    config = dict(stack.config)
    config[f"{PROJECT}:edge"] = json.dumps(edge)
    return run_program(ROOT, project=PROJECT, stack="edge", config=config, secret_keys=stack.secret_keys)


def _by_urn(plan: PlanResult) -> dict[str, Any]:
    return {res.urn: res for res in plan.resources}


@pytest.fixture(scope="module")
def inventory_plan() -> PlanResult:
    edge = {key: value for key, value in EDGE_STACK["edge"].items() if key != "devices"}
    return _plan({**edge, "inventory": FIXTURE_KEY})


def test_program_plans_the_devices_of_the_inventory(inventory_plan: PlanResult) -> None:
    fixture = yaml.safe_load(FIXTURE.read_text())["devices"]
    containers = inventory_plan.by_type("docker:index/container:Container")
    assert sorted(res.name for res in containers) == sorted(f"inference-{d['name']}-container" for d in fixture)
    assert set(inventory_plan.outputs["edgeDevices"]) == {d["name"] for d in fixture}


def test_program_plans_an_inventory_exactly_as_the_same_devices_inline(inventory_plan: PlanResult) -> None:
    edge = {key: value for key, value in EDGE_STACK["edge"].items() if key != "devices"}
    inline = _plan({**edge, "devices": yaml.safe_load(FIXTURE.read_text())["devices"]})
    assert _by_urn(inventory_plan) == _by_urn(inline)
    assert inventory_plan.outputs == inline.outputs
