"""Deterministic demo documents in the same schema as a real article file.

The same --seed always writes the same bytes, so demo folders, tests and
benchmarks are repeatable. Writing never follows a symbolic link: the out
folder is opened with O_NOFOLLOW | O_DIRECTORY and every file is created
relative to that descriptor with O_EXCL | O_NOFOLLOW, and a folder that
already holds documents is refused unless the caller forces it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import random
import re
import secrets
import stat
from contextlib import suppress
from pathlib import Path

from curation.documents import DOCUMENT_SUFFIXES
from curation.errors import CurationError

CATEGORIES = ("news", "sport", "business", "technology", "entertainment", "science", "health", "politics")
PROVIDERS = (
    ("Decider", "decider.com"), ("Game Rant", "gamerant.com"), ("GQ", "gqindia.com"),
    ("The Verge", "theverge.com"), ("Wired", "wired.com"), ("Ars Technica", "arstechnica.com"),
    ("BBC News", "bbc.co.uk"), ("Reuters", "reuters.com"), ("Le Monde", "lemonde.fr"),
    ("Der Spiegel", "spiegel.de"), ("El País", "elpais.com"), ("NHK", "nhk.or.jp"),
    ("The Guardian", "theguardian.com"), ("Bloomberg", "bloomberg.com"), ("TechCrunch", "techcrunch.com"),
    ("Nature", "nature.com"), ("Science Daily", "sciencedaily.com"), ("ESPN", "espn.com"),
    ("Sky Sports", "skysports.com"), ("Variety", "variety.com"), ("Rolling Stone", "rollingstone.com"),
    ("Politico", "politico.com"), ("Axios", "axios.com"), ("Süddeutsche", "sueddeutsche.de"),
    ("Corriere", "corriere.it"), ("Folha", "folha.uol.com.br"), ("The Hindu", "thehindu.com"),
    ("Stat News", "statnews.com"), ("Healthline", "healthline.com"), ("Engadget", "engadget.com"),
    ("Polygon", "polygon.com"), ("Financial Times", "ft.com"), ("Nikkei Asia", "asia.nikkei.com"),
    ("ABC News", "abcnews.go.com"), ("Al Jazeera", "aljazeera.com"), ("CBC", "cbc.ca"),
)  # fmt: skip
TOPICS = (
    "AI", "Facebook AI", "Climate", "Elections", "Football", "Tennis", "Streaming", "Netflix",
    "Space", "Vaccines", "Startups", "Markets", "Energy", "Gaming", "Music", "Film",
    "Privacy", "Robotics", "Education", "Housing", "Transport", "Olympics", "Chips", "Health",
)  # fmt: skip
SUBJECTS = (
    "Café owners", "Die Bundesliga", "Streaming giants", "Robot chefs", "São Paulo startups",
    "Tokyo’s night trains", "Zürich banks", "Small farmers", "The Mars rover", "Indie game studios",
    "Nurses", "Chess prodigies", "Électricité de France", "Rural clinics", "K-pop labels",
    "東京の書店", "Solar co-ops", "Deep-sea miners", "Crossword setters", "Açaí exporters",
)  # fmt: skip
VERBS = (
    "bet big on", "push back against", "quietly rethink", "race to adopt", "can’t agree on",
    "are winning with", "face a reckoning over", "turn to", "double down on", "say goodbye to",
)  # fmt: skip
OBJECTS = (
    "AI assistants", "four-day weeks", "cheaper batteries", "new rules", "the streaming model",
    "heat pumps", "open-source tools", "live sport", "old-school radio", "vertical farms",
    "quantum sensors", "the ‘creator economy’", "rail travel", "lab-grown coffee ☕", "tariffs",
)  # fmt: skip
PLACES = (
    "Berlin", "São Paulo", "Lagos", "Osaka", "the Midwest", "rural Wales", "Marseille", "Nairobi",
    "Jakarta", "Toronto", "the Alps", "Kraków", "Seville", "Melbourne", "Reykjavík", "Austin",
)  # fmt: skip
# Sentences an excerpt is made of; a real excerpt (the seed's) runs to about 250 characters.
SENTENCES = (
    "{subject} {verb} {object}, and the people who follow it closely say the change has been a long time coming.",
    "Critics argue the numbers do not add up yet, while supporters point to early results from pilots in {place}.",
    "In {place}, a handful of early adopters have already rebuilt their plans around {object}.",
    "The shift raises hard questions about cost, fairness and who gets left behind when {object} become the norm.",
    "Analysts expect the next twelve months to decide whether this is a passing trend or something more lasting.",
    "“We did not expect it to move this fast,” one organiser in {place} said, asking not to be named.",
    "Regulators have so far stayed on the sidelines, but that could change before the end of the year.",
    "It is a story about money, but also about habits: what people in {place} are willing to give up, and why.",
    "Some of the most interesting experiments are happening far from the headlines, in small towns near {place}.",
    "Here is what we know so far, what remains unclear, and what to watch for over the coming weeks.",
)  # fmt: skip
START = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
SPAN_SECONDS = int((dt.datetime(2024, 12, 31, tzinfo=dt.UTC) - START).total_seconds())
# Counts of related items and images, weighted so the documents average the seed's size (3,555 bytes).
RELATED_COUNTS = (0, 1, 2, 2, 2, 2, 3, 3, 3)
IMAGE_COUNTS = (0, 1, 1, 1, 1, 1, 1, 2, 2, 3)
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 .-]*[A-Za-z0-9]")
_NOT_PLAIN = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _quoted(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text, ensure_ascii=False)


def _scalar(text: str) -> str:
    """Plain where YAML reads the text back as the same string (as in the seed: `name: Decider`), else quoted."""
    return text if _PLAIN.fullmatch(text) and text.lower() not in _NOT_PLAIN else _quoted(text)


def _when(rng: random.Random) -> str:
    moment = START + dt.timedelta(seconds=rng.randrange(SPAN_SECONDS))
    return moment.strftime("%Y-%m-%dT%H:%M:00Z")


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isascii() and c.isalnum() else " " for c in text.lower()).split())[:60]


def _headline(rng: random.Random) -> str:
    headline = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    if rng.random() < 0.5:  # real headlines run from 40 to 110 characters
        headline += f", and {rng.choice(PLACES)} {rng.choice(('is watching', 'wants in', 'pays the price'))}"
    return headline


def _excerpt(rng: random.Random, sentences: int) -> str:
    chosen = rng.sample(SENTENCES, sentences)
    words = {"subject": rng.choice(SUBJECTS), "verb": rng.choice(VERBS), "object": rng.choice(OBJECTS)}
    return " ".join(sentence.format(place=rng.choice(PLACES), **words) for sentence in chosen)


def _image_lines(rng: random.Random, slug: str, count: int, indent: str) -> list[str]:
    lines = [f"{indent}images:"]
    for number in range(count):
        width, height = rng.choice(((1200, 800), (1920, 1080), (800, 600), (2000, 1000)))
        url = f"https://picsum.photos/seed/{slug}-{number}-{rng.randrange(10**6)}/{width // 4}/{height // 4}"
        lines += [
            f'{indent}  - url: "{url}"',
            f"{indent}    width: {width}",
            f"{indent}    height: {height}",
            f"{indent}    isCached: {rng.choice(('true', 'false'))}",
        ]
    return lines


def _urls(rng: random.Random, domain: str, slug: str, when: str) -> tuple[str, str, str]:
    """An article's web URL, its AMP URL and the AMP cache's URL."""
    url = f"https://{domain}/{when[:10].replace('-', '/')}/{slug}-{rng.randrange(10**6)}/"
    cdn = f"https://{domain.replace('.', '-')}.cdn.ampproject.org/c/s/{url[8:]}amp/"
    return url, f"{url}amp/", cdn


def _related_lines(rng: random.Random) -> list[str]:
    name, domain = rng.choice(PROVIDERS)
    title = _headline(rng)
    slug = _slug(title)
    when = _when(rng)
    url, amp, cdn = _urls(rng, domain, slug, when)
    lines = [
        f"  - title: {_quoted(title)}",
        f"    excerpt: {_quoted(_excerpt(rng, rng.randint(1, 2)))}",
        f"    publishedDateTime: {when}",
        f'    webUrl: "{url}"',
    ]
    if rng.random() < 0.6:  # as in the seed, some related items carry their AMP URLs too
        lines += [f'    ampWebUrl: "{amp}"', f'    cdnAmpWebUrl: "{cdn}"']
    lines += [
        "    type: article",
        "    provider:",
        f"      name: {_scalar(name)}",
        f"      domain: {domain}",
        f"    quality: {rng.randint(0, 100)}",
    ]
    if rng.random() < 0.9:
        lines += _image_lines(rng, slug, 1, "    ")
    return lines


def demo_document(rng: random.Random) -> str:
    """The text of one random but realistic article document, about the size of the seed."""
    name, domain = rng.choice(PROVIDERS)
    title = _headline(rng)
    when = _when(rng)
    slug = _slug(title)
    url, amp, cdn = _urls(rng, domain, slug, when)
    lines = [
        "---",
        f"category: {rng.choice(CATEGORIES)}",
        f"title: {_quoted(title)}",
        f"excerpt: {_quoted(_excerpt(rng, rng.choice((2, 3, 3))))}",
        f"publishedDateTime: {when}",
        f'originalUrl: "{url}"',
        f'webUrl: "{url}"',
        f'ampWebUrl: "{amp}"',
        f'cdnAmpWebUrl: "{cdn}"',
        "type: article",
        f"quality: {min(100, max(0, round(rng.gauss(55, 20))))}",
        f"heat: {rng.randint(0, 100)}",
        f"published: {'true' if rng.random() < 1 / 3 else 'false'}",
        "",
        "provider:",
        f"  name: {_scalar(name)}",
        f"  domain: {domain}",
        "",
        "topics:",
        *[f"  - {_scalar(topic)}" for topic in rng.sample(TOPICS, rng.randint(1, 4))],
    ]
    image_count = rng.choice(IMAGE_COUNTS)
    if image_count:
        lines += ["", *_image_lines(rng, slug, image_count, "")]
    related_count = rng.choice(RELATED_COUNTS)
    if related_count:
        lines += ["", "related:"]
        for _ in range(related_count):
            lines += _related_lines(rng)
    secured = base64.b64encode(rng.randbytes(440)).decode() + ";" + base64.b64encode(rng.randbytes(16)).decode()
    lines += ["", f'secured: "{secured}"', "---", ""]
    return "\n".join(lines)


class DemoFolderError(CurationError):
    """The out folder cannot take demo documents safely (a link, a file, or documents already there)."""


_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def count_documents(folder: Path) -> int:
    """How many files with a document name are in the folder and its subfolders (hidden ones skipped)."""
    count = 0
    for _root, folders, files in os.walk(folder):  # os.walk never descends into a linked folder
        folders[:] = [name for name in folders if not name.startswith(".")]
        count += sum(1 for name in files if not name.startswith(".") and name.lower().endswith(DOCUMENT_SUFFIXES))
    return count


def write_demo_collection(out: Path, count: int, seed: int = 0, *, force: bool = False) -> list[Path]:
    """Write `count` demo documents into `out`; the same seed gives the same bytes.

    Raises DemoFolderError when `out` is a symbolic link or not a folder, when it
    already holds documents and `force` is false, and when something other than a
    regular file stands where a demo file goes. With `force`, existing demo files
    are replaced atomically; other documents in the folder are left alone.
    """
    if out.is_symlink():
        raise DemoFolderError(str(out), "is a symbolic link; give the real folder (demo files never follow links)")
    out.mkdir(parents=True, exist_ok=True)
    try:
        folder_fd = os.open(out, _FOLDER_FLAGS)
    except OSError as error:
        # ELOOP/ENOTDIR: swapped for a link or a file after the checks above.
        raise DemoFolderError(str(out), f"cannot open the folder: {error.strerror}") from None
    try:
        existing = count_documents(out)
        if existing and not force:
            raise DemoFolderError(
                str(out),
                f"already holds {existing} document{'s' if existing != 1 else ''}; "
                "pass --force to write the demo documents among them (same-named files are replaced)",
            )
        rng = random.Random(seed)
        written = []
        for number in range(1, count + 1):
            data = demo_document(rng).encode("utf-8")
            name = f"demo_{number:06d}_{rng.randrange(16**16):016x}.txt"
            _write_new_file(folder_fd, name, data, out, force=force)
            written.append(out / name)
        return written
    finally:
        os.close(folder_fd)


def _write_new_file(folder_fd: int, name: str, data: bytes, out: Path, *, force: bool) -> None:
    try:
        fd = os.open(name, _NEW_FILE_FLAGS, 0o644, dir_fd=folder_fd)
    except FileExistsError:
        if not force:
            raise DemoFolderError(str(out / name), "exists already; pass --force to replace it") from None
        _replace_file(folder_fd, name, data, out)
        return
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _replace_file(folder_fd: int, name: str, data: bytes, out: Path) -> None:
    """Replace an existing regular file through a temp file and a rename; anything else is refused."""
    mode = os.stat(name, dir_fd=folder_fd, follow_symlinks=False).st_mode
    if stat.S_ISLNK(mode):
        raise DemoFolderError(str(out / name), "is a symbolic link where a demo file goes; remove it first")
    if not stat.S_ISREG(mode):
        raise DemoFolderError(str(out / name), "is not a regular file where a demo file goes; remove it first")
    temp = f".{name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(temp, _NEW_FILE_FLAGS, 0o644, dir_fd=folder_fd)
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        # rename replaces the directory entry itself: a link swapped in meanwhile is replaced, never followed.
        os.replace(temp, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp, dir_fd=folder_fd)
        raise


def _write_all(fd: int, data: bytes) -> None:
    # No fsync: demo data can be generated again, and bench writes 100,000 of these.
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
