"""Benchmark of content loading: N generated help articles through ``load_library`` vs a baseline.

The baseline is the least any loader must do with the same files: ``yaml.safe_load`` on the
front-matter and ``MarkdownIt("js-default").render`` on the body. The ratio of the two times is
kb's own overhead (validation, plugins, highlighting, anchors, plain text, segments, the Library).

    .venv/bin/python bench/load_content.py            # 10,000 articles
    .venv/bin/python bench/load_content.py --n 2000 --profile

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import pstats
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from kb.content import load_library, load_settings
from kb.model import slugify

# --- vocabulary ---------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return text.split()


CATEGORIES = {
    "getting-started": {"nb": "Kom i gang", "sv": "Kom igång", "en": "Getting started"},
    "courses": {"nb": "Kurs og innhold", "sv": "Kurser och innehåll", "en": "Courses and content"},
    "participants": {"nb": "Deltakere", "sv": "Deltagare", "en": "Participants"},
    "reports": {"nb": "Rapporter", "sv": "Rapporter", "en": "Reports"},
    "account": {"nb": "Konto og sikkerhet", "sv": "Konto och säkerhet", "en": "Account"},
    "troubleshooting": {"nb": "Feilsøking", "sv": "Felsökning", "en": "Troubleshooting"},
}

AUTHORS = [
    "Ester Andersson", "Lars Nilsen", "Ingrid Haugen", "Karin Lindqvist", "Johan Berg",
    "Sara Holm", "Mikael Ström", "Nora Bakke", "Emma Johansson", "Oliver Dahl",
]  # fmt: skip

WORDS = {
    "nb": {
        "nouns": words(
            "deltaker deltakere kurs kurset prosjekt prosjektet modul modulen e-post e-posten "
            "innboks lenke lenken passord innstillinger administrator rapport rapporten fremdrift "
            "kursbevis invitasjon påminnelse gruppe gruppen domene organisasjon quiz spørsmål svar "
            "video fil filen menyen fanen knappen siden brukeren kontoen tilgang oversikt resultat "
            "søppelpost avsender nettleser innlogging økt kalender mal maler evaluering tidsfrist"
        ),
        "verbs": words(
            "klikk velg åpne legg lagre send sjekk finn endre slett opprett importer eksporter "
            "inviter aktiver deaktiver kopier lim last skriv bekreft vis skjul flytt"
        ),
        "adjs": words(
            "ny nye riktig personlig vanlig tilpasset enkel viktig aktiv inaktiv første siste "
            "automatisk manuell tilgjengelig valgfri obligatorisk gyldig fullført"
        ),
        "glue": words(
            "og i på til for med som at det du kan ikke er en et den de fra av når hvis eller "
            "etter før under over så også bare alle din ditt dine sin sitt må bør vil skal"
        ),
        "titles": [
            "Slik {v} du {n}",
            "Hva gjør jeg når {n} ikke fungerer?",
            "Hvordan {v} jeg {adj} {n}?",
            "{N} og {n}",
            "Feilsøking: {n}",
        ],
        "headings": ["Før du begynner", "Trinn for trinn", "Vanlige spørsmål", "Årsaker", "Tips"],
    },
    "sv": {
        "nouns": words(
            "deltagare kurs kursen projekt projektet modul modulen e-post inkorg länk länken "
            "lösenord inställningar administratör rapport rapporten framsteg kursintyg inbjudan "
            "påminnelse grupp gruppen domän organisation quiz fråga svar video fil filen menyn "
            "fliken knappen sidan användaren kontot åtkomst översikt resultat skräppost avsändare "
            "webbläsare inloggning session kalender mall utvärdering tidsgräns"
        ),
        "verbs": words(
            "klicka välj öppna lägg spara skicka kontrollera hitta ändra ta skapa importera "
            "exportera bjud aktivera inaktivera kopiera klistra ladda skriv bekräfta visa dölj"
        ),
        "adjs": words(
            "ny nya rätt personlig vanlig anpassad enkel viktig aktiv inaktiv första sista "
            "automatisk manuell tillgänglig valfri obligatorisk giltig slutförd"
        ),
        "glue": words(
            "och i på till för med som att det du kan inte är en ett den de från av när om eller "
            "efter före under över så också bara alla din ditt dina sin sitt måste bör vill ska"
        ),
        "titles": [
            "Så {v} du {n}",
            "Vad gör jag när {n} inte fungerar?",
            "Hur {v} jag {adj} {n}?",
            "{N} och {n}",
            "Felsökning: {n}",
        ],
        "headings": ["Innan du börjar", "Steg för steg", "Vanliga frågor", "Orsaker", "Tips"],
    },
    "en": {
        "nouns": words(
            "participant participants course project module email inbox link password settings "
            "administrator report progress certificate invitation reminder group domain "
            "organisation quiz question answer video file menu tab button page user account "
            "access overview result spam sender browser sign-in session calendar template "
            "evaluation deadline dashboard"
        ),
        "verbs": words(
            "click select open add save send check find change delete create import export "
            "invite activate deactivate copy paste upload type confirm show hide move"
        ),
        "adjs": words(
            "new correct personal regular custom simple important active inactive first last "
            "automatic manual available optional required valid completed"
        ),
        "glue": words(
            "and in on to for with which that it you can not is a an the they from of when if "
            "or after before under over so also only all your their must should will"
        ),
        "titles": [
            "How to {v} the {n}",
            "What to do when the {n} does not work",
            "Can I {v} a {adj} {n}?",
            "{N} and {n}",
            "Troubleshooting: {n}",
        ],
        "headings": ["Before you start", "Step by step", "Common questions", "Causes", "Tips"],
    },
}


# --- generation ---------------------------------------------------------------------------------


class Writer:
    """Realistic help-article Markdown from the word lists of one language."""

    def __init__(self, rng: random.Random, lang: str) -> None:
        self.rng = rng
        self.lang = lang
        self.w = WORDS[lang]
        self.words = 0

    def pick(self, kind: str) -> str:
        return self.rng.choice(self.w[kind])

    def sentence(self) -> str:
        parts: list[str] = []
        for _ in range(self.rng.randint(7, 16)):
            roll = self.rng.random()
            if roll < 0.40:
                parts.append(self.pick("glue"))
            elif roll < 0.75:
                parts.append(self.pick("nouns"))
            elif roll < 0.88:
                parts.append(self.pick("verbs"))
            else:
                parts.append(self.pick("adjs"))
        self.words += len(parts)
        if self.rng.random() < 0.15:
            parts[self.rng.randrange(len(parts))] = f"**{self.pick('nouns').capitalize()}**"
        if self.rng.random() < 0.08:
            noun = self.pick("nouns")
            parts.append(f"([{noun}](https://help.example.com/{self.lang}/{slugify(noun)}/))")
        if self.rng.random() < 0.05:
            parts.append(f"`{self.pick('nouns')}`")
        text = " ".join(parts)
        return text[0].upper() + text[1:] + self.rng.choice(".....?!")

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    def steps(self) -> str:
        lines = []
        for n in range(1, self.rng.randint(3, 7)):
            label = self.pick("nouns").capitalize()
            lines.append(f"{n}. {self.pick('verbs').capitalize()} **{label}**. {self.sentence()}")
            if self.rng.random() < 0.15:
                lines.append(f"   - {self.sentence()}")
        return "\n".join(lines)

    def bullets(self) -> str:
        return "\n".join(f"- {self.sentence()}" for _ in range(self.rng.randint(2, 5)))

    def table(self) -> str:
        rows = ["| " + " | ".join(self.pick("nouns").capitalize() for _ in range(3)) + " |"]
        rows.append("|---|---|---|")
        for _ in range(self.rng.randint(2, 6)):
            cells = [self.pick("nouns"), self.pick("adjs"), f"{self.rng.randint(1, 90)} min"]
            self.words += 4
            rows.append("| " + " | ".join(cells) + " |")
        return "\n".join(rows)

    def code(self) -> str:
        return '```json\n{"participant": "ester@example.com", "project": 42, "active": true}\n```'

    def body(self) -> str:
        target = self.rng.randint(300, 900)
        blocks = [self.paragraph()]
        headings = list(self.w["headings"])
        while self.words < target:
            heading = headings.pop(0) if headings else self.sentence().rstrip(".?!")[:40]
            blocks.append(f"## {heading}")
            blocks.append(self.paragraph())
            roll = self.rng.random()
            if roll < 0.45:
                blocks.append(self.steps())
            elif roll < 0.75:
                blocks.append(self.bullets())
            elif roll < 0.90:
                blocks.append(self.table())
            else:
                blocks.append(self.code())
            if self.rng.random() < 0.3:
                blocks.append(f"> **{self.pick('nouns').capitalize()}:** {self.sentence()}")
        return "\n\n".join(blocks) + "\n"

    def title(self) -> str:
        template = self.rng.choice(self.w["titles"])
        noun = self.pick("nouns")
        return template.format(v=self.pick("verbs"), n=noun, N=noun.capitalize(), adj=self.pick("adjs"))


def write_corpus(root: Path, n: int, seed: int) -> None:
    """``n`` valid articles spread over nb, sv and en, with kb.yml and categories.yml."""
    rng = random.Random(seed)
    languages = ("nb", "sv", "en")
    (root / "kb.yml").write_text("site_name: Bench\nlanguages: [nb, sv, en]\n", encoding="utf-8")
    categories = {
        key: {"order": i, **{lang: {"name": name} for lang, name in names.items()}}
        for i, (key, names) in enumerate(CATEGORIES.items(), start=1)
    }
    articles = root / "articles"
    for lang in languages:
        (articles / lang).mkdir(parents=True)
    (articles / "categories.yml").write_text(yaml.safe_dump(categories, allow_unicode=True), encoding="utf-8")
    for i in range(n):
        lang = languages[i % 3]
        writer = Writer(rng, lang)
        title = writer.title()
        category = CATEGORIES[rng.choice(list(CATEGORIES))][lang]
        tags = ", ".join(writer.pick("nouns") for _ in range(rng.randint(1, 4)))
        date = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2000))
        front = [
            f"title: {json.dumps(title, ensure_ascii=False)}",
            f"author: {rng.choice(AUTHORS)}",
            f"date: {date.isoformat()}",
            f"category: {category}",
            f"tags: [{tags}]",
        ]
        if rng.random() < 0.3:
            front.append(f"updated: {(date + dt.timedelta(days=rng.randrange(300))).isoformat()}")
        if rng.random() < 0.4:
            front.append(f"summary: {json.dumps(writer.sentence(), ensure_ascii=False)}")
        text = "---\n" + "\n".join(front) + "\n---\n\n" + writer.body()
        slug = f"{slugify(title)[:60].strip('-')}-{i}"
        (articles / lang / f"{slug}.md").write_text(text, encoding="utf-8")


# --- measuring ----------------------------------------------------------------------------------


def load_baseline(root: Path) -> int:
    """Front-matter through ``yaml.safe_load`` and the body through plain markdown-it-py."""
    md = MarkdownIt("js-default")
    count = 0
    for path in sorted((root / "articles").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        yaml.safe_load(front)
        md.render(body)
        count += 1
    return count


def rss_mb() -> float:
    """The process's peak resident set so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of articles")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of load_library")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        write_corpus(root, args.n, args.seed)
        generated = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (root / "articles").rglob("*.md"))

        rss_before = rss_mb()
        profiler = cProfile.Profile() if args.profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        result = load_library(load_settings(root))
        if profiler:
            profiler.disable()
        ours, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
        rss_after = rss_mb()
        words = sum(len(a.text.split()) for a in result.library)
        loaded = len(result.library) + len(result.drafts)
        if result.errors or loaded != args.n:
            sys.exit(f"bench corpus did not load cleanly: {result.errors[:3]}")

        started, cpu = time.perf_counter(), time.process_time()
        baseline_count = load_baseline(root)
        baseline, baseline_cpu = time.perf_counter() - started, time.process_time() - cpu

    report = {
        "articles": loaded,
        "avg_words": round(words / loaded),
        "corpus_mb": round(size / 2**20, 1),
        "generate_s": round(generated, 2),
        "ours": {
            "what": "kb.content.load_library",
            "seconds": round(ours, 2),
            "cpu_seconds": round(ours_cpu, 2),
            "articles_per_s": round(loaded / ours),
        },
        "baseline": {
            "what": "yaml.safe_load + MarkdownIt('js-default').render",
            "seconds": round(baseline, 2),
            "cpu_seconds": round(baseline_cpu, 2),
            "articles_per_s": round(baseline_count / baseline),
        },
        "ratio_ours_to_baseline": round(ours / baseline, 2),
        "cpu_ratio_ours_to_baseline": round(ours_cpu / baseline_cpu, 2),
        "peak_rss_mb": round(rss_after, 1),
        "rss_growth_during_load_mb": round(rss_after - rss_before, 1),
        "python": sys.version.split()[0],
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative")
        stats.print_stats(40)


if __name__ == "__main__":
    main()
