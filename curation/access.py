"""Who may change what is published: the access policy, read from secrets and the environment.

Three modes, strongest first:
- "login": an OpenID Connect provider is configured (Streamlit's `[auth]`
  secrets). Everyone must log in; the editors listed in `[curation] editors`
  (or $CURATION_EDITORS, comma-separated) may publish, anyone else reads.
- "password": no login, but a shared editor password (`[curation] password`
  or $CURATION_PASSWORD) unlocks editing for a session.
- "open": neither; anyone who can reach the dashboard can edit.
$CURATION_READ_ONLY=1 switches every write off, in every mode.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EDITORS_ENV = "CURATION_EDITORS"
PASSWORD_ENV = "CURATION_PASSWORD"
READ_ONLY_ENV = "CURATION_READ_ONLY"


@dataclass(frozen=True)
class AccessPolicy:
    mode: str  # "login", "password" or "open"
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


def _is_set(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def is_read_only(environment: Mapping[str, str] | None = None) -> bool:
    """Whether $CURATION_READ_ONLY switches writing off (the library's write path asks too)."""
    return _is_set((os.environ if environment is None else environment).get(READ_ONLY_ENV))


def access_policy(secrets: Mapping[str, Any], environment: Mapping[str, str]) -> AccessPolicy:
    """The policy that secrets (`[auth]`, `[curation]`) and the environment describe."""
    curation = secrets.get("curation") or {}
    listed = environment.get(EDITORS_ENV)
    editors = listed.split(",") if listed else list(curation.get("editors") or [])
    emails = frozenset(email.strip().lower() for email in editors if email.strip())
    password = environment.get(PASSWORD_ENV) or curation.get("password") or None
    read_only = is_read_only(environment)
    if secrets.get("auth"):
        return AccessPolicy("login", emails, None, read_only)
    if password:
        return AccessPolicy("password", emails, str(password), read_only)
    return AccessPolicy("open", emails, None, read_only)
