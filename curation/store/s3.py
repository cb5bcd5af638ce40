"""Documents in S3-compatible object storage: list, read, compare-and-swap write, audit objects.

A location is `s3://bucket/prefix`; a document's id is its key relative to
the prefix, with the same rules as in a folder (no hidden parts, a document
suffix). The endpoint, region and credentials come from the standard AWS
settings (AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID…, web
identity, the container's or instance's role; AWS_PROFILE through boto3 when
it is installed; AWS_MAX_ATTEMPTS); the one setting of our own is
CURATION_S3_TIMEOUT. The client is obstore (Rust's object_store): its
requests wait outside the GIL, so many GETs are in flight from one process
at a fraction of boto3's CPU. It is imported on first use, so a folder never
needs it.

A write is a compare-and-swap, with no lock anywhere:
1. GET the object and its ETag; check the sha the editor saw;
2. the same one-field edit and re-parse proof as on disk (curation.editing.publish);
3. the audit entry is created first, as its own object under
   `<prefix>/.curation/audit/<20-digit time_ns>-<change>.json` with
   `If-None-Match: *` (never overwritten; listing returns them in time order);
4. PUT the document with `If-Match: <ETag>`. A 412 means another writer got
   there first: this writer deletes its own entry, then reports a conflict,
   and nothing was written.

`AuditHistory.took_effect` judges an entry from the log and the current
object, as on disk: the entries that took effect are the chain of shas that
ends at the object now. The loser of a race deletes its entry, so history
does not list a change that never happened; a host killed (or cut off)
before that delete leaves an entry off the chain (it starts from the same
sha as the winner's and nothing continues from its sha_after), shown as not
completed. A PUT whose answer never arrived (a timeout) or was a server
error (5xx) leaves its entry on purpose: the object then says which way it
went. A failed or stalled request is retried with backoff (RETRIES, within
RETRY_TIMEOUT_S; each try at most REQUEST_TIMEOUT_S) before it becomes an
error naming the key.

Reading the log: the entries an earlier reader packed into
`.curation/cache/audit-pack.json`, a LIST of the audit keys after the one the
pack is settled to, and a GET for each listed entry neither the pack (same
key and ETag) nor this process has (see `read_audit`).

The order of entries is the order of the writing hosts' clocks: keep them in
sync (NTP). Skew can only reorder the history; it cannot lose a write. (An
entry named more than SETTLED_NS in the past, behind a pack's settled key,
is listed from the next full listing on.)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field, replace
from typing import Any

from curation.access import is_read_only
from curation.audit import AuditEntry
from curation.documents import MAX_DOCUMENT_BYTES, too_large
from curation.errors import CurationError, PublishRefusedError, StoreError, UnsafePathError
from curation.problems import Problem, ProblemKind
from curation.schedules import RecordKind, ScheduleRecord, parse_record, record_line, unreadable_record
from curation.store.base import ObjectListing, VersionChanged
from curation.store.folder import STATE_DIR, check_document_id, is_document_name
from curation.store.shared_state import shared_key, signed, verified
from curation.untrusted_json import loads_untrusted

S3_SCHEME = "s3://"
CONCURRENCY = 32  # GETs in flight per process: object storage wants concurrency, not cores
LIST_PAGE_SIZE = 1000  # keys per LIST request (S3's maximum)
AUDIT_FOLDER = f"{STATE_DIR}/audit/"
SCHEDULE_FOLDER = f"{STATE_DIR}/schedule/"
AUDIT_PACK = "cache/audit-pack.json"  # under STATE_DIR: the audit entries read so far, so a reader GETs only new ones
PACK_FORMAT = 1
PACK_AFTER = CONCURRENCY  # a reader that fetched this many entries one by one writes the pack again
SETTLED_NS = 10 * 60 * 1_000_000_000  # an audit key this much older than the clock is taken as listed for good
RETRIES = 4  # a failed or timed-out request is tried again this many times, with backoff (AWS_MAX_ATTEMPTS overrides)
CONNECT_TIMEOUT_S = 5
REQUEST_TIMEOUT_S = 30  # one request, start to end: a hung server becomes an error naming the key, never a hung page
RETRY_TIMEOUT_S = 60  # no retry starts after this long
TIMEOUT_ENV = "CURATION_S3_TIMEOUT"  # seconds a request may take, instead of REQUEST_TIMEOUT_S
# What a replaced object loses unless the PUT carries it again, and how it can: obstore keeps the GET's attributes
# (Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Content-Language, user metadata); the storage
# class goes in as an attribute and server-side encryption as the client's settings (both signed). A PUT through
# obstore cannot carry the rest, so an object that has them is refused rather than silently stripped.
ENCRYPTION_SETTINGS = {
    "x-amz-server-side-encryption": "server_side_encryption",
    "x-amz-server-side-encryption-aws-kms-key-id": "sse_kms_key_id",
    "x-amz-server-side-encryption-bucket-key-enabled": "sse_bucket_key_enabled",
}
CANNOT_KEEP = {
    "x-amz-tagging-count": "tags",
    "x-amz-object-lock-mode": "an object-lock retention",
    "x-amz-object-lock-legal-hold": "an object-lock legal hold",
    "x-amz-website-redirect-location": "a website redirect",
    "expires": "an Expires header",
    "x-amz-server-side-encryption-customer-algorithm": "a customer-provided encryption key (SSE-C)",
}
THROTTLED = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "ServiceUnavailable",
    "503",
}
DENIED = {
    "AccessDenied",
    "403",
    "Forbidden",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "AccountProblem",
}


def is_s3_location(location: object) -> bool:
    """Whether a docs location names an S3 prefix rather than a folder."""
    return isinstance(location, str) and location.startswith(S3_SCHEME)


@dataclass(frozen=True)
class S3Location:
    """`s3://bucket/prefix`, split; the prefix has no slash at either end and may be empty."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, text: str) -> S3Location:
        if not is_s3_location(text):
            raise StoreError(text, "not an S3 location: write s3://bucket/prefix")
        bucket, _, prefix = text[len(S3_SCHEME) :].partition("/")
        if not bucket or "\x00" in text:
            raise StoreError(text, "names no bucket: write s3://bucket/prefix")
        return cls(bucket, prefix.strip("/"))

    @property
    def base(self) -> str:
        """The key prefix every document key starts with ("" or "prefix/")."""
        return f"{self.prefix}/" if self.prefix else ""

    def key(self, doc_id: str) -> str:
        return self.base + doc_id

    def url(self, key: str | None = None) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.prefix if key is None else key}".rstrip("/")

    def __str__(self) -> str:
        return self.url()


