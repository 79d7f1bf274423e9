"""One polite HTTP client per live source: a sliding-window rate limit, retries with backoff, clear errors.

``SourceClient(name, rate=(10, 6.0))`` allows at most 10 requests in any 6 s
window (Coin Metrics' community limit) and retries connection errors,
timeouts, HTTP 429 and 5xx with exponential backoff (``backoff * 2**attempt``
seconds, or the server's ``Retry-After`` when it is longer, capped at
``max_wait``).  Any other HTTP status, or a failure after the retries, raises
:class:`SourceError` naming the source and the URL.  Requests go through
``requests`` (a real HTTP client; tests point it at loopback servers).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from indexer.exceptions import DataError

__all__ = ["SourceError", "RateLimiter", "SourceClient", "RETRY_STATUS"]

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class SourceError(DataError):
    """A live source failed (unreachable, rate limited past the retries, HTTP error or malformed payload)."""


class RateLimiter:
    """At most ``calls`` acquisitions in any ``period`` seconds (thread-safe, sliding window).

    A wait lasts ``margin`` seconds longer than the window needs, so requests that
    arrive at the server a little later than they left still fit its window.
    """

    def __init__(self, calls: int, period: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, margin: float = 0.1) -> None:
        if calls < 1 or period <= 0:
            raise ValueError(f"rate limit needs calls >= 1 and period > 0; got {calls} per {period} s")
        self.calls, self.period = int(calls), float(period)
        self._clock, self._sleep, self.margin = clock, sleep, margin
        self._times: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0  #: total seconds spent waiting (reported in provenance)

    def acquire(self) -> None:
        """Block until one more call fits in the window."""
        with self._lock:
            while True:
                now = self._clock()
                while self._times and now - self._times[0] >= self.period:
                    self._times.popleft()
                if len(self._times) < self.calls:
                    self._times.append(now)
                    return
                wait = self.period - (now - self._times[0]) + self.margin
                self.waited += wait
                self._sleep(wait)


class SourceClient:
    """HTTP GET for one live source (see module docstring).

    Parameters
    ----------
    name
        Source name used in every message (``coinmetrics``, ``alternative.me``, ...).
    rate
        ``(calls, period_seconds)`` or ``None`` (no client-side limit).
    retries
        Retries after the first attempt for retryable failures.
    backoff
        Base of the exponential backoff, seconds.
    timeout
        Per-request timeout, seconds.
    max_wait
        Longest single wait honoured from ``Retry-After``, seconds.
    """

    def __init__(self, name: str, *, rate: tuple[int, float] | None = None, retries: int = 3, backoff: float = 1.0,
                 timeout: float = 30.0, max_wait: float = 60.0, session: Any = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import requests

        self.name = name
        self.limiter = RateLimiter(*rate, sleep=sleep) if rate else None
        self.retries, self.backoff, self.timeout, self.max_wait = retries, backoff, timeout, max_wait
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", "indexer-live-data/0.1 (+https://github.com/)")
        self._sleep = sleep
        self.requests = 0  #: requests sent (including retries)
        self.retried: list[str] = []  #: why each retry happened

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        wait = self.backoff * 2**attempt
        if retry_after:
            try:
                wait = max(wait, min(float(retry_after), self.max_wait))
            except ValueError:
                pass
        self._sleep(wait)

    def get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """Return the ``requests.Response`` of a successful (HTTP 200) GET.

        Raises
        ------
        SourceError
            Naming the source, URL and the last status or network error.
        """
        import requests

        for attempt in range(self.retries + 1):
            if self.limiter is not None:
                self.limiter.acquire()
            self.requests += 1
            retry_after = None
            try:
                resp = self.session.get(url, params=params, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                why = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code == 200:
                    return resp
                why = f"HTTP {resp.status_code}: {resp.text[:300]}"
                if resp.status_code not in RETRY_STATUS:
                    raise SourceError(f"{self.name} {url}: {why}")
                retry_after = resp.headers.get("Retry-After")
            if attempt == self.retries:
                raise SourceError(f"{self.name} {url}: failed after {self.retries + 1} attempts; last: {why}")
            self.retried.append(why[:120])
            self._wait(attempt, retry_after)
        raise AssertionError("unreachable")

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """Return the decoded JSON body of a GET (``SourceError`` when it is not JSON)."""
        resp = self.get(url, params)
        try:
            return resp.json()
        except ValueError:
            raise SourceError(f"{self.name} {url}: response is not JSON: {resp.text[:200]!r}") from None
