"""Pulumi.yaml as the real CLI reads it: valid against the CLI's schema and in step with the config models."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from components.config import StackConfig, config_keys

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "schemas" / "pulumi-project.json"


def _project() -> dict:
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text())


def test_pulumi_yaml_validates_against_the_cli_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(_project(), schema)


def test_runtime_uses_pip_and_the_venv_the_makefile_builds() -> None:
    runtime = _project()["runtime"]
    assert runtime == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert "VENV   := venv" in (ROOT / "Makefile").read_text()


def test_declared_keys_exist_and_have_type_default_and_description() -> None:
    declared = _project()["config"]
    assert declared, "Pulumi.yaml declares no config"
    assert set(declared) <= set(config_keys())
    for key, declaration in declared.items():
        assert {"type", "default", "description"} <= set(declaration), key


def test_declared_defaults_are_the_models_defaults() -> None:
    """The CLI applies Pulumi.yaml defaults; the models must agree, or a stack means two things."""
    for key, declaration in _project()["config"].items():
        field = StackConfig.model_fields[config_keys()[key]]
        model_default = field.get_default(call_default_factory=True)
        assert json.loads(json.dumps(model_default, default=str)) == declaration["default"], key
