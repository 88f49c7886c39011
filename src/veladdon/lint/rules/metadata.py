"""Metadata rules: metadata.yaml says what upstream expects, in forms upstream can parse."""

from __future__ import annotations

import difflib
import re

from veladdon.addon.versions import Constraint, VersionError, is_semver
from veladdon.lint.context import LintContext
from veladdon.lint.model import Severity
from veladdon.lint.positions import locate
from veladdon.lint.rules.structure import ST01, ST05
from veladdon.lint.ruleset import check, define

MD01 = define(
    "MD01",
    "metadata.invalid",
    Severity.ERROR,
    "metadata.yaml is valid YAML with fields of the right types",
    """`vela addon` decodes metadata.yaml strictly enough that a syntax error or a field of the wrong
    type (a list where a string belongs) makes the addon unusable. When metadata.yaml cannot be read
    the rules that need the loaded addon are skipped until it is fixed.""",
    area="Metadata",
)
MD02 = define(
    "MD02",
    "metadata.name",
    Severity.ERROR,
    "name is set and matches ^[a-z\\d]+(-[a-z\\d]+)*$",
    """The name becomes part of Kubernetes object names (`addon-<name>`, `addon-secret-<name>`) and
    labels, so it must be lower-case letters and digits separated by single hyphens — the pattern
    `vela addon init` enforces.""",
    area="Metadata",
)
MD03 = define(
    "MD03",
    "metadata.version",
    Severity.ERROR,
    "version is set and can be a Kubernetes label value",
    """`vela addon enable` refuses an addon without a version, and sets the version as the
    `addons.oam.dev/version` label of every object it creates, so the API server refuses one that is
    not a label value (at most 63 letters, digits, `-`, `_`, `.`; `1.0.0+build` is not one).""",
    area="Metadata",
)
MD08 = define(
    "MD08",
    "metadata.version-semver",
    Severity.WARNING,
    "version is a semantic version",
    """Render and enable accept any version, as upstream does (`validateAddonPackage` only requires one),
    but registries sort and choose versions by semver, dependency constraints are checked against it,
    and `package` refuses a version that is not one (a Helm chart's version must be SemVer 2).
    `1.2.3` and `v1.2.3` are accepted; `v1beta2-1.3.8` is not.""",
    area="Metadata",
    needs=("addon",),
)
MD04 = define(
    "MD04",
    "metadata.system",
    Severity.ERROR,
    "system.vela and system.kubernetes are valid version constraints",
    """`enable` checks the cluster against these constraints (Masterminds semver syntax, e.g.
    `>=1.5.0`, `>=v1.24 <1.30`); one that does not parse makes the check fail for every user.""",
    area="Metadata",
    needs=("addon",),
)
MD05 = define(
    "MD05",
    "metadata.dependencies",
    Severity.ERROR,
    "Each dependency has a name and a valid version constraint",
    """Dependencies are installed by name before the addon; their `version` is a semver constraint that
    must parse (it may be empty: any version).""",
    area="Metadata",
    needs=("addon",),
)
MD06 = define(
    "MD06",
    "metadata.unknown-key",
    Severity.WARNING,
    "metadata.yaml has no unknown keys",
    """Unknown keys are silently dropped by `vela addon` (Go JSON decoding), so a misspelt key
    (`dependancies`, `systemRequirements`) quietly has no effect.""",
    area="Metadata",
    needs=("addon",),
)
MD07 = define(
    "MD07",
    "metadata.ineffective-key",
    Severity.WARNING,
    "No key is set that upstream ignores in this addon",
    """`deployTo` only attaches a topology policy to addons with `template.yaml` or no template: beside
    a `template.cue` it does nothing (write the topology policy in the template). `deployTo` without
    `runtimeCluster: true` does nothing either, and `deployTo.disableControlPlane` is never read.""",
    area="Metadata",
    needs=("addon",),
)

NAME_RE = re.compile(r"^[a-z\d]+(-[a-z\d]+)*$")
KNOWN = [
    "name",
    "version",
    "description",
    "icon",
    "url",
    "tags",
    "uxPlugins",
    "deployTo",
    "dependencies",
    "needNamespace",
    "invisible",
    "system",
    "annotations",
]


def parse_constraint(text: str) -> str | None:
    """None when `text` parses as KubeVela parses constraints (every `v` becomes a blank), else why not."""
    try:
        Constraint.parse(text.replace("v", " "))
    except VersionError as exc:
        return exc.message
    return None


