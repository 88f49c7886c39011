"""`veladdon init`: a new addon folder that renders and passes `veladdon lint --strict` as written.

Upstream's `vela addon init` (upstream §10) writes a template with no components; authors then had to
find out how an addon works before anything installed. This scaffold always has a component (an
example, or the Helm chart, image and URLs given as flags), a topology policy honouring an optional
`clusters` parameter, an example trait, NOTES.cue, a README with a generated parameter table and a
`ci/default-values.yaml`. The files come from Jinja2 templates shipped in `templates/`.

Nothing is left half-written: the files go into a temporary sibling folder that is renamed into place
at the end (the old folder, with `force`, is moved aside first and removed last).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from veladdon.addon.versions import is_semver
from veladdon.addon.yamlutil import dump_yaml
from veladdon.errors import InputError
from veladdon.render.params import Parameter, markdown_table, readme_block

if TYPE_CHECKING:
    from jinja2 import Environment

NAME_RE = re.compile(r"^[a-z\d]+(-[a-z\d]+)*$")
DEFAULT_VERSION = "1.0.0"


@dataclass(frozen=True)
class InitOptions:
    """What `veladdon init` was asked for; `path` defaults to `./<name>`."""

    name: str
    path: Path | None = None
    helm_repo: str | None = None
    chart: str | None = None
    chart_version: str | None = None
    image: str | None = None
    urls: tuple[str, ...] = ()
    force: bool = False

    @property
    def target(self) -> Path:
        return self.path if self.path is not None else Path(self.name)

    @property
    def helm(self) -> bool:
        return bool(self.helm_repo and self.chart)


@dataclass(frozen=True)
class ScaffoldParameter:
    """A parameter the scaffold writes: its CUE line, and the row `veladdon params` will show for it."""

    name: str
    cue: str
    usage: str
    type: str
    default: Any = None
    optional: bool = False

    def row(self) -> Parameter:
        return Parameter(
            name=self.name,
            type=self.type,
            required=False,
            optional=self.optional,
            has_default=not self.optional,
            default=self.default,
            usage=self.usage,
        )


@dataclass(frozen=True)
class Scaffold:
    """The result: where the addon is, the files written (POSIX, relative, sorted) and warnings."""

    path: Path
    files: tuple[str, ...]
    replaced: bool = False
    warnings: tuple[str, ...] = field(default=())


def check_name(name: str) -> None:
    """The addon-name rule of `vela addon init` (Kubernetes object names are made from it)."""
    if not name:
        raise InputError("addon name should not be empty")
    if not NAME_RE.match(name):
        raise InputError(
            f"invalid addon name {name!r}: addon name should only contain lowercase letters, dashes, "
            "and numbers, e.g. some-addon"
        )


def check_url(url: str, flag: str = "--url") -> None:
    """Upstream accepts only absolute URLs (a scheme and a host)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or not parts.netloc:
        raise InputError(f"{url} is not a valid url", hint=f"{flag} takes an absolute URL such as https://…")


def validate(options: InitOptions) -> None:
    """Every flag checked before anything touches the disk."""
    check_name(options.name)
    if bool(options.helm_repo) != bool(options.chart):
        raise InputError(
            "--helm-repo and --chart go together",
            hint="give both (and --chart-version to pin a version) to add a Helm chart component",
        )
    if options.chart_version and not options.helm:
        raise InputError("--chart-version needs --helm-repo and --chart")
    if options.helm_repo:
        check_url(options.helm_repo, "--helm-repo")
    for flag, value in (("--chart", options.chart), ("--chart-version", options.chart_version)):
        if value is not None and (not value or any(c.isspace() for c in value)):
            raise InputError(f"invalid {flag} {value!r}", hint=f"{flag} takes one word")
    if options.image is not None and (not options.image or any(c.isspace() for c in options.image)):
        raise InputError(f"invalid image {options.image!r}", hint="--image takes a reference like nginx:1.27")
    for url in options.urls:
        check_url(url)


