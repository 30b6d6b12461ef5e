#!/usr/bin/env python3
"""A local status-feed server for tests/scripts/provider_status.sh: never the internet.

Serves the fixtures of tests/fixtures/provider_status (written in the published formats) and the
failure cases the provider_status probe must tell apart:

  /summary.json    Statuspage v2 summary, with an ETag and Last-Modified; a request whose
                   If-None-Match matches gets 304 Not Modified (as Statuspage's CDN does)
  /unresolved.json Statuspage v2 incidents/unresolved.json, no validators (always 200)
  /azure.xml       RSS 2.0 (Azure's form); /atom.xml: Atom 1.0. Their dates are moved to today
                   (UTC), so max_age keeps them whatever day the test runs
  /malformed.xml   a document that does not parse (mismatched tags)
  /slow            sleeps --slow seconds, then serves the summary (longer than the timeout)
  /status500       500 Internal Server Error
  /big             a 200 whose Content-Length is --big bytes (over max_bytes), then the body
  /control?path=P&file=F  serves fixture F at path P from now on (a feed that changes)
  /control?path=P&status=N answers N (e.g. 500) at path P from now on (a feed that breaks)

Every request is logged to --log as one JSON line: path, status, if_none_match.
Usage: feed_server.py PORT --fixtures DIR --log FILE [--slow S] [--big N]
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTES = {
    "/summary.json": ("statuspage_summary.json", "application/json", True),
    "/unresolved.json": ("statuspage_unresolved.json", "application/json", False),
    "/azure.xml": ("azure_rss.xml", "application/rss+xml", True),
    "/atom.xml": ("status_atom.xml", "application/atom+xml", True),
    "/malformed.xml": ("malformed.xml", "application/rss+xml", False),
}
FAILING = {}  # path -> the status it answers instead of its fixture (/control?status=)
LOCK = threading.Lock()


def today_dates(text):
    """The fixtures were written on 2026-12-01: their items move to today, same hour."""
    now = datetime.datetime.now(datetime.timezone.utc)
    text = text.replace("Tue, 01 Dec 2026", now.strftime("%a, %d %b %Y"))
    return re.sub(r"2026-12-01T", now.strftime("%Y-%m-%dT"), text)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # the JSON log is ours; stderr stays quiet
        pass

    def record(self, status):
        line = json.dumps({"path": self.path.split("?")[0], "status": status,
                           "if_none_match": self.headers.get("If-None-Match"),
                           "if_modified_since": self.headers.get("If-Modified-Since")})
        with LOCK, open(self.server.args.log, "a") as f:
            f.write(line + "\n")

    def send(self, status, body=b"", ctype="text/plain", extra=None, length=None):
        self.record(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Connection", "close")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a client that refused the body hangs up: that is the point

    def serve_fixture(self, name, ctype, validators):
        with open(os.path.join(self.server.args.fixtures, name), encoding="utf-8") as f:
            body = today_dates(f.read()).encode()
        extra = {}
        if validators:
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            extra = {"ETag": etag, "Last-Modified": "Tue, 01 Dec 2026 07:12:00 GMT"}
            if self.headers.get("If-None-Match") == etag:
                self.record(304)
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                return
        self.send(200, body, ctype, extra)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        args = self.server.args
        if url.path == "/control":
            q = urllib.parse.parse_qs(url.query)
            path = q["path"][0]
            if "status" in q:
                FAILING[path] = int(q["status"][0])
            else:
                name = q["file"][0]
                FAILING.pop(path, None)
                old = ROUTES.get(path, (name, "application/json", True))
                ROUTES[path] = (name, old[1], old[2])
            self.send(200, b"ok")
        elif url.path in FAILING:
            self.send(FAILING[url.path], b"failing on purpose")
        elif url.path in ROUTES:
            self.serve_fixture(*ROUTES[url.path])
        elif url.path == "/slow":
            time.sleep(args.slow)
            self.serve_fixture(*ROUTES["/summary.json"])
        elif url.path == "/status500":
            self.send(500, b"internal error")
        elif url.path == "/big":
            self.send(200, b"{" + b" " * (args.big - 2) + b"}", "application/json")
        else:
            self.send(404, b"not found")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--fixtures", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--slow", type=float, default=5.0)
    p.add_argument("--big", type=int, default=1 << 20)
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.args = args
    print(f"feed server on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
