#!/usr/bin/env python3
"""A webhook receiver for the demo and tests: prints each Alertmanager-style (v4) notification
it receives as one readable line per alert, and optionally appends the raw JSON to a file.

    webhook_receiver.py PORT [--log FILE] [--stamp]

--stamp prefixes each logged JSON line with the unix time it was received and a space
(`1764147600.123 {...}`), for latency measurements (bench/run-alert-latency).
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    log_file = None
    stamp = False

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(min(length, 1 << 20))
        received = time.time()  # before the reply: the sender's latency ends here
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        if Handler.log_file:
            with open(Handler.log_file, "a", encoding="utf-8") as f:
                prefix = f"{received:.3f} " if Handler.stamp else ""
                f.write(prefix + body.decode("utf-8", "replace") + "\n")
        try:
            payload = json.loads(body)
        except ValueError:
            print(f"webhook: {len(body)} bytes that are not JSON", flush=True)
            return
        for alert in payload.get("alerts", []):
            labels = alert.get("labels", {})
            summary = alert.get("annotations", {}).get("summary", "")
            print(f"webhook: [{alert.get('status', '?').upper()}] {labels.get('alertname')} "
                  f"({labels.get('severity')}) {summary}", flush=True)

    def log_message(self, *args):  # one line per alert above is enough
        pass


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if "--log" in sys.argv:
        Handler.log_file = sys.argv[sys.argv.index("--log") + 1]
    Handler.stamp = "--stamp" in sys.argv
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()


if __name__ == "__main__":
    main()
