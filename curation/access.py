"""Who may change what is published: the access policy, read from secrets and the environment.

Three modes (AccessMode), strongest first:
- "login": an OpenID Connect provider is configured (Streamlit's `[auth]`
  secrets). Everyone must log in; the editors listed in `[curation] editors`
  (or $CURATION_EDITORS, comma-separated) may publish, anyone else reads.
- "password": no login, but a shared editor password (`[curation] password`
  or $CURATION_PASSWORD) unlocks editing for a session.
- "open": neither; anyone who can reach the dashboard can edit.
$CURATION_READ_ONLY switches every write off, in every mode. It fails closed:
only empty, 0, false, no and off leave writing on.

The editor password is guarded by a PasswordThrottle: each wrong password
makes the session wait longer before its next try, and a client with too
many wrong passwords is locked out for a while.
"""

from __future__ import annotations

import hmac
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

EDITORS_ENV = "CURATION_EDITORS"
PASSWORD_ENV = "CURATION_PASSWORD"
READ_ONLY_ENV = "CURATION_READ_ONLY"
WRITABLE_VALUES = frozenset({"", "0", "false", "no", "off"})
READ_ONLY_VALUES = frozenset({"1", "true", "yes", "on"})

log = logging.getLogger("curation")
_warned_values: set[str] = set()


class AccessMode(StrEnum):
    """How the dashboard decides who may edit; compares equal to, and prints as, its word."""

    LOGIN = "login"
    PASSWORD = "password"
    OPEN = "open"


@dataclass(frozen=True)
class AccessPolicy:
    mode: AccessMode
    editors: frozenset[str] = frozenset()  # lower-cased emails
    password: str | None = None
    read_only: bool = False

    def may_edit(self, email: str | None) -> bool:
        """In login mode: whether this logged-in email is one of the editors."""
        return bool(email) and email.strip().lower() in self.editors

    def password_matches(self, attempt: str) -> bool:
        """Constant-time comparison, so timing does not leak the password."""
        if not self.password:
            return False
        return hmac.compare_digest(attempt.encode("utf-8"), self.password.encode("utf-8"))


def is_read_only(environment: Mapping[str, str] | None = None) -> bool:
    """Whether $CURATION_READ_ONLY switches writing off (the library's write path asks too).

    Fails closed: any value but empty, 0, false, no or off (any case, blanks ignored)
    means read-only, and a value that is not a known yes or no is logged once as a warning.
    """
    raw = (os.environ if environment is None else environment).get(READ_ONLY_ENV) or ""
    value = raw.strip().lower()
    if value in WRITABLE_VALUES:
        return False
    if value not in READ_ONLY_VALUES and raw not in _warned_values:
        _warned_values.add(raw)  # once per value: the dashboard asks on every rerun
        log.warning("%s=%r is not one of 1/true/yes/on or 0/false/no/off; treating it as read-only", READ_ONLY_ENV, raw)
    return True


def access_policy(secrets: Mapping[str, Any], environment: Mapping[str, str]) -> AccessPolicy:
    """The policy that secrets (`[auth]`, `[curation]`) and the environment describe."""
    curation = secrets.get("curation") or {}
    listed = environment.get(EDITORS_ENV)
    editors = listed.split(",") if listed else list(curation.get("editors") or [])
    emails = frozenset(email.strip().lower() for email in editors if email.strip())
    password = environment.get(PASSWORD_ENV) or curation.get("password") or None
    read_only = is_read_only(environment)
    if secrets.get("auth"):
        return AccessPolicy(AccessMode.LOGIN, emails, None, read_only)
    if password:
        return AccessPolicy(AccessMode.PASSWORD, emails, str(password), read_only)
    return AccessPolicy(AccessMode.OPEN, emails, None, read_only)


@dataclass(frozen=True)
class PasswordAttempt:
    """What the throttle made of one password attempt; `wait` is in seconds (0 unless refused)."""

    status: Literal["ok", "wrong", "wait", "locked"]
    wait: float = 0.0


@dataclass
class _Session:
    failures: int = 0
    next_allowed: float = 0.0
    last_seen: float = 0.0


@dataclass
class _Client:
    failures: deque[float] = field(default_factory=deque)  # times of the failures within the window
    locked_until: float = 0.0


class PasswordThrottle:
    """Server-side brake on guessing the editor password; one instance is shared by every session.

    Per session: after n wrong passwords in a row, the next attempt is refused until
    min(0.5 s * 2**(n-1), 30 s) have passed. A refused attempt is not checked at all, so
    the right password during the wait is refused too (otherwise the wait would limit
    nothing). Per client (the caller names it, e.g. by IP address): 10 wrong passwords within
    15 minutes lock it out for 15 minutes, whatever session it uses. Every wrong password
    is logged with the client, never with what was typed.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        lockout_after: int = 10,
        window: float = 15 * 60,
        lockout: float = 15 * 60,
    ) -> None:
        self._clock = clock
        self.base_delay, self.max_delay = base_delay, max_delay
        self.lockout_after, self.window, self.lockout = lockout_after, window, lockout
        self._lock = threading.Lock()  # sessions run in threads of one process
        self._sessions: dict[str, _Session] = {}
        self._clients: dict[str, _Client] = {}

    def attempt(self, session: str, client: str, check: Callable[[], bool]) -> PasswordAttempt:
        """Run `check` (the password comparison) unless this session must wait or this client is locked out."""
        with self._lock:
            now = self._clock()
            self._forget_old(now)
            state = self._sessions.setdefault(session, _Session())
            state.last_seen = now
            counter = self._clients.setdefault(client, _Client())
            if counter.locked_until > now:
                return PasswordAttempt("locked", counter.locked_until - now)
            if state.next_allowed > now:
                return PasswordAttempt("wait", state.next_allowed - now)
            if check():
                state.failures, state.next_allowed = 0, 0.0
                counter.failures.clear()
                return PasswordAttempt("ok")
            state.failures += 1
            state.next_allowed = now + min(self.base_delay * 2 ** (state.failures - 1), self.max_delay)
            counter.failures.append(now)
            log.warning(
                "wrong editor password from client %s (%d in a row in this session, %d from this client in %d min)",
                client, state.failures, len(counter.failures), self.window // 60,
            )  # fmt: skip
            if len(counter.failures) >= self.lockout_after:
                counter.locked_until = now + self.lockout
                counter.failures.clear()
                log.warning("client %s locked out of the editor password for %d min", client, self.lockout // 60)
                return PasswordAttempt("locked", self.lockout)
            return PasswordAttempt("wrong")

    def _forget_old(self, now: float) -> None:
        # Bounded memory: drop what can no longer delay or lock anyone.
        for client, counter in list(self._clients.items()):
            while counter.failures and counter.failures[0] <= now - self.window:
                counter.failures.popleft()
            if not counter.failures and counter.locked_until <= now:
                del self._clients[client]
        stale = now - max(self.window, self.max_delay)
        for session, state in list(self._sessions.items()):
            if state.last_seen <= stale and state.next_allowed <= now:
                del self._sessions[session]


def wait_message(attempt: PasswordAttempt) -> str:
    """What the password gate says to a refused attempt."""
    if attempt.status == "locked":
        return f"Too many wrong passwords: editing is locked for {math.ceil(attempt.wait / 60)} min."
    return f"Too many wrong passwords: wait {math.ceil(attempt.wait)} s before the next try."
