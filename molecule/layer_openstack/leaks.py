"""Exit 1 when any file of a run records directory holds a value (or a line of one) of a secrets file."""

import sys
from pathlib import Path

import yaml


def strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, str):
        yield value
        yield from (line.strip() for line in value.splitlines())


data = yaml.safe_load(Path(sys.argv[2]).read_text())
secrets = {s for s in strings(data) if len(s) >= 8 and "-----" not in s}
leaks = []
for path in Path(sys.argv[1]).rglob("*"):
    if path.is_file() and ".facts" not in path.parts:
        text = path.read_text(errors="replace")
        found = [s for s in secrets if s in text]
        if found:
            leaks.append(f"{path}: {len(found)} secret values")
print(f"{len(secrets)} secret values searched in the records; leaks: {len(leaks)}")
print("\n".join(leaks))
sys.exit(1 if leaks else 0)
