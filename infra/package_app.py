"""Build the code package for `az functionapp deployment source config-zip --build-remote true`.

    python3 infra/package_app.py dist/app.zip

The zip holds the project root as Flex Consumption's remote build expects it for Python
(function_app.py, host.json, requirements.txt, the packages): the files git knows about
(tracked, or new and not ignored), minus what .funcignore excludes, which is what
`func azure functionapp publish` would upload. Dependencies are not bundled: the remote
build installs requirements.txt on Linux.

Standard library only; run it with any Python 3.
"""

from __future__ import annotations

import fnmatch
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("function_app.py", "host.json", "requirements.txt")


def funcignore_patterns(root: Path) -> list[str]:
    path = root / ".funcignore"
    if not path.exists():
        return []
    lines = (ln.strip() for ln in path.read_text(encoding="utf-8").splitlines())
    return [ln for ln in lines if ln and not ln.startswith("#")]


def ignored(rel: str, patterns: list[str]) -> bool:
    """gitignore-style subset: a pattern without an inner '/' matches any path component; one
    with '/' matches from the root; a trailing '/' matches directories only; no '!'."""
    parts = rel.split("/")
    for pattern in patterns:
        if pattern.startswith("!"):
            raise ValueError(f".funcignore negation is not supported here: {pattern}")
        dir_only = pattern.endswith("/")
        body = pattern.rstrip("/")
        if "/" in body:  # anchored at the project root
            pat = body.lstrip("/")
            depth = pat.count("/") + 1
            if fnmatch.fnmatchcase("/".join(parts[:depth]), pat) and (len(parts) > depth or not dir_only):
                return True
        elif any(fnmatch.fnmatchcase(c, body) for c in (parts[:-1] if dir_only else parts)):
            return True
    return False


def project_files(root: Path) -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                         cwd=root, check=True, capture_output=True).stdout
    files = sorted({f for f in out.decode("utf-8").split("\0") if f})
    patterns = funcignore_patterns(root)
    return [f for f in files if (root / f).is_file() and not ignored(f, patterns)]


def build(target: Path, root: Path = ROOT) -> list[str]:
    files = project_files(root)
    missing = [f for f in REQUIRED if f not in files]
    if missing:
        raise SystemExit(f"not a function app project: missing {missing}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(root / f, f)
    return files


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    target = Path(argv[0]).resolve()
    files = build(target)
    print(f"{target}: {len(files)} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
