"""Print the changed count of each step of the latest OpenStack deploy in a site's run records (JSON)."""

import json
import sys
from pathlib import Path

latest: dict[str, dict] = {}
for summary in sorted(Path(sys.argv[1]).glob("*/summary.json")):
    data = json.loads(summary.read_text())
    if data.get("layer") == "openstack" and data.get("step"):
        latest[data["step"]] = data
print(json.dumps({step: sum(h["changed"] for h in d["recap"].values()) for step, d in latest.items()}))
