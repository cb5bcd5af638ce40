"""A small HTTP proxy in front of the moto server: it counts S3 requests and can make some of them fail.

The client under test (obstore) speaks to the proxy as to any S3 endpoint;
the proxy forwards each request to moto and relays the answer. Counting at
the wire sees what the store really asks, whatever client it uses. Faults:
`fail_next(n, status)` answers the next n requests itself with an S3 error
(never forwarding them), `fail_matching(part)` every request for such a path; `hang_next(n)` holds them until the client gives up.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.browser_support import free_port

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}


def operation(method: str, target: str) -> str:
    """The S3 operation a request is, by the names boto3 gives them."""
    query = parse_qs(urlsplit(target).query, keep_blank_values=True)
    if method == "GET" and "list-type" in query:
        return "ListObjectsV2"
    if method == "GET" and ("prefix" in query or "delimiter" in query):
        return "ListObjects"
    return {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"}.get(method, method)


class S3Proxy:
    """A proxy on a free loopback port; `url` is the endpoint to give the client."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.counts: Counter[str] = Counter()
        self.requests: list[str] = []  # "METHOD target", in the order they came
        self.lock = threading.Lock()
        self.failures: list[int] = []  # statuses to answer with, one per request, instead of forwarding
        self.hangs = 0
        self.failing: dict[str, int] = {}  # a path's part -> the status every request for such a path gets
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count: int, status: int = 503) -> None:
        with self.lock:
            self.failures.extend([status] * count)

    def fail_matching(self, part: str, status: int = 503) -> None:
        """Answer every request whose path contains `part` with `status`, until `failing` is cleared."""
        with self.lock:
            self.failing[part] = status

    def hang_next(self, count: int) -> None:
        with self.lock:
            self.hangs += count

    def reset(self) -> Counter[str]:
        with self.lock:
            counts, self.counts = self.counts, Counter()
        return counts

    def _fault(self, path: str) -> int | str | None:
        with self.lock:
            for part, status in self.failing.items():
                if part in path:
                    return status
            if self.failures:
                return self.failures.pop(0)
            if self.hangs:
                self.hangs -= 1
                return "hang"
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                name = operation(self.command, self.path)
                with proxy.lock:
                    proxy.counts[name] += 1
                    proxy.requests.append(f"{self.command} {self.path}")
                fault = proxy._fault(self.path)
                if fault == "hang":
                    proxy.release.wait(120)
                    self.close_connection = True
                    return
                if isinstance(fault, int):
                    error = b"<?xml version='1.0'?><Error><Code>SlowDown</Code><Message>injected</Message></Error>"
                    self.send_response(fault)
                    self.send_header("Content-Length", str(len(error)))
                    self.end_headers()
                    self.wfile.write(error)
                    return
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                headers = {key: value for key, value in self.headers.items() if key.lower() not in HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                upstream.close()
                if name.startswith("ListObjects"):
                    with proxy.lock:
                        proxy.counts["keys listed"] += len(re.findall(rb"<Key>", data))
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

        return Handler
