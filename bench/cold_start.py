"""Cold start: import-and-index time of function_app vs a bare `import azure.functions`.

Each sample is a fresh interpreter (as a new worker would be). The app's own cost is what
it adds on top of the SDK the worker loads anyway; heavy SDKs (storage, twilio, pydantic
settings) must be imported lazily so the ratio stays <= 1.25.

    .venv/bin/python bench/cold_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BARE = """
import time; t = time.perf_counter()
import azure.functions
print(time.perf_counter() - t)
"""
APP = """
import time; t = time.perf_counter()
import function_app
function_app.app.get_functions()
print(time.perf_counter() - t)
"""


def sample(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    bare, app = [], []
    for _ in range(args.runs):  # interleave so machine noise hits both alike
        bare.append(sample(BARE))
        app.append(sample(APP))
    b, a = statistics.median(bare), statistics.median(app)
    print(f"import azure.functions         median {b * 1000:7.1f} ms  (n={args.runs})")
    print(f"import+index function_app      median {a * 1000:7.1f} ms  (n={args.runs})")
    print(f"ratio                          {a / b:.3f}  (goal <= 1.25)")


if __name__ == "__main__":
    main()