def parameters(options: InitOptions) -> list[ScaffoldParameter]:
    """The parameters the scaffold declares, in order; `clusters` always, for the topology policy."""
    params: list[ScaffoldParameter] = []
    if options.helm:
        params.append(
            ScaffoldParameter(
                "values", "values: *{} | {...}", f"Helm values for the {options.chart} chart", "{...}", {}
            )
        )
    if options.image is not None:
        params.append(
            ScaffoldParameter(
                "image",
                f"image: *{_cue(options.image)} | string",
                "Container image to run",
                "string",
                options.image,
            )
        )
    if not _has_components(options):
        message = f"Hello from the {options.name} addon"
        params.append(
            ScaffoldParameter(
                "message",
                f"message: *{_cue(message)} | string",
                "Text stored in the example ConfigMap",
                "string",
                message,
            )
        )
    params.append(
        ScaffoldParameter(
            "clusters",
            "clusters?: [...string]",
            'Clusters to install the addon to, e.g. ["local","prod"]; empty or unset means every cluster',
            "[...string]",
            optional=True,
        )
    )
    return params


def _has_components(options: InitOptions) -> bool:
    return options.helm or options.image is not None or bool(options.urls)


def _cue(value: str) -> str:
    """A CUE string literal (a JSON string is one; a backslash is escaped, so `\\(` interpolates nothing)."""
    return json.dumps(value, ensure_ascii=False)


def metadata(options: InitOptions) -> dict[str, Any]:
    """Upstream's metadata.yaml: `fluxcd` as a dependency and the chart version as the addon version
    for a Helm chart (when that version is semver; `lint` requires one)."""
    meta: dict[str, Any] = {
        "description": "An addon for KubeVela.",
        "icon": "",
        "invisible": False,
        "name": options.name,
        "tags": ["my-tag"],
        "version": DEFAULT_VERSION,
    }
    if options.helm:
        meta["dependencies"] = [{"name": "fluxcd"}]
        if options.chart_version and is_semver(options.chart_version):
            meta["version"] = options.chart_version
    return meta


