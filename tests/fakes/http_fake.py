"""A small base for realistic fake web services on 127.0.0.1 (Last.fm, LRCLIB, MusicBrainz, Cover Art, Genius).

Each fake subclasses :class:`FakeService` and implements :meth:`FakeService.route`, returning a
:class:`Reply`.  The base gives every fake the same test controls:

* a request log (:attr:`FakeService.requests`, :meth:`count`, :meth:`max_requests_in`);
* fault injection (:meth:`FakeService.inject`) — HTTP errors with the service's real error bodies,
  slow answers (client timeouts), malformed bodies (truncated / empty / HTML), connection reset or
  close, for the next ``times`` matching requests;
* an optional server-side rate limit (``rate_limit`` requests per ``rate_window`` seconds) answered
  with the service's own "slow down" reply (:meth:`FakeService.rate_limited`);
* :func:`unused_port` for "offline" tests (nothing listens there: connection refused);
* optional HTTPS (``tls=True``) with a throwaway CA (:attr:`FakeService.cafile`), for clients such as
  pylast that insist on ``https://``.

Services with their own error shapes (Last.fm's ``{"error": N}`` bodies) add fault kinds of their own
through :meth:`FakeService.custom_fault` and their own request records through
:meth:`FakeService.make_request`.
"""

from __future__ import annotations

import datetime
import http
import ipaddress
import json
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = ["FakeService", "Fault", "Reply", "Request", "html_page", "json_reply", "unused_port"]


@dataclass
class Request:
    """One request as the fake saw it.  ``params`` is ``query`` plus a form-encoded POST body."""

    time: float
    monotonic: float
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int | None = None
    outcome: str = ""
    params: dict[str, str] = field(default_factory=dict)
    body: bytes = b""  # the raw request body (e.g. a JSON POST)

    def header(self, name: str, default: str = "") -> str:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return default

    @property
    def user_agent(self) -> str:
        return self.header("User-Agent")