_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()


def s3_client(bucket: str, encryption: tuple[tuple[str, str], ...] = ()) -> Any:
    """An obstore S3Store for a bucket, configured from the standard AWS settings, one per process, setting and
    server-side encryption (`encryption`: the S3Config entries a replaced object's encryption needs)."""
    # The settings are read when a client is made, so a changed AWS_* variable gets a new client.
    settings = (os.getpid(), bucket, encryption, os.environ.get(TIMEOUT_ENV),
                *sorted((name, value) for name, value in os.environ.items() if name.startswith("AWS_")))  # fmt: skip
    with _clients_lock:
        client = _clients.get(settings)
        if client is None:
            client = _clients[settings] = _new_client(bucket, dict(encryption))
        return client


def _new_client(bucket: str, encryption: dict[str, str]) -> Any:
    try:
        from obstore.store import S3Store as ObjectStore
    except ImportError:
        raise StoreError(f"{S3_SCHEME}{bucket}", "S3 locations need obstore: pip install -e '.[s3]'") from None
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    config: dict[str, Any] = {"endpoint": endpoint} if endpoint else {}
    attempts = os.environ.get("AWS_MAX_ATTEMPTS", "")
    timeout = os.environ.get(TIMEOUT_ENV, "")
    request_timeout = float(timeout) if timeout.replace(".", "", 1).isdigit() and float(timeout) > 0 else None
    retries = int(attempts) - 1 if attempts.isdigit() and int(attempts) > 0 else RETRIES
    return ObjectStore(
        bucket,
        config={**config, **encryption},
        client_options={
            "allow_http": bool(endpoint and endpoint.startswith("http://")),  # a test server or a private gateway
            "connect_timeout": dt.timedelta(seconds=CONNECT_TIMEOUT_S),
            "timeout": dt.timedelta(seconds=request_timeout or REQUEST_TIMEOUT_S),
            "user_agent": "curation",
        },
        retry_config={
            "max_retries": retries,
            "retry_timeout": dt.timedelta(seconds=RETRY_TIMEOUT_S),
            "backoff": {
                "init_backoff": dt.timedelta(milliseconds=100),
                "max_backoff": dt.timedelta(seconds=2),
                "base": 2,
            },
        },
        credential_provider=_profile_credentials(),
    )


def _profile_credentials() -> Any:
    """A named profile (AWS_PROFILE) read through boto3, the only reader of ~/.aws files; None without one
    (obstore then reads AWS_ACCESS_KEY_ID…, web identity, the container's or the instance's role itself)."""
    if not os.environ.get("AWS_PROFILE"):
        return None
    try:
        from obstore.auth.boto3 import Boto3CredentialProvider
    except ImportError:
        advice = "pip install boto3 to read profiles, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead"
        raise StoreError("AWS_PROFILE", f"a named profile needs boto3: {advice}") from None
    return Boto3CredentialProvider()


@dataclass(frozen=True, slots=True)
class Failure:
    """What an S3 request's failure was, whichever way it was reported."""

    status: int  # the HTTP status; 0 when no answer came
    code: str  # S3's error code (`NoSuchKey`, `SlowDown`), "" when the answer had none
    text: str  # the first line of what the client said

    @classmethod
    def of(cls, error: Exception) -> Failure:
        message = str(error)
        status = re.search(r"(?:status code: |status: )(\d{3})", message)
        code = re.search(r"<Code>([A-Za-z0-9.]+)</Code>", message)
        first = message.strip().splitlines()[0] if message.strip() else type(error).__name__
        return cls(int(status.group(1)) if status else 0, code.group(1) if code else "", first[:300])

    @property
    def answered(self) -> bool:
        return self.status > 0


