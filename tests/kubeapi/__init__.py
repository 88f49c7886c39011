"""A small Kubernetes API server emulator for veladdon's tests (never shipped in the wheel).

See docs/testing.md for what it emulates, its known gaps, and how the same tests run on a real cluster.
"""

from .server import Fault, KubeAPIServer, RequestRecord

__all__ = ["Fault", "KubeAPIServer", "RequestRecord"]
