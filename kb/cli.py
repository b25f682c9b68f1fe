"""The kb command line: it parses arguments, wires the modules together and reports problems."""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from kb.content.catalogs import (
    compile_catalogs,
    content_catalog_path,
    read_content_catalog,
    update_content_catalog,
    write_content_template,
)
from kb.content.categories import load_categories
from kb.content.config import load_settings
from kb.content.files import atomic_write_text, locked
from kb.content.frontmatter import dump_front_matter
from kb.content.importer import import_file
from kb.content.loader import LoadResult, load_library, scaffold_body, slugs_in_use
from kb.errors import ConfigError, ContentError, KBError, Problems
from kb.i18n import _, ngettext, normalize_language
from kb.model import Article, fit_slug, slugify
from kb.search.synonyms import check_synonyms
from kb.settings import Settings

DISTRIBUTION = "kb-helpcenter"  # the name on the package index; the import package and command are kb
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CREATING_COMMANDS = ("import", "new")  # may start a knowledge base in a folder that does not exist yet

log = logging.getLogger(__name__)


def settings_of(ctx: click.Context) -> Settings:
    """The settings of the knowledge base chosen by ``--root`` (or ``KB_ROOT``)."""
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def report(problems: tuple[ContentError, ...]) -> None:
    if problems:  # one write: a big knowledge base may have ten thousand of them
        click.echo("\n".join(map(str, problems)), err=True)


@click.group()
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    envvar="KB_ROOT",
    default=".",
    help="Knowledge-base folder (holding articles/ and locales/).",
)
@click.option("-v", "--verbose", count=True, help="Log more (debug details); repeatable.")
@click.option("-q", "--quiet", count=True, help="Log only warnings (-q) or errors (-qq).")
@click.version_option(package_name=DISTRIBUTION)
@click.pass_context
def cli(ctx: click.Context, root: str, verbose: int, quiet: int) -> None:
    """kb: write help articles in Markdown, check them, search them and publish them."""
    configure_logging(verbose - quiet)
    if not Path(root).is_dir() and ctx.invoked_subcommand not in CREATING_COMMANDS:
        # TRANSLATORS: keep "error:" in English, as in every "path:line: error: message" line.
        message = _("{root}: error: no such knowledge-base folder (is --root or KB_ROOT right?)")
        click.echo(message.format(root=root), err=True)
        ctx.exit(1)
    try:
        ctx.obj = load_settings(root)
    except ConfigError as exc:  # already "kb.yml:line: error: message"
        click.echo(str(exc), err=True)
        ctx.exit(1)


