"""`veladdon init`: scaffold an addon that renders and passes `veladdon lint --strict` as written.
Templates are Jinja2 files shipped as package data in `templates/`."""

from veladdon.scaffold.init import (
    InitOptions,
    Scaffold,
    check_name,
    files_for,
    init_addon,
)

__all__ = ["InitOptions", "Scaffold", "check_name", "files_for", "init_addon"]
