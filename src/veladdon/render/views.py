"""VelaQL views (views/) → the objects KubeVela applies: YAML views as written, CUE views as ConfigMaps
(upstream §5.10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from veladdon.addon.model import Addon, SourceFile
from veladdon.cue.source import CueSyntaxError, declares
from veladdon.errors import InputError
from veladdon.render.files import parse_applied_object, syntax_error


def render_yaml_views(addon: Addon) -> list[dict[str, Any]]:
    """YAML views are applied as written (no namespace override, as upstream)."""
    views = []
    for source in addon.yaml_views:
        obj = parse_applied_object(source, f"render velaQL view file {source.rel}")
        views.append(obj)
    return views


def check_cue_view(source: SourceFile) -> None:
    """A CUE view must define `status` or `export` (upstream §5.10)."""
    try:
        ok = declares(source.text, "status") or declares(source.text, "export")
    except CueSyntaxError as exc:
        raise syntax_error(source, exc, "error when parsing view") from exc
    if not ok:
        raise InputError(
            "no `status` or `export` field found in view",
            path=source.path,
            hint="a VelaQL view returns its result in `status` (or `export`)",
        )


def cue_view_object(source: SourceFile, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": Path(source.rel).name.removesuffix(".cue"), "namespace": namespace},
        "data": {"template": source.text},
    }


__all__ = ["check_cue_view", "cue_view_object", "render_yaml_views"]
