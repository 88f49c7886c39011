"""veladdon: a toolkit for KubeVela addons (render, lint, enable, package)."""

__version__ = "0.1.0"
