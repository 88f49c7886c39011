"""`make controlplane [PORT=6443] [KUBEVELA=crds|controller|none]`: a real control plane in the foreground
until SIGINT or SIGTERM. KUBEVELA=crds (the default): KubeVela's CRDs and the vela-core Deployment object;
controller: KubeVela's real controller reconciling Applications too; none: a bare control plane."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from tests import engines

from .controlplane import ControlPlane, ControlPlaneError

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make controlplane", description=__doc__)
    parser.add_argument("--port", type=int, default=6443, help="kube-apiserver's port on 127.0.0.1")
    parser.add_argument("--kubeconfig", type=Path, default=ROOT / ".controlplane.kubeconfig")
    parser.add_argument(
        "--kubevela",
        choices=("crds", "controller", "none"),
        default="crds",
        help="crds: KubeVela's CRDs and vela-core Deployment object; controller: also KubeVela's "
        "controller, built-in definitions, and Pods that become ready; none: neither",
    )
    args = parser.parse_args(argv)
    # SIGTERM stops it the way Ctrl-C does; SIGINT is set explicitly too, since a process started from a
    # non-interactive shell's background job inherits SIGINT ignored.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    kubeconfig = args.kubeconfig.resolve()
    plane = ControlPlane(
        port=args.port,
        kubeconfig=kubeconfig,
        kubevela=args.kubevela != "none",
        controller=args.kubevela == "controller",
    )
    started = False
    try:
        plane.start()
        started = True
        print(
            f"control plane ready: kube-apiserver {plane.version} at {plane.url}"
            + (f", KubeVela {engines.KUBEVELA_VERSION}'s controller running" if plane.controller else "")
            + "; "
            f"kubeconfig {kubeconfig}; data in {plane.data} (Ctrl-C stops it and removes its data)",
            flush=True,
        )
        while (why := plane.dead()) is None:
            time.sleep(0.5)
        print(f"make controlplane: {why}; stopped the rest", file=sys.stderr)
        return 1
    except ControlPlaneError as exc:
        print(f"make controlplane: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0 if started else 130
    finally:
        plane.stop()
        if started:
            kubeconfig.unlink(missing_ok=True)
            print("control plane stopped; its data is removed", file=sys.stderr)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
