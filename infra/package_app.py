"""Build the code package of the function app.

    python3 infra/package_app.py dist/app.zip
    python3 infra/package_app.py --ready-to-run [--verify] dist/released-package.zip

The zip holds the project root as the Functions deployment service expects it for Python
(function_app.py, host.json, requirements.txt, the packages): the files git knows about
(tracked, or new and not ignored), minus what .funcignore excludes, which is what
`func azure functionapp publish` would upload.

Two kinds, one per way the code reaches Azure:

- default: the source only, for `az functionapp deployment source config-zip --build-remote
  true` (Path A, CI's deploy job): the remote build installs requirements.txt on Linux.
- ``--ready-to-run``: the source plus its dependencies in ``.python_packages/lib/site-packages``,
  installed as wheels for the platform the app runs on (Linux x86_64, CPython 3.12:
  functionapp.bicep's runtime), whatever machine builds it. This is what the template's
  OneDeploy resource deploys with no remote build (the "Deploy to Azure" button): CI publishes it
  as the release asset ``released-package.zip``, the file name Flex Consumption requires.
  Needs pip and access to the package index.

``--verify`` then imports ``function_app`` from the built zip alone (``python -I -S``: no
site-packages of this machine, only the package's own), which proves the bundled wheels load.
It needs a Linux x86_64 CPython 3.12, like the one CI builds on.

Standard library only; run it with any Python 3 (``--ready-to-run`` uses its pip).
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import platform
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("function_app.py", "host.json", "requirements.txt")

# Where the Python worker finds a ready-to-run package's dependencies (Microsoft Learn, "Build
# your Python Azure Functions apps": local build), and what they are built for: the runtime of
# infra/modules/functionapp.bicep (tests/infra/test_code_package.py keeps the two equal). The
# manylinux2014 tag (glibc 2.17+) is the widest Linux wheel tag every dependency publishes.
SITE_PACKAGES = ".python_packages/lib/site-packages"
PYTHON_VERSION = "3.12"
WHEEL_PLATFORM = "manylinux2014_x86_64"
# What pip --target writes next to the packages that the app never imports.
NOT_DEPLOYED = ("bin/",)


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
    """The app's own files. A local .python_packages never goes in: the dependencies come from
    requirements.txt, through the remote build or --ready-to-run."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                         cwd=root, check=True, capture_output=True).stdout
    files = sorted({f for f in out.decode("utf-8").split("\0") if f})
    patterns = funcignore_patterns(root)
    return [f for f in files if (root / f).is_file() and not ignored(f, patterns)
            and not f.startswith(".python_packages/")]


def pip_install_command(requirements: Path, target: Path) -> list[str]:
    """pip installing wheels for the Azure runtime, not for this machine: --platform,
    --python-version and --implementation pick the files; --only-binary=:all: is what pip
    requires with them (and an sdist would be compiled for the wrong machine anyway)."""
    return [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
            "--target", str(target), "--platform", WHEEL_PLATFORM, "--python-version", PYTHON_VERSION,
            "--implementation", "cp", "--only-binary=:all:", "--no-compile", "-r", str(requirements)]


def _dependency_files(site: Path) -> list[tuple[Path, str]]:
    out = []
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        if path.is_file() and "__pycache__" not in rel.split("/") and not rel.startswith(NOT_DEPLOYED):
            out.append((path, f"{SITE_PACKAGES}/{rel}"))
    return out


def build(target: Path, root: Path = ROOT, ready_to_run: bool = False) -> list[str]:
    files = project_files(root)
    missing = [f for f in REQUIRED if f not in files]
    if missing:
        raise SystemExit(f"not a function app project: missing {missing}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        entries = [(root / f, f) for f in files]
        if ready_to_run:
            site = Path(tmp) / "site-packages"
            subprocess.run(pip_install_command(root / "requirements.txt", site), check=True)
            entries += _dependency_files(site)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path, name in entries:
                zf.write(path, name)
    return [name for _, name in entries]


# Run by verify() with `python -I -S` inside the unpacked package: sys.path is the standard
# library plus what the worker adds (the app root and its site-packages), nothing else.
_IMPORT_CHECK = """
import sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import function_app
print(len(function_app.app.get_functions()))
"""


def verify(package: Path) -> int:
    """Import the app from the package alone; returns how many functions it registers."""
    here = (platform.system(), platform.machine(), f"{sys.version_info[0]}.{sys.version_info[1]}")
    if here != ("Linux", "x86_64", PYTHON_VERSION):
        raise SystemExit(f"--verify needs a Linux x86_64 CPython {PYTHON_VERSION} (the Azure runtime); "
                         f"this is {' '.join(here)}")
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(package) as zf:
            zf.extractall(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        proc = subprocess.run([sys.executable, "-I", "-S", "-c", _IMPORT_CHECK, tmp, str(Path(tmp) / SITE_PACKAGES)],
                              cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise SystemExit(f"{package}: function_app does not import from the package alone:\n{proc.stderr[-4000:]}")
    return int(proc.stdout.split()[-1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("target", type=Path, help="the zip to write")
    parser.add_argument("--ready-to-run", action="store_true",
                        help=f"bundle the dependencies (Linux x86_64, CPython {PYTHON_VERSION}) in {SITE_PACKAGES}")
    parser.add_argument("--verify", action="store_true", help="import function_app from the built zip alone")
    args = parser.parse_args(argv)
    if args.verify and not args.ready_to_run:
        parser.error("--verify checks a --ready-to-run package")
    target = args.target.resolve()
    files = build(target, ready_to_run=args.ready_to_run)
    print(f"{target}: {len(files)} files, {target.stat().st_size / 1e6:.1f} MB")
    if args.verify:
        print(f"{target}: function_app imports from the package alone and registers {verify(target)} functions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
