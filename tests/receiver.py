"""A real HTTP webhook receiver on 127.0.0.1 for tests: it records every request and
answers as told (a status, a delay, a body), and can go down and come back on its port."""

import http.server
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.servers import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)
    method: str = "POST"


@dataclass
class Answer:
    status: int = 200
    delay: float = 0.0
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds between single bytes of the body: a receiver that answers, but barely.
    trickle: float = 0.0


class Receiver:
    def __init__(self, port: int | None = None) -> None:
        self.requests: list[Received] = []
        self._answers: list[Answer] = []
        self.default = Answer()
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self.port = port or free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/byline"

    def answer(self, *answers: Answer) -> None:
        """The next requests get these answers, in order; then `default`."""
        with self._lock:
            self._answers.extend(answers)

    def _next_answer(self) -> Answer:
        with self._lock:
            return self._answers.pop(0) if self._answers else self.default

    def start(self) -> "Receiver":
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver.requests.append(
                        Received(self.path, headers, body, method=self.command)
                    )
                answer = receiver._next_answer()
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(answer.body)))
                    self.end_headers()
                    if answer.trickle:
                        for byte in answer.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(answer.trickle)
                    else:
                        self.wfile.write(answer.body)
                except OSError:
                    pass  # the client gave up (a time-out): nothing to answer

            # A cache's purge (Varnish's `PURGE`) is recorded and answered the same way.
            do_PURGE = do_POST

            def log_message(self, *_args: object) -> None:
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        http.server.ThreadingHTTPServer.request_queue_size = 128  # as a real server's
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Go down: the port refuses connections until `start` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> list[str]:
        with self._lock:
            return [r.headers["webhook-id"] for r in self.requests]

    def wait_for(self, condition: Callable[["Receiver"], bool], timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(self):
                return True
            time.sleep(0.05)
        return condition(self)
