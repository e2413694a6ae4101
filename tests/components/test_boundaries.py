"""The house rules between the parts, checked on the import statements themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from components.deployments import MODEL_MODULES

ROOT = Path(__file__).resolve().parents[2]
MODELS = {module.rsplit(".", 1)[1] for module in MODEL_MODULES.values()}
# Hybrid is built from the public-cloud and on-prem models, as the model itself says.
MAY_COMPOSE_MODELS = {"hybrid", "deployments"}


def _imports(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved within ``components``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = "components" + (f".{base}" if base else "")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


COMPONENT_FILES = sorted((ROOT / "components").rglob("*.py"))


@pytest.mark.parametrize("path", COMPONENT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_components_never_import_preflight_or_policies(path: Path) -> None:
    forbidden = {name for name in _imports(path) if name.split(".")[0] in {"preflight", "guardrails", "policies"}}
    assert not forbidden, forbidden


@pytest.mark.parametrize(
    "path",
    [p for p in COMPONENT_FILES if p.parent.name == "components" and p.stem not in MODELS | MAY_COMPOSE_MODELS],
    ids=lambda p: p.stem,
)
def test_shared_blocks_never_import_a_deployment_model(path: Path) -> None:
    models = {name for name in _imports(path) if name.split(".")[:2] in (["components", m] for m in MODELS)}
    assert not models, models


def test_the_program_entry_point_stays_thin() -> None:
    main = (ROOT / "__main__.py").read_text()
    assert len([line for line in main.splitlines() if line.strip() and not line.startswith("#")]) <= 12
    assert _imports(ROOT / "__main__.py") <= {
        "pulumi",
        "components.config",
        "components.config.load_config",
        "components.deployments",
        "components.deployments.deploy",
    }
