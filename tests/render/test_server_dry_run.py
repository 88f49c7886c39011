"""`veladdon render X -o yaml | kubectl apply --dry-run=server -f -` succeeds on a real API server with
KubeVela's CRDs, for the example and every fixture addon that renders: what render prints is what a
cluster accepts (issue 12)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ADDONS, EXAMPLE
from tests.engines import CueRelease
from tests.kubeapi.fixtures import KubeTarget
from veladdon.cli.main import run

Capture = pytest.CaptureFixture[str]

# Fixtures render refuses (with default parameters): each is tested for its error elsewhere.
REFUSED = {
    "definition-undeclared-parameter",
    "outputs-no-apiversion",
    "outputs-no-kind",
    "outputs-no-name",
    "package-mismatch",
    "param-errors",
    "required-param",
    "trait-unknown-spec-field",
    "typo-config-template",
    "typo-definition",
    "typo-parameter",
    "typo-resource",
}
# Renders only where CUE still has list arithmetic (before v0.11), as with KubeVela's own CUE.
NEEDS_OLD_CUE = {"list-arithmetic"}
RENDERED = [
    EXAMPLE,
    *sorted(p.parent for p in ADDONS.glob("*/metadata.yaml") if p.parent.name not in REFUSED),
]


@pytest.fixture
def server(kube: KubeTarget) -> KubeTarget:
    if kube.is_emulator:
        pytest.skip("the API emulator serves no OpenAPI schemas, so a server dry run proves nothing there")
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    kube.install_kubevela()
    return kube


def test_every_fixture_is_either_rendered_or_refused() -> None:
    names = {p.parent.name for p in ADDONS.glob("*/metadata.yaml")}
    assert names >= REFUSED


@pytest.mark.parametrize("addon", RENDERED, ids=lambda p: Path(p).name)
def test_rendered_stream_passes_a_server_dry_run(
    capsys: Capture, server: KubeTarget, addon: Path, cue_release: CueRelease
) -> None:
    if addon.name in NEEDS_OLD_CUE and cue_release.at_least("v0.11.0"):
        pytest.skip(f"{addon.name} uses list arithmetic, which CUE {cue_release.version} refuses")
    code = run(["render", str(addon), "-o", "yaml"])
    out, err = capsys.readouterr()
    assert code == 0, err
    result = subprocess.run(
        [
            *("kubectl", "--kubeconfig", str(server.kubeconfig), "--context", server.context),
            *("apply", "--dry-run=server", "-f", "-"),
        ],
        input=out,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "(server dry run)" in result.stdout
