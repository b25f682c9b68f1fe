"""Store fixtures: a SQLite store in a temp folder and a real PostgreSQL server started for the session."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kb.store import Store
from tests.helpers import StoreFactory

PG_GLOB = "/usr/lib/postgresql/*/bin/initdb"
PG_PORT = 5432  # only names the socket file, in a folder of our own; no TCP listener


def postgres_bin() -> Path | None:
    """The bin folder of the newest Debian PostgreSQL installed, if any."""

    def version(initdb: str) -> int:
        name = Path(initdb).parts[-3]
        return int(name) if name.isdigit() else 0

    found = sorted(glob.glob(PG_GLOB), key=version)
    return Path(found[-1]).parent if found else None


def as_postgres(*command: str) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the package's ``postgres`` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A URL to the admin database of a throwaway PostgreSQL cluster listening on a Unix socket."""
    bindir = postgres_bin()
    if bindir is None:
        message = "PostgreSQL is not installed (make installs Debian's postgresql package)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    folder = Path(tempfile.mkdtemp(prefix="kb-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    log = folder / "server.log"
    started = False
    try:
        subprocess.run(
            as_postgres(
                str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                "-E", "UTF8", "--locale=C", "--no-sync",
            ),
            check=True,
            capture_output=True,
        )  # fmt: skip
        options = (
            f"-c listen_addresses='' -c unix_socket_directories={folder} -c port={PG_PORT} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        pg_ctl = str(bindir / "pg_ctl")
        subprocess.run(
            as_postgres(pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"),
            check=True,
            capture_output=True,
        )
        started = True
        yield f"postgresql+psycopg://postgres@/postgres?host={folder}&port={PG_PORT}"
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or b"").decode(errors="replace")
        if log.exists():
            detail += log.read_text(errors="replace")
        pytest.fail(f"could not start PostgreSQL: {detail}")
    finally:
        if started:
            subprocess.run(
                as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"),
                check=False,
                capture_output=True,
            )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def fresh_postgres_database(postgres_url: str) -> Iterator[str]:
    """A URL to an empty database of its own: a new schema, first on the search path of every connection.

    A schema is a hundred times quicker to make than a database, and as empty (dropped afterwards).
    """
    name = f"kb_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    yield f"{postgres_url}&options=-csearch_path%3D{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'instance' / 'kb.sqlite3'}"


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    store = Store.open(sqlite_url)
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each engine, as a URL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("fresh_postgres_database"))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store on each engine: the suite runs on SQLite and on PostgreSQL."""
    opened = Store.open(database_url)
    yield opened
    opened.close()


@pytest.fixture
def open_again(database_url: str) -> Iterator[StoreFactory]:
    """Open further stores on the same database (closed at the end)."""
    opened: list[Store] = []

    def make() -> Store:
        opened.append(Store.open(database_url))
        return opened[-1]

    yield make
    for item in opened:
        item.close()
