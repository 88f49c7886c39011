"""Shared fixtures: the evaluator matrix (every CUE-evaluating test runs once per CUE release), and a
private cache folder per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import engines
from veladdon.cue import evaluator as evaluator_module
from veladdon.cue.backends import BinaryBackend, WasmWorkerBackend
from veladdon.cue.evaluator import Evaluator

pytest_plugins = ["tests.kubeapi.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
ADDONS = DATA / "addons"
EXAMPLE = ROOT / "examples" / "redis-operator"
CUE_RELEASES = engines.cue_releases()


@pytest.fixture(scope="session")
def cue_release(request: pytest.FixtureRequest) -> engines.CueRelease:
    """One CUE release of the matrix; a test that asks for it (or for `evaluator`) runs once per release."""
    release: engines.CueRelease = request.param
    return release


def _for_the_controller() -> list[engines.CueRelease]:
    """The release a test against KubeVela's real controller runs on: the one KubeVela embeds."""
    same = [r for r in CUE_RELEASES if r.cue is not None and r.version == engines.KUBEVELA_CUE]
    return same or list(CUE_RELEASES[:1])


_CONTROLLER_CUE = next((r.id for r in _for_the_controller()), None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`cue_release` is every release of the matrix; except for a test against KubeVela's real controller,
    which runs on the release KubeVela embeds: it checks the controller, and the other releases are
    checked everywhere else."""
    if "cue_release" not in metafunc.fixturenames:
        return
    chosen = list(CUE_RELEASES)
    marker = metafunc.definition.get_closest_marker
    if marker("kubevela_controller") or marker("one_cue_release"):
        chosen = _for_the_controller()
    ids = [r.id for r in chosen]
    metafunc.parametrize("cue_release", chosen, ids=ids, indirect=True, scope="session")


@pytest.fixture(scope="session")
def evaluator(cue_release: engines.CueRelease) -> Iterator[Evaluator]:
    ev = Evaluator(cue_path=cue_release.setting)
    yield ev
    ev.close()


@pytest.fixture(autouse=True)
def _cue_for_this_test(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A matrix test evaluates with its release everywhere: library calls, the in-process CLI
    (`default_evaluator()`), lint's own workers and subprocesses (`VELADDON_CUE`). Any other test that
    evaluates CUE fails: it belongs in the matrix (ask for `cue_release`)."""
    if "cue_release" in request.fixturenames:
        release: engines.CueRelease = request.getfixturevalue("cue_release")
        monkeypatch.setenv("VELADDON_CUE", release.setting)
        monkeypatch.setattr(evaluator_module, "_default", request.getfixturevalue("evaluator"))
        monkeypatch.setattr(evaluator_module, "_by_path", {})
        yield
        return
    calls: list[list[str]] = []
    for backend in (BinaryBackend, WasmWorkerBackend):
        original = backend.run

        def recording(self: Any, args: list[str], cwd: Path, _original: Any = original) -> Any:
            if args[:1] != ["version"]:  # asking a backend which release it is evaluates nothing
                calls.append(args)
            return _original(self, args, cwd)

        monkeypatch.setattr(backend, "run", recording)
    yield
    if calls:
        pytest.fail(
            f"this test ran `cue {calls[0][0]}` outside the evaluator matrix: ask for the `cue_release` "
            "fixture (or `evaluator`) so it runs once per CUE release",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own cache folder: discovery, lint and registry caches never leak between
    tests (emulators reuse ports) or into the user's ~/.cache. The engines `make engines` built stay
    visible in it."""
    cache = tmp_path_factory.mktemp("cache")
    if engines.ROOT.is_dir():
        (cache / "engines").symlink_to(engines.ROOT)
    monkeypatch.setenv("VELADDON_CACHE_DIR", str(cache))


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = ["evaluator matrix: " + (", ".join(r.id for r in CUE_RELEASES) or "none (no Node.js, no cue)")]
    missing = engines.missing_cue_releases()
    if missing:
        lines.append(
            f"  not in the matrix: cue {', '.join(missing)} (not built: run `make engines`, which needs Go)"
        )
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Records where each test runs (in its reports' user properties, which pytest-xdist's workers send
    back); keeps the tests of each shared control plane on one worker (`xdist_group`), so a parallel
    run starts each plane once; and runs a test on KubeVela's real controller once, on the CUE release
    KubeVela embeds (the other releases are checked on the other targets)."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        release = params.get("cue_release")
        if params.get("kube") == "controller" and release is not None and release.id != _CONTROLLER_CUE:
            dropped.append(item)
            continue
        kept.append(item)
        kube = params.get("kube")
        item.user_properties.append(("where", (release.id if release is not None else None, kube)))
        if kube in ("controlplane", "controller"):
            item.add_marker(pytest.mark.xdist_group(kube))
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many tests ran on each CUE release and each cluster target: the real engines, or only the
    stand-ins."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            where = dict(getattr(report, "user_properties", ()) or ()).get("where")
            if where is None or (outcome == "passed" and report.when != "call"):
                continue
            for label in where:
                if label is not None:
                    row = counts.setdefault(label, {})
                    row[outcome] = row.get(outcome, 0) + 1
    lines = [
        f"{label}: " + ", ".join(f"{counts[label][k]} {k}" for k in sorted(counts[label]))
        for label in sorted(counts)
    ]
    from tests.kubeapi.fixtures import controlplane_available  # a plugin: imported after registration

    if not controlplane_available():
        lines.append(
            "controlplane: not run (etcd, kube-apiserver and kube-controller-manager not built: "
            "`make engines`, "
            "needs Go)"
        )
    lines += [
        f"cue-{version}: not run (not built: `make engines`, needs Go)"
        for version in engines.missing_cue_releases()
    ]
    if lines:
        terminalreporter.section("where the tests ran")
        for line in lines:
            terminalreporter.write_line(line)
