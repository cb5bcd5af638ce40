"""State the hosts share through the bucket, signed: the parse cache and the audit pack in `.curation/cache/`.

Both save a new host work (it reads one cache instead of every object, one
pack instead of every audit entry), and both are content: a row of the parse
cache is what the dashboard shows, an entry of the pack is what History lists
and undo restores. Whoever can write under `<prefix>/.curation/cache/` must
not decide that, so each object there is signed with HMAC-SHA256 under a key
the hosts share ($CURATION_SHARED_KEY, at least 32 characters; the same on
every host and in `curation index`). A host reads such an object only when its
signature is right; a forged, changed or unsigned one is not used (a warning
names it) and the host reads the objects themselves, as if there were none.
Without a key the shared state is neither read nor written: each host reads
the objects (with its own cache on its disk), which is slower for a new host
and never wrong.

Why a key and not hashes: checking a cached row against its object would mean
reading every object, which is the work the cache exists to save. The
signature covers the object's name too, so a signed pack cannot stand in for a
signed cache. An older signed object put back is harmless: every cached row is
still checked against the listing's ETag, and the pack's against its key and
ETag.
"""

from __future__ import annotations

import hashlib
import hmac
import os

KEY_ENV = "CURATION_SHARED_KEY"
MIN_KEY_CHARS = 32
_HEADER = b"curation-signed-1 "  # then the hex signature and a newline, then the bytes


class SignatureError(ValueError):
    """A shared object that is not signed with the hosts' key: forged, changed, or written without the key."""


def shared_key() -> bytes | None:
    """The hosts' key, or None when none is set; ValueError for one too short to be a secret."""
    value = os.environ.get(KEY_ENV, "")
    if not value:
        return None
    if len(value) < MIN_KEY_CHARS:
        raise ValueError(f"${KEY_ENV} is {len(value)} characters; use at least {MIN_KEY_CHARS} random ones")
    return value.encode("utf-8")


def _signature(key: bytes, name: str, data: bytes) -> bytes:
    return hmac.new(key, name.encode("utf-8") + b"\0" + data, hashlib.sha256).hexdigest().encode("ascii")


def signed(key: bytes, name: str, data: bytes) -> bytes:
    """The bytes to store as `name`: a header line with the signature, then the data."""
    return _HEADER + _signature(key, name, data) + b"\n" + data


def verified(key: bytes, name: str, stored: bytes) -> bytes:
    """The data of a stored object whose signature is right; SignatureError saying what is wrong otherwise."""
    if not stored.startswith(_HEADER):
        raise SignatureError("it is not signed (written without the hosts' key, or by an older version)")
    signature, newline, data = stored[len(_HEADER) :].partition(b"\n")
    if not newline or not hmac.compare_digest(signature, _signature(key, name, data)):
        raise SignatureError(f"its signature is not the hosts' (${KEY_ENV}): forged, changed, or another key's")
    return data
