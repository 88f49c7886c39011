"""Benchmark `enable` against the test suite's API emulator: wall time and API requests.

Not a timed test. Usage: `.venv/bin/python bench/cluster.py`. Enables a generated addon with 12
definitions, 3 UI schemas and 20 outputs, twice (first install, then "nothing changed"), and
prints the requests each run sent. Targets: at most one discovery round per run, and at most two
requests per applied object (plus a fixed per-run overhead that is printed separately).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.kubeapi.fixtures import KubeTarget, write_kubeconfig  # noqa: E402
from tests.kubeapi.server import KubeAPIServer  # noqa: E402

from veladdon.cue.evaluator import Evaluator  # noqa: E402
from veladdon.kube.cluster import Cluster  # noqa: E402
from veladdon.kube.enable import EnableOptions, enable  # noqa: E402


def make_addon(folder: Path, definitions: int = 12, schemas: int = 3, outputs: int = 20) -> Path:
    addon = folder / "bench-cluster"
    (addon / "definitions").mkdir(parents=True)
    (addon / "schemas").mkdir()
    (addon / "metadata.yaml").write_text("name: bench-cluster\nversion: 1.0.0\n")
    (addon / "parameter.cue").write_text('parameter: {\n\t//+usage=image\n\timage: *"nginx" | string\n}\n')
    outs = "\n".join(
        f'outputs: "cm-{i}": {{apiVersion: "v1", kind: "ConfigMap", '
        f'metadata: {{name: "bench-cm-{i}", namespace: "vela-system"}}, data: v: "{i}"}}'
        for i in range(outputs)
    )
    (addon / "template.cue").write_text(
        'output: {apiVersion: "core.oam.dev/v1beta1", kind: "Application", spec: components: [\n'
        '\t{name: "web", type: "webservice", properties: image: parameter.image}]}\n' + outs + "\n"
    )
    kinds = ["component", "trait", "policy", "workflow-step"]
    for i in range(definitions):
        kind = kinds[i % len(kinds)]
        (addon / "definitions" / f"def-{i}.cue").write_text(
            f'"bench-def-{i}": {{type: "{kind}", description: "definition {i}", attributes: {{}}}}\n'
            "template: {\n\tparameter: {replicas: *1 | int}\n}\n"
        )
    for i in range(schemas):
        (addon / "schemas" / f"component-uischema-bench-def-{i}.yaml").write_text("- jsonKey: replicas\n")
    return addon


def main() -> None:
    evaluator = Evaluator()
    print(f"evaluator: {evaluator.description}")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        os.environ["VELADDON_CACHE_DIR"] = str(tmpdir / "cache")
        addon = make_addon(tmpdir)
        server = KubeAPIServer().start()
        kubeconfig = write_kubeconfig(tmpdir / "kubeconfig", server.url, "bench")
        target = KubeTarget(kubeconfig=kubeconfig, context="bench", url=server.url, tmp=tmpdir, server=server)
        target.install_kubevela()
        try:
            for label in ("first enable", "enable again (no changes)"):
                before = len(server.requests)
                with Cluster.connect(str(kubeconfig), "bench") as cluster:
                    start = time.perf_counter()
                    report = enable(cluster, addon, EnableOptions(args={"image": "x"}), evaluator=evaluator)
                    elapsed = time.perf_counter() - start
                    stats = cluster.stats
                sent = server.requests[before:]
                objects = len(report.outcomes)
                names = {o.ref.name for o in report.outcomes}
                per_object = sum(1 for r in sent if r.path.split("?")[0].rsplit("/", 1)[-1] in names)
                print(f"\n== {label}")
                actions = ", ".join(sorted({o.action for o in report.outcomes}))
                print(f"objects applied          {objects} ({actions})")
                print(f"wall time                {elapsed:.3f} s")
                print(f"API requests             {stats.requests} (retries {stats.retries})")
                print(f"discovery rounds         {stats.discoveries}  (target <= 1)")
                print(f"requests per object      {per_object / objects:.2f}  (target <= 2)")
                print(f"per-run overhead         {stats.requests - per_object} requests")
        finally:
            server.stop()
            evaluator.close()


if __name__ == "__main__":
    main()
