"""`make engines`: build the real engines veladdon is tested on, from the Go module proxy.

Each engine is one `go build` of a command inside a build module of the project's own
(`tools/engines/<module>/go.mod` and `go.sum`, committed, so builds are pinned). The version comes from
that go.mod, nowhere else. Binaries go to `$VELADDON_CACHE_DIR/engines/<name>-<version>/` (default
`~/.cache/veladdon/engines/`), one folder per name and version, each with a stamp recording the binary's
SHA-256 and the build module it came from: a second run checks the stamps and builds nothing; a binary
that does not match its stamp (truncated, corrupted, or from another build module) is rebuilt. A build
is written to a temporary folder and moved into place only when it succeeded, so a failure never leaves
half an engine behind.

Prints one line per engine, `NAME VERSION PATH`. Without Go it says so in one line and exits 0.
Standard library only: it runs before the project's virtualenv exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAMP = "engine.json"


@dataclass(frozen=True)
class Engine:
    name: str  # the engine as users know it; with the version, its cache folder
    module_dir: str  # the build module under tools/engines/
    module: str  # the upstream module whose version the go.mod pins
    package: str  # the command to build
    binary: str  # the file (or, for `files`, the folder) inside the cache folder
    ldflags: tuple[str, ...] = ()  # with {version}, {major}, {minor} filled in
    files: bool = False  # not a command: a folder of the module copied out of the module cache

    def aliases(self) -> set[str]:
        """What `make engines NAME` may call it: its name, name-version, or its build module."""
        return {self.name, f"{self.name}-{self.version()}", self.module_dir}

    def version(self) -> str:
        return pinned_version(HERE / self.module_dir / "go.mod", self.module)


# kube-apiserver's /version must say the real release, or KubeVela-style `system.kubernetes` checks
# are silently skipped (`v0.0.0-master`).
_KUBE_LDFLAGS = (
    "-X k8s.io/component-base/version.gitVersion={version}",
    "-X k8s.io/component-base/version.gitMajor={major}",
    "-X k8s.io/component-base/version.gitMinor={minor}",
    "-X k8s.io/component-base/version.gitTreeState=clean",
    "-X k8s.io/client-go/pkg/version.gitVersion={version}",
    "-X k8s.io/client-go/pkg/version.gitMajor={major}",
    "-X k8s.io/client-go/pkg/version.gitMinor={minor}",
)

# Without it `helm version` says v3 with no patch level, and `helm package` stamps no version.
_HELM_LDFLAGS = ("-X helm.sh/helm/v3/internal/version.version={version}",)

# Without it `vela version` says UNKNOWN and `system.vela` requirements are skipped.
_VELA_LDFLAGS = (
    "-X github.com/oam-dev/kubevela/version.VelaVersion={version}",
    "-X github.com/oam-dev/kubevela/version.GitRevision={version}",
)

ENGINES = (
    Engine("cue", "cue-v0.9.2", "cuelang.org/go", "cuelang.org/go/cmd/cue", "cue"),
    Engine("cue", "cue-v0.14.1", "cuelang.org/go", "cuelang.org/go/cmd/cue", "cue"),
    Engine("cue", "cue-v0.17.1", "cuelang.org/go", "cuelang.org/go/cmd/cue", "cue"),
    Engine("etcd", "etcd", "go.etcd.io/etcd/server/v3", "go.etcd.io/etcd/server/v3", "etcd"),
    Engine(
        "kube-apiserver",
        "kubernetes",
        "k8s.io/kubernetes",
        "k8s.io/kubernetes/cmd/kube-apiserver",
        "kube-apiserver",
        _KUBE_LDFLAGS,
    ),
    Engine(
        "kube-controller-manager",
        "kubernetes",
        "k8s.io/kubernetes",
        "k8s.io/kubernetes/cmd/kube-controller-manager",
        "kube-controller-manager",
        _KUBE_LDFLAGS,
    ),
    # Pods for KubeVela's controller to wait on: a scheduler, and kwok's fake nodes that run nothing
    # but report every Pod bound to them as running and ready.
    Engine(
        "kube-scheduler",
        "kubernetes",
        "k8s.io/kubernetes",
        "k8s.io/kubernetes/cmd/kube-scheduler",
        "kube-scheduler",
        _KUBE_LDFLAGS,
    ),
    Engine("kwok", "kwok", "sigs.k8s.io/kwok", "sigs.k8s.io/kwok/cmd/kwok", "kwok"),
    # kwok's stage definitions (how a fake node and its Pods move through their phases): data from the
    # module, as kwokctl embeds them.
    Engine("kwok-stages", "kwok", "sigs.k8s.io/kwok", "kustomize/stage", "stages", files=True),
    # Helm's CLI: registries made by the real tools (`helm package`, `helm repo index`) for the registry
    # tests, beside veladdon's own package and index writers.
    Engine("helm", "helm", "helm.sh/helm/v3", "helm.sh/helm/v3/cmd/helm", "helm", _HELM_LDFLAGS),
    # KubeVela itself, the oracle veladdon is held to: the CLI and the controller.
    Engine(
        "vela",
        "kubevela",
        "github.com/oam-dev/kubevela",
        "github.com/oam-dev/kubevela/references/cmd/cli",
        "vela",
        _VELA_LDFLAGS,
    ),
    Engine(
        "vela-core",
        "kubevela",
        "github.com/oam-dev/kubevela",
        "github.com/oam-dev/kubevela/cmd/core",
        "vela-core",
        _VELA_LDFLAGS,
    ),
    # KubeVela's own CRDs, for the control plane: data from the KubeVela module, nothing compiled.
    Engine(
        "kubevela-crds",
        "kubevela",
        "github.com/oam-dev/kubevela",
        "charts/vela-core/crds",
        "crds",
        files=True,
    ),
    # Its built-in definitions (webservice, k8s-objects, topology, deploy, ...) as the Helm chart
    # installs them: Helm templates whose only template expression is the definition namespace.
    Engine(
        "kubevela-definitions",
        "kubevela",
        "github.com/oam-dev/kubevela",
        "charts/vela-core/templates/defwithtemplate",
        "definitions",
        files=True,
    ),
)


# What `make engines NAME` accepts besides an engine's own name: its build module.
GROUPS = "cue, etcd, kubernetes, kwok, helm, kubevela"


class BuildFailed(Exception):
    pass


def cache_root() -> Path:
    """The same rule as veladdon.paths.cache_dir("engines")."""
    explicit = os.environ.get("VELADDON_CACHE_DIR")
    if explicit:
        return Path(explicit) / "engines"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "veladdon" / "engines"


def pinned_version(gomod: Path, module: str) -> str:
    """The version of `module` a build module's go.mod requires."""
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", gomod.read_text(), re.M)
    if match is None:
        raise BuildFailed(f"{gomod} does not require {module}")
    return match.group(1)


