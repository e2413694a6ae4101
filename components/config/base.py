"""Base model shared by every config section: camelCase keys, no unknown keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ConfigModel(BaseModel):
    """Strict, immutable config section.

    ``extra="forbid"`` turns a misspelt key into an error instead of a silently
    ignored setting; ``to_camel`` aliases match the YAML keys users write. Each
    field's docstring becomes its ``description``, the "meaning" column of the
    config reference (``components.config.reference``).
    """

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        use_enum_values=False,
        validate_default=True,
        use_attribute_docstrings=True,
    )


def alias_of(field_name: str) -> str:
    """The YAML key of a field (``gpu_node_pools`` -> ``gpuNodePools``)."""
    return to_camel(field_name)
