"""The JUnit XML schema CI systems read (Jenkins' junit-10.xsd), for checking `veladdon test --junit`.

It is not committed: it comes from a registry, as the engines do. pytest validates its own `--junitxml`
against this schema and ships it in its source distribution (`testing/example_scripts/junit-10.xsd`),
so the schema is taken from the sdist of the pytest release installed here, downloaded once with pip
into the cache beside the engines.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path

from tools.engines import build

MEMBER = "testing/example_scripts/junit-10.xsd"
# Read at import, before the suite points VELADDON_CACHE_DIR at each test's own folder.
CACHE = build.cache_root().parent / "schemas"


def junit_schema() -> Path:
    """The schema's path; downloads the pytest sdist the first time (RuntimeError if pip cannot)."""
    release = version("pytest")
    target = CACHE / f"junit-10-pytest-{release}.xsd"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             "--dest", tmp, f"pytest=={release}"],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        sdists = list(Path(tmp).glob("pytest-*.tar.gz"))
        if proc.returncode != 0 or not sdists:
            raise RuntimeError(
                f"pip download pytest=={release} --no-binary :all: failed: {proc.stderr.strip()}"
            )
        with tarfile.open(sdists[0]) as archive:
            member = archive.extractfile(f"{sdists[0].name.removesuffix('.tar.gz')}/{MEMBER}")
            if member is None:
                raise RuntimeError(f"the pytest {release} sdist has no {MEMBER}")
            staged = target.with_suffix(".tmp")
            staged.write_bytes(member.read())
            staged.rename(target)
    return target
