"""Failed logins per user name and client address: after
``CLUES_WEB_LOGIN_ATTEMPTS`` failures within ``CLUES_WEB_LOGIN_WINDOW_MINUTES``
that pair is refused (429) until the oldest failure leaves the window; a
successful login clears it. Kept in the server process."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from verification.web.errors import TooManyAttempts

MAX_KEYS = 10_000


class LoginLimiter:
    def __init__(
        self, attempts: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self.clock = clock
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(name: str, address: str) -> tuple[str, str]:
        return (name.strip().lower(), address)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures

    def check(self, name: str, address: str) -> None:
        """Raise TooManyAttempts when the pair has used up its attempts."""
        key = self.key(name, address)
        with self._lock:
            now = self.clock()
            failures = self._recent(key, now)
            if len(failures) >= self.attempts:
                wait = max(1, math.ceil(failures[0] + self.window - now))
                raise TooManyAttempts(
                    f"too many failed logins for {name.strip()} from {address}; "
                    f"try again in {math.ceil(wait / 60)} min",
                    retry_after=wait,
                )

    def failed(self, name: str, address: str) -> None:
        key = self.key(name, address)
        with self._lock:
            now = self.clock()
            failures = self._recent(key, now)
            failures.append(now)
            self._failures[key] = failures
            self._failures.move_to_end(key)
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self.key(name, address), None)
