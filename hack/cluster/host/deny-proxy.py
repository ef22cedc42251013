#!/usr/bin/env python3
"""Host preparation: an HTTP(S) proxy that never connects anywhere.

minikube, run on the host, reaches for the internet on its own (an update check, the GCE metadata
server, registry lookups for images it cannot find in the local daemon). Host processes are not
forwarded traffic, so the network guard (guard.sh) does not see them. The cluster kit runs every
minikube command with HTTP(S)_PROXY pointing here: each attempt is answered 403 at once, and
recorded (time, method, target, user agent, the calling process) in the log file, so what would
have gone out is visible and nothing leaves the machine.

    deny-proxy.py [PORT] [LOGFILE]          (defaults: 3129, ./deny-proxy.log)
"""
import http.server
import os
import socketserver
import sys
import time

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 3129
LOG = sys.argv[2] if len(sys.argv) > 2 else "deny-proxy.log"


def caller(peer_port):
    """pid and command line of the local process whose TCP socket has source port `peer_port`."""
    try:
        inode = None
        for line in open("/proc/net/tcp").read().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            remote_port = int(fields[2].split(":")[1], 16)
            if local_port == peer_port and remote_port == PORT:
                inode = fields[9]
                break
        if inode:
            target = f"socket:[{inode}]"
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    for fd in os.listdir(f"/proc/{pid}/fd"):
                        if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                            command = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
                            return f"pid={pid} cmd={command.strip()[:120]}"
                except OSError:
                    pass
    except OSError:
        pass
    return "pid=?"


class Deny(http.server.BaseHTTPRequestHandler):
    def deny(self):
        with open(LOG, "a") as log:
            log.write(
                f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {self.command} {self.path} "
                f"ua={self.headers.get('User-Agent', '-')} {caller(self.client_address[1])}\n"
            )
        self.send_response(403, "Forbidden by the cluster kit's deny-proxy (nothing leaves this machine)")
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    do_CONNECT = do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = deny

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


Server(("127.0.0.1", PORT), Deny).serve_forever()