@dataclass
class Reply:
    """What to send back. ``action`` is '', 'reset' (TCP RST), 'close' (FIN, no answer) or 'incomplete'."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    action: str = ""


def json_reply(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Reply(status, body, "application/json; charset=utf-8", dict(headers or {}))


def html_page(status: int, title: str, body: str, headers: Mapping[str, str] | None = None) -> Reply:
    page = f"<!DOCTYPE html>\n<html><head><title>{title}</title></head><body>{body}</body></html>\n"
    return Reply(status, page.encode("utf-8"), "text/html; charset=utf-8", dict(headers or {}))


def unused_port() -> int:
    """A local port nobody listens on (bind, read the number, close): requests there are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tls_server_context(tmp: Path, name: str) -> tuple[ssl.SSLContext, str]:
    """A server context for 127.0.0.1 signed by a throwaway CA (valid two days); returns it and the
    CA file a client must trust.  Needs ``cryptography`` (imported only when a fake asks for TLS)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test CA")])

    def builder(subject: x509.Name, public_key: Any) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
        )

    ca_cert = (
        builder(ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), key.public_key())
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (tmp / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (tmp / "cert.pem").write_bytes(cert.public_bytes(pem))
    (tmp / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return context, str(tmp / "ca.pem")


@dataclass
class Fault:
    """Something going wrong for the next matching request(s); build with the classmethods.

    Targeting (``path``, ``times``, ``when``) is filled in by :meth:`FakeService.inject`; ``fired``
    counts how often the fault was served.
    """

    kind: str
    reply: Reply | None = None
    seconds: float = 0.0
    then: Fault | None = None
    variant: str = ""
    path: str | None = None  # path prefix the fault applies to (None: any)
    times: int | None = 1
    when: Callable[[Request], bool] | None = None
    fired: int = 0

    @classmethod
    def status(
        cls,
        status: int,
        body: bytes | str | Mapping | list | None = None,
        *,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Answer ``status`` with ``body`` (dict/list → JSON; None → the service's own error body)."""
        if body is None:
            return cls("status", Reply(status, headers=dict(headers or {})), variant="default")
        if isinstance(body, (Mapping, list)):
            reply = json_reply(status, body, headers)
        else:
            data = body.encode("utf-8") if isinstance(body, str) else body
            reply = Reply(status, data, content_type or "text/html; charset=utf-8", dict(headers or {}))
        if content_type:
            reply.content_type = content_type
        return cls("status", reply)

    @classmethod
    def slow(cls, seconds: float, then: Fault | None = None) -> Fault:
        """Wait ``seconds`` before answering normally, or with the fault ``then`` (a client with a
        shorter timeout gives up)."""
        return cls("slow", seconds=seconds, then=then)

    @classmethod
    def malformed(cls, variant: str = "truncated") -> Fault:
        """HTTP 200 with the normal headers but a body that does not parse: truncated, empty or html."""
        if variant not in ("truncated", "empty", "html"):
            raise ValueError(f"unknown malformed variant {variant!r}")
        return cls("malformed", variant=variant)

    @classmethod
    def reset(cls) -> Fault:
        """Abort the TCP connection (RST) without any response."""
        return cls("reset")

    @classmethod
    def close(cls) -> Fault:
        """Close the connection cleanly (FIN) without any response."""
        return cls("close")

    @classmethod
    def incomplete(cls) -> Fault:
        """Announce the full Content-Length, send half the body, close."""
        return cls("incomplete")

    def matches(self, req: Request) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.path is not None and not req.path.startswith(self.path):
            return False
        return self.when is None or bool(self.when(req))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 60
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.active_lock:
            self.server.active.add(self.connection)
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def finish(self) -> None:
        with self.server.active_lock:
            self.server.active.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, verb: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = self.server.fake._handle(verb, self.path, dict(self.headers.items()), body)
            self._send(reply, verb)
        except OSError:
            self.close_connection = True

    def _send(self, reply: Reply, verb: str) -> None:
        if reply.action == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
            self.close_connection = True
            return
        if reply.action == "close":
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for k, v in {**self.server.fake.headers, **reply.headers}.items():
            self.send_header(k, v)
        if reply.action == "incomplete":
            self.send_header("Connection", "close")
        self.end_headers()
        if verb == "HEAD":
            return
        if reply.action == "incomplete":
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(reply.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    fake: FakeService

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.active: set[socket.socket] = set()
        self.active_lock = threading.Lock()

    def close_connections(self) -> None:
        with self.active_lock:
            conns, self.active = list(self.active), set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # client went away, TLS handshake refused, ...


class FakeService:
    """Base fake: subclasses implement :meth:`route` (and optionally :meth:`rate_limited`,
    :meth:`default_error`).  Use as a context manager or call :meth:`start` / :meth:`stop`."""

    name = "fake"
    #: Only requests whose path starts with this count towards ``rate_limit`` (None: all requests).
    limited_prefix: str | None = None
    #: Headers sent with every answer (a reply's own headers win).
    headers: Mapping[str, str] = {}

    def __init__(
        self, *, rate_limit: float | None = None, rate_window: float = 1.0, port: int = 0, tls: bool = False
    ) -> None:
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.tls = tls
        #: The throwaway CA certificate while a ``tls=True`` fake is running.
        self.cafile: str | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._port = port
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._faults: list[Fault] = []
        self._log: list[Request] = []
        self._recent: deque[float] = deque()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ to implement

    def route(self, req: Request) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError

    def rate_limited(self, req: Request) -> Reply:
        """The service's answer when the client goes over :attr:`rate_limit`."""
        return json_reply(429, {"error": "rate limited"}, {"Retry-After": "1"})

    def default_error(self, status: int, req: Request) -> Reply:
        """The service's own body for a bare HTTP error (used by ``Fault.status(code)``)."""
        try:
            phrase = (
                "Gateway Time-out" if status == 504 else http.HTTPStatus(status).phrase
            )  # nginx's wording
        except ValueError:
            phrase = "Error"
        return html_page(
            status,
            f"{status} {phrase}",
            f"<center><h1>{status} {phrase}</h1></center><hr><center>nginx</center>",
        )

    def make_request(
        self, verb: str, path: str, query: dict[str, str], params: dict[str, str], headers: dict[str, str]
    ) -> Request:
        """The record of one incoming request (a service may log a :class:`Request` subclass)."""
        return Request(time.time(), time.monotonic(), verb, path, query, headers, params=params)

    def custom_fault(self, fault: Fault, req: Request) -> Reply | None:
        """Serve a fault kind the base does not know (None: answer normally)."""
        raise ValueError(f"unknown fault kind {fault.kind!r}")

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Bind 127.0.0.1 (``port``, 0: ephemeral) and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _Server(("127.0.0.1", self._port))
        httpd.fake = self
        if self.tls:
            self._tmpdir = tempfile.TemporaryDirectory(prefix=f"{self.name}-tls-")
            context, self.cafile = _tls_server_context(Path(self._tmpdir.name), self.name)
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"{self.name}-server",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd.close_connections()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None
            self.cafile = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._httpd.server_address[1]

    @property
    def root(self) -> str:
        """``http(s)://127.0.0.1:PORT`` (no trailing slash)."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this server (``tls=True`` only), e.g. for ``pylast.SSL_CONTEXT``."""
        if self.cafile is None:
            raise RuntimeError(f"start a {type(self).__name__}(tls=True) first")
        return ssl.create_default_context(cafile=self.cafile)

    # ------------------------------------------------------------------ faults and log

    def inject(
        self,
        fault: Fault,
        *,
        path: str | None = None,
        times: int | None = 1,
        when: Callable[[Request], bool] | None = None,
    ) -> Fault:
        """Serve ``fault`` for the next ``times`` requests whose path starts with ``path``
        (``times=None``: until cleared).  Returns the armed fault (``fired`` counts uses)."""
        armed = replace(fault, path=path, times=times, when=when, fired=0)
        with self._lock:
            self._faults.append(armed)
        return armed

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        """Faults that can still fire."""
        with self._lock:
            return [f for f in self._faults if f.times is None or f.fired < f.times]

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._log)

    def calls(self, path: str | None = None) -> list[Request]:
        return [r for r in self.requests if path is None or r.path.startswith(path)]

    def count(self, path: str | None = None) -> int:
        return len(self.calls(path))

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def max_requests_in(self, window: float = 1.0, path: str | None = None) -> int:
        """The most requests that arrived within any half-open ``window`` seconds."""
        times = sorted(r.monotonic for r in self.calls(path))
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    def iter_requests(self) -> Iterator[Request]:
        yield from self.requests

    # ------------------------------------------------------------------ dispatch

    def _handle(self, verb: str, raw_path: str, headers: dict[str, str], body: bytes = b"") -> Reply:
        split = urlsplit(raw_path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        params = dict(query)
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if body and (not content_type or "form-urlencoded" in content_type):
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        req = self.make_request(verb, split.path, query, params, headers)
        req.body = body
        with self._lock:
            self._log.append(req)
            fault = next((f for f in self._faults if f.matches(req)), None)
            if fault is not None:
                fault.fired += 1
        reply = self._apply(fault, req) if fault is not None else None
        if reply is None:
            reply = self._limited(req) or self._route(req)
        req.status = reply.status
        req.outcome = req.outcome or ("ok" if reply.status < 400 else f"HTTP {reply.status}")
        return reply

    def _route(self, req: Request) -> Reply:
        try:
            return self.route(req)
        except Exception as exc:  # noqa: BLE001 - a fake bug must show as a 500, not hang the client
            req.outcome = f"fake raised {exc!r}"
            return self.default_error(500, req)

    def _limited(self, req: Request) -> Reply | None:
        if self.rate_limit is None or (self.limited_prefix and not req.path.startswith(self.limited_prefix)):
            return None
        with self._lock:
            while self._recent and req.monotonic - self._recent[0] >= self.rate_window:
                self._recent.popleft()
            self._recent.append(req.monotonic)
            over = len(self._recent) > self.rate_limit
        if over:
            req.outcome = "rate limited"
            return self.rate_limited(req)
        return None

    def _apply(self, fault: Fault, req: Request) -> Reply | None:
        req.outcome = f"fault {fault.kind}"
        if fault.kind == "slow":
            self._stopping.wait(fault.seconds)
            return None if fault.then is None else self._apply(fault.then, req)
        if fault.kind == "status":
            assert fault.reply is not None
            if fault.variant == "default":
                reply = self.default_error(fault.reply.status, req)
                reply.headers.update(fault.reply.headers)
                return reply
            return replace(fault.reply, headers=dict(fault.reply.headers))
        if fault.kind in ("reset", "close"):
            return Reply(0, action=fault.kind)
        if fault.kind not in ("incomplete", "malformed"):
            return self.custom_fault(fault, req)
        normal = self._route(req)
        if fault.kind == "incomplete":
            normal.action = "incomplete"
            return normal
        if fault.variant == "empty":  # malformed
            normal.body = b""
        elif fault.variant == "html":
            normal.body = html_page(200, "Error", "<h1>Something went wrong</h1>").body
        else:
            normal.body = normal.body[: max(1, len(normal.body) // 2)]
        normal.status = 200
        return normal
