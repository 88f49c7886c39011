"""Versioning rule: an addon whose files changed since a git ref must bump its version (the catalog's
own rule — registries serve addons by version, so an unbumped change never reaches users)."""

from __future__ import annotations

from veladdon.addon.git import changed_files, version_at
from veladdon.addon.versions import VersionError, parse_version
from veladdon.lint.context import LintContext
from veladdon.lint.model import Severity
from veladdon.lint.ruleset import check, define
from veladdon.wording import plural

VB01 = define(
    "VB01",
    "version.bump",
    Severity.ERROR,
    "An addon changed since --since REF has a higher version than at REF",
    """Only checked with `--since REF` (e.g. `--since origin/main` in a pull request): when any file of
    the addon differs from REF (committed, staged, unstaged or untracked) its `metadata.yaml` version
    must be greater than the version at REF. New addons pass. Never cached: it depends on git, not
    only on the files.""",
    area="Versioning",
    needs=("addon", "git"),
)


@check(VB01)
def version_bump(ctx: LintContext) -> None:
    ref = ctx.options.since
    if ref is None or ctx.addon is None:
        return
    changed = changed_files(ctx.root, ref)
    if not changed:
        return
    before = version_at(ctx.root, ref)
    if before is None:
        return
    now = ctx.addon.metadata.version
    try:
        bumped = parse_version(now.removeprefix("v")) > parse_version(before.removeprefix("v"))
    except VersionError:
        return  # MD03 reports a bad version now; a bad one at REF cannot be judged
    if not bumped:
        line = ctx.addon.metadata.lines.get("version", 1)
        ctx.report(
            "VB01",
            f"{plural(len(changed), 'file')} changed since {ref} but version is still {now} (was {before} at "
            f"{ref}); bump it",
            ctx.addon.metadata_file,
            line,
            1,
        )