def store_error(error: Exception | Failure, location: S3Location, key: str | None, doing: str) -> StoreError:
    """A clear StoreError naming the bucket and key for a failed request."""
    failure = error if isinstance(error, Failure) else Failure.of(error)
    url = location.url(key) if key is not None else f"{S3_SCHEME}{location.bucket}"
    endpoint = _endpoint()
    code, status = failure.code, failure.status
    if code == "NoSuchBucket" or (key is None and status == 404):
        advice = "create it, or fix the location or AWS_ENDPOINT_URL"
        return StoreError(url, f"bucket `{location.bucket}` does not exist at {endpoint}; {advice}")
    if code in DENIED or status == 403 or _is_a(error, "PermissionDeniedError", "UnauthenticatedError"):
        advice = "check the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and the bucket's policy"
        return StoreError(url, f"access denied while {doing} ({code or status}); {advice}")
    if code in THROTTLED or status in (429, 503):
        advice = "try again later, or raise AWS_MAX_ATTEMPTS"
        return StoreError(
            url, f"S3 is throttling requests ({code or status}) while {doing}, even after retries; {advice}"
        )
    if not failure.answered:
        advice = "check AWS_ENDPOINT_URL and the network"
        return StoreError(url, f"cannot reach the S3 endpoint {endpoint} while {doing} ({failure.text}); {advice}")
    return StoreError(url, f"S3 answered {code or status} while {doing}: {failure.text}")


def _is_a(error: object, *names: str) -> bool:
    return any(kind.__name__ in names for kind in type(error).__mro__)


def _endpoint() -> str:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "AWS S3"


def _client_errors() -> tuple[type[Exception], ...]:
    """What a request can raise: obstore's errors (FileNotFoundError for a missing object) and OSError."""
    from obstore.exceptions import BaseError

    return (BaseError, OSError)


def _missing(error: Exception) -> bool:
    """A missing object (not a missing bucket, which is a StoreError)."""
    return _is_a(error, "NotFoundError", "FileNotFoundError") and Failure.of(error).code != "NoSuchBucket"


def _conflict(error: Exception) -> bool:
    """A conditional PUT that lost: If-Match on a changed object, If-None-Match on an existing one."""
    return _is_a(error, "PreconditionError", "AlreadyExistsError")


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One object's bytes (at most one byte over the document limit) and the version they are."""

    raw: bytes
    etag: str
    size: int
    mtime_ns: int
    attributes: dict[str, str] = field(default_factory=dict)  # what a PUT must carry over (obstore's Attributes)


def _ns(when: dt.datetime) -> int:
    return int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000


