"""Serve the built book on this machine only, as a static host would:

    python tools/serve.py [_build/html] [--port 8000]

The live demos need HTTP (browsers load no ES modules from file://) and the right content types:
`.mjs` as JavaScript (or the module is refused) and `.wasm` as application/wasm (or the runtime
cannot compile it while it downloads). Python's own table lacks one or both on some systems.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
from pathlib import Path

TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
         ".onnx": "application/octet-stream", ".json": "application/json"}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}


class QuietHandler(Handler):
    def log_message(self, *args):
        pass


def start(root: Path, port: int = 0, quiet: bool = True) -> http.server.ThreadingHTTPServer:
    """Serve `root` on 127.0.0.1:`port` (0: any free port) from a background thread; call
    .shutdown() on the result to stop."""
    handler = functools.partial(QuietHandler if quiet else Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("html", nargs="?", type=Path, default=Path("_build/html"))
    ap.add_argument("--port", type=int, default=8000)
    args = ap.parse_args(argv)
    if not (args.html / "index.html").exists():
        print(f"{args.html} has no index.html: build the site first (make book)", file=sys.stderr)
        return 2
    handler = functools.partial(Handler, directory=str(args.html))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    except OSError as e:
        print(f"cannot listen on 127.0.0.1:{args.port} ({e.strerror}): choose another port with --port "
              f"(make serve PORT=8001)", file=sys.stderr)
        return 2
    print(f"serving {args.html} at http://127.0.0.1:{args.port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
