#!/usr/bin/env python3
"""A second, independent implementation of the reference platform's agent endpoint (REFERENCE.md, "The agent
endpoint"), in Python's standard library, sharing no code with Trinity's agent server: the tests run it as an
unmanaged agent, so what the worker sends is checked against the contract, not against our own server.

POST /api/credentials/reload-token {"token": "...", "remove_api_key": bool} -> 200 {"status": "success", "reloaded": true};
400 on an empty token; no authentication. The token goes into this process's environment and into the override
file (created 0600, re-chmodded 0600). It is never printed.

For the test only: GET /test/received lists what each reload carried — its field names, remove_api_key and the
token's fingerprint (the first 12 hex digits of its SHA-256), never the token.
Configuration: AGENT_PORT (required), OVERRIDE_FILE (required). Binds 127.0.0.1 only.
"""
import hashlib
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OVERRIDE_FILE = os.environ["OVERRIDE_FILE"]
received = []
lock = threading.Lock()


def fingerprint(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def write_override(token):
    fd = os.open(OVERRIDE_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token)
    os.chmod(OVERRIDE_FILE, 0o600)


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            chunk = self.rfile.read(size + 2)[:size]
            if size == 0:
                return b"".join(chunks)
            chunks.append(chunk)

    def do_POST(self):
        if self.path != "/api/credentials/reload-token":
            return self.answer(404, {"detail": "Not Found"})
        try:
            body = json.loads(self.read_body() or b"{}")
        except ValueError:
            return self.answer(422, {"detail": "invalid JSON"})
        token = (body.get("token") or "").strip() if isinstance(body, dict) else ""
        if not token:
            return self.answer(400, {"detail": "Token cannot be empty"})
        remove_api_key = bool(body.get("remove_api_key", False))
        with lock:
            os.environ["CLAUDE_CODE_OAUTH_TOKEN"] = token
            if remove_api_key:
                os.environ.pop("ANTHROPIC_API_KEY", None)
            write_override(token)
            received.append({"fields": sorted(body.keys()), "remove_api_key": remove_api_key, "fingerprint": fingerprint(token)})
        self.answer(200, {"status": "success", "reloaded": True})

    def do_GET(self):
        if self.path == "/health":
            return self.answer(200, {"status": "healthy"})
        if self.path == "/test/received":
            with lock:
                return self.answer(200, list(received))
        self.answer(404, {"detail": "Not Found"})

    def log_message(self, format, *args):
        # Method, path and status only: a request line carries no token.
        print("reference-agent: %s" % (format % args), flush=True)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["AGENT_PORT"])), Handler)
    print("reference-agent: listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()
