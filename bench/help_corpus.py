"""A generator of realistic multilingual help articles (nb, sv, en) for the search benchmarks.

Articles are 300-900 words of Markdown with a title, ``##`` headings, numbered steps, bullet
lists, tables, tips and tags. Words follow a Zipf-like distribution over a help-center vocabulary,
and Norwegian and Swedish get compounds (``kurs`` + ``bevis`` -> ``kursbevis``) as real text does.
Each article is rendered by ``kb.content.markup.render_markdown`` into a kb ``Article``, exactly what the
content loader hands to the indexer, so the index sees the same plain text and headings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kb.content.markup import render_markdown
from kb.model import Article, Category, slugify

LANGUAGES = ("nb", "sv", "en")

CATEGORIES: dict[str, dict[str, str]] = {
    "getting-started": {"nb": "Kom i gang", "sv": "Kom igång", "en": "Getting started"},
    "courses": {"nb": "Kurs og innhold", "sv": "Kurser och innehåll", "en": "Courses and content"},
    "participants": {"nb": "Deltakere", "sv": "Deltagare", "en": "Participants"},
    "reports": {"nb": "Rapporter", "sv": "Rapporter", "en": "Reports"},
    "account": {"nb": "Konto og sikkerhet", "sv": "Konto och säkerhet", "en": "Account and security"},
    "integrations": {"nb": "Integrasjoner", "sv": "Integrationer", "en": "Integrations"},
    "billing": {"nb": "Fakturering", "sv": "Fakturering", "en": "Billing"},
    "troubleshooting": {"nb": "Feilsøking", "sv": "Felsökning", "en": "Troubleshooting"},
}

AUTHORS = (
    "Ester Andersson", "Lars Nilsen", "Ingrid Haugen", "Karin Lindqvist", "Johan Berg",
    "Sara Holm", "Mikael Ström", "Nora Bakke", "Emma Johansson", "Oliver Dahl",
)  # fmt: skip

VOCABULARY: dict[str, dict[str, list[str]]] = {
    "nb": {
        "nouns": [
            "deltaker",
            "deltakere",
            "deltakerne",
            "kurs",
            "kurset",
            "kursene",
            "prosjekt",
            "prosjektet",
            "modul",
            "modulen",
            "e-post",
            "e-posten",
            "innboks",
            "lenke",
            "lenken",
            "passord",
            "passordet",
            "innstillinger",
            "innstillingene",
            "administrator",
            "rapport",
            "rapporten",
            "rapporter",
            "fremdrift",
            "kursbevis",
            "invitasjon",
            "påminnelse",
            "gruppe",
            "gruppen",
            "domene",
            "organisasjon",
            "quiz",
            "spørsmål",
            "svar",
            "video",
            "fil",
            "filen",
            "menyen",
            "fanen",
            "knappen",
            "siden",
            "brukeren",
            "brukere",
            "kontoen",
            "tilgang",
            "oversikt",
            "resultat",
            "søppelpost",
            "avsender",
            "nettleser",
            "innlogging",
            "økt",
            "kalender",
            "mal",
            "maler",
            "evaluering",
            "tidsfrist",
            "faktura",
            "abonnement",
            "betaling",
            "integrasjon",
            "nøkkel",
            "tillatelser",
            "rolle",
            "roller",
            "eksport",
            "import",
            "språk",
            "varsel",
            "varsler",
            "sertifikat",
            "vurdering",
            "oppgave",
            "oppgaver",
            "dokument",
            "vedlegg",
            "skjema",
            "felt",
            "verdi",
            "lisens",
            "team",
            "leder",
            "ansatt",
            "ansatte",
            "bilde",
            "lyd",
            "undertekster",
            "mobil",
            "app",
            "nettbrett",
            "tidssone",
        ],
        "heads": ["kurs", "konto", "bruker", "e-post", "prosjekt", "engangs", "tilgangs", "rapport", "admin"],
        "tails": [
            "bevis",
            "innstillinger",
            "passord",
            "oversikt",
            "mal",
            "nøkkel",
            "liste",
            "rettigheter",
            "varsel",
        ],
        "verbs": [
            "klikk",
            "velg",
            "åpne",
            "legg",
            "lagre",
            "send",
            "sjekk",
            "finn",
            "endre",
            "slett",
            "opprett",
            "importer",
            "eksporter",
            "inviter",
            "aktiver",
            "deaktiver",
            "kopier",
            "lim",
            "last",
            "skriv",
            "bekreft",
            "vis",
            "skjul",
            "flytt",
            "tildel",
        ],
        "adjs": [
            "ny",
            "nye",
            "riktig",
            "personlig",
            "vanlig",
            "tilpasset",
            "enkel",
            "viktig",
            "aktiv",
            "inaktiv",
            "første",
            "siste",
            "automatisk",
            "manuell",
            "tilgjengelig",
            "valgfri",
            "obligatorisk",
            "gyldig",
            "fullført",
            "ugyldig",
        ],
        "glue": [
            "og",
            "i",
            "på",
            "til",
            "for",
            "med",
            "som",
            "at",
            "det",
            "du",
            "kan",
            "ikke",
            "er",
            "en",
            "et",
            "den",
            "de",
            "fra",
            "av",
            "når",
            "hvis",
            "eller",
            "etter",
            "før",
            "under",
            "over",
            "så",
            "også",
            "bare",
            "alle",
            "din",
            "ditt",
            "dine",
            "sin",
            "sitt",
            "må",
            "bør",
            "vil",
            "skal",
        ],
        "titles": [
            "Slik {v} du {n}",
            "Hva gjør jeg når {n} ikke fungerer?",
            "Hvordan {v} jeg {adj} {n}?",
            "{N} og {n}",
            "Feilsøking: {n}",
            "Om {n} i {n2}",
        ],
        "headings": [
            "Før du begynner",
            "Trinn for trinn",
            "Vanlige spørsmål",
            "Årsaker",
            "Tips",
            "Se også",
            "Begrensninger",
        ],
        "tip": ["Tips"],
    },
    "sv": {
        "nouns": [
            "deltagare",
            "deltagarna",
            "kurs",
            "kursen",
            "kurser",
            "projekt",
            "projektet",
            "modul",
            "modulen",
            "e-post",
            "inkorg",
            "länk",
            "länken",
            "lösenord",
            "lösenordet",
            "inställningar",
            "inställningarna",
            "administratör",
            "rapport",
            "rapporten",
            "rapporter",
            "framsteg",
            "kursintyg",
            "inbjudan",
            "påminnelse",
            "grupp",
            "gruppen",
            "domän",
            "organisation",
            "quiz",
            "fråga",
            "frågor",
            "svar",
            "video",
            "fil",
            "filen",
            "menyn",
            "fliken",
            "knappen",
            "sidan",
            "användaren",
            "användare",
            "kontot",
            "åtkomst",
            "översikt",
            "resultat",
            "skräppost",
            "avsändare",
            "webbläsare",
            "inloggning",
            "session",
            "kalender",
            "mall",
            "mallar",
            "utvärdering",
            "tidsgräns",
            "faktura",
            "abonnemang",
            "betalning",
            "integration",
            "nyckel",
            "behörigheter",
            "roll",
            "roller",
            "export",
            "import",
            "språk",
            "avisering",
            "certifikat",
            "bedömning",
            "uppgift",
            "uppgifter",
            "dokument",
            "bilaga",
            "formulär",
            "fält",
            "värde",
            "licens",
            "team",
            "chef",
            "anställd",
            "anställda",
            "bild",
            "ljud",
            "undertexter",
            "mobil",
            "app",
            "surfplatta",
            "tidszon",
        ],
        "heads": ["kurs", "konto", "användar", "e-post", "projekt", "engångs", "åtkomst", "rapport", "admin"],
        "tails": [
            "intyg",
            "inställningar",
            "lösenord",
            "översikt",
            "mall",
            "nyckel",
            "lista",
            "behörigheter",
            "avisering",
        ],
        "verbs": [
            "klicka",
            "välj",
            "öppna",
            "lägg",
            "spara",
            "skicka",
            "kontrollera",
            "hitta",
            "ändra",
            "ta",
            "skapa",
            "importera",
            "exportera",
            "bjud",
            "aktivera",
            "inaktivera",
            "kopiera",
            "klistra",
            "ladda",
            "skriv",
            "bekräfta",
            "visa",
            "dölj",
            "tilldela",
        ],
        "adjs": [
            "ny",
            "nya",
            "rätt",
            "personlig",
            "vanlig",
            "anpassad",
            "enkel",
            "viktig",
            "aktiv",
            "inaktiv",
            "första",
            "sista",
            "automatisk",
            "manuell",
            "tillgänglig",
            "valfri",
            "obligatorisk",
            "giltig",
            "slutförd",
            "ogiltig",
        ],
        "glue": [
            "och",
            "i",
            "på",
            "till",
            "för",
            "med",
            "som",
            "att",
            "det",
            "du",
            "kan",
            "inte",
            "är",
            "en",
            "ett",
            "den",
            "de",
            "från",
            "av",
            "när",
            "om",
            "eller",
            "efter",
            "före",
            "under",
            "över",
            "så",
            "också",
            "bara",
            "alla",
            "din",
            "ditt",
            "dina",
            "sin",
            "sitt",
            "måste",
            "bör",
            "vill",
            "ska",
        ],
        "titles": [
            "Så {v} du {n}",
            "Vad gör jag när {n} inte fungerar?",
            "Hur {v} jag {adj} {n}?",
            "{N} och {n}",
            "Felsökning: {n}",
            "Om {n} i {n2}",
        ],
        "headings": [
            "Innan du börjar",
            "Steg för steg",
            "Vanliga frågor",
            "Orsaker",
            "Tips",
            "Se även",
            "Begränsningar",
        ],
        "tip": ["Tips"],
    },
    "en": {
        "nouns": [
            "participant",
            "participants",
            "course",
            "courses",
            "project",
            "module",
            "email",
            "inbox",
            "link",
            "password",
            "settings",
            "administrator",
            "report",
            "reports",
            "progress",
            "certificate",
            "invitation",
            "reminder",
            "group",
            "domain",
            "organisation",
            "quiz",
            "question",
            "answer",
            "video",
            "file",
            "menu",
            "tab",
            "button",
            "page",
            "user",
            "users",
            "account",
            "access",
            "overview",
            "result",
            "spam",
            "sender",
            "browser",
            "sign-in",
            "session",
            "calendar",
            "template",
            "templates",
            "evaluation",
            "deadline",
            "dashboard",
            "invoice",
            "subscription",
            "payment",
            "integration",
            "key",
            "permissions",
            "role",
            "roles",
            "export",
            "import",
            "language",
            "notification",
            "assessment",
            "assignment",
            "document",
            "attachment",
            "form",
            "field",
            "value",
            "licence",
            "team",
            "manager",
            "employee",
            "employees",
            "image",
            "audio",
            "subtitles",
            "mobile",
            "app",
            "tablet",
            "timezone",
        ],
        "heads": [],
        "tails": [],
        "verbs": [
            "click",
            "select",
            "open",
            "add",
            "save",
            "send",
            "check",
            "find",
            "change",
            "delete",
            "create",
            "import",
            "export",
            "invite",
            "activate",
            "deactivate",
            "copy",
            "paste",
            "upload",
            "type",
            "confirm",
            "show",
            "hide",
            "move",
            "assign",
        ],
        "adjs": [
            "new",
            "correct",
            "personal",
            "regular",
            "custom",
            "simple",
            "important",
            "active",
            "inactive",
            "first",
            "last",
            "automatic",
            "manual",
            "available",
            "optional",
            "required",
            "valid",
            "completed",
            "invalid",
        ],
        "glue": [
            "and",
            "in",
            "on",
            "to",
            "for",
            "with",
            "which",
            "that",
            "it",
            "you",
            "can",
            "not",
            "is",
            "a",
            "an",
            "the",
            "they",
            "from",
            "of",
            "when",
            "if",
            "or",
            "after",
            "before",
            "under",
            "over",
            "so",
            "also",
            "only",
            "all",
            "your",
            "their",
            "must",
            "should",
            "will",
        ],
        "titles": [
            "How to {v} the {n}",
            "What to do when the {n} does not work",
            "Can I {v} a {adj} {n}?",
            "{N} and {n}",
            "Troubleshooting: {n}",
            "About {n} in the {n2}",
        ],
        "headings": [
            "Before you start",
            "Step by step",
            "Common questions",
            "Causes",
            "Tips",
            "See also",
            "Limitations",
        ],
        "tip": ["Tip"],
    },
}


RARE_SHARE = 0.06
SYLLABLES = {
    "nb": [
        "ka",
        "ro",
        "le",
        "sti",
        "vik",
        "berg",
        "fjell",
        "dal",
        "nor",
        "sk",
        "øy",
        "ån",
        "ti",
        "ve",
        "mar",
        "sol",
        "lund",
        "gård",
        "hei",
        "bu",
    ],
    "sv": [
        "ka",
        "ro",
        "le",
        "sti",
        "vik",
        "berg",
        "fjäll",
        "dal",
        "nor",
        "sk",
        "ö",
        "ån",
        "ti",
        "ve",
        "mar",
        "sol",
        "lund",
        "gård",
        "häl",
        "bu",
    ],
    "en": [
        "ka",
        "ro",
        "le",
        "sti",
        "wick",
        "berg",
        "field",
        "dale",
        "nor",
        "sk",
        "ton",
        "ley",
        "ti",
        "ve",
        "mar",
        "sol",
        "lund",
        "ford",
        "ham",
        "bu",
    ],
}


@dataclass(frozen=True)
class GeneratedArticle:
    """One generated article: its Markdown source (front-matter included) and the parts kb needs."""

    lang: str
    slug: str
    title: str
    author: str
    date: dt.date
    category_key: str
    tags: tuple[str, ...]
    body: str

    def source(self) -> str:
        tags = ", ".join(self.tags)
        return (
            f'---\ntitle: "{self.title}"\nauthor: {self.author}\ndate: {self.date.isoformat()}\n'
            f"category: {CATEGORIES[self.category_key][self.lang]}\ntags: [{tags}]\n---\n\n{self.body}"
        )


class Writer:
    """Help-article Markdown in one language, words drawn with Zipf-like frequencies."""

    def __init__(self, rng: random.Random, lang: str) -> None:
        self.rng = rng
        self.lang = lang
        self.vocab = VOCABULARY[lang]
        self.words = 0
        self._weights = {
            kind: [1.0 / (rank + 1) ** 0.8 for rank in range(len(values))]
            for kind, values in self.vocab.items()
        }

    def rare(self) -> str:
        """A long-tail word (product names, codes, rare terms): real vocabularies keep growing."""
        syllables = SYLLABLES[self.lang]
        word = "".join(self.rng.choice(syllables) for _ in range(self.rng.randint(2, 4)))
        return word if self.rng.random() < 0.8 else f"{word}{self.rng.randint(2, 999)}"

    def pick(self, kind: str) -> str:
        if kind == "nouns" and self.rng.random() < RARE_SHARE:
            return self.rare()
        if kind == "nouns" and self.vocab["heads"] and self.rng.random() < 0.12:
            return self.rng.choice(self.vocab["heads"]).rstrip("-") + self.rng.choice(self.vocab["tails"])
        return self.rng.choices(self.vocab[kind], weights=self._weights[kind])[0]

    def sentence(self) -> str:
        parts: list[str] = []
        for _ in range(self.rng.randint(7, 16)):
            roll = self.rng.random()
            kind = "glue" if roll < 0.42 else "nouns" if roll < 0.75 else "verbs" if roll < 0.88 else "adjs"
            parts.append(self.pick(kind))
        self.words += len(parts)
        if self.rng.random() < 0.15:
            parts[self.rng.randrange(len(parts))] = f"**{self.pick('nouns').capitalize()}**"
        if self.rng.random() < 0.06:
            noun = self.pick("nouns")
            parts.append(f"([{noun}](https://help.example.com/{self.lang}/{slugify(noun)}/))")
        if self.rng.random() < 0.04:
            parts.append(f"`{self.pick('nouns')}`")
        text = " ".join(parts)
        return text[0].upper() + text[1:] + self.rng.choice(".....?!")

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    def block(self) -> str:
        roll = self.rng.random()
        if roll < 0.45:
            return "\n".join(
                f"{n}. {self.pick('verbs').capitalize()} **{self.pick('nouns').capitalize()}**. "
                f"{self.sentence()}"
                for n in range(1, self.rng.randint(3, 8))
            )
        if roll < 0.75:
            return "\n".join(f"- {self.sentence()}" for _ in range(self.rng.randint(2, 5)))
        if roll < 0.9:
            rows = [
                "| " + " | ".join(self.pick("nouns").capitalize() for _ in range(3)) + " |",
                "|---|---|---|",
            ]
            for _ in range(self.rng.randint(2, 6)):
                self.words += 4
                rows.append(f"| {self.pick('nouns')} | {self.pick('adjs')} | {self.rng.randint(1, 90)} min |")
            return "\n".join(rows)
        return '```json\n{"participant": "ester@example.com", "project": 42, "active": true}\n```'

    def body(self) -> str:
        target = self.rng.randint(300, 900)
        blocks = [self.paragraph()]
        headings = self.rng.sample(self.vocab["headings"], k=len(self.vocab["headings"]))
        while self.words < target:
            heading = headings.pop() if headings else self.sentence().rstrip(".?!")[:40]
            blocks += [f"## {heading}", self.paragraph(), self.block()]
            if self.rng.random() < 0.25:
                blocks.append(f"> **{self.vocab['tip'][0]}:** {self.sentence()}")
        return "\n\n".join(blocks) + "\n"

    def title(self) -> str:
        template = self.rng.choice(self.vocab["titles"])
        noun = self.pick("nouns")
        return template.format(
            v=self.pick("verbs"), n=noun, N=noun.capitalize(), n2=self.pick("nouns"), adj=self.pick("adjs")
        )


def generate(n: int, seed: int = 1, languages: tuple[str, ...] = LANGUAGES) -> Iterator[GeneratedArticle]:
    """``n`` articles spread evenly over ``languages``; the same seed gives the same articles."""
    rng = random.Random(seed)
    for i in range(n):
        lang = languages[i % len(languages)]
        writer = Writer(rng, lang)
        title = writer.title()
        yield GeneratedArticle(
            lang=lang,
            slug=f"{slugify(title)[:60].strip('-')}-{i}",
            title=title,
            author=rng.choice(AUTHORS),
            date=dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2000)),
            category_key=rng.choice(list(CATEGORIES)),
            tags=tuple(dict.fromkeys(writer.pick("nouns") for _ in range(rng.randint(1, 4)))),
            body=writer.body(),
        )


def category(key: str, lang: str) -> Category:
    name = CATEGORIES[key][lang]
    return Category(key=key, lang=lang, name=name, slug=slugify(name))


def to_article(item: GeneratedArticle, keep_html: bool = True) -> Article:
    """The kb Article the content loader would build from ``item.source()``.

    ``keep_html=False`` drops the HTML and segments, which indexing never reads, to keep a 50k
    corpus in memory without measuring the benchmark's own copies as the index's memory.
    """
    rendered = render_markdown(item.body)
    source = item.source().encode("utf-8")
    return Article(
        lang=item.lang,
        slug=item.slug,
        title=item.title,
        author=item.author,
        date=item.date,
        category=category(item.category_key, item.lang),
        path=f"articles/{item.lang}/{item.slug}.md",
        html=rendered.html if keep_html else "",
        text=rendered.text,
        excerpt=rendered.excerpt,
        toc=rendered.toc,
        segments=rendered.segments if keep_html else (),
        tags=item.tags,
        links=rendered.links,
        source_hash=hashlib.sha256(source).hexdigest(),
    )


def write_knowledge_base(root: Path, items: list[GeneratedArticle]) -> None:
    """The articles as files of a knowledge base at ``root`` (for benchmarks that load from disk)."""
    (root / "kb.yml").write_text(f"site_name: Bench\nlanguages: [{', '.join(LANGUAGES)}]\n", encoding="utf-8")
    for item in items:
        folder = root / "articles" / item.lang
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{item.slug}.md").write_text(item.source(), encoding="utf-8")
