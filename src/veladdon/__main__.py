"""`python -m veladdon`."""

from veladdon.cli.main import entry

entry()
