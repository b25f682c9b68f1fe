"""The kb command line: it parses arguments, wires the modules together and reports problems."""

from __future__ import annotations

import datetime as dt
import getpass
import subprocess
import sys
from pathlib import Path

import click

from kb.content import LoadResult, load_library, load_settings
from kb.errors import ContentError, KBError
from kb.i18n import _, ngettext, normalize_language
from kb.importer import import_file
from kb.model import slugify
from kb.settings import Settings


def settings_of(ctx: click.Context) -> Settings:
    """The settings of the knowledge base chosen by ``--root`` (or ``KB_ROOT``)."""
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def report(problems: tuple[ContentError, ...]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


@click.group()
@click.option("--root", type=click.Path(file_okay=False), envvar="KB_ROOT", default=".",
              help="Knowledge-base folder (holding articles/ and locales/).")
@click.version_option(package_name="kb")
@click.pass_context
def cli(ctx: click.Context, root: str) -> None:
    """kb: write help articles in Markdown, check them, search them and publish them."""
    ctx.obj = load_settings(root)


@cli.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate every article and report each problem as path:line: message."""
    settings = settings_of(ctx)
    result: LoadResult = load_library(settings)
    report(result.problems)
    count = len(result.library) + len(result.drafts)
    languages = len({a.lang for a in result.library}) or 0
    summary = ngettext("{n} article", "{n} articles", count).format(n=count)
    summary += ", " + ngettext("{n} language", "{n} languages", languages).format(n=languages)
    errors = len(result.errors)
    summary += ", " + ngettext("{n} error", "{n} errors", errors).format(n=errors)
    warnings = len(result.warnings)
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
    language = normalize_language(lang or settings.default_language)
    failed = 0
    for name in files:
        try:
            target = import_file(Path(name), settings.articles_dir, language, force=force)
        except ContentError as exc:
            click.echo(str(exc), err=True)
            failed += 1
        except OSError as exc:
            click.echo(f"{name}:1: error: {exc.strerror}", err=True)
            failed += 1
        else:
            click.echo(target.relative_to(settings.root).as_posix())
    ctx.exit(1 if failed else 0)


def default_author() -> str:
    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True,
                              timeout=5, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    return name or getpass.getuser()


@cli.command()
@click.argument("title")
@click.option("--category", required=True, help="Category name (or key) in the article's language.")
@click.option("--lang", default=None, help="Language (default: the site's default).")
@click.option("--author", default=None, help="Author (default: git's user.name).")
@click.pass_context
def new(ctx: click.Context, title: str, category: str, lang: str | None, author: str | None) -> None:
    """Create a new article with valid front-matter and print its path."""
    settings = settings_of(ctx)
    language = normalize_language(lang or settings.default_language)
    slug = slugify(title)
    if not slug:
        raise click.UsageError(_("the title gives no usable slug"))
    target = settings.articles_dir / language / f"{slug}.md"
    if target.exists():
        raise click.ClickException(_("{path} exists already").format(
            path=target.relative_to(settings.root).as_posix()))
    import yaml  # noqa: PLC0415 - only for quoting the scaffold's values

    front = {"title": title, "author": author or default_author(), "date": dt.date.today(),
             "category": category, "tags": [], "summary": ""}
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000)
    target.parent.mkdir(parents=True, exist_ok=True)
    body = _("Write the article here.")
    target.write_text(f"---\n{header}---\n\n{body}\n", encoding="utf-8")
    click.echo(target.relative_to(settings.root).as_posix())


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Reload on changes to code, articles and catalogs.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, debug: bool) -> None:
    """Serve the help center."""
    from kb.app import create_app  # noqa: PLC0415 - Flask is only needed here

    settings = settings_of(ctx)
    app = create_app(settings)
    watched = [str(p) for d in (settings.articles_dir, settings.locales_dir) if d.is_dir()
               for p in d.rglob("*") if p.is_file()]
    app.run(host=host, port=port, debug=debug, use_reloader=debug, extra_files=watched)


def main() -> None:
    """Entry point of the ``kb`` console script: KB errors become messages, never tracebacks."""
    try:
        cli.main(prog_name="kb", standalone_mode=True)
    except KBError as exc:
        click.echo(_("error: {message}").format(message=exc), err=True)
        sys.exit(2)