def folder(engine: Engine, root: Path | None = None) -> Path:
    return (root or cache_root()) / f"{engine.name}-{engine.version()}"


def module_digest(engine: Engine) -> str:
    """What the build depends on besides Go itself: the build module's go.mod and go.sum."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((HERE / engine.module_dir / name).read_bytes())
    digest.update(" ".join(engine.ldflags).encode())
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (names and contents, sorted)."""
    digest = hashlib.sha256()
    for item in sorted(path.rglob("*")) if path.is_dir() else [path]:
        if item.is_file():
            digest.update(str(item.relative_to(path)).encode() if item != path else b"")
            with item.open("rb") as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


def size(path: Path) -> int:
    return (
        sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        if path.is_dir()
        else path.stat().st_size
    )


def installed(engine: Engine, root: Path | None = None) -> Path | None:
    """The engine's binary when its stamp vouches for it, else None."""
    where = folder(engine, root)
    binary = where / engine.binary
    try:
        stamp = json.loads((where / STAMP).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("module") != module_digest(engine):
        return None
    try:
        if size(binary) != stamp.get("size") or file_digest(binary) != stamp.get("sha256"):
            return None
    except OSError:
        return None
    return binary if engine.files or os.access(binary, os.X_OK) else None


def build(engine: Engine, go: str, root: Path | None = None) -> Path:
    """Build one engine into the cache; raises BuildFailed with the first error line."""
    version = engine.version()
    target = folder(engine, root)
    target.parent.mkdir(parents=True, exist_ok=True)
    major, minor = ([*version.lstrip("v").split("."), "0"])[:2]
    ldflags = " ".join(f.format(version=version, major=major, minor=minor) for f in engine.ldflags)
    env = {
        **os.environ,
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
        "GOFLAGS": "-mod=readonly -buildvcs=false",
    }
    with tempfile.TemporaryDirectory(prefix=f".{engine.name}-", dir=target.parent) as tmp:
        staging = Path(tmp) / "engine"
        staging.mkdir()
        binary = staging / engine.binary
        if engine.files:
            cmd = [go, "mod", "download", "-json", f"{engine.module}@{version}"]
        else:
            cmd = [go, "build", "-trimpath", "-ldflags", f"-s -w {ldflags}".strip(), "-o", str(binary)]
            cmd.append(engine.package)
        proc = subprocess.run(
            cmd, cwd=HERE / engine.module_dir, env=env, capture_output=True, text=True, check=False
        )
        if proc.returncode == 0 and engine.files:
            source = Path(json.loads(proc.stdout)["Dir"]) / engine.package
            shutil.copytree(source, binary)
            for item in binary.rglob("*"):
                item.chmod(0o755 if item.is_dir() else 0o644)  # the module cache is read-only
        if proc.returncode != 0 or not binary.exists():
            # The first line that says something: not download progress, not `# package` headers.
            lines = [
                ln.strip()
                for ln in proc.stderr.splitlines()
                if ln.strip() and not ln.startswith(("go: downloading", "# "))
            ]
            first = lines[0] if lines else f"go exited with code {proc.returncode}"
            raise BuildFailed(
                f"building {engine.name} {version} (module {_shown(HERE / engine.module_dir)}, "
                f"{engine.package}) failed: {first}"
            )
        stamp = {
            "name": engine.name,
            "version": version,
            "package": engine.package,
            "module": module_digest(engine),
            "size": size(binary),
            "sha256": file_digest(binary),
        }
        (staging / STAMP).write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    return target / engine.binary


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(HERE.parent.parent))
    except ValueError:
        return str(path)


