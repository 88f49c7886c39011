"""`python -m veladdon.cli`."""

from veladdon.cli.main import entry

entry()
