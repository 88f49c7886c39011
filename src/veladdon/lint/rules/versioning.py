"""Versioning rule: an addon whose files changed since a git ref must bump its version (the catalog's
own rule — registries serve addons by version, so an unbumped change never reaches users)."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

from veladdon.addon.versions import VersionError, parse_version
from veladdon.addon.yamlutil import YamlError, load_yaml
from veladdon.errors import InputError
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


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
        )
    except OSError as exc:
        raise InputError(f"--since needs git: {exc.strerror or exc}", hint="install git") from exc


@lru_cache(maxsize=64)
def repo_root(folder: Path) -> Path:
    proc = _git(["rev-parse", "--show-toplevel"], folder)
    if proc.returncode != 0:
        raise InputError(
            f"--since: {folder} is not inside a git repository", hint="run lint from a git checkout"
        )
    return Path(proc.stdout.strip()).resolve()


def verify_ref(folder: Path, ref: str) -> None:
    """Raise InputError (exit 2) when `ref` does not name a commit in the repository of `folder`."""
    proc = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo_root(folder))
    if proc.returncode != 0:
        raise InputError(
            f"--since: {ref!r} is not a commit in this repository", hint="e.g. --since origin/main"
        )


def changed_files(root: Path, ref: str) -> list[str]:
    top = repo_root(root)
    rel = root.relative_to(top).as_posix() or "."
    diff = _git(["diff", "--name-only", ref, "--", rel], top)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "--", rel], top)
    if diff.returncode != 0:
        raise InputError(f"git diff {ref} failed: {diff.stderr.strip()}")
    return sorted({*diff.stdout.split(), *untracked.stdout.split()})


def version_at(root: Path, ref: str) -> str | None:
    """metadata.yaml's version at `ref`; None when the addon did not exist there or had none."""
    top = repo_root(root)
    rel = root.relative_to(top).as_posix()
    proc = _git(["show", f"{ref}:{rel}/metadata.yaml"], top)
    if proc.returncode != 0:
        return None
    try:
        data = load_yaml(proc.stdout)
    except YamlError:
        return None
    if not isinstance(data, dict):
        return None
    for key, value in data.items():
        if str(key).lower() == "version" and value is not None:
            return str(value)
    return None


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