def select(names: list[str]) -> list[Engine]:
    """The engines `names` ask for (all when none): `cue`, `cue-v0.14.1`, `kubernetes` (its two
    commands), `kube-apiserver`, `kubevela` (vela, vela-core and the CRDs), ..."""
    if not names:
        return list(ENGINES)
    known = set().union(*(e.aliases() for e in ENGINES))
    unknown = sorted(set(names) - known)
    if unknown:
        raise SystemExit(
            f"make engines: unknown engine {unknown[0]!r}; known: {GROUPS}, or one engine's name"
        )
    return [e for e in ENGINES if e.aliases() & set(names)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make engines", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"{GROUPS}, or one engine's name (default: all)")
    parser.add_argument("--list", action="store_true", help="print what is installed; build nothing")
    args = parser.parse_args(argv)
    engines = select(args.names)
    go = shutil.which("go")
    if args.list:
        for engine in engines:
            path = installed(engine)
            print(f"{engine.name} {engine.version()} {path if path else '(not built)'}")
        return 0
    if go is None:
        print(
            "make engines: no Go toolchain (go is not on PATH): built nothing; veladdon evaluates CUE with "
            "its WebAssembly build and the tests use the API emulator"
        )
        return 0
    lines = []
    for engine in engines:
        path = installed(engine)
        if path is None:
            print(f"make engines: building {engine.name} {engine.version()} ...", file=sys.stderr, flush=True)
            try:
                path = build(engine, go)
            except BuildFailed as exc:
                print(f"make engines: {exc}", file=sys.stderr)
                return 1
        lines.append(f"{engine.name} {engine.version()} {path}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("make engines: interrupted; nothing half-built was left in the cache", file=sys.stderr)
        sys.exit(130)
