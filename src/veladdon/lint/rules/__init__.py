"""The rules, one module per area; importing this package registers all of them (documentation order)."""

from veladdon.lint.rules import (  # noqa: F401
    definitions,
    metadata,
    parameters,
    portability,
    resources,
    structure,
    template,
    versioning,
)
