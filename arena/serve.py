"""`arena serve`: serve _site/ on localhost with the standard library's http.server."""
from __future__ import annotations

import argparse
import errno
import functools
import http.server
import socket
import sys

DEFAULT_HOST = "127.0.0.1"   # this machine only; `--host` opens it to others


def make_server(directory: str, port: int, host: str = DEFAULT_HOST) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(_Handler, directory=directory)
    server_class = _Server6 if ":" in host else http.server.ThreadingHTTPServer
    return server_class((host, port), handler)


class _Server6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6   # an IPv6 address such as ::1


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".svg": "image/svg+xml", ".pdf": "application/pdf"}

    def list_directory(self, path):  # no listings: a directory without index.html is not a page
        self.send_error(404, "File not found")
        return None

    def log_message(self, fmt: str, *args: object) -> None:  # quieter than the default
        if getattr(self.server, "verbose", True):
            super().log_message(fmt, *args)


def main(args: argparse.Namespace) -> int:
    from arena.project import Project, ProjectError

    try:
        site = Project.find().site
    except ProjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not (site / "index.html").exists():
        print(f"error: {site} has no index.html; run `arena build` first", file=sys.stderr)
        return 1
    port = getattr(args, "port", 8000)
    host = getattr(args, "host", None) or DEFAULT_HOST
    try:
        server = make_server(str(site), port, host)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"port {port} is in use; try --port {port + 1 if port < 65535 else port - 1}", file=sys.stderr)
        else:
            print(f"cannot listen on {host} port {port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    shown = f"[{host}]" if ":" in host else host
    print(f"Serving {site} at http://{shown}:{server.server_address[1]}/  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
