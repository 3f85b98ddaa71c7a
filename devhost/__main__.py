"""``python -m devhost``: run the function app locally, like ``func start`` (Core Tools).

Works from any directory: the repo root (the parent of ``devhost/``) goes on ``sys.path`` and
becomes the working directory, as the app root is under the real host. Settings are loaded into
the environment before the app is imported, because the app reads them at import time.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devhost", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=None, help="HTTP port (default: Host.LocalHttpPort, else 7071; 0 = free)"
    )
    parser.add_argument("--app", default="function_app:app", help="module:attribute of the FunctionApp")
    parser.add_argument(
        "--settings", default="local.settings.json", help="settings file (relative to the repo root)"
    )
    parser.add_argument(
        "--azurite", choices=("auto", "no"), default="auto",
        help="auto: start/reuse Azurite when AzureWebJobsStorage is unset or UseDevelopmentStorage=true",
    )
    return parser.parse_args(argv)


def load_app(spec: str) -> object:
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute or "app")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Until serve_forever takes over SIGTERM, turn it into SystemExit so `finally` stops Azurite.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    from devhost import azurite
    from devhost.settings import STORAGE_SETTING, is_development_storage, load_local_settings, local_http_port

    settings = Path(args.settings) if Path(args.settings).is_absolute() else ROOT / args.settings
    load_local_settings(settings)
    started_azurite: azurite.Azurite | None = None
    if args.azurite == "auto" and (
        not os.environ.get(STORAGE_SETTING) or is_development_storage(os.environ.get(STORAGE_SETTING))
    ):
        started_azurite = azurite.ensure(ROOT / ".azurite")
        os.environ[STORAGE_SETTING] = started_azurite.connection_string
        logging.getLogger("devhost").info(
            "Azurite %s on ports %d/%d/%d", "started" if started_azurite.process else "reused",
            started_azurite.blob_port, started_azurite.queue_port, started_azurite.table_port,
        )
    try:
        from devhost.host import DevHost
        from devhost.validation import AppRefused

        app = load_app(args.app)
        port = args.port if args.port is not None else (local_http_port(settings) or 7071)
        try:
            host = DevHost(app, host=args.host, port=port, host_json=ROOT / "host.json")  # type: ignore[arg-type]
        except (AppRefused, ValueError) as exc:  # what Azure refuses at start (ValueError: host.json)
            print(exc, file=sys.stderr, flush=True)
            return 1
        host.start()
        print("Functions:", flush=True)
        for line in host.describe():
            print(f"  {line}", flush=True)
        print(f"devhost ready: {host.base_url}", flush=True)
        print(f"\nThe portal: open {host.base_url}/ in a browser and sign in with any email "
              "(development sign-in: devhost only). The API is under /api.\n", flush=True)
        host.serve_forever()
    finally:
        if started_azurite is not None and started_azurite.process is not None:
            started_azurite.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
