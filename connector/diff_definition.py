"""How two connector definitions differ, as a caller would notice: every added, removed or
changed value by its JSON path, with ``required`` lists compared as sets and key order
ignored. Use it before committing a regenerated definition.

    .venv/bin/python connector/diff_definition.py OLD.json [NEW.json]   # NEW: apiDefinition.swagger.json
    git show HEAD:apiDefinition.swagger.json > /tmp/old.json && .venv/bin/python connector/diff_definition.py /tmp/old.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def diff(old: Any, new: Any, path: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(old.keys() | new.keys()):
            where = f"{path}/{key}"
            if key not in new:
                out.append(f"- {where}: {json.dumps(old[key], ensure_ascii=False)[:160]}")
            elif key not in old:
                out.append(f"+ {where}: {json.dumps(new[key], ensure_ascii=False)[:160]}")
            elif key == "required" and isinstance(old[key], list) and isinstance(new[key], list):
                gone, added = set(old[key]) - set(new[key]), set(new[key]) - set(old[key])
                out += [f"- {where}: {name}" for name in sorted(gone)] + [f"+ {where}: {name}" for name in sorted(added)]
            else:
                out += diff(old[key], new[key], where)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        if all(isinstance(x, dict) and "name" in x and "in" in x for x in old + new):  # parameters: by name
            return diff({x["name"]: x for x in old}, {x["name"]: x for x in new}, path)
        return [line for i, (a, b) in enumerate(zip(old, new)) for line in diff(a, b, f"{path}[{i}]")]
    if old != new:
        return [f"~ {path}: {json.dumps(old, ensure_ascii=False)[:120]} -> {json.dumps(new, ensure_ascii=False)[:120]}"]
    return []


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    old = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    new = json.loads(Path(argv[1] if len(argv) > 1 else ROOT / "apiDefinition.swagger.json").read_text(encoding="utf-8"))
    lines = diff(old, new)
    print("\n".join(lines) if lines else "no differences")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
