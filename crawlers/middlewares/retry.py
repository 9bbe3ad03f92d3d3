"""Retries with exponential backoff and ``Retry-After``; records what it gives up on.

Replaces Scrapy's ``RetryMiddleware``. Per platform (``spider.platform.politeness``):

- 408, 429, 500, 502, 503, 504, 522, 524 and network failures (timeouts, refused
  or lost connections, truncated bodies) are retried up to ``retries`` times,
  waiting ``backoff * 2**attempt`` seconds (plus up to 10 % jitter) before each;
- a 429 or 503 with ``Retry-After`` (seconds or an HTTP date) waits that long
  instead; when the server asks for more than ``max_retry_after`` the request
  is given up at once as ``rate_limited`` rather than hammering the server.

The wait is an ``await`` on the reactor's event loop, never a blocking sleep, so
other requests go on meanwhile.

Every download this middleware cannot turn into a usable response is recorded
once through :func:`crawlers.errors.record_error` and dropped with
:class:`GaveUp` (an ``IgnoreRequest``), so the crawl goes on and the
``crawl_runs`` row shows it. Kinds: ``rate_limited``, ``http_<status>``,
``timeout``, ``data_loss``, ``connection``, ``too_large`` (over
``DOWNLOAD_MAXSIZE``), ``redirect_loop``, ``download_error``. The spider's
errback skips URLs recorded already (``crawlers.errors.already_recorded``) and
records what this middleware lets through: robots.txt refusals and Scrapy's
"max redirections reached".

Stats: ``retry/count``, ``retry/max_reached``, ``retry/reason_count/<reason>``,
``retry/retry_after_too_long``.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, NoReturn

from scrapy import signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotConfigured,
    ResponseDataLossError,
)
from scrapy.utils.asyncio import sleep
from scrapy.utils.misc import load_object
from scrapy.utils.python import global_object_name
from twisted.internet import defer
from twisted.internet import error as tx_error
from twisted.web.client import PotentialDataLoss, ResponseFailed

from clue_pipeline.platforms.models import Politeness
from crawlers.errors import record_error

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

RETRY_HTTP_CODES = frozenset({408, 429, 500, 502, 503, 504, 522, 524})
RETRY_AFTER_CODES = frozenset({429, 503})
JITTER = 0.1  # up to 10 % added to each wait, so parallel crawlers do not retry in step
EXTRA_RETRY_EXCEPTIONS: tuple[type[BaseException], ...] = (
    DownloadTimeoutError,
    ResponseDataLossError,
    ResponseFailed,
    tx_error.TimeoutError,
    tx_error.ConnectError,
    tx_error.ConnectionLost,
    tx_error.ConnectionDone,
    tx_error.DNSLookupError,
    defer.TimeoutError,
    TimeoutError,
    ConnectionError,
)
TIMEOUT_EXCEPTIONS = (
    DownloadTimeoutError,
    tx_error.TimeoutError,
    tx_error.TCPTimedOutError,
    defer.TimeoutError,
    TimeoutError,
)
DATA_LOSS_EXCEPTIONS = (ResponseDataLossError, ResponseFailed, PotentialDataLoss)
CONNECTION_EXCEPTIONS = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    DownloadFailedError,
    tx_error.ConnectError,
    tx_error.ConnectionLost,
    tx_error.ConnectionDone,
    tx_error.DNSLookupError,
    ConnectionError,
)
ROBOTS_PATH = "/robots.txt"


class GaveUp(IgnoreRequest):
    """A request dropped after its failure was recorded in the crawl run."""

    def __init__(self, kind: str, url: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.url = url
        self.message = message


@dataclass(frozen=True)
class RetryPolicy:
    retries: int
    backoff: float
    max_retry_after: float

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt + 1``, capped at
        ``max_retry_after`` (the longest wait the platform allows at all)."""
        base = self.backoff * 2**attempt
        base = min(base, max(self.max_retry_after, self.backoff))
        return base + random.uniform(0, JITTER * base)


def parse_retry_after(value: bytes | str | None, *, now: datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or an HTTP
    date); ``None`` when absent or unreadable. A date in the past means 0."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if math.isnan(seconds):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_timeout(exception: BaseException) -> bool:
    """Scrapy's and Twisted's time-outs, and other handlers' (Playwright's
    ``TimeoutError`` is its own class)."""
    return isinstance(exception, TIMEOUT_EXCEPTIONS) or type(exception).__name__.endswith(
        "TimeoutError"
    )


