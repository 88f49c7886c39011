"""Benchmark `veladdon lint` over a generated catalog, beside the bare `cue export` calls it needs.

Not a timed test: it prints figures and ratios. Usage: `.venv/bin/python bench/lint.py [--addons 60]
[--jobs N]`.

* corpus  = N addons shaped like the catalog's: parameter.cue with `+usage` comments, template.cue,
            3–16 resource files (YAML objects and `package main` CUE components), 0–8 CUE definitions,
            a README; deterministic (seeded).
* bare    = one `cue export` of each addon's template package, run sequentially, as bench/render.py
            measures it: with a native `cue` the binary, with the WASM build a fresh Node process per
            call (what a shell script or a CI step calling `cue` pays). Divided by the job count it is
            the least a parallel tool could pay for the exports alone.
* cold    = `veladdon lint CORPUS --jobs N` with an empty result cache (every rule, every CUE call).
* warm    = the same run again, nothing changed (every addon answered from the cache).

Targets (issue 5): cold ≤ 1.5 × bare / jobs; warm ≤ 2 s for 60 addons.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from veladdon.addon.loader import load_addon  # noqa: E402
from veladdon.cue.backends import BinaryBackend, WasmWorkerBackend, discover  # noqa: E402
from veladdon.render.app import RenderOptions, _evaluation  # noqa: E402

VELADDON = [sys.executable, "-m", "veladdon.cli"]

YAML_KINDS = ("configmap", "service", "serviceaccount", "deployment")


def _yaml_resource(name: str, kind: str) -> str:
    if kind == "configmap":
        meta = f"metadata:\n  name: {name}\n  namespace: vela-system\n"
        return f"apiVersion: v1\nkind: ConfigMap\n{meta}data:\n  a: b\n"
    if kind == "service":
        return (
            f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: vela-system\nspec:\n"
            f"  selector:\n    app: {name}\n  ports:\n    - port: 80\n      targetPort: 8080\n"
        )
    if kind == "serviceaccount":
        return f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: vela-system\n"
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: vela-system\nspec:\n"
        f"  replicas: 1\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n"
        f"      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: main\n"
        f"          image: nginx:1.25\n          ports:\n            - containerPort: 8080\n"
    )


def _cue_component(index: int) -> str:
    return (
        'package main\n\nimport "strings"\n\n'
        f'comp{index}: {{\n\tname: "comp-{index}"\n\ttype: "webservice"\n\tproperties: {{\n'
        "\t\timage: parameter.image\n\t\treplicas: parameter.replicas\n"
        '\t\tenv: [for k in ["a", "b", "c"] {name: strings.ToUpper(k), '
        f'value: "{index}-\\(k)"}}]\n\t}}\n}}\n'
    )


def _definition(name: str, kind: str) -> str:
    if kind == "trait":
        return (
            f'"{name}": {{\n\ttype: "trait"\n\tdescription: "Trait {name}."\n'
            '\tattributes: {\n\t\tappliesToWorkloads: ["deployments.apps"]\n'
            "\t\tpodDisruptive: false\n\t}\n}\n\n"
            "template: {\n\tpatch: metadata: labels: (parameter.key): parameter.value\n"
            '\tparameter: {\n\t\t//+usage=Label key\n\t\tkey: *"app" | string\n'
            "\t\t//+usage=Label value\n\t\tvalue: *context.name | string\n\t}\n}\n"
        )
    return (
        f'"{name}": {{\n\ttype: "component"\n\tdescription: "Component {name}."\n'
        '\tattributes: workload: definition: {apiVersion: "apps/v1", kind: "Deployment"}\n}\n\n'
        'template: {\n\toutput: {\n\t\tapiVersion: "apps/v1"\n\t\tkind: "Deployment"\n'
        "\t\tmetadata: name: context.name\n"
        "\t\tspec: {\n\t\t\tselector: matchLabels: app: context.name\n"
        "\t\t\ttemplate: {\n\t\t\t\tmetadata: labels: app: context.name\n"
        "\t\t\t\tspec: containers: [{name: context.name, image: parameter.image}]\n\t\t\t}\n\t\t}\n\t}\n"
        "\tparameter: {\n\t\t//+usage=Image\n\t\timage: string\n\t}\n}\n"
    )


def make_corpus(folder: Path, count: int, seed: int = 5) -> list[Path]:
    rng = random.Random(seed)
    addons = []
    for n in range(count):
        name = f"bench-addon-{n:02d}"
        addon = folder / ("addons" if n % 3 else "experimental/addons") / name
        (addon / "resources").mkdir(parents=True)
        resources = rng.randint(3, 16)
        definitions = rng.randint(0, 8)
        cue_count = rng.randint(1, max(1, resources // 2))
        (addon / "metadata.yaml").write_text(
            f"name: {name}\nversion: 1.{n}.0\ndescription: benchmark addon {n}\n"
            'system:\n  vela: ">=1.6.0"\n  kubernetes: ">=1.26"\n'
        )
        (addon / "README.md").write_text(f"# {name}\n\nA generated addon.\n")
        (addon / "parameter.cue").write_text(
            "parameter: {\n"
            '\t//+usage=Image\n\timage: *"nginx:1.25" | string\n'
            "\t//+usage=Replicas\n\treplicas: *2 | int\n"
            "\t//+usage=Clusters\n\tclusters?: [...string]\n}\n"
        )
        comps = ", ".join(f"comp{i}" for i in range(cue_count))
        (addon / "template.cue").write_text(
            "package main\n\n"
            'output: {\n\tapiVersion: "core.oam.dev/v1beta1"\n\tkind: "Application"\n'
            f"\tspec: components: [{comps}]\n"
            '\tspec: policies: [{type: "topology", name: "t", properties: {\n'
            "\t\tif parameter.clusters != _|_ {clusters: parameter.clusters}\n"
            "\t\tif parameter.clusters == _|_ {clusterLabelSelector: {}}\n\t}}]\n}\n"
            'outputs: extra: {apiVersion: "v1", kind: "ConfigMap", '
            f'metadata: {{name: "{name}-extra", namespace: "vela-system"}}, data: image: parameter.image}}\n'
        )
        for i in range(cue_count):
            (addon / "resources" / f"comp{i}.cue").write_text(_cue_component(i))
        for i in range(resources - cue_count):
            kind = YAML_KINDS[rng.randrange(len(YAML_KINDS))]
            (addon / "resources" / f"{kind}-{i}.yaml").write_text(_yaml_resource(f"{name}-{kind}-{i}", kind))
        if definitions:
            (addon / "definitions").mkdir()
        for i in range(definitions):
            kind = "trait" if i % 2 else "component"
            (addon / "definitions" / f"{kind}-{n}-{i}.cue").write_text(_definition(f"{kind}-{n}-{i}", kind))
        addons.append(addon)
    return addons


def export_args(addon_dir: Path, evaldir: Path) -> list[str]:
    plan = _evaluation(load_addon(addon_dir), RenderOptions())
    for f in plan.files:
        (evaldir / f.name).parent.mkdir(parents=True, exist_ok=True)
        (evaldir / f.name).write_text(f.text)
    args = ["export", *(f.name for f in plan.files)]
    for expr in plan.expressions:
        args += ["-e", expr]
    return [*args, "--out", "json"]


def bare_exports(addons: list[Path], tmp: Path) -> float:
    backend = discover()
    total = 0.0
    for index, addon in enumerate(addons):
        evaldir = tmp / f"eval{index}"
        args = export_args(addon, evaldir)
        if isinstance(backend, BinaryBackend):
            cmd, stdin = [backend.path, *args], None
        elif isinstance(backend, WasmWorkerBackend):
            worker = [backend.node, str(ROOT / "src/veladdon/cue/worker.js"), str(backend.build_dir)]
            cmd, stdin = worker, json.dumps({"id": 1, "args": args, "cwd": str(evaldir)}) + "\n"
        else:  # pragma: no cover
            raise SystemExit("unknown backend")
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=evaldir, input=stdin, capture_output=True, text=True, check=False)
        total += time.perf_counter() - start
        if proc.returncode != 0 or (stdin and '"code":0' not in proc.stdout.replace(" ", "")):
            raise SystemExit(f"bare export failed for {addon}: {proc.stderr or proc.stdout}")
    return total


def lint_run(corpus: Path, jobs: int, cache: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "VELADDON_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    proc = subprocess.run(
        [*VELADDON, "lint", str(corpus), "--jobs", str(jobs), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"veladdon lint failed ({proc.returncode}): {proc.stderr}")
    return elapsed, proc


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--addons", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    opts = parser.parse_args()

    print(f"evaluator: {discover().description}")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        corpus = tmpdir / "catalog"
        addons = make_corpus(corpus, opts.addons)
        files = sum(1 for a in addons for p in a.rglob("*") if p.is_file())
        defs = sum(
            len(list((a / "definitions").glob("*.cue"))) for a in addons if (a / "definitions").is_dir()
        )
        print(f"corpus: {len(addons)} addons, {files} files, {defs} CUE definitions; jobs={opts.jobs}")

        cache = tmpdir / "cache"
        t_cold, cold = lint_run(corpus, opts.jobs, cache)
        t_warm, warm = lint_run(corpus, opts.jobs, cache)
        if cold.stdout != warm.stdout:
            raise SystemExit("warm run differs from cold run")
        summary = json.loads(cold.stdout)["summary"]
        t_bare = bare_exports(addons, tmpdir)

    per_job = t_bare / opts.jobs
    n = len(addons)
    print(f"findings: {summary}")
    print(f"bare cue export x{n}      {t_bare:7.2f} s sequential, {per_job:6.2f} s / {opts.jobs} jobs")
    print(f"veladdon lint cold      {t_cold:7.2f} s  {n / t_cold:6.1f} addons/s")
    print(f"veladdon lint warm      {t_warm:7.2f} s  {n / t_warm:6.1f} addons/s")
    print(f"ratio cold/(bare/jobs)  {t_cold / per_job:7.2f}  (target <= 1.5)")
    print(f"warm                    {t_warm:7.2f} s  (target <= 2 s for 60 addons)")


if __name__ == "__main__":
    main()
