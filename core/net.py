"""One HTTP client for every service: User-Agent, timeouts, rate limit, retries with backoff.

Services differ in what their errors mean; each provider passes a ``classify`` hook that turns a
response into ``None`` (fine) or a ``ServiceError`` subclass. Transient errors (timeouts, 5xx, 429,
connection trouble) are retried with exponential backoff; after the last attempt they surface as
``Transient``/``Offline`` so callers can leave work pending instead of marking it missing.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from core.jobs import CancelToken

log = logging.getLogger(__name__)
USER_AGENT = "Segue/0.1 (+https://github.com/segue-app/segue; desktop listening companion)"


class ServiceError(Exception):
    """A service said no. ``retry`` tells whether trying later may help."""

    retry = False

    def __init__(self, message: str, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class Transient(ServiceError):
    """Try again later (5xx, timeouts, 'temporarily unavailable' codes)."""

    retry = True


class RateLimited(Transient):
    """The service asked us to slow down; ``wait_s`` is how long to pause."""

    def __init__(self, message: str, wait_s: float, status: int | None = None, code: int | None = None):
        super().__init__(message, status, code)
        self.wait_s = wait_s


class Offline(Transient):
    """No network path to the service (DNS, refused, unreachable)."""


class NotFound(ServiceError):
    """The item does not exist there: a definite 'missing', not an error."""


class Fatal(ServiceError):
    """Stop and tell the user (bad key, suspended key, malformed request)."""


class AuthRequired(ServiceError):
    """Log in again (invalid/expired session or token)."""


class RateLimiter:
    """At most ``per_second`` calls in any one-second window, shared by threads.

    A sliding window (with a small margin for network jitter, so the *server* also never sees more
    than the limit in a second) plus even spacing, so calls are spread rather than bursty.
    """

    MARGIN_S = 0.05

    def __init__(self, per_second: float):
        self.limit = max(1, int(per_second)) if per_second > 0 else 0
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self._next = 0.0

    def _reserve(self) -> float:
        """Book the next slot; returns when (monotonic) the call may go."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            if self.limit and len(self._sent) >= self.limit:
                start = max(start, self._sent[-self.limit] + 1.0 + self.MARGIN_S)
            self._sent.append(start)
            while len(self._sent) > self.limit:
                self._sent.popleft()
            self._next = start + self.interval
            return start

    def wait(self, cancel: CancelToken | None = None) -> None:
        if not self.limit:
            return
        delay = self._reserve() - time.monotonic()
        if delay > 0:
            if cancel is not None:
                cancel.wait(delay)
            else:
                time.sleep(delay)


_SHARED_LIMITERS: dict[tuple[str, float], RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(service: str, per_second: float) -> RateLimiter:
    """The process-wide limiter of ``service`` at ``per_second``: every client of one service (e.g. the
    Last.fm history sync and the feature backlog running at the same time) should take its limiter from
    here, so together they stay under the service's limit.  Set it on a client with
    ``client.limiter = shared_limiter(...)``."""
    key = (service, float(per_second))
    with _SHARED_LOCK:
        if key not in _SHARED_LIMITERS:
            _SHARED_LIMITERS[key] = RateLimiter(per_second)
        return _SHARED_LIMITERS[key]


Classifier = Callable[[httpx.Response], ServiceError | None]


def default_classify(resp: httpx.Response) -> ServiceError | None:
    if resp.status_code == 404:
        return NotFound("not found", resp.status_code)
    if resp.status_code == 429:
        retry_after = resp.headers.get("Retry-After", "")
        wait = float(retry_after) if retry_after.replace(".", "", 1).isdigit() else 30.0
        return RateLimited("rate limited by the service", wait, resp.status_code)
    if resp.status_code >= 500:
        return Transient(f"service error (HTTP {resp.status_code})", resp.status_code)
    if resp.status_code in (401, 403):
        return AuthRequired(f"not authorised (HTTP {resp.status_code})", resp.status_code)
    if resp.status_code >= 400:
        return Fatal(f"request refused (HTTP {resp.status_code})", resp.status_code)
    return None


class HttpClient:
    """httpx.Client with a rate limit, retries and error classification."""

    def __init__(
        self,
        base_url: str = "",
        *,
        per_second: float = 4.0,
        timeout: float = 20.0,
        attempts: int = 4,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        user_agent: str = USER_AGENT,
        classify: Classifier = default_classify,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        hdrs = {"User-Agent": user_agent, "Accept": "application/json"}
        hdrs.update(headers or {})
        self.client = httpx.Client(
            base_url=base_url, timeout=timeout, headers=hdrs, follow_redirects=True, transport=transport
        )
        self.limiter = RateLimiter(per_second)
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.classify = classify
        self.requests_made = 0

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        cancel: CancelToken | None = None,
        parse: Callable[[httpx.Response], Any] | None = None,
        **kwargs,
    ) -> Any:
        """Send with retries; returns ``parse(resp)`` (default: the response).

        ``parse`` may raise ``ServiceError`` (e.g. an error inside a 200 body) or ValueError (malformed
        body, treated as transient).
        """
        last: ServiceError | None = None
        for attempt in range(self.attempts):
            if cancel is not None:
                cancel.raise_if_cancelled()
            self.limiter.wait(cancel)
            try:
                self.requests_made += 1
                resp = self.client.request(method, url, **kwargs)
                err = self.classify(resp)
                if err is None:
                    return parse(resp) if parse else resp
            except httpx.TimeoutException:
                err = Transient("the service did not answer in time")
            except (httpx.ConnectError, httpx.NetworkError) as exc:
                err = Offline(f"cannot reach the service ({type(exc).__name__})")
            except httpx.RemoteProtocolError:
                err = Transient("the connection was closed before a response")
            except ValueError as exc:  # malformed body from parse()
                err = Transient(f"malformed response: {exc}")
            except ServiceError as exc:
                err = exc
            last = err
            if not err.retry or attempt == self.attempts - 1:
                break
            wait = (
                err.wait_s
                if isinstance(err, RateLimited)
                else min(self.max_backoff_s, self.backoff_s * (2**attempt)) * (0.5 + random.random() / 2)
            )
            log.info("retrying %s in %.1fs: %s", url.split("?")[0], wait, err)
            if cancel is not None:
                if cancel.wait(wait):
                    cancel.raise_if_cancelled()
            else:
                time.sleep(wait)
        assert last is not None
        raise last

    def get_json(
        self, url: str, params: Mapping[str, Any] | None = None, *, cancel: CancelToken | None = None
    ) -> Any:
        return self.request("GET", url, params=params, cancel=cancel, parse=lambda r: r.json())