def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("veladdon.scaffold", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["cue"] = _cue
    return env


def files_for(options: InitOptions) -> dict[str, str]:
    """Every file of the new addon (relative POSIX path → text). Pure: nothing is written."""
    validate(options)
    env = _environment()
    name = options.name
    params = parameters(options)
    rows = [p.row() for p in params]
    context: dict[str, Any] = {
        "name": name,
        "params": params,
        "chart": options.chart,
        "chart_version": options.chart_version,
        "helm_repo": options.helm_repo,
        "repo_type": "oci" if (options.helm_repo or "").startswith("oci") else "helm",
        "urls": options.urls,
        "installs": _installs(options),
        "table_block": readme_block(markdown_table(rows)),
        "values": _values(params),
    }

    def render(template: str) -> str:
        text: str = env.get_template(template).render(context)
        return text

    files = {
        "metadata.yaml": dump_yaml(metadata(options)),
        "README.md": render("README.md.j2"),
        "parameter.cue": render("parameter.cue.j2"),
        "template.cue": render("template.cue.j2"),
        "NOTES.cue": render("NOTES.cue.j2"),
        f"definitions/{name}-labels.cue": render("definitions/trait.cue.j2"),
        "ci/default-values.yaml": render("ci/default-values.yaml.j2"),
    }
    if options.helm:
        files["resources/helm.cue"] = render("resources/helm.cue.j2")
    if options.image is not None:
        files["resources/webservice.cue"] = render("resources/webservice.cue.j2")
    if options.urls:
        files["resources/from-url.cue"] = render("resources/from-url.cue.j2")
    if not _has_components(options):
        files["resources/example.cue"] = render("resources/example.cue.j2")
    return dict(sorted(files.items()))


def _installs(options: InitOptions) -> list[str]:
    items = []
    if options.helm:
        version = f" version {options.chart_version}" if options.chart_version else ""
        items.append(
            f"the Helm chart `{options.chart}`{version} from {options.helm_repo}, through FluxCD "
            "(the `fluxcd` addon is enabled first)"
        )
    if options.image is not None:
        items.append(f"a Deployment running `{options.image}`")
    if options.urls:
        items.append("the Kubernetes objects defined at " + ", ".join(options.urls))
    if not _has_components(options):
        items.append(f"a ConfigMap `{options.name}-example` holding the `message` parameter")
    return items


def _values(params: Sequence[ScaffoldParameter]) -> str:
    values: Mapping[str, Any] = {p.name: p.default for p in params if not p.optional}
    return dump_yaml(dict(values)).rstrip("\n") if values else "{}"


def init_addon(options: InitOptions) -> Scaffold:
    """Write the new addon; raises InputError (exit 2) before writing anything on bad input."""
    files = files_for(options)
    target = options.target
    warnings: list[str] = []
    replaced = _check_target(target, options.force)
    if replaced:
        warnings.append(f"Overwriting non-empty directory {target}")
    absolute = Path(os.path.abspath(target))
    if absolute.name != options.name:
        warnings.append(
            f"the folder name {absolute.name!r} differs from the addon name {options.name!r}: a local "
            "`vela addon enable` waits on the folder name (lint rule ST02)"
        )
    if replaced and Path.cwd().resolve().is_relative_to(absolute.resolve()):
        raise InputError(
            f"cannot create addon structure: {target} holds the current directory",
            hint="run veladdon init from outside the folder you want to replace",
        )
    parent = absolute.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{absolute.name}.", suffix=".veladdon-init", dir=parent))
    except OSError as exc:
        raise _cannot_create(target, exc) from exc
    try:
        os.chmod(staging, 0o755)
        for rel, text in files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        _move_into_place(staging, absolute)
    except OSError as exc:
        raise _cannot_create(target, exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Scaffold(target, tuple(files), replaced, tuple(warnings))


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename the finished folder into place. An existing empty folder is kept (it may be someone's
    working directory) and filled; a non-empty one is moved aside, replaced, then removed, and put
    back if the rename fails."""
    if target.is_dir() and not any(target.iterdir()):
        moved: list[Path] = []
        try:
            for entry in sorted(staging.iterdir()):
                os.replace(entry, target / entry.name)
                moved.append(target / entry.name)
        except OSError:
            for path in moved:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            raise
        return
    if not target.exists():
        os.replace(staging, target)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".veladdon-old", dir=target.parent))
    try:
        os.replace(target, aside / "addon")
        try:
            os.replace(staging, target)
        except OSError:
            os.replace(aside / "addon", target)
            raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def _check_target(target: Path, force: bool) -> bool:
    """Whether an existing non-empty folder will be replaced; refuses one without `force`."""
    if not target.exists() and not target.is_symlink():
        return False
    if not target.is_dir():
        raise _cannot_create(target, None)
    try:
        empty = not any(target.iterdir())
    except OSError as exc:
        raise _cannot_create(target, exc) from exc
    if empty:
        return False
    if not force:
        raise InputError(
            f"cannot create addon structure: directory {target} is not empty",
            hint="to avoid any data loss, delete it first or use --force",
        )
    return True


def _cannot_create(target: Path, exc: OSError | None) -> InputError:
    why = f" ({exc.strerror})" if exc is not None and exc.strerror else ""
    return InputError(
        f"cannot create addon structure: we can't create directory {target}{why}",
        hint="make sure the name is not taken by a file and you may write there",
    )


__all__ = [
    "DEFAULT_VERSION",
    "NAME_RE",
    "InitOptions",
    "Scaffold",
    "ScaffoldParameter",
    "check_name",
    "check_url",
    "files_for",
    "init_addon",
    "metadata",
    "parameters",
    "validate",
]
