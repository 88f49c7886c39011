"""Structure rules: the addon folder has the files `vela addon` reads, and nothing it silently skips."""

from __future__ import annotations

from pathlib import Path

from veladdon.addon.loader import classify
from veladdon.lint.context import LintContext
from veladdon.lint.model import Severity
from veladdon.lint.positions import locate
from veladdon.lint.ruleset import check, define

ST01 = define(
    "ST01",
    "structure.metadata",
    Severity.ERROR,
    "The addon folder has a readable metadata.yaml",
    """A folder is an addon only with a `metadata.yaml`; without one `vela addon enable` refuses it.
    Reported for folders that look like addons (a template.cue, template.yaml or parameter.cue) but
    have none.""",
    area="Structure",
)
ST02 = define(
    "ST02",
    "structure.folder-name",
    Severity.ERROR,
    "The folder name equals metadata.name",
    """Registries look an addon up by its folder name while installing objects under `metadata.name`,
    and a local `enable` waits on the folder name: when the two differ the wait finds nothing and
    status lookups fail. Rename the folder or the addon.""",
    area="Structure",
    needs=("addon",),
)
ST03 = define(
    "ST03",
    "structure.ignored-file",
    Severity.WARNING,
    "No file sits where the loader ignores it",
    """`vela addon` reads only known files and folders (metadata.yaml, README.md, template.cue/yaml,
    parameter.cue, NOTES.cue, resources/, definitions/, schemas/, views/, config-templates/), and in
    resources/, definitions/ and views/ only `.cue`, `.yaml` and `.yml` files. Anything else — a `.json`
    resource, a misspelt `templates.cue` — is skipped without a word, which is rarely what the author
    meant. `ci/` (values files for PA05), LICENSE, NOTICE, OWNERS and CHANGELOG.md are accepted.""",
    area="Structure",
)
ST04 = define(
    "ST04",
    "structure.readme",
    Severity.WARNING,
    "The addon has a README.md",
    """The README is what VelaUX and the catalog show users before they enable an addon: what it
    installs, its parameters, how to use it.""",
    area="Structure",
)
ST05 = define(
    "ST05",
    "structure.unreadable",
    Severity.ERROR,
    "Every file of the addon can be read as UTF-8 text",
    """The loader aborts on a file it cannot read, so the addon cannot be enabled at all.""",
    area="Structure",
)

ACCEPTED_TOP = frozenset({"LICENSE", "LICENSE.md", "LICENSE.txt", "NOTICE", "OWNERS", "CHANGELOG.md"})
ACCEPTED_DIRS = frozenset({"ci"})


def walk(root: Path) -> list[str]:
    """Every file below `root` as the loader lists them (sorted, depth first, hidden entries skipped)."""
    out: list[str] = []

    def visit(folder: Path, prefix: str) -> None:
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                visit(entry, f"{prefix}{entry.name}/")
            elif entry.is_file():
                out.append(prefix + entry.name)

    visit(root, "")
    return out


def _why_ignored(rel: str) -> str | None:
    top, _, rest = rel.partition("/")
    if not rest:
        if top in ACCEPTED_TOP:
            return None
        return (
            f"{rel} is not part of the addon format and is ignored by `vela addon` "
            "(check the name: template.cue, parameter.cue, metadata.yaml, README.md, NOTES.cue)"
        )
    if top in ACCEPTED_DIRS:
        return None
    if top == "resources":
        if Path(rel).name == "parameter.cue":
            return f"{rel} is skipped: only resources/parameter.cue is read as parameters"
        return f"{rel} is ignored: only .cue, .yaml and .yml files in resources/ are read"
    if top in ("definitions", "views"):
        return f"{rel} is ignored: only .cue, .yaml and .yml files in {top}/ are read"
    if top == "config-templates":
        return f"{rel} is ignored: only .cue files in config-templates/ are read"
    return f"{rel} is ignored: {top}/ is not a folder `vela addon` reads"


@check(ST03, ST04)
def files(ctx: LintContext) -> None:
    rels = walk(ctx.root)
    godef_reported = False
    for rel in rels:
        if classify(rel) is not None:
            continue
        if rel.startswith("godef/"):
            if not godef_reported:
                ctx.report(
                    "ST03",
                    "godef/ (Go-based definitions) is not supported by veladdon and is ignored; "
                    "`vela def gen` them into definitions/*.cue",
                    "godef",
                )
                godef_reported = True
            continue
        why = _why_ignored(rel)
        if why is not None:
            ctx.report("ST03", why, rel)
    if "README.md" not in rels and "readme.md" not in rels:
        ctx.report("ST04", "the addon has no README.md; describe what it installs and its parameters", "")


@check(ST02)
def folder_name(ctx: LintContext) -> None:
    if ctx.addon is None:
        return
    name = ctx.addon.metadata.name
    if ctx.root.name != name:
        meta = ctx.addon.metadata_file
        line = ctx.addon.metadata.lines.get("name", 1)
        pos = locate(meta.text, name, line)
        ctx.report(
            "ST02",
            f"the folder is named {ctx.root.name!r} but metadata.yaml names the addon {name!r}; "
            "registries find addons by folder name, so make them equal",
            meta,
            line,
            pos[1] if pos else None,
        )
