"""Stack files read into the flat config the language host gets."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from preflight.stackfile import SECRET_PLACEHOLDER, StackError, list_stacks, load_stack

CIPHERTEXT = "v1:Zm9vYmFyYmF6:c2VjcmV0LWNpcGhlcnRleHQtbmV2ZXItc2hvd24="
NESTED_CIPHERTEXT = "v1:bmVzdGVk:bmVzdGVkLWNpcGhlcnRleHQ="

PROJECT_YAML = """\
name: demo
runtime: python
config:
  deploymentModel:
    type: string
    default: public-cloud
  replicas:
    type: integer
    default: 2
  allowedRegions:
    type: array
    items:
      type: string
    default: []
  aws:region: us-west-2
"""


def write_project(root: Path, stacks: dict[str, str], project_yaml: str = PROJECT_YAML) -> Path:
    (root / "Pulumi.yaml").write_text(project_yaml)
    for name, text in stacks.items():
        (root / f"Pulumi.{name}.yaml").write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(
        tmp_path,
        {
            "dev": """\
                config:
                  demo:deploymentModel: edge
                  network:
                    cidr: 10.0.0.0/16
                    azCount: 2
                  demo:enabled: true
                  demo:released: 2024-07-01
                """,
            "prod": f"""\
                config:
                  aws:region: us-east-2
                  demo:kubeconfig:
                    secure: {CIPHERTEXT}
                  demo:registry:
                    server: ghcr.io
                    auth:
                      secure: {NESTED_CIPHERTEXT}
                """,
        },
    )


def test_plain_string_value_is_passed_as_is(project: Path) -> None:
    stack = load_stack(project, "dev")
    assert stack.config["demo:deploymentModel"] == "edge"


def test_key_without_namespace_belongs_to_the_project(project: Path) -> None:
    stack = load_stack(project, "dev")
    assert json.loads(stack.config["demo:network"]) == {"cidr": "10.0.0.0/16", "azCount": 2}


def test_boolean_is_passed_as_its_text(project: Path) -> None:
    assert load_stack(project, "dev").config["demo:enabled"] == "true"


def test_date_like_value_stays_text(project: Path) -> None:
    assert load_stack(project, "dev").config["demo:released"] == "2024-07-01"


def test_project_defaults_fill_missing_keys(project: Path) -> None:
    config = load_stack(project, "dev").config
    assert config["demo:replicas"] == "2"
    assert config["demo:allowedRegions"] == "[]"
    assert config["aws:region"] == "us-west-2"


def test_stack_value_overrides_project_default(project: Path) -> None:
    assert load_stack(project, "prod").config["aws:region"] == "us-east-2"


def test_secure_value_is_replaced_by_the_placeholder(project: Path) -> None:
    stack = load_stack(project, "prod")
    assert stack.config["demo:kubeconfig"] == SECRET_PLACEHOLDER
    assert "demo:kubeconfig" in stack.secret_keys


def test_nested_secure_value_is_replaced_and_its_key_is_secret(project: Path) -> None:
    stack = load_stack(project, "prod")
    assert json.loads(stack.config["demo:registry"]) == {"server": "ghcr.io", "auth": SECRET_PLACEHOLDER}
    assert stack.secret_keys == ["demo:kubeconfig", "demo:registry"]


def test_ciphertext_never_reaches_the_config(project: Path) -> None:
    stack = load_stack(project, "prod")
    text = json.dumps(stack.config) + repr(stack)
    assert CIPHERTEXT not in text
    assert NESTED_CIPHERTEXT not in text


def test_unknown_stack_names_the_stacks_that_exist(project: Path) -> None:
    with pytest.raises(StackError, match=r"unknown stack 'staging'.*stacks that exist: dev, prod"):
        load_stack(project, "staging")


def test_stack_name_cannot_reach_outside_the_project(project: Path) -> None:
    with pytest.raises(StackError, match="unknown stack"):
        load_stack(project, "../dev")


def test_list_stacks(project: Path) -> None:
    assert list_stacks(project) == ["dev", "prod"]


def test_broken_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    write_project(tmp_path, {"dev": "config:\n  demo:network: {cidr: [\n"})
    with pytest.raises(StackError, match=r"Pulumi\.dev\.yaml: invalid YAML at line \d+"):
        load_stack(tmp_path, "dev")


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    write_project(tmp_path, {"dev": "config:\n  demo:a: 1\n  demo:a: 2\n"})
    with pytest.raises(StackError, match="duplicate key 'demo:a'"):
        load_stack(tmp_path, "dev")


def test_key_set_with_and_without_namespace_is_an_error(tmp_path: Path) -> None:
    write_project(tmp_path, {"dev": "config:\n  demo:a: 1\n  a: 2\n"})
    with pytest.raises(StackError, match="'demo:a' is set twice"):
        load_stack(tmp_path, "dev")


def test_value_of_the_wrong_declared_type_is_an_error(tmp_path: Path) -> None:
    write_project(tmp_path, {"dev": "config:\n  demo:replicas: three\n"})
    with pytest.raises(StackError, match="'demo:replicas' must be of type integer"):
        load_stack(tmp_path, "dev")


def test_integer_as_text_passes_the_declared_type(tmp_path: Path) -> None:
    write_project(tmp_path, {"dev": "config:\n  demo:replicas: '3'\n"})
    assert load_stack(tmp_path, "dev").config["demo:replicas"] == "3"


def test_object_for_a_declared_string_is_an_error(tmp_path: Path) -> None:
    write_project(tmp_path, {"dev": "config:\n  demo:deploymentModel: {a: 1}\n"})
    with pytest.raises(StackError, match="'demo:deploymentModel' must be of type string"):
        load_stack(tmp_path, "dev")


def test_config_that_is_not_a_mapping_is_an_error(tmp_path: Path) -> None:
    write_project(tmp_path, {"dev": "config: [a, b]\n"})
    with pytest.raises(StackError, match="'config' must be a mapping"):
        load_stack(tmp_path, "dev")


def test_missing_project_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StackError, match=r"no Pulumi\.yaml"):
        load_stack(tmp_path, "dev")


def test_program_defaults_to_main_py_in_the_project(project: Path) -> None:
    assert load_stack(project, "dev").program == project / "__main__.py"


def test_program_follows_main_in_pulumi_yaml(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    write_project(tmp_path, {"dev": "config: {}\n"}, PROJECT_YAML + "main: src/\n")
    assert load_stack(tmp_path, "dev").program == tmp_path / "src" / "__main__.py"


def test_stack_files_in_stack_config_dir(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    write_project(tmp_path, {}, PROJECT_YAML + "stackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.qa.yaml").write_text("config:\n  demo:deploymentModel: onprem\n")
    assert load_stack(tmp_path, "qa").config["demo:deploymentModel"] == "onprem"
