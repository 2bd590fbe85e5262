"""`arena serve`: serve _site/ on localhost with the standard library's http.server."""
from __future__ import annotations

import argparse
import functools
import http.server
import sys


def make_server(directory: str, port: int, host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    handler = functools.partial(_Handler, directory=directory)
    return http.server.ThreadingHTTPServer((host, port), handler)


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".svg": "image/svg+xml", ".pdf": "application/pdf"}

    def log_message(self, fmt: str, *args: object) -> None:  # quieter than the default
        if getattr(self.server, "verbose", True):
            super().log_message(fmt, *args)


def main(args: argparse.Namespace) -> int:
    from arena.project import Project

    site = Project.find().site
    if not (site / "index.html").exists():
        print(f"error: {site} has no index.html; run `arena build` first", file=sys.stderr)
        return 1
    port = int(getattr(args, "port", 8000) or 8000)
    server = make_server(str(site), port)
    print(f"Serving {site} at http://127.0.0.1:{server.server_address[1]}/  (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