class S3Store:
    """A docs location in a bucket: one small interface, the same as the folder's (curation.store)."""

    changed_where = "in the bucket"

    def __init__(self, location: str) -> None:
        self.location = S3Location.parse(location)
        self.name = self.location.url()

    @property
    def client(self) -> Any:
        return s3_client(self.location.bucket)

    def _fail(self, error: Exception, key: str | None, doing: str) -> StoreError:
        return store_error(error, self.location, key, doing)

    # -- the bucket --------------------------------------------------------------------------

    def check(self) -> None:
        """StoreError when the bucket is missing, denied or unreachable (one HEAD of the bucket)."""
        import obstore

        try:
            obstore.head(self.client, "")  # the bucket's own URL: S3's HeadBucket
        except _client_errors() as error:
            raise self._fail(error, None, "opening the bucket") from None

    def list_documents(self) -> ObjectListing:
        """Every document object under the prefix, in key order; `.curation/` is skipped, not listed.

        obstore refuses a whole page of keys when one has an empty, `.` or `..` part; then the prefix is walked
        folder by folder, so such a key costs only the listing of its own folder (a problem naming it).
        """
        listing = ObjectListing()
        base = self.location.base
        state = base + STATE_DIR + "/"
        try:
            # Everything under `.curation/` (audit entries pile up) sorts before `.curation0`:
            # the first pass stops there and the second starts after it.
            if self._list_into(listing, stop_at=state):
                self._list_into(listing, offset=base + STATE_DIR + "0")
        except _client_errors() as error:
            if not _is_a(error, "InvalidPathError"):
                raise self._fail(error, base or None, "listing the documents") from None
            listing = ObjectListing()
            self._walk_into(listing, base)
            order = sorted(range(len(listing.ids)), key=listing.ids.__getitem__)
            for column in (listing.ids, listing.sizes, listing.etags, listing.mtimes):
                column[:] = [column[index] for index in order]
        return listing

    def _walk_into(self, listing: ObjectListing, prefix: str) -> None:
        """Add the keys under `prefix`, one folder (one delimited listing) at a time."""
        import obstore

        try:
            found = obstore.list_with_delimiter(self.client, prefix or None)
        except _client_errors() as error:
            if not _is_a(error, "InvalidPathError"):
                raise self._fail(error, prefix or None, "listing the documents") from None
            bad = re.search(r'Path "([^"]*)"', str(error))
            where = bad.group(1)[len(self.location.base) :] if bad else prefix
            folder = prefix[len(self.location.base) :] or "the prefix"
            message = (f"has a key with an empty, `.` or `..` part, which the S3 client cannot list; nothing in "
                       f"{folder} could be listed: rename the object")  # fmt: skip
            listing.problems.append(Problem(where, None, message, ProblemKind.NOT_A_FILE))
            return
        listing.requests += 1
        for item in found["objects"]:
            self._add_listed(listing, item["path"][len(self.location.base) :], item)
        for folder in found["common_prefixes"]:
            if not folder.rstrip("/").rpartition("/")[2].startswith("."):  # hidden, `.curation/` among them
                self._walk_into(listing, folder.rstrip("/") + "/")

    def _list_into(self, listing: ObjectListing, *, stop_at: str | None = None, offset: str | None = None) -> bool:
        """Add one pass of keys; True when it stopped at `stop_at`."""
        import obstore

        base = self.location.base
        listed = 0
        try:
            for chunk in obstore.list(self.client, base or None, offset=offset, chunk_size=LIST_PAGE_SIZE):
                for item in chunk:
                    key = item["path"]
                    if stop_at is not None and key.startswith(stop_at):
                        return True
                    listed += 1
                    self._add_listed(listing, key[len(base) :], item)
        finally:
            listing.requests += 1 + listed // LIST_PAGE_SIZE  # S3 answers 1,000 keys a request
        return False

    def _add_listed(self, listing: ObjectListing, doc_id: str, item: dict[str, Any]) -> None:
        parts = doc_id.split("/")
        if doc_id.endswith("/") or any(part.startswith(".") for part in parts) or not is_document_name(parts[-1]):
            return  # a folder marker, hidden, or not a document
        try:
            check_document_id(doc_id)
        except UnsafePathError:
            message = "has a key that is not a document id (a backslash or a control character); rename the object"
            listing.problems.append(Problem(doc_id, None, message, ProblemKind.NOT_A_FILE))
            return
        listing.ids.append(doc_id)
        listing.sizes.append(int(item["size"]))
        listing.etags.append(item["e_tag"] or "")
        listing.mtimes.append(_ns(item["last_modified"]))

    # -- documents ---------------------------------------------------------------------------

    def get(self, doc_id: str, client: Any = None) -> StoredObject:
        """One document's bytes and version; UnsafePathError when there is no such object."""
        check_document_id(doc_id)
        key = self.location.key(doc_id)
        try:
            return self.get_key(key, client)
        except _client_errors() as error:
            if _missing(error):
                raise UnsafePathError(doc_id, f"no such document in {self.name}") from None
            raise self._fail(error, key, "reading the document") from None

    def get_key(self, key: str, client: Any = None) -> StoredObject:
        """An object's first MAX_DOCUMENT_BYTES + 1 bytes (enough to tell it is too large), ETag and attributes."""
        import obstore

        result = obstore.get(client or self.client, key)
        meta = result.meta
        if meta["size"] <= MAX_DOCUMENT_BYTES:
            raw = result.bytes().to_bytes()
        else:  # read no further than needed to say it is too large
            raw = b""
            for chunk in result.stream(min_chunk_size=64 * 1024):
                raw += bytes(chunk)
                if len(raw) > MAX_DOCUMENT_BYTES:
                    break
            raw = raw[: MAX_DOCUMENT_BYTES + 1]
        return StoredObject(raw, meta["e_tag"] or "", int(meta["size"]), _ns(meta["last_modified"]),
                            dict(result.attributes))  # fmt: skip

    def address(self, doc_id: str) -> str:
        """Where a document is, as an editor would look it up: its s3:// URL."""
        return self.location.url(self.location.key(doc_id))

    def read(self, doc_id: str) -> bytes:
        """One document's bytes."""
        return self.get(doc_id).raw

    def headers(self, key: str) -> dict[str, str]:
        """An object's response headers, lower-cased, from a HEAD through a URL the client signs (obstore keeps
        only some of them: the storage class, encryption, object lock and tags are read here)."""
        import obstore

        url = obstore.sign(self.client, "HEAD", key, dt.timedelta(minutes=5))
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, method="HEAD"), timeout=REQUEST_TIMEOUT_S
            ) as answer:
                return {name.lower(): value for name, value in answer.headers.items()}
        except urllib.error.HTTPError as error:
            raise self._fail(
                Failure(error.code, "", f"HTTP {error.code}"), key, "reading the document's headers"
            ) from None
        except OSError as error:
            raise self._fail(Failure(0, "", str(error)), key, "reading the document's headers") from None

    def get_many(self, doc_ids: Iterable[str]) -> Iterator[tuple[str, StoredObject | Exception | None]]:
        """(id, object, or the error reading it, or None when it is gone), in the order given, CONCURRENCY at a
        time from this process: threads waiting in obstore's blocking GET, which releases the GIL (its asyncio
        interface measured twice the CPU a request; docs/scaling.md)."""

        client = self.client  # one look at the settings for all of them (it reads the whole environment)

        def one(doc_id: str) -> tuple[str, StoredObject | Exception | None]:
            try:
                return doc_id, self.get(doc_id, client)
            except UnsafePathError:
                return doc_id, None  # deleted since the listing: not a document any more
            except CurationError as error:
                return doc_id, error

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            yield from pool.map(one, doc_ids)

    @contextmanager
    def writer(self, doc_id: str, audit_log: object = None) -> Iterator[S3Document]:
        """One document, to read, log a change for, and replace only if nobody changed it meanwhile."""
        if audit_log is not None:
            where = self.location.url(self.location.base + AUDIT_FOLDER)
            raise PublishRefusedError(
                doc_id, f"an S3 location keeps its audit log in {where}; a separate log is for folders"
            )
        yield S3Document(self, doc_id)

    # -- the audit log -----------------------------------------------------------------------

    def audit_key(self, entry: AuditEntry, written_ns: int | None = None) -> str:
        written_ns = time.time_ns() if written_ns is None else written_ns
        return f"{self.location.base}{AUDIT_FOLDER}{written_ns:020d}-{entry.change}.json"

    def append_audit(self, entry: AuditEntry, written_ns: int | None = None) -> str:
        """Create the entry's own object (never overwriting one), named by the time now (or `written_ns`)."""
        key = self.audit_key(entry, written_ns)
        body = (json.dumps(entry.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
        return self._create(key, body, "writing the audit entry")

    def _create(self, key: str, body: bytes, doing: str) -> str:
        """Create an object that must not exist yet (`If-None-Match: *`): a record is never overwritten."""
        import obstore

        try:
            obstore.put(self.client, key, body, mode="create", attributes={"Content-Type": "application/json"})
        except _client_errors() as error:
            raise self._fail(error, key, doing) from None
        return key

    def delete_object(self, key: str) -> None:
        import obstore

        try:
            obstore.delete(self.client, key)
        except _client_errors() as error:
            if not _missing(error):
                raise self._fail(error, key, "deleting an object") from None

    def read_audit(self, audit_log: object = None) -> tuple[list[AuditEntry], list[Problem]]:
        """Every audit entry, oldest first, and a warning for each object that is not one.

        An earlier reader's pack (`.curation/cache/audit-pack.json`) has the
        entries it read and the key up to which its listing is settled: only
        the keys after that are listed, and of those only the ones neither the
        pack nor this process has are fetched. A reader that fetched many, or
        found the pack unreadable, lists everything (the truth about older keys
        too) and writes the pack again.
        """
        if audit_log is not None:
            raise StoreError(self.name, "an S3 location keeps its audit log in the bucket; --audit-log is for folders")
        problems: list[Problem] = []
        pack, pack_unreadable = self._read_pack(problems)
        after = pack.listed_to if pack is not None else ""
        items = self._list_audit(after)
        unknown = self._unknown(items, pack)
        rewrite = pack_unreadable or len(unknown) >= PACK_AFTER
        if rewrite and after:
            after, items = "", self._list_audit("")
            unknown = self._unknown(items, pack)
        unreadable: dict[tuple[str, str], str] = {}
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            for item, result in zip(unknown, pool.map(self._audit_entry, unknown), strict=True):
                if isinstance(result, str):
                    unreadable[item] = result
        entries = pack.settled() if pack is not None and after else []
        for item in items:
            entry = _audit_cache.get((self.location.bucket, *item))
            if entry is not None:
                entries.append(entry)
            elif item in unreadable:
                problems.append(Problem(self.location.url(item[0]), None, unreadable[item], ProblemKind.AUDIT))
        if rewrite:
            self._write_pack(items)
        return entries, problems

    def audit_key_at(self, written_ns: int) -> str:
        """The name an audit entry written at `written_ns` would sort after: an offset for `entries_after`."""
        return f"{self.location.base}{AUDIT_FOLDER}{written_ns:020d}"

    def entries_after(self, after: str) -> tuple[list[AuditEntry], str]:
        """The audit entries named after the key `after` (one LIST, then a GET for each not read before), and
        the last key listed (`after` when there is none): how a server learns of another host's writes."""
        items = self._list_audit(after)
        entries = [entry for entry in map(self._audit_entry, items) if isinstance(entry, AuditEntry)]
        return entries, items[-1][0] if items else after

    def _list_audit(self, after: str) -> list[tuple[str, str]]:
        """(key, ETag) of the audit objects, in key order (time order), after the key `after` ("": all)."""
        return self._list_state(self.location.base + AUDIT_FOLDER, "listing the audit log", after)

    def _unknown(self, items: list[tuple[str, str]], pack: AuditPack | None) -> list[tuple[str, str]]:
        """The items neither this process nor the pack has (by key and ETag); the pack's go to this process's cache."""
        unknown = []
        for item in items:
            cache_key = (self.location.bucket, *item)
            if cache_key in _audit_cache:
                continue
            packed = pack.entries.get(item) if pack is not None else None
            if packed is None:
                unknown.append(item)
            else:
                _audit_cache[cache_key] = packed
        return unknown

    def _read_pack(self, problems: list[Problem]) -> tuple[AuditPack | None, bool]:
        """The pack (None when there is none, no hosts' key, or it cannot be trusted), and whether it was
        unreadable or not signed with the hosts' key (a warning)."""
        try:
            signing_key = shared_key()
        except ValueError as error:
            problems.append(self.shared_problem(AUDIT_PACK, error, "each entry was read on its own"))
            return None, False
        if signing_key is None:
            return None, False  # nothing shared without the hosts' key (curation.store.shared_state)
        key = self.state_key(AUDIT_PACK)
        known = _packs.get((self.location.bucket, key))
        import obstore

        try:
            options = {"if_none_match": known[0]} if known is not None else None
            result = obstore.get(self.client, key, options=options)
            raw, etag = result.bytes().to_bytes(), result.meta["e_tag"] or ""
        except _client_errors() as error:
            if known is not None and _is_a(error, "NotModifiedError"):
                return known[1], False
            return None, False  # none yet, or one this reader may not see: the entries are read one by one
        try:
            pack = _parse_pack(verified(signing_key, AUDIT_PACK, raw), self.location.base + AUDIT_FOLDER)
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError and SignatureError are ValueErrors
            message = f"unreadable audit pack: {error}; not used: each entry was read on its own (a writer replaces it)"
            problems.append(Problem(self.location.url(key), None, message, ProblemKind.AUDIT))
            return None, True
        _packs[(self.location.bucket, key)] = (etag, pack)
        return pack, False

    def _write_pack(self, items: list[tuple[str, str]]) -> None:
        """Write what this process knows of a full listing as the pack; a cache, so a failure is no error.

        It is settled up to the last key older than SETTLED_NS before which every entry was read: an entry
        still being written (or unreadable) is listed again by every reader.
        """
        if is_read_only():
            return
        known = [(item, _audit_cache.get((self.location.bucket, *item))) for item in items]
        listed_to, cutoff = "", time.time_ns() - SETTLED_NS
        for (key, _), entry in known:
            written = key.rpartition("/")[2][:20]
            if entry is None or not written.isdigit() or int(written) >= cutoff:
                break
            listed_to = key
        pack = {
            "format": PACK_FORMAT,
            "listed_to": listed_to,
            "entries": [
                {"key": key, "etag": etag, "entry": entry.to_json()}
                for (key, etag), entry in known
                if entry is not None
            ],
        }
        with suppress(StoreError, ValueError):  # a cache: not written is no error (ValueError: a short key)
            self.put_shared(AUDIT_PACK, json.dumps(pack, ensure_ascii=False).encode("utf-8"))

    def _audit_entry(self, item: tuple[str, str]) -> AuditEntry | str | None:
        """The entry an audit object holds, a message saying why it is not one, or None when it is gone."""
        cache_key = (self.location.bucket, *item)
        known = _audit_cache.get(cache_key)  # entries are never rewritten: the key and ETag pin the content
        if known is not None:
            return known
        key = item[0]
        try:
            raw = self.get_key(key).raw
        except _client_errors() as error:
            if _missing(error):
                return None  # a losing writer's entry, deleted while we listed
            return f"unreadable audit entry: {self._fail(error, key, 'reading the audit entry').message}; skipped"
        try:
            entry = AuditEntry.from_json(loads_untrusted(raw))
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            return f"unreadable audit entry: {error}; the object was skipped"
        _audit_cache[cache_key] = entry
        return entry

    # -- the schedule log (curation.schedules): one object per record -----------------------

    def append_schedule(self, record: ScheduleRecord) -> None:
        """Create the record's own object, named by the time now, its schedule and its kind."""
        name = f"{time.time_ns():020d}-{record.schedule}-{record.record}.json"
        self._create(self.location.base + SCHEDULE_FOLDER + name, record_line(record), "writing a schedule record")

    def read_schedule(self, *, open_only: bool = False) -> tuple[list[ScheduleRecord], list[Problem]]:
        """Every schedule record, oldest first, and a warning for each object that is not one. `open_only`: the
        records of schedules no key says are ended (what a run needs: one LIST and few GETs)."""
        prefix = self.location.base + SCHEDULE_FOLDER
        items = self._list_state(prefix, "listing the schedule log")
        names = {item: _SCHEDULE_KEY.fullmatch(item[0][len(prefix) :]) for item in items}
        ended = {match["schedule"] for match in names.values() if match and match["kind"] != RecordKind.CREATED}
        records: list[ScheduleRecord] = []
        problems: list[Problem] = []
        for item, match in names.items():
            if open_only and match and match["schedule"] in ended:
                continue
            record = self._schedule_record(item) if match else "its name is not <time>-<schedule>-<kind>.json"
            if isinstance(record, ScheduleRecord) and match and (record.schedule, record.record) != match.groups():
                record = "its schedule or kind is not the one its name says"
            if isinstance(record, ScheduleRecord):
                records.append(replace(record, source=(self.location.url(item[0]), None)))
            elif record is not None:
                problems.append(unreadable_record(self.location.url(item[0]), None, record))
        return records, problems

    def schedule_lock(self) -> AbstractContextManager[None]:
        return nullcontext()  # no lock in a bucket: each write's conditional PUT and the audit entries decide

    def _schedule_record(self, item: tuple[str, str]) -> ScheduleRecord | str | None:
        """The record an object holds, a message saying why it is not one, or None when it is gone."""
        cache_key = (self.location.bucket, *item)
        known = _schedule_cache.get(cache_key)  # records are never rewritten: the key and ETag pin the content
        if known is not None:
            return known
        try:
            record = parse_record(self.get_key(item[0]).raw)
        except _client_errors() as error:
            return None if _missing(error) else self._fail(error, item[0], "reading a schedule record").message
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            return str(error)
        _schedule_cache[cache_key] = record
        return record

    def _list_state(self, prefix: str, doing: str, after: str = "") -> list[tuple[str, str]]:
        """(key, ETag) of the objects under a state prefix, in key order, after the key `after` ("": all)."""
        import obstore

        try:
            pages = obstore.list(self.client, prefix, offset=after or None, chunk_size=LIST_PAGE_SIZE)
            return [(item["path"], item["e_tag"] or "") for page in pages for item in page]
        except _client_errors() as error:
            raise self._fail(error, prefix, doing) from None

    # -- other state (the shared parse cache) ------------------------------------------------

    def get_state(self, name: str) -> bytes | None:
        """An object under `<prefix>/.curation/`, or None when there is none."""
        key = self.state_key(name)
        import obstore

        try:
            return obstore.get(self.client, key).bytes().to_bytes()
        except _client_errors() as error:
            if _missing(error):
                return None
            raise self._fail(error, key, "reading the shared cache") from None

    def state_key(self, name: str) -> str:
        """The key of an object under `<prefix>/.curation/` (the shared caches)."""
        return self.location.base + f"{STATE_DIR}/{name}"

    def get_shared(self, name: str) -> bytes | None:
        """A signed object under `<prefix>/.curation/` (curation.store.shared_state): its data, or None without the
        hosts' key or when there is none; ValueError (SignatureError) when it is not signed with that key."""
        key = shared_key()
        stored = self.get_state(name) if key is not None else None
        return None if stored is None else verified(key, name, stored)

    def put_shared(self, name: str, data: bytes) -> str | None:
        """Sign and replace an object under `<prefix>/.curation/`; None (nothing written) without the hosts' key."""
        key = shared_key()
        return None if key is None else self.put_state(name, signed(key, name, data))

    def shared_problem(self, name: str, error: Exception, instead: str) -> Problem:
        """The warning for shared state that was not used: which object, why, and what was done instead."""
        return Problem(self.location.url(self.state_key(name)), None,
                       f"not used: {error}; {instead}", ProblemKind.STATE)  # fmt: skip

    def put_state(self, name: str, data: bytes) -> str:
        """Replace an object under `<prefix>/.curation/` (one PUT: readers see the old or the new one)."""
        import obstore

        key = self.state_key(name)
        try:
            obstore.put(self.client, key, data)
        except _client_errors() as error:
            raise self._fail(error, key, "writing the shared cache") from None
        return self.location.url(key)


_audit_cache: dict[tuple[str, str, str], AuditEntry] = {}
_schedule_cache: dict[tuple[str, str, str], ScheduleRecord] = {}
_SCHEDULE_KEY = re.compile(r"\d{20}-(?P<schedule>[0-9a-f]{12})-(?P<kind>[a-z]+)\.json")


@dataclass(frozen=True)
class AuditPack:
    """What a reader read of the audit log: each entry by key and ETag, and the key its listing is settled to."""

    listed_to: str  # "": nothing settled, list everything
    entries: dict[tuple[str, str], AuditEntry]  # (key, ETag) -> entry, in key order

    def settled(self) -> list[AuditEntry]:
        """The entries up to `listed_to`, in key order: the ones a reader does not list again."""
        return [entry for (key, _), entry in self.entries.items() if key <= self.listed_to]


_packs: dict[tuple[str, str], tuple[str, AuditPack]] = {}  # (bucket, key) -> (ETag, pack), per process


def _parse_pack(raw: bytes, audit_prefix: str) -> AuditPack:
    """An audit pack, validated; ValueError when anything in it is not what a pack holds."""
    data = loads_untrusted(raw)
    if not (isinstance(data, dict) and data.get("format") == PACK_FORMAT and isinstance(data.get("entries"), list)):
        raise ValueError(f"not an audit pack of format {PACK_FORMAT}")
    listed_to = data.get("listed_to")
    if not (isinstance(listed_to, str) and (listed_to == "" or listed_to.startswith(audit_prefix))):
        raise ValueError(f"`listed_to` is not a key under {audit_prefix}")
    packed = {}
    for number, item in enumerate(data["entries"], start=1):
        if not (isinstance(item, dict) and isinstance(item.get("key"), str) and isinstance(item.get("etag"), str)):
            raise ValueError(f"item {number} has no `key` and `etag`")
        if not item["key"].startswith(audit_prefix):
            raise ValueError(f"item {number} is not under {audit_prefix}")
        try:
            packed[(item["key"], item["etag"])] = AuditEntry.from_json(item.get("entry"))
        except ValueError as error:
            raise ValueError(f"item {number}: {error}") from None
    if listed_to and listed_to not in {key for key, _ in packed}:
        raise ValueError("`listed_to` is not one of its keys")
    return AuditPack(listed_to, dict(sorted(packed.items())))


@dataclass(frozen=True)
class KeptHeaders:
    """What a document's PUT carries over from the version read, and what it could not."""

    attributes: dict[str, str]
    encryption: tuple[tuple[str, Any], ...]  # S3Config entries of the client that writes it
    cannot_keep: list[str]

    @classmethod
    def of(cls, attributes: dict[str, str], headers: dict[str, str]) -> KeptHeaders:
        kept = dict(attributes)
        if headers.get("x-amz-storage-class", "STANDARD") != "STANDARD":
            kept["Storage-Class"] = headers["x-amz-storage-class"]
        encryption = tuple(
            (setting, headers[name].lower() == "true" if setting == "sse_bucket_key_enabled" else headers[name])
            for name, setting in ENCRYPTION_SETTINGS.items()
            if headers.get(name)
        )
        cannot = [what for name, what in CANNOT_KEEP.items() if headers.get(name) not in (None, "", "0", "OFF")]
        return cls(kept, encryption, cannot)


class S3Document:
    """One write to one object: GET with its ETag, create the audit entry, PUT with If-Match."""

    def __init__(self, store: S3Store, doc_id: str) -> None:
        self.store, self.doc_id = store, doc_id
        self.key = store.location.key(doc_id)
        self.current: StoredObject | None = None
        self.kept: KeptHeaders | None = None  # what the PUT carries over
        self.intent: str | None = None  # our audit entry's key, once created
        self.written_version: str | None = None  # the ETag our PUT got

    @property
    def size(self) -> int:
        assert self.current is not None
        return self.current.size

    @property
    def mtime_ns(self) -> int:
        assert self.current is not None
        return self.current.mtime_ns

    def read(self) -> bytes:
        self.current = self.store.get(self.doc_id)
        if self.current.size > MAX_DOCUMENT_BYTES:
            raise too_large(self.doc_id, self.current.size, "object")  # only its first MiB was read
        headers = self.store.headers(self.key)
        if headers.get("etag", self.current.etag) != self.current.etag:
            # Another writer's PUT landed between our GET and HEAD: the version we read is gone, as when it
            # wins the PUT race (a conflict with an expected sha, else tried again on the new version).
            raise VersionChanged(self.doc_id)
        self.kept = KeptHeaders.of(self.current.attributes, headers)
        if self.kept.cannot_keep:
            raise PublishRefusedError(
                self.doc_id,
                f"{self.store.address(self.doc_id)} has {' and '.join(self.kept.cannot_keep)}, which the S3 client "
                "(obstore) cannot carry over to a new version; nothing was written: remove it from the object, "
                "or change the object with another tool",
            )
        return self.current.raw

    def log(self, entry: AuditEntry) -> None:
        """Create the entry before the document changes: a writer that cannot log must not write."""
        try:
            self.intent = self.store.append_audit(entry)
        except StoreError as error:
            raise PublishRefusedError(
                self.doc_id, f"could not write the audit entry ({error}); nothing was written"
            ) from None

    def replace(self, raw: bytes) -> tuple[int, int]:
        """PUT the new bytes if the object is still the version read; (size, mtime_ns) of what was written.

        Raises VersionChanged (after deleting our entry) when another writer won.
        """
        import obstore

        assert self.current is not None and self.kept is not None
        store = self.store
        try:
            result = obstore.put(
                s3_client(store.location.bucket, self.kept.encryption), self.key, raw,
                mode={"e_tag": self.current.etag}, attributes=self.kept.attributes,
            )  # fmt: skip
        except _client_errors() as error:
            failure = Failure.of(error)
            lost = _conflict(error) or _missing(error) or failure.code == "ConditionalRequestConflict"
            if not lost and (not failure.answered or failure.status >= 500):
                # no answer, or a server error: the PUT may have happened
                raise PublishRefusedError(
                    self.doc_id,
                    f"{store._fail(error, self.key, 'writing the document').message}; the write may or "
                    "may not have happened: `curation history` tells, from the object itself",
                ) from None
            self._withdraw_intent()
            if lost:
                raise VersionChanged(self.doc_id) from None
            raise PublishRefusedError(
                self.doc_id, f"{store._fail(error, self.key, 'writing the document').message}; it is unchanged"
            ) from None
        self.written_version = result["e_tag"]
        return len(raw), time.time_ns()

    def _withdraw_intent(self) -> None:
        """Delete our entry for a PUT that certainly did not happen (see the module's docstring)."""
        if self.intent is None:
            return
        try:
            self.store.delete_object(self.intent)
        except StoreError as error:
            raise PublishRefusedError(
                self.doc_id,
                f"nothing was written, but its audit entry could not be withdrawn ({error}); "
                f"delete {self.store.location.url(self.intent)} by hand, or history shows it as done",
            ) from None
        self.intent = None