def configure_logging(level: int) -> None:
    """Log lines on stderr: what kb does (info) by default, debug details with -v, less with -q."""
    if level >= 1:
        chosen = logging.DEBUG
    elif level == 0:
        chosen = logging.INFO
    else:
        chosen = logging.WARNING if level == -1 else logging.ERROR
    handler = StderrHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
    logging.basicConfig(level=chosen, handlers=[handler], force=True)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines to whatever ``sys.stderr`` is when a line is written (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def language_of(settings: Settings, lang: str | None) -> str:
    """The ``--lang`` value as a folder name (``no`` is ``nb``), if the site publishes it."""
    language = normalize_language(lang or settings.default_language)
    if language not in settings.languages:
        message = _("unknown language {lang!r} (languages: {languages})")
        raise click.BadParameter(
            message.format(lang=lang, languages=", ".join(settings.languages)), param_hint="'--lang'"
        )
    return language


@cli.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate every article and report each problem as path:line: message."""
    settings = settings_of(ctx)
    if not settings.articles_dir.is_dir():
        # TRANSLATORS: keep "error:" in English, as in every "path:line: error: message" line.
        message = _("{root}: error: no articles/ folder here (is --root or KB_ROOT right?)")
        click.echo(message.format(root=settings.root), err=True)
        ctx.exit(1)
    result: LoadResult = load_library(settings)
    report(result.problems)
    synonyms = Problems()
    check_synonyms(settings, synonyms)
    report(tuple(synonyms.items))
    count = len(result.library) + len(result.drafts)
    languages = len({a.lang for a in result.library}) or 0
    summary = ngettext("{n} article", "{n} articles", count).format(n=count)
    summary += ", " + ngettext("{n} language", "{n} languages", languages).format(n=languages)
    errors = len(result.errors) + sum(p.is_error for p in synonyms.items)
    summary += ", " + ngettext("{n} error", "{n} errors", errors).format(n=errors)
    warnings = len(result.warnings) + sum(not p.is_error for p in synonyms.items)
    summary += ", " + ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings)
    click.echo(summary)
    ctx.exit(1 if errors else 0)


@cli.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--lang", default=None, help="Language of the pages (default: the site's default).")
@click.option("--force", is_flag=True, help="Overwrite articles that exist already.")
@click.pass_context
def import_(ctx: click.Context, files: tuple[str, ...], lang: str | None, force: bool) -> None:
    """Convert help-center pages exported as plain text into articles."""
    settings = settings_of(ctx)
    language = language_of(settings, lang)
    failed = 0
    with locked(settings.articles_dir / language):
        taken = slugs_in_use(settings, language)
        for name in files:
            try:
                target = import_file(Path(name), settings.articles_dir, language, force=force, taken=taken)
            except ContentError as exc:
                click.echo(str(exc), err=True)
                failed += 1
            except OSError as exc:
                if exc.filename is not None and str(exc.filename) == name:
                    reason = _("cannot be read: {reason}").format(reason=exc.strerror)
                else:  # the article could not be written (it is not there half written: writes are atomic)
                    reason = _("cannot be imported: {reason}").format(reason=exc.strerror or exc)
                click.echo(str(ContentError(name, 1, reason)), err=True)
                failed += 1
            else:
                shown = target.relative_to(settings.root).as_posix()
                taken.setdefault(target.stem, shown)
                click.echo(shown)
    ctx.exit(1 if failed else 0)


def default_author() -> str:
    try:
        name = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    return name or getpass.getuser()


@cli.command()
@click.argument("title")
@click.option("--category", default="", help="Category name (or key) in the article's language.")
@click.option("--lang", default=None, help="Language (default: the site's default).")
@click.option("--author", default=None, help="Author (default: git's user.name).")
@click.pass_context
def new(ctx: click.Context, title: str, category: str, lang: str | None, author: str | None) -> None:
    """Create a new article with valid front-matter and print its path."""
    settings = settings_of(ctx)
    language = language_of(settings, lang)
    title = " ".join(title.split())
    slug = fit_slug(slugify(title))
    if not slug:
        raise click.UsageError(_("the title gives no usable slug"))
    categories = load_categories(settings, Problems())
    if not category.strip():
        choices = categories.names(language)
        message = _("give a category name") + (": " + ", ".join(choices) if choices else "")
        raise click.BadParameter(message, param_hint="'--category'")
    found = categories.resolve(language, category.strip())
    if categories.declared and found is None:
        names = ", ".join(categories.names(language))
        message = _("unknown category {name!r} in {lang!r} (categories: {names})")
        raise click.BadParameter(
            message.format(name=category, lang=language, names=names), param_hint="'--category'"
        )
    target = settings.articles_dir / language / f"{slug}.md"
    shown = target.relative_to(settings.root).as_posix()
    if target.exists():
        raise click.ClickException(_("{path} exists already").format(path=shown))
    other = slugs_in_use(settings, language).get(slug)
    if other is not None:
        message = _("the slug {slug!r} is used already by {other}: give the article another title")
        raise click.ClickException(message.format(slug=slug, other=other))
    front = {
        "title": title,
        "author": author or default_author(),
        "date": dt.date.today(),
        "category": found.name if found else category.strip(),
        "tags": [],
        "summary": "",
    }
    body = scaffold_body(language)
    try:  # exclusive: never overwrite, even in a race
        atomic_write_text(target, f"{dump_front_matter(front)}\n{body}\n", exclusive=True)
    except FileExistsError as exc:
        raise click.ClickException(_("{path} exists already").format(path=shown)) from exc
    except OSError as exc:
        message = _("cannot write {path}: {reason}").format(path=shown, reason=exc.strerror or exc)
        raise click.ClickException(message) from exc
    click.echo(shown)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Reload on changes to code, articles and catalogs.")
@click.option(
    "--production",
    is_flag=True,
    help="Serve with gunicorn (gevent workers); needs base_url or trusted_hosts in kb.yml.",
)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Processes.")
@click.option(
    "--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Per process (gthread only)."
)
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, debug: bool, production: bool, workers: int, threads: int
) -> None:
    """Serve the help center; the search indexes are created or brought up to date first."""
    from kb.web.server import run_development, run_production

    if debug and production:
        raise click.UsageError(_("--debug and --production cannot be combined"))
    if production:
        given = frozenset(
            name
            for name in ("host", "port", "workers", "threads")
            if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
        )
        run_production(settings_of(ctx), host, port, workers, threads, explicit=given)
    else:
        from kb.web.readers import stop_on_sigterm

        stop_on_sigterm()  # SIGTERM exits through atexit, which writes the queued reader data
        run_development(settings_of(ctx), host, port, debug)


def days_of(value: str) -> int:
    """``--since`` as days: ``30d``, ``30`` or ``4w``."""
    text = value.strip().lower()
    factor = 7 if text.endswith("w") else 1
    number = text.rstrip("dw")
    if not number.isdigit() or not 1 <= int(number) * factor <= 3650:
        message = _("{value!r} is not a period like 30d, 4w or 90 (days, at most 3650)")
        raise click.BadParameter(message.format(value=value), param_hint="'--since'")
    return int(number) * factor


@cli.command(name="report")
@click.option("--since", default="30d", show_default=True, help="Period: 30d, 4w or a number of days.")
@click.option("--lang", default=None, help="Only this language (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--purge", is_flag=True, help="First delete reader data older than retention_days (kb.yml).")
@click.pass_context
def report_command(ctx: click.Context, since: str, lang: str | None, as_json: bool, purge: bool) -> None:
    """What readers searched for, found, missed and thought of the articles (KB_DATABASE_URL or SQLite)."""
    import json

    from kb.store import build_report, open_store
    from kb.store.text import report_text

    settings = settings_of(ctx)
    days = days_of(since)
    language = language_of(settings, lang) if lang else None
    library = load_library(settings).library
    titles = {code: {a.slug: a.title for a in library.in_language(code)} for code in settings.languages}
    try:
        with open_store(settings) as store:
            if purge:
                deleted = store.purge(settings.retention_days)
                message = _(
                    "purged records older than {days} days: "
                    "{searches} searches, {clicks} clicks, {votes} votes"
                )
                click.echo(message.format(days=settings.retention_days, **deleted), err=True)
            found = build_report(store, since_days=days, lang=language, titles=titles)
    except Exception as exc:  # the database driver's errors: a message, not a traceback
        # TRANSLATORS: keep "error:" in English, as in every "path:line: error: message" line.
        click.echo(_("error: the reader data cannot be read: {reason}").format(reason=exc), err=True)
        ctx.exit(1)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        click.echo(report_text(found, _))


def load_or_fail(ctx: click.Context) -> LoadResult:
    """The library, with its problems reported; bad files are skipped, never fatal."""
    settings = settings_of(ctx)
    started = time.perf_counter()
    result = load_library(settings)
    log.debug(
        "%s: %d articles loaded in %.2f s", settings.root, len(result.library), time.perf_counter() - started
    )
    report(result.problems)
    return result


@cli.command()
@click.option("--rebuild", is_flag=True, help="Build every index from scratch (swapped in atomically).")
@click.option("--wait", default=30.0, show_default=True, help="Seconds to wait for another index run.")
@click.pass_context
def index(ctx: click.Context, rebuild: bool, wait: float) -> None:
    """Update the search indexes: only changed, added and removed articles are touched."""
    from kb.search.indexing import update_indexes

    result = load_or_fail(ctx)
    for item in update_indexes(settings_of(ctx), result.library, rebuild=rebuild, wait=wait):
        line = ngettext(
            "{lang}: {n} article ({added} added, {changed} changed, {removed} removed) in {seconds:.2f} s",
            "{lang}: {n} articles ({added} added, {changed} changed, {removed} removed) in {seconds:.2f} s",
            item.articles,
        ).format(
            lang=item.lang,
            n=item.articles,
            added=item.added,
            changed=item.changed,
            removed=item.removed,
            seconds=item.seconds,
        )
        click.echo(line + (" – " + _("rebuilt") if item.rebuilt else ""))


@cli.command()
@click.argument("query")
@click.option("--lang", default=None, help="Language to search (default: the site's default).")
@click.option("--category", default=None, help="Only this category (name, slug or key).")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def search(
    ctx: click.Context,
    query: str,
    lang: str | None,
    category: str | None,
    limit: int,
    page: int,
    sort: str,
    as_json: bool,
) -> None:
    """Search the articles of one language (the index is built first if there is none)."""
    import json
    import re

    from kb.search.indexing import open_index, update_indexes
    from kb.search.service import SearchRequest, SearchService

    settings = settings_of(ctx)
    language = normalize_language(lang or settings.default_language)
    if language not in settings.languages:
        raise click.BadParameter(_("unknown language {lang!r}").format(lang=language), param_hint="--lang")
    if open_index(settings, language) is None:
        update_indexes(settings, load_or_fail(ctx).library)
    result = SearchService(settings).search(
        SearchRequest(query, language, category=category, page=page, limit=limit, sort=sort)
    )
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    if result.fallback:
        click.echo(_("No article matched every word; showing the closest matches."))
    if result.suggestion:
        click.echo(_("Did you mean: {suggestion}?").format(suggestion=result.suggestion))
    click.echo(ngettext("{n} result", "{n} results", result.total).format(n=result.total))
    for number, hit in enumerate(result.hits, start=(page - 1) * limit + 1):
        snippet = re.sub(r"</?mark[^>]*>", "", hit.snippet).replace("\n", " ")
        click.echo(f"{number:>3}. {hit.title}  [{hit.category}]  {hit.url}")
        click.echo(f"     {html_unescape(snippet)}")


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


@cli.group(name="i18n")
def i18n_group() -> None:
    """Translate article content through gettext catalogs (locales/<lang>/LC_MESSAGES/articles.po)."""


def _source_articles(ctx: click.Context) -> list[Article]:
    settings = settings_of(ctx)
    return [a for a in load_or_fail(ctx).library if a.lang == settings.default_language and not a.translation]


def write_failed(ctx: click.Context, path: Path, exc: OSError) -> NoReturn:
    """Report a file kb could not write (it is unchanged: every write is atomic) and exit 1."""
    shown = settings_of(ctx).relative(path)
    reason = exc.strerror or str(exc)
    click.echo(
        _("error: cannot write {path}: {reason} (the file is unchanged)").format(path=shown, reason=reason),
        err=True,
    )
    ctx.exit(1)


@i18n_group.command()
@click.pass_context
def extract(ctx: click.Context) -> None:
    """Write locales/articles.pot: one message per translatable segment of the source articles.

    Drafts are extracted too; nothing is extracted while a source article fails to load, or its
    messages would vanish from the template (and their translations become obsolete).
    """
    settings = settings_of(ctx)
    result = load_or_fail(ctx)
    source_folder = f"{settings.relative(settings.articles_dir)}/{settings.default_language}/"
    failed = sorted({p.path for p in result.errors if p.path.startswith(source_folder)})
    if failed:
        message = ngettext(
            "error: {n} source article does not load, so nothing was extracted (fix it first): {paths}",
            "error: {n} source articles do not load, so nothing was extracted (fix them first): {paths}",
            len(failed),
        )
        click.echo(message.format(n=len(failed), paths=", ".join(failed)), err=True)
        ctx.exit(1)
    sources = [a for a in (*result.library, *result.drafts) if a.lang == settings.default_language]
    segments = [(s.text, a.path, s.line) for a in sources if not a.translation for s in a.segments]
    target = settings.locales_dir / "articles.pot"
    try:
        with locked(settings.locales_dir):
            count = write_content_template(segments, target)
    except OSError as exc:
        write_failed(ctx, target, exc)
    shown = target.relative_to(settings.root).as_posix()
    click.echo(ngettext("{path}: {n} message", "{path}: {n} messages", count).format(path=shown, n=count))


@i18n_group.command()
@click.option("--lang", "languages", multiple=True, help="Language to update (default: all but the source).")
@click.pass_context
def update(ctx: click.Context, languages: tuple[str, ...]) -> None:
    """Create or update each language's articles.po from the template; changed entries become fuzzy.

    Entries whose source text is gone are kept as obsolete (#~) and come back with their source.
    """
    settings = settings_of(ctx)
    template = settings.locales_dir / "articles.pot"
    if not template.is_file():
        raise click.ClickException(_("no locales/articles.pot yet: run 'kb i18n extract' first"))
    chosen = [language_of(settings, x) for x in languages] or [
        x for x in settings.languages if x != settings.default_language
    ]
    if settings.default_language in chosen:
        message = _("{lang!r} is the source language: its articles are the text to translate")
        raise click.BadParameter(message.format(lang=settings.default_language), param_hint="'--lang'")
    failed = False
    with locked(settings.locales_dir):
        for lang in chosen:
            shown = settings.relative(content_catalog_path(settings.locales_dir, lang))
            try:
                path, total, fuzzy = update_content_catalog(template, settings.locales_dir, lang, shown)
            except ContentError as exc:
                click.echo(str(exc), err=True)
                failed = True
                continue
            except OSError as exc:
                write_failed(ctx, content_catalog_path(settings.locales_dir, lang), exc)
            rel = path.relative_to(settings.root).as_posix()
            line = ngettext(
                "{path}: {n} message, {fuzzy} fuzzy", "{path}: {n} messages, {fuzzy} fuzzy", total
            )
            click.echo(line.format(path=rel, n=total, fuzzy=fuzzy))
    ctx.exit(1 if failed else 0)


@i18n_group.command(name="compile")
@click.pass_context
def compile_(ctx: click.Context) -> None:
    """Compile every catalog under locales/ (.po to .mo)."""
    settings = settings_of(ctx)
    try:
        with locked(settings.locales_dir):
            written = compile_catalogs(settings.locales_dir)
    except ContentError as exc:
        click.echo(str(exc), err=True)
        ctx.exit(1)
    except OSError as exc:
        write_failed(ctx, Path(exc.filename or settings.locales_dir), exc)
    for path in written:
        click.echo(path.relative_to(settings.root).as_posix())


@i18n_group.command()
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Per language and article: how many segments are translated, fuzzy and missing."""
    settings = settings_of(ctx)
    sources = _source_articles(ctx)
    for lang in settings.languages:
        if lang == settings.default_language:
            continue
        catalog = read_content_catalog(settings.locales_dir, lang)
        click.echo(f"{lang}:")
        for article in sources:
            texts = [s.text for s in article.segments]
            done = sum(1 for t in texts if t in catalog and not catalog[t].fuzzy)
            fuzzy = sum(1 for t in texts if t in catalog and catalog[t].fuzzy)
            line = _("{slug}: {done} translated, {fuzzy} fuzzy, {missing} missing").format(
                slug=article.slug, done=done, fuzzy=fuzzy, missing=len(texts) - done - fuzzy
            )
            click.echo("  " + line)


@cli.command()
@click.option(
    "--out", type=click.Path(file_okay=False), default=None, help="Output folder (default: build/)."
)
@click.option(
    "--base-url", default="", help="The site's public address, for the sitemap, feeds and OpenSearch."
)
@click.option(
    "--zip", "zip_file", type=click.Path(dir_okay=False), default=None, help="Also write a zip of it."
)
@click.option("--strict", is_flag=True, help="Fail on broken links in articles instead of warning.")
@click.pass_context
def build(ctx: click.Context, out: str | None, base_url: str, zip_file: str | None, strict: bool) -> None:
    """Export the site as static files that work opened from disk (file://), search included."""
    from kb.errors import ExportError
    from kb.export import BrokenLink, Exporter

    settings = settings_of(ctx)
    exporter = Exporter(settings, base_url=base_url)
    report(exporter.problems)
    if strict and (broken := exporter.broken_links()):  # else warnings, reported after the build
        click.echo("\n".join(BrokenLink.lines(broken)), err=True)
        ctx.exit(1)
    target = Path(out) if out else settings.build_dir
    archive = Path(zip_file) if zip_file else None
    try:
        if sys.stderr.isatty():
            with click.progressbar(length=exporter.steps(), label=_("Building"), file=sys.stderr) as bar:
                result = exporter.build(target, archive, progress=bar.update)
        else:
            result = exporter.build(target, archive)
    except ExportError as exc:
        click.echo(_("error: {message}").format(message=exc), err=True)
        ctx.exit(1)
    if broken := exporter.broken_links():  # found while the build ran
        suffix = f" ({_('warning')})"
        click.echo("\n".join(line + suffix for line in BrokenLink.lines(broken)), err=True)
    for size in result.indexes:
        per_article = size.gzipped / max(1, size.articles)
        line = _("{lang}: search index {raw} bytes, {gzipped} gzipped ({per} per article); snippets {text}")
        click.echo(
            line.format(
                lang=size.lang,
                raw=size.raw,
                gzipped=size.gzipped,
                per=f"{per_article:.0f}",
                text=size.text_gzipped,
            )
        )
    summary = _("{path}: {pages} pages, {files} files, {size:.1f} MB in {seconds:.1f} s")
    shown = result.out.as_posix()
    mb = result.size / 1_000_000
    line = summary.format(path=shown, pages=result.pages, files=result.files, size=mb, seconds=result.seconds)
    if result.reused:
        line += " " + _("({n} files unchanged since the previous build)").format(n=result.reused)
    click.echo(line)


def main() -> None:
    """Entry point of the ``kb`` console script: KB errors become messages, never tracebacks."""
    try:
        cli.main(prog_name="kb", standalone_mode=True)
    except KBError as exc:
        # TRANSLATORS: keep "error:" in English, as in every "path:line: error: message" line.
        click.echo(_("error: {message}").format(message=exc), err=True)
        sys.exit(1)  # a runtime error; click gives usage errors 2
