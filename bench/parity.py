"""Benchmark veladdon against the real `vela` (KubeVela v1.10.9), in one run, on the same cluster.

Not a timed test: it prints figures and ratios. Usage: `.venv/bin/python bench/parity.py [--runs N]`
(needs `make engines`: vela, vela-core, the control plane, kube-scheduler and kwok). It starts a control
plane with KubeVela's real controller and, for the example and a generated addon shaped like fluxcd (many
CRDs in resources/, several definitions and UI schemas), measures the median wall time of

* `vela addon enable DIR --dry-run` beside `veladdon render DIR` (nothing is written),
* `vela addon enable DIR` beside `veladdon enable DIR`, each from a clean cluster, both waiting until
  KubeVela reports the Application running, and
* `vela addon enable DIR && vela addon disable NAME` (a catalog CI's install check by hand) beside
  `veladdon test DIR` (its eight steps, which also wait until disable has collected everything),

with veladdon on the native cue release vela embeds (v0.9.2). Target: ratio <= 1.0 on the first two rows
(the third says what the test's extra checks cost). It also
counts the API requests of one `veladdon enable` per object applied (target <= 2).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.render import add_definitions  # noqa: E402
from tests import engines  # noqa: E402
from tests.controlplane import ControlPlane  # noqa: E402
from tests.kubeapi.fixtures import SharedControlPlane, controller_available  # noqa: E402
from tests.parity.harness import EXAMPLE, vela_cue  # noqa: E402

from veladdon.cue.evaluator import Evaluator  # noqa: E402
from veladdon.kube.cluster import Cluster  # noqa: E402
from veladdon.kube.enable import EnableOptions, enable  # noqa: E402

VELADDON = [sys.executable, "-m", "veladdon.cli"]


def fluxcd_like(folder: Path, crds: int = 12) -> Path:
    """What makes fluxcd heavy: CRDs in resources/ (YAML), a CUE template, 6 definitions, 3 schemas."""
    addon = folder / "fluxcd-like"
    (addon / "resources").mkdir(parents=True)
    (addon / "metadata.yaml").write_text("name: fluxcd-like\nversion: 1.0.0\ndescription: benchmark\n")
    (addon / "parameter.cue").write_text(
        'parameter: {\n\t//+usage=image\n\timage: *"nginx:1.27" | string\n}\n'
    )
    (addon / "template.cue").write_text(
        'output: {\n\tapiVersion: "core.oam.dev/v1beta1"\n\tkind: "Application"\n'
        '\tspec: components: [{name: "controller", type: "webservice", properties: {image: parameter.image, '
        'cpu: "10m"}}]\n}\n'
    )
    for i in range(crds):
        plural = f"benchkinds{i}"
        (addon / "resources" / f"crd-{i}.yaml").write_text(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
            f"metadata:\n  name: {plural}.bench.example.com\nspec:\n  group: bench.example.com\n"
            f"  names:\n    kind: BenchKind{i}\n    plural: {plural}\n    singular: benchkind{i}\n"
            "  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n"
            "    schema:\n      openAPIV3Schema:\n        type: object\n"
            "        x-kubernetes-preserve-unknown-fields: true\n"
        )
    add_definitions(addon)
    return addon


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
        raise SystemExit(f"bench/parity.py: {' '.join(argv[:4])} failed: {tail}")
    return elapsed


def requests_per_object(kubeconfig: Path, addon: Path, cue: str | None) -> tuple[int, int]:
    """One in-process `enable` (no wait): API requests sent, objects applied."""
    evaluator = Evaluator(cue_path=cue)
    try:
        with Cluster.connect(str(kubeconfig), None) as cluster:
            report = enable(cluster, addon, EnableOptions(wait=False), evaluator=evaluator)
            return cluster.stats.requests, len(report.outcomes)
    finally:
        evaluator.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    vela = engines.engine("vela")
    if vela is None or not controller_available():
        print(
            "bench/parity.py: vela, vela-core, kube-scheduler or kwok not built: "
            "run `make engines` (needs Go)"
        )
        return 0
    cue = vela_cue()
    print(
        f"vela {engines.KUBEVELA_VERSION} ({vela}); "
        f"veladdon on cue {engines.KUBEVELA_CUE} ({cue or 'the default evaluator'})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        addons = [EXAMPLE, fluxcd_like(tmpdir)]
        plane = ControlPlane(vela_version=engines.KUBEVELA_VERSION, controller=True).start()
        try:
            assert plane.kubeconfig is not None
            shared = SharedControlPlane(plane)
            env = {
                **os.environ,
                "KUBECONFIG": str(plane.kubeconfig),
                "VELADDON_CACHE_DIR": str(tmpdir / "cache"),
                **({"VELADDON_CUE": cue} if cue else {}),
            }
            print(f"{'addon':<16} {'what':<26} {'vela s':>8} {'veladdon s':>11} {'ratio':>6}")
            for addon in addons:
                name = addon.name
                rows = {
                    "dry run / render": (
                        [str(vela), "addon", "enable", str(addon), "--dry-run", "-y"],
                        [*VELADDON, "render", str(addon)],
                        False,
                    ),
                    "enable, until running": (
                        [str(vela), "addon", "enable", str(addon), "-y"],
                        [*VELADDON, "enable", str(addon), "-y", "--timeout", "3m"],
                        True,
                    ),
                    # What a catalog's CI does by hand, beside the eight steps of `veladdon test`
                    # (dry run, owned, idempotent, and waiting until disable has collected everything).
                    "enable+disable / test": (
                        [
                            "sh",
                            "-c",
                            f'"$0" addon enable "$1" -y && "$0" addon disable {name} -y',
                            str(vela),
                            str(addon),
                        ],
                        [*VELADDON, "test", str(addon), "--timeout", "3m"],
                        True,
                    ),
                }
                for what, (theirs, ours, writes) in rows.items():
                    samples: dict[str, list[float]] = {"vela": [], "veladdon": []}
                    for _ in range(opts.runs):
                        for tool, argv in (("vela", theirs), ("veladdon", ours)):
                            samples[tool].append(timed(argv, env))
                            if writes:
                                shared.reset()
                    v, o = statistics.median(samples["vela"]), statistics.median(samples["veladdon"])
                    print(f"{name:<16} {what:<26} {v:>8.2f} {o:>11.2f} {o / v:>6.2f}", flush=True)
                sent, objects = requests_per_object(plane.kubeconfig, addon, cue)
                shared.reset()
                print(
                    f"{name:<16} {'API requests per object':<26} {'':>8} {sent / objects:>11.2f}  "
                    f"({sent} requests, {objects} objects; target <= 2)"
                )
        finally:
            plane.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
