"""The site's callback route, as a real HTTP server on 127.0.0.1: it records the callbacks the worker sends.

Each callback is answered with the next of `answers` (status, CallbackResult fields), the last one for
good; by default 200 and collected true, as a site that collected the run answers.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CallbackReceiver:
    """Records (headers, raw body) of every callback received."""

    def __init__(self, answers=((200, {"collected": True}),)):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                status, result = answers[min(len(received), len(answers)) - 1]
                answer = json.dumps({"run_id": json.loads(body)["run_id"], **result}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/wp-json/atai/v1/runs/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def states(self) -> list[str]:
        """The state of every callback received, in order."""
        return [json.loads(body)["state"] for _, body in self.received]

    def wait(self, count: int, seconds: float = 30) -> None:
        """Until `count` callbacks arrived, or `seconds` passed."""
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
