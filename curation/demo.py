"""Deterministic demo documents in the same schema as a real article file.

The same --seed always writes the same bytes, so demo folders, tests and
benchmarks are repeatable.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
from pathlib import Path

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
START = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
SPAN_SECONDS = int((dt.datetime(2024, 12, 31, tzinfo=dt.UTC) - START).total_seconds())


def _quoted(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text, ensure_ascii=False)


def _when(rng: random.Random) -> str:
    moment = START + dt.timedelta(seconds=rng.randrange(SPAN_SECONDS))
    return moment.strftime("%Y-%m-%dT%H:%M:00Z")


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isascii() and c.isalnum() else " " for c in text.lower()).split())[:60]


def _headline(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"


def _excerpt(rng: random.Random, title: str) -> str:
    trend = rng.choice(OBJECTS).capitalize()
    return f"{title}. {trend} are changing how people live and work, and not everyone is happy about it."


def _image_lines(rng: random.Random, domain: str, indent: str) -> list[str]:
    lines = [f"{indent}images:"]
    for _ in range(rng.randint(1, 3)):
        width, height = rng.choice(((1200, 800), (1920, 1080), (800, 600), (2000, 1000)))
        lines += [
            f'{indent}  - url: "https://picsum.photos/seed/{rng.randrange(10**9)}/{width // 4}/{height // 4}"',
            f"{indent}    width: {width}",
            f"{indent}    height: {height}",
            f"{indent}    isCached: {rng.choice(('true', 'false'))}",
        ]
    return lines


def demo_document(rng: random.Random) -> str:
    """The text of one random but realistic article document."""
    name, domain = rng.choice(PROVIDERS)
    title = _headline(rng)
    when = _when(rng)
    url = f"https://{domain}/{when[:10].replace('-', '/')}/{_slug(title)}-{rng.randrange(10**6)}/"
    lines = [
        "---",
        f"category: {rng.choice(CATEGORIES)}",
        f"title: {_quoted(title)}",
        f"excerpt: {_quoted(_excerpt(rng, title))}",
        f"publishedDateTime: {when}",
        f'originalUrl: "{url}"',
        f'webUrl: "{url}"',
        f'ampWebUrl: "{url}amp/"',
        f'cdnAmpWebUrl: "https://{domain.replace(".", "-")}.cdn.ampproject.org/c/s/{url[8:]}amp/"',
        "type: article",
        f"quality: {min(100, max(0, round(rng.gauss(55, 20))))}",
        f"heat: {rng.randint(0, 100)}",
        f"published: {'true' if rng.random() < 1 / 3 else 'false'}",
        "",
        "provider:",
        f"  name: {_quoted(name)}",
        f"  domain: {domain}",
        "",
        "topics:",
        *[f"  - {_quoted(topic)}" for topic in rng.sample(TOPICS, rng.randint(1, 4))],
    ]
    if rng.random() < 0.85:
        lines += ["", *_image_lines(rng, domain, "")]
    related_count = rng.randint(0, 3)
    if related_count:
        lines += ["", "related:"]
        for _ in range(related_count):
            other_name, other_domain = rng.choice(PROVIDERS)
            other_title = _headline(rng)
            lines += [
                f"  - title: {_quoted(other_title)}",
                f"    excerpt: {_quoted(other_title + ' …')}",
                f"    publishedDateTime: {_when(rng)}",
                f'    webUrl: "https://{other_domain}/{_slug(other_title)}/"',
                "    type: article",
                "    provider:",
                f"      name: {_quoted(other_name)}",
                f"      domain: {other_domain}",
                f"    quality: {rng.randint(0, 100)}",
            ]
            if rng.random() < 0.5:
                lines += _image_lines(rng, other_domain, "    ")
    secured = base64.b64encode(rng.randbytes(300)).decode() + ";" + base64.b64encode(rng.randbytes(16)).decode()
    lines += ["", f'secured: "{secured}"', "---", ""]
    return "\n".join(lines)


def write_demo_collection(out: Path, count: int, seed: int = 0) -> list[Path]:
    """Write `count` demo documents into `out`; the same seed gives the same bytes."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for number in range(1, count + 1):
        text = demo_document(rng)
        path = out / f"demo_{number:06d}_{rng.randrange(16**16):016x}.txt"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
