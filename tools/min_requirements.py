"""The lowest versions pyproject.toml declares, as pip pins: what `make test-min` installs.

Each runtime dependency must have a `>=` floor; it is printed as `name==floor` (an upper bound, where
there is one, is left out: the floor is what is tested). `--also NAME...` adds those dev dependencies
as pyproject spells them (unpinned: the tests' own tools, not what veladdon promises to run on).

    python3 tools/min_requirements.py --also pytest jsonpatch > .venv-min/floors.txt
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
# name[extras] followed by a comma-separated specifier list, and an optional marker or comment
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*)")


def _name(requirement: str) -> str:
    match = _REQUIREMENT.match(requirement)
    if match is None:
        raise SystemExit(f"cannot read the requirement {requirement!r}")
    return match.group(1).lower().replace("_", "-")


def floor_pin(requirement: str) -> str:
    """`kubernetes>=29` -> `kubernetes==29` (extras and an environment marker kept); a requirement
    without a `>=` floor is an error."""
    match = _REQUIREMENT.match(requirement)
    if match is None:
        raise SystemExit(f"cannot read the requirement {requirement!r}")
    name, extras, specifiers = match.group(1), match.group(2) or "", match.group(3)
    floors = [s.strip()[2:].strip() for s in specifiers.split(",") if s.strip().startswith(">=")]
    if len(floors) != 1:
        raise SystemExit(f"{requirement!r}: a runtime dependency needs exactly one `>=` floor to test")
    marker = requirement.partition(";")[2].strip()
    return f"{name}{extras}=={floors[0]}" + (f"; {marker}" if marker else "")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--also", nargs="*", default=[], metavar="NAME", help="dev dependencies to add")
    args = parser.parse_args(argv)
    doc = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    lines = [floor_pin(r) for r in doc["project"]["dependencies"]]
    dev = {_name(r): r for r in doc["project"]["optional-dependencies"]["dev"]}
    for name in args.also:
        if name.lower() not in dev:
            raise SystemExit(f"{name} is not a dev dependency in {PYPROJECT.name}")
        lines.append(dev[name.lower()])
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
