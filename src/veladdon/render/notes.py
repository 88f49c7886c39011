"""NOTES.cue (upstream §6.9) and the parameter Secret `addon-secret-<name>` (upstream §6.7)."""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping
from typing import Any

from veladdon.addon.model import Addon
from veladdon.cue.evaluator import CueFile, Evaluator
from veladdon.cue.source import CueSyntaxError, with_package
from veladdon.errors import InputError
from veladdon.render.app import context_file, parameter_cue_file, user_args
from veladdon.render.files import go_json

SECRET_KEY = "addonParameterDataKey"
MASK = "***"


def secret_name(addon_name: str) -> str:
    return f"addon-secret-{addon_name}"


def render_secret(addon: Addon, args: Mapping[str, Any], namespace: str) -> dict[str, Any] | None:
    """The Secret storing the parameters, or None when there are none (enable then deletes it)."""
    values = user_args(args)
    if not values:
        return None
    payload = go_json(values).encode("utf-8")
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret_name(addon.name), "namespace": namespace},
        "type": "Opaque",
        "data": {SECRET_KEY: base64.b64encode(payload).decode("ascii")},
    }


def mask_secret(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a Secret whose values read `***` (shown unless the user asks for the values)."""
    masked = copy.deepcopy(dict(obj))
    for key in ("data", "stringData"):
        if isinstance(masked.get(key), dict):
            masked[key] = dict.fromkeys(masked[key], MASK)
    return masked


def render_notes(
    addon: Addon, args: Mapping[str, Any], evaluator: Evaluator, *, upgrade: bool
) -> tuple[str | None, str | None]:
    """(notes, warning): failures only warn, as upstream (`fail to render notes for addon …`)."""
    source = addon.notes
    if source is None:
        return None, None
    try:
        files = [CueFile(source.rel, with_package(source.text, "main"), origin=str(source.path))]
        param = parameter_cue_file(addon, "main")
        if param is not None:
            files.append(param)
        files.append(context_file(addon, args, "main", upgrade=upgrade))
        (notes,) = evaluator.export(files, ["notes"])
    except (InputError, CueSyntaxError) as exc:  # CueError is an InputError
        return None, f"fail to render notes for addon {addon.name}: {exc}"
    if not isinstance(notes, str):
        return None, f"fail to render notes for addon {addon.name}: `notes` must be a string"
    return notes, None
