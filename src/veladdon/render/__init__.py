"""Rendering: Addon + parameters → every object `vela addon enable` would create. Pure and offline."""

from __future__ import annotations

from veladdon.addon.model import Addon
from veladdon.cue.evaluator import Evaluator
from veladdon.render.app import RenderOptions, RenderResult, render_application


def render_addon(addon: Addon, options: RenderOptions | None = None, *, evaluator: Evaluator) -> RenderResult:
    """The full render: the Application, its outputs and (later) definitions, schemas, views, notes."""
    return render_application(addon, options, evaluator=evaluator)


__all__ = ["RenderOptions", "RenderResult", "render_addon"]
