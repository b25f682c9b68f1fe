"""Categories: ``articles/categories.yml`` read into Category values per language, by name and key."""

from __future__ import annotations

from dataclasses import dataclass

from kb.content.frontmatter import (
    as_int,
    as_required_text,
    as_text,
    compose_fields,
    compose_mapping,
    decode_source,
)
from kb.errors import ContentError, Problems
from kb.i18n import _, is_known_language, normalize_language
from kb.model import MAX_SLUG_BYTES, Category, fit_slug, slug_file_bytes, slugify
from kb.settings import Settings

# --- categories ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryTable:
    """Categories from ``articles/categories.yml``: by language, each name and key to a Category."""

    by_lang: dict[str, dict[str, Category]]
    declared: bool

    def resolve(self, lang: str, value: str) -> Category | None:
        table = self.by_lang.get(lang, {})
        return table.get(value.casefold())

    def names(self, lang: str) -> list[str]:
        return sorted({c.name for c in self.by_lang.get(lang, {}).values()})


def category_slug(
    rel: str,
    line: int,
    key: str,
    lang: str,
    name: str,
    slugs: dict[tuple[str, str], tuple[str, int]],
    problems: Problems,
) -> str:
    """The slug of a category's name (else of its key): never empty, too long or another's, so every
    category has its own address; each of those cases is reported as an error at ``line``."""
    slug = slugify(name) or slugify(key)
    if not slug:
        message = _(
            "category {key!r} in {lang!r}: neither its name nor its key has a letter or digit for its address"
        )
        problems.add(rel, line, message.format(key=key, lang=lang))
        slug = "category"
    elif slug_file_bytes(slug) > MAX_SLUG_BYTES:
        message = _("category {key!r} in {lang!r}: its name gives an address longer than {limit} bytes")
        problems.add(rel, line, message.format(key=key, lang=lang, limit=MAX_SLUG_BYTES))
        slug = fit_slug(slug)
    taken = slugs.get((lang, slug))
    if taken is not None and taken[0] != key:
        unique, n = slug, 2
        while (lang, unique) in slugs:
            unique, n = f"{fit_slug(slug, MAX_SLUG_BYTES - 8)}-{n}", n + 1
        message = _(
            "category {key!r} in {lang!r} has the address of category {other!r} (line {line}): "
            "rename one of them; until then it is /{lang}/categories/{unique}/"
        )
        problems.add(
            rel, line, message.format(key=key, lang=lang, other=taken[0], line=taken[1], unique=unique)
        )
        slug = unique
    slugs.setdefault((lang, slug), (key, line))
    return slug


def load_categories(settings: Settings, problems: Problems) -> CategoryTable:
    """Read ``articles/categories.yml`` (optional): per category key, names by language."""
    path = settings.articles_dir / "categories.yml"
    rel = settings.relative(path)
    table: dict[str, dict[str, Category]] = {lang: {} for lang in settings.languages}
    slugs: dict[tuple[str, str], tuple[str, int]] = {}  # (lang, slug) -> the category key and line using it
    if not path.is_file():
        return CategoryTable(table, declared=False)
    try:
        entries = compose_mapping(decode_source(path.read_bytes(), rel), rel)
    except ContentError as exc:  # reported once here, not again for every article
        problems.items.append(exc)
        return CategoryTable(table, declared=False)
    except OSError as exc:
        problems.add(rel, 1, _("cannot be read: {reason}").format(reason=exc.strerror))
        return CategoryTable(table, declared=False)
    for position, (key, line, node) in enumerate(entries, start=1):
        try:
            fields = compose_fields(node, key)
            order = as_int(fields["order"][1], "order") if "order" in fields else position
            for lang_key, (lang_line, local) in fields.items():
                if lang_key == "order":
                    continue
                lang = normalize_language(lang_key)
                if not is_known_language(lang):
                    message = _("unknown language {lang!r} in category {key!r}")
                    problems.add(rel, lang_line, message.format(lang=lang_key, key=key))
                    continue
                if lang not in settings.languages:  # a language the site does not publish
                    continue
                names = compose_fields(local, f"{key}.{lang_key}")
                name = as_required_text(names["name"][1], "name") if "name" in names else ""
                if not name:
                    message = _("category {key!r} has no 'name' in {lang!r}")
                    problems.add(rel, lang_line, message.format(key=key, lang=lang_key))
                    continue
                description = names.get("description")
                slug = category_slug(rel, lang_line, key, lang, name, slugs, problems)
                category = Category(
                    key=key,
                    lang=lang,
                    name=name,
                    slug=slug,
                    description=as_text(description[1], "description") if description else "",
                    order=order,
                )
                table[lang][key.casefold()] = category
                table[lang][name.casefold()] = category
        except ValueError as exc:
            problems.add(rel, line, str(exc))
    return CategoryTable(table, declared=True)
