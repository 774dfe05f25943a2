"""`make bench-import`: BENCH_IMPORT_POSTS (10000) synthetic WordPress posts in one WXR
file, imported into a fresh SQLite database by `byline import wordpress`; prints the time
of the first run and of a second run of the same file (which must change nothing)."""

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

WORDS = [
    "council",
    "budget",
    "river",
    "bridge",
    "school",
    "election",
    "minister",
    "hospital",
    "court",
    "station",
    "energy",
    "harvest",
    "museum",
    "strike",
    "vote",
    "report",
    "city",
    "county",
    "mayor",
    "police",
    "weather",
    "market",
    "port",
]


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."


def write_export(path: Path, posts: int, seed: int = 2025) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
            "<title>Bench</title><link>https://old.example</link>\n"
        )
        for i in range(5):
            out.write(
                f"<wp:author><wp:author_login>writer{i}</wp:author_login>"
                f"<wp:author_display_name>Writer {i}</wp:author_display_name></wp:author>\n"
            )
        for i in range(20):
            out.write(
                f"<wp:category><wp:category_nicename>desk-{i}</wp:category_nicename>"
                f"<wp:cat_name>Desk {i}</wp:cat_name></wp:category>\n"
            )
        for n in range(1, posts + 1):
            day = f"20{10 + n % 15:02d}-{1 + n % 12:02d}-{1 + n % 28:02d}"
            paragraphs = "".join(
                f"<!-- wp:paragraph --><p>{escape(_sentence(rng))} <strong>"
                f"{escape(_sentence(rng))}</strong></p><!-- /wp:paragraph -->\n"
                for _ in range(rng.randint(4, 10))
            )
            heading = f"<!-- wp:heading --><h2>{escape(_sentence(rng))}</h2><!-- /wp:heading -->"
            out.write(
                f"<item><title>{escape(_sentence(rng))}</title>"
                f"<link>https://old.example/{day.replace('-', '/')}/post-{n}/</link>"
                f"<dc:creator>writer{n % 5}</dc:creator>"
                f"<content:encoded><![CDATA[{paragraphs}{heading}]]></content:encoded>"
                f"<excerpt:encoded><![CDATA[{_sentence(rng)}]]></excerpt:encoded>"
                f"<wp:post_id>{n}</wp:post_id>"
                f"<wp:post_date_gmt>{day} 10:00:00</wp:post_date_gmt>"
                f"<wp:post_name>post-{n}</wp:post_name><wp:status>publish</wp:status>"
                f"<wp:post_type>post</wp:post_type>"
                f'<category domain="category" nicename="desk-{n % 20}">Desk {n % 20}</category>'
                f'<category domain="post_tag" nicename="topic-{n % 50}">Topic {n % 50}</category>'
                "</item>\n"
            )
        out.write("</channel></rss>\n")


def main() -> None:
    posts = int(os.environ.get("BENCH_IMPORT_POSTS", "10000"))
    folder = Path(tempfile.mkdtemp(prefix="byline-bench-import-"))
    export = folder / "export.xml"
    write_export(export, posts)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}"}
    env["DATA_DIR"] = str(folder)
    byline = str(Path(sys.executable).with_name("byline"))
    subprocess.run([byline, "migrate"], env=env, check=True, capture_output=True)
    for label in ("first run", "second run"):
        started = time.perf_counter()
        subprocess.run(
            [byline, "import", "wordpress", str(export), "--json"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
        print(f"{label}: {posts} posts in {seconds:.1f} s ({posts / seconds:.0f} posts/s)")


if __name__ == "__main__":
    main()
