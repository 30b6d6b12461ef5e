#!/usr/bin/env python3
"""Holds many idle and slowloris sockets to a local HTTP port, re-opening each one the server
closes, until SECONDS have passed or STOP_FILE exists. Loopback only. Prints what it did.

usage: socket_flood.py PORT IDLE SLOW SECONDS STOP_FILE
  IDLE: sockets that connect and send nothing
  SLOW: sockets that send a request one byte per second and never finish it
"""
import errno
import os
import resource
import selectors
import socket
import sys
import time

port, idle_count, slow_count, seconds, stop_file = (
    int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])

# Enough descriptors for every socket (the default soft limit is often 1024).
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = idle_count + slow_count + 256
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

SLOW_REQUEST = b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 4000
sel = selectors.DefaultSelector()
opened = closed_by_server = failed = 0


def open_one(kind):
    """Opens a socket of `kind` ("idle" or "slow"); False when the kernel refuses."""
    global opened, failed
    s = socket.socket()
    s.setblocking(False)
    err = s.connect_ex(("127.0.0.1", port))
    if err not in (0, errno.EINPROGRESS):
        s.close()
        failed += 1
        return False
    sel.register(s, selectors.EVENT_READ, {"kind": kind, "sent": 0})
    opened += 1
    return True


for _ in range(idle_count):
    open_one("idle")
for _ in range(slow_count):
    open_one("slow")

print(f"socket_flood: holding {len(sel.get_map())} sockets", flush=True)
deadline = time.time() + seconds
next_trickle = time.time() + 1.0
while time.time() < deadline and not os.path.exists(stop_file):
    for key, _ in sel.select(timeout=0.1):
        s, data = key.fileobj, key.data
        try:
            chunk = s.recv(4096)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            chunk = b""
        if chunk:
            continue  # e.g. a 503 or 408 before the close: read on until the close
        sel.unregister(s)
        s.close()
        closed_by_server += 1
        open_one(data["kind"])  # re-opened at once, as an attacker would
    if time.time() >= next_trickle:
        next_trickle = time.time() + 1.0
        for key in list(sel.get_map().values()):
            data = key.data
            if data["kind"] == "slow" and data["sent"] < len(SLOW_REQUEST):
                try:
                    key.fileobj.send(SLOW_REQUEST[data["sent"]:data["sent"] + 1])
                    data["sent"] += 1
                except OSError:
                    pass  # closed: the select loop notices and re-opens it

print(f"socket_flood: opened {opened}, closed by the server {closed_by_server}, "
      f"connect failures {failed}, open at the end {len(sel.get_map())}", flush=True)
