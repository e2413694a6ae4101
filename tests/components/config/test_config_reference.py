"""The config reference in README.md is generated from the models, and every key in it is documented."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from components.config import StackConfig, reference
from components.config.base import alias_of

ROOT = Path(__file__).resolve().parents[3]
REGENERATE = "run `python -m components.config.reference` and paste its output over the old table in README.md"


def _nested_models(annotation: object) -> Iterator[type[BaseModel]]:
    """Config models inside a field's annotation (through Optional, list, dict and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _nested_models(arg)


def _walk(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, type[BaseModel], str, FieldInfo]]:
    """``(key path, model, field name, field)`` for every field reachable from ``model``, depth first.

    Written apart from ``reference``'s own walk, so the table is checked against a second reading of the models.
    """
    for name, field in model.model_fields.items():
        # aws:region is read from the aws provider's namespace and becomes StackConfig.region.
        path = "aws:region" if model is StackConfig and name == "region" else prefix + alias_of(name)
        yield path, model, name, field
        separator = "[]." if typing.get_origin(field.annotation) is list else "."
        for nested in _nested_models(field.annotation):
            yield from _walk(nested, path + separator)


def _table_paths(rendered: str) -> list[str]:
    """The key column of every table row (rows look like ``| `key` | type | default | meaning |``)."""
    return [line.split("`")[1] for line in rendered.splitlines() if line.startswith("| `")]


def test_readme_embeds_the_rendered_reference() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme.count(reference.BEGIN) == 1 and readme.count(reference.END) == 1, (
        f"README.md needs exactly one config reference between the markers; {REGENERATE}"
    )
    start = readme.index(reference.BEGIN)
    embedded = readme[start : readme.index(reference.END) + len(reference.END)]
    assert embedded == reference.render(), f"README.md's config reference is out of date: {REGENERATE}"


def test_every_field_has_a_description() -> None:
    undocumented = sorted(
        {
            f"{model.__name__}.{name} ({path})"
            for path, model, name, field in _walk(StackConfig)
            if not field.description
        }
    )
    assert not undocumented, (
        "give these fields a one-line docstring below them (it is the 'meaning' column of the config reference): "
        + ", ".join(undocumented)
    )


def test_descriptions_fit_one_table_cell() -> None:
    # A '|' would split the Markdown row; a newline means the docstring is more than the one line the table shows.
    broken = sorted(
        path
        for path, _, _, field in _walk(StackConfig)
        if field.description and ("\n" in field.description or "|" in field.description)
    )
    assert not broken, f"descriptions must be one line without '|': {broken}"


def test_walker_reaches_fields_of_models_in_lists() -> None:
    paths = {path for path, _, _, _ in _walk(StackConfig)}
    assert {"gpuNodePools[].name", "hybrid.workloads[].name", "edge.devices[].wave"} <= paths
    assert "cluster.systemNodePool.diskSizeGib" in paths
    assert "aws:region" in paths
    assert "region" not in paths


def test_table_lists_every_key_once() -> None:
    expected = [path for path, _, _, _ in _walk(StackConfig)]
    listed = _table_paths(reference.render())
    assert sorted(listed) == sorted(expected)
    assert len(set(listed)) == len(listed)
