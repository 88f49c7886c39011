"""Reading the addon's YAML and CUE files with errors that name the file and line."""

from __future__ import annotations

from typing import Any

from veladdon.addon.model import SourceFile
from veladdon.addon.yamlutil import YamlError, load_yaml
from veladdon.cue.lexer import CueSyntaxError
from veladdon.cue.source import read_header, top_level_fields, with_package
from veladdon.errors import InputError


def parse_yaml(source: SourceFile, what: str) -> Any:
    """The first YAML document of `source`; `what` prefixes the error (upstream's wording)."""
    try:
        return load_yaml(source.text)
    except YamlError as exc:
        raise InputError(
            f"{what}: invalid YAML: {exc.problem}", path=source.path, line=exc.line, col=exc.col
        ) from exc


def parse_object(source: SourceFile, what: str) -> dict[str, Any]:
    """A Kubernetes object (a mapping with `kind`)."""
    obj = parse_yaml(source, what)
    if not isinstance(obj, dict) or not obj.get("kind"):
        raise InputError(f"{what}: not a Kubernetes object (no `kind`)", path=source.path, line=1)
    return obj


def syntax_error(source: SourceFile, exc: CueSyntaxError, what: str = "CUE syntax error") -> InputError:
    return InputError(f"{what}: {exc.message}", path=source.path, line=exc.line, col=exc.col)


def imports_vela(text: str) -> bool:
    """Whether the file imports KubeVela-only packages (`vela/op`, `vela/ql`…) no plain cue resolves."""
    return any(imp.path == "vela" or imp.path.startswith("vela/") for imp in read_header(text).imports)


def nested(source: SourceFile, key: str, package: str, *, prelude: str = "") -> str:
    """The file's declarations nested under `key` (imports stay at file level); lines unchanged."""
    text = with_package(source.text, package)
    try:
        decls = [d for d in top_level_fields(text) if d.kind not in ("package", "import")]
    except CueSyntaxError as exc:
        raise syntax_error(source, exc) from exc
    start = decls[0].span.start if decls else len(text)
    return f"{text[:start]}{key}: {{{prelude}{text[start:]}\n}}\n"
