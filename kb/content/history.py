"""When each article last changed in git: one ``git log`` for the whole knowledge base."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)
GIT_TIMEOUT = 20.0


def git_dates(root: Path, folder: str = "articles") -> dict[str, dt.date]:
    """The date of the last commit touching each file under ``folder`` (paths from ``root``).

    Empty when ``root`` is not in a git work tree or git is not installed: the dates are a nicety.
    """
    command = ["git", "-c", "core.quotepath=off", "log", "--format=%x00%cs", "--name-only", "--relative"]
    try:
        done = subprocess.run(
            [*command, "--", folder],
            cwd=root,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("no git dates: %s", exc)
        return {}
    if done.returncode != 0:
        return {}
    dates: dict[str, dt.date] = {}
    day: dt.date | None = None
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("\x00"):
            try:
                day = dt.date.fromisoformat(line[1:].strip())
            except ValueError:
                day = None
        elif line and day is not None:
            dates.setdefault(line, day)  # newest first: the first date seen is the last change
    return dates
