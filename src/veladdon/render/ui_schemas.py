"""UI schemas (schemas/) → one ConfigMap each with the `ui-schema` JSON VelaUX reads (upstream §5.9)."""

from __future__ import annotations

from typing import Any

from veladdon.addon.model import Addon
from veladdon.render.files import go_json, parse_yaml


def render_schemas(addon: Addon, namespace: str) -> list[dict[str, Any]]:
    """Each file of schemas/ → ConfigMap `<file name up to its first dot>` with `ui-schema` JSON."""
    objects = []
    for source in addon.schemas:
        data = parse_yaml(source, f"render uiSchema file {source.rel}")
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": source.stem, "namespace": namespace},
                "data": {"ui-schema": go_json(data)},
            }
        )
    return objects


__all__ = ["render_schemas"]