def error_kind(exception: BaseException) -> str:
    """The crawl_runs error kind of a download exception."""
    if is_timeout(exception):
        return "timeout"
    if isinstance(exception, DATA_LOSS_EXCEPTIONS):
        return "data_loss"
    if isinstance(exception, DownloadCancelledError):
        return "too_large"
    if isinstance(exception, CONNECTION_EXCEPTIONS):
        return "connection"
    return "download_error"


def status_message(status: int) -> str:
    """``429 Too Many Requests``: the code and its standard phrase."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} HTTP status"


def status_kind(status: int) -> str:
    return "rate_limited" if status == 429 else f"http_{status}"


def _is_robots_request(request: Request) -> bool:
    return bool(request.meta.get("dont_obey_robotstxt")) and request.url.split("?")[0].endswith(
        ROBOTS_PATH
    )


class BackoffRetryMiddleware:
    """Downloader middleware; enable at 550 with Scrapy's ``RetryMiddleware`` off."""

    crawler: Crawler

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.default_retries = settings.getint("RETRY_TIMES")
        self.priority_adjust = settings.getint("RETRY_PRIORITY_ADJUST")
        codes = settings.getlist("RETRY_HTTP_CODES")
        self.retry_http_codes = frozenset(int(code) for code in codes) or RETRY_HTTP_CODES
        loaded = tuple(
            load_object(path) if isinstance(path, str) else path
            for path in settings.getlist("RETRY_EXCEPTIONS")
        )
        self.retry_exceptions: tuple[type[BaseException], ...] = loaded + EXTRA_RETRY_EXCEPTIONS
        self._policy: RetryPolicy | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.request_dropped, signal=signals.request_dropped)
        return middleware

    # -- policy ------------------------------------------------------------

    def policy(self) -> RetryPolicy:
        """Retry limits of the crawled platform, else the settings ``RETRY_TIMES``,
        ``CLUES_RETRY_BACKOFF`` and ``CLUES_MAX_RETRY_AFTER``, else the defaults."""
        if self._policy is None:
            platform = getattr(self.crawler.spider, "platform", None)
            politeness = getattr(platform, "politeness", None)
            if isinstance(politeness, Politeness):
                self._policy = RetryPolicy(
                    politeness.retries, politeness.backoff, politeness.max_retry_after
                )
            else:
                defaults = Politeness()
                settings = self.crawler.settings
                self._policy = RetryPolicy(
                    self.default_retries,
                    settings.getfloat("CLUES_RETRY_BACKOFF", defaults.backoff),
                    settings.getfloat("CLUES_MAX_RETRY_AFTER", defaults.max_retry_after),
                )
        return self._policy

    def _max_retries(self, request: Request) -> int:
        value = request.meta.get("max_retry_times")
        return self.policy().retries if value is None else int(value)

    # -- downloader middleware methods -------------------------------------

    def request_dropped(self, request: Request, spider: object = None) -> None:
        """A redirect back into its own chain is dropped by the duplicate filter
        without a word: record it as a redirect loop."""
        chain = request.meta.get("redirect_urls") or []
        if request.url in chain:
            self._record(request, "redirect_loop", _loop_message(chain, request.url))

    def process_request(self, request: Request) -> None:
        """Stop a redirect loop that passes the duplicate filter (retried
        requests do) at the third visit of the same URL."""
        chain = request.meta.get("redirect_urls") or []
        if chain.count(request.url) >= 2:
            self._give_up(request, "redirect_loop", _loop_message(chain, request.url))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        status = response.status
        if status not in self.retry_http_codes or request.meta.get("dont_retry", False):
            return self._check_final(request, response)
        policy = self.policy()
        attempt = int(request.meta.get("retry_times", 0))
        reason = status_message(status)
        delay: float | None = None
        if status in RETRY_AFTER_CODES:
            asked = parse_retry_after(response.headers.get(b"Retry-After"))
            if asked is not None:
                if asked > policy.max_retry_after:
                    self.crawler.stats.inc_value("retry/retry_after_too_long")
                    self._give_up(
                        request,
                        "rate_limited",
                        f"{reason}: Retry-After {asked:.0f}s is longer than "
                        f"max_retry_after {policy.max_retry_after:g}s",
                    )
                delay = asked + random.uniform(0, JITTER * asked)
        if attempt >= self._max_retries(request):
            self.crawler.stats.inc_value("retry/max_reached")
            if _is_robots_request(request):
                return response
            self._give_up(request, status_kind(status), f"{reason} after {attempt} retries")
        if delay is None:
            delay = policy.backoff_delay(attempt)
        return await self._retry_later(request, reason, delay)

    async def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if isinstance(exception, GaveUp):
            return None
        if isinstance(exception, IgnoreRequest):
            # robots.txt refusals are recorded by the spider's errback (the
            # stock RobotsTxtMiddleware raises them); other drops are deliberate
            return None
        retryable = isinstance(exception, self.retry_exceptions) or is_timeout(exception)
        if retryable and not request.meta.get("dont_retry", False):
            attempt = int(request.meta.get("retry_times", 0))
            if attempt < self._max_retries(request):
                reason = global_object_name(exception.__class__)
                return await self._retry_later(
                    request, reason, self.policy().backoff_delay(attempt)
                )
            self.crawler.stats.inc_value("retry/max_reached")
        if _is_robots_request(request):
            return None  # Scrapy then crawls as if there were no robots.txt
        kind = error_kind(exception)
        message = self._exception_message(request, exception, kind)
        if retryable:
            message = f"{message} after {request.meta.get('retry_times', 0)} retries"
        self._give_up(request, kind, message)

    # -- helpers -------------------------------------------------------------

    async def _retry_later(self, request: Request, reason: str, delay: float) -> Request:
        attempt = int(request.meta.get("retry_times", 0)) + 1
        retry = request.copy()
        retry.meta["retry_times"] = attempt
        retry.dont_filter = True
        retry.priority = request.priority + self.priority_adjust
        stats = self.crawler.stats
        stats.inc_value("retry/count")
        stats.inc_value(f"retry/reason_count/{reason}")
        logger.info(
            "Retrying %s in %.1fs (retry %d of %d): %s",
            request.url,
            delay,
            attempt,
            self._max_retries(request),
            reason,
        )
        if delay > 0:
            await sleep(delay)
        return retry

    def _check_final(self, request: Request, response: Response) -> Response:
        """Record an error status the spider will not handle, then drop it."""
        status = response.status
        if status < 400 or _is_robots_request(request) or self._status_handled(request, status):
            return response
        self._give_up(request, status_kind(status), status_message(status))

    def _status_handled(self, request: Request, status: int) -> bool:
        meta = request.meta
        if meta.get("handle_httpstatus_all", False):
            return True
        if status in meta.get("handle_httpstatus_list", ()):
            return True
        if status in getattr(self.crawler.spider, "handle_httpstatus_list", ()):
            return True
        settings = self.crawler.settings
        return settings.getbool("HTTPERROR_ALLOW_ALL") or status in {
            int(code) for code in settings.getlist("HTTPERROR_ALLOWED_CODES")
        }

    def _exception_message(self, request: Request, exception: Exception, kind: str) -> str:
        if kind == "too_large":
            limit = request.meta.get(
                "download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            )
            return f"page larger than the {limit}-byte limit (max_page_bytes); not stored"
        if kind == "data_loss":
            return "the body ended before its Content-Length (connection closed early)"
        if kind == "timeout":
            limit = request.meta.get("download_timeout")
            if limit:
                return f"no complete response within {limit:g}s"
        text = str(exception).strip()
        name = global_object_name(exception.__class__)
        return f"{name}: {text}" if text else name

    def _record(self, request: Request, kind: str, message: str) -> None:
        logger.warning("Gave up on %s (%s): %s", request.url, kind, message)
        record_error(self.crawler.spider, kind, request.url, message)

    def _give_up(self, request: Request, kind: str, message: str) -> NoReturn:
        self._record(request, kind, message)
        raise GaveUp(kind, request.url, message)


def _loop_message(chain: list[str], url: str) -> str:
    return "redirect loop: " + " -> ".join([*chain, url])
