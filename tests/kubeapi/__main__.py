"""`python -m tests.kubeapi --port N`: the emulator in the foreground on 127.0.0.1:N."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path

from .fixtures import KubeTarget, write_kubeconfig
from .server import KubeAPIServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.kubeapi", description=__doc__)
    parser.add_argument("--port", type=int, default=8001, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--kubeconfig", type=Path, help="also write a kubeconfig for the emulator here")
    parser.add_argument(
        "--with-kubevela",
        metavar="VERSION",
        nargs="?",
        const="v1.9.0",
        help="install KubeVela's CRDs and a vela-core Deployment (default version v1.9.0)",
    )
    args = parser.parse_args(argv)
    server = KubeAPIServer(port=args.port).start()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(f"Kubernetes API emulator listening on {server.url}", flush=True)
    if args.kubeconfig:
        write_kubeconfig(args.kubeconfig, server.url, "kubeapi-emulator")
        print(f"kubeconfig written to {args.kubeconfig} (context kubeapi-emulator)", flush=True)
    if args.with_kubevela:
        with tempfile.TemporaryDirectory() as tmp:
            config = write_kubeconfig(Path(tmp) / "kubeconfig", server.url, "kubeapi-emulator")
            target = KubeTarget(
                kubeconfig=config, context="kubeapi-emulator", url=server.url, tmp=Path(tmp), server=server
            )
            target.install_kubevela(args.with_kubevela)
        print(f"KubeVela {args.with_kubevela} CRDs and vela-core Deployment installed", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
