"""An addon folder as git knows it: what changed since a ref, and the folder as it was at a ref.

`lint --since` (the version-bump rule) and `test --since` / `test --upgrade-from` read the same history
the same way: through the `git` executable, the one every CI runner has, so shallow clones, worktrees
and `origin/main`-style refs behave as they do for the user's own git commands.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from functools import lru_cache
from pathlib import Path

from veladdon.addon.yamlutil import YamlError, load_yaml
from veladdon.errors import InputError


def _git(args: list[str], cwd: Path, flag: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
        )
    except OSError as exc:
        raise InputError(f"{flag} needs git: {exc.strerror or exc}", hint="install git") from exc


@lru_cache(maxsize=64)
def repo_root(folder: Path, flag: str = "--since") -> Path:
    proc = _git(["rev-parse", "--show-toplevel"], folder, flag)
    if proc.returncode != 0:
        raise InputError(
            f"{flag}: {folder} is not inside a git repository", hint="run veladdon from a git checkout"
        )
    return Path(proc.stdout.strip()).resolve()


def verify_ref(folder: Path, ref: str, flag: str = "--since") -> None:
    """Raise InputError (exit 2) when `ref` does not name a commit in the repository of `folder`."""
    proc = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo_root(folder, flag), flag)
    if proc.returncode != 0:
        raise InputError(
            f"{flag}: {ref!r} is not a commit in this repository", hint=f"e.g. {flag} origin/main"
        )


def _relative(root: Path, flag: str) -> tuple[Path, str]:
    top = repo_root(root.resolve(), flag)
    return top, root.resolve().relative_to(top).as_posix() or "."


def changed_files(root: Path, ref: str, flag: str = "--since") -> list[str]:
    """Files under `root` that differ from `ref`: committed, staged, unstaged or untracked."""
    top, rel = _relative(root, flag)
    diff = _git(["diff", "--name-only", ref, "--", rel], top, flag)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "--", rel], top, flag)
    if diff.returncode != 0:
        raise InputError(f"git diff {ref} failed: {diff.stderr.strip()}")
    return sorted({*diff.stdout.split(), *untracked.stdout.split()})


def version_at(root: Path, ref: str, flag: str = "--since") -> str | None:
    """metadata.yaml's version at `ref`; None when the addon did not exist there or had none."""
    top, rel = _relative(root, flag)
    proc = _git(["show", f"{ref}:{rel}/metadata.yaml"], top, flag)
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


def folder_at(root: Path, ref: str, dest: Path, flag: str = "--upgrade-from") -> Path | None:
    """The addon folder `root` as it was at `ref`, written under `dest` with the same folder name (an
    addon is installed under the name its folder and metadata.yaml agree on); its siblings too, so
    dependencies found beside it are those of `ref`. None when the folder did not exist at `ref`."""
    top, rel = _relative(root, flag)
    if rel == ".":
        raise InputError(f"{flag}: {root} is the repository itself", hint="keep each addon in a folder")
    parent = str(Path(rel).parent)
    listed = _git(["ls-tree", "--name-only", ref, "--", f"{rel}/metadata.yaml"], top, flag)
    if listed.returncode != 0 or not listed.stdout.strip():
        return None
    proc = subprocess.run(
        ["git", "archive", "--format=tar", ref, "--", parent],
        cwd=top,
        capture_output=True,
        check=False,
        timeout=120,
    )
    if proc.returncode != 0:
        raise InputError(f"git archive {ref} failed: {proc.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as archive:
        archive.extractall(dest, filter="data")
    return dest / rel