@check(MD02)
def name(ctx: LintContext) -> None:
    if ctx.addon is None:
        return
    meta = ctx.addon.metadata
    if not NAME_RE.match(meta.name):
        line = meta.lines.get("name", 1)
        pos = locate(ctx.addon.metadata_file.text, meta.name, line)
        ctx.report(
            "MD02",
            f"name {meta.name!r} must be lower-case letters and digits separated by single hyphens "
            "(^[a-z\\d]+(-[a-z\\d]+)*$)",
            ctx.addon.metadata_file,
            line,
            pos[1] if pos else None,
        )


@check(MD08)
def semver(ctx: LintContext) -> None:
    if ctx.addon is None:
        return
    meta = ctx.addon.metadata
    if is_semver(meta.version):
        return
    source = ctx.addon.metadata_file
    line = meta.lines.get("version", 1)
    pos = locate(source.text, meta.version, line)
    ctx.report(
        "MD08",
        f"version {meta.version!r} is not a semantic version: render and enable accept it, but "
        "registries cannot order it and `veladdon package` refuses it; use e.g. 1.0.0",
        source,
        line,
        pos[1] if pos else None,
    )


@check(MD04, MD05)
def constraints(ctx: LintContext) -> None:
    if ctx.addon is None:
        return
    meta = ctx.addon.metadata
    source = ctx.addon.metadata_file
    if meta.system is not None:
        start = meta.lines.get("system", 1)
        for key, value in (("vela", meta.system.vela), ("kubernetes", meta.system.kubernetes)):
            if value and (why := parse_constraint(value)) is not None:
                pos = locate(source.text, value, start) or (start, None)
                ctx.report("MD04", f"system.{key} {value!r} is not a version constraint: {why}", source, *pos)
    start = meta.lines.get("dependencies", 1)
    for dep in meta.dependencies:
        found = locate(source.text, dep.name, start) if dep.name else None
        line, col = found if found else (start, None)
        if not dep.name:
            ctx.report("MD05", "a dependency has no name", source, start)
            continue
        if dep.version and (why := parse_constraint(dep.version)) is not None:
            vfound = locate(source.text, dep.version, line)
            vline, vcol = vfound if vfound else (line, col)
            message = f"dependency {dep.name!r}: version {dep.version!r} is not a constraint: {why}"
            ctx.report("MD05", message, source, vline, vcol)


@check(MD06, MD07)
def keys(ctx: LintContext) -> None:
    if ctx.addon is None:
        return
    meta = ctx.addon.metadata
    source = ctx.addon.metadata_file
    for key in meta.unknown_keys:
        close = difflib.get_close_matches(key, KNOWN, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(KNOWN)}"
        ctx.report(
            "MD06", f"unknown key {key!r} is ignored by vela addon{hint}", source, meta.lines.get(key, 1), 1
        )
    deploy = meta.deploy_to
    if deploy is None:
        return
    line = meta.lines.get("deployTo", 1)
    if ctx.addon.template_cue is not None:
        ctx.report(
            "MD07",
            "deployTo has no effect beside template.cue (upstream attaches its topology policy only to "
            "template.yaml or template-less addons); write a topology policy in template.cue instead",
            source,
            line,
            1,
        )
    elif not deploy.to_runtime_clusters:
        ctx.report("MD07", "deployTo without `runtimeCluster: true` has no effect", source, line, 1)
    if deploy.disable_control_plane:
        pos = locate(source.text, "disableControlPlane", line) or (line, 1)
        ctx.report("MD07", "deployTo.disableControlPlane is never read by vela addon", source, *pos)


@check(MD01, MD02, MD03, ST01, ST05)
def load_error(ctx: LintContext) -> None:
    """The loader's own error, as a finding of the rule it breaks (the loader stops at the first)."""
    exc = ctx.load_error
    if exc is None:
        return
    path = exc.path or ""
    if not (ctx.root / "metadata.yaml").is_file():
        ctx.report(
            "ST01", "no metadata.yaml: this folder looks like an addon but cannot be loaded as one", ""
        )
    elif path.endswith("metadata.yaml"):
        if "`version`" in exc.message or "version of the addon" in exc.message:
            rule = "MD03"
        elif "name of the addon" in exc.message:
            rule = "MD02"
        else:
            rule = "MD01"
        ctx.report_error(rule, exc)
    else:
        ctx.report_error("ST05", exc)
