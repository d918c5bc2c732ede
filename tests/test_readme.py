"""The README's examples are true: its shell blocks are run, and their outputs compared.

The blocks that call the API (``localhost:8000``) run in order, in one shell, with curl,
against the production command serving a new SQLite database; the blocks written as a
prompt (``$ command`` and what it prints) run as they are. Under each command, a ``# ``
line is a line it prints (``...`` standing for anything), and a ``#  `` line continues the
one above. Every other block is listed in ``NOT_RUN``, with the reason.

Pointers to a section (``docs/serving.md, "PgBouncer"``) must name one that exists.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from blog.settings import PROJECT_ROOT
from tests.conftest import migrate
from tests.helpers import TEST_SECRET, served

README = PROJECT_ROOT / "README.md"
SHOWN_URL = "localhost:8000"
BIN = Path(sys.executable).parent
END = "@@ end of a README example @@"

NOT_RUN = {
    "make run": "installs and serves: the other examples run against the same app",
    ".venv/bin/litestar blog seed --authors 100 --articles 1000": "tests/test_seed.py seeds",
    "createdb -h 127.0.0.1 -U postgres blog": "creates a database on the machine's PostgreSQL",
    "pip install -e /path/to/blog && LITESTAR_APP=blog.app:create_app litestar run": "a virtualenv elsewhere",
}
"""The first command of each block that is not run, and why."""


@dataclass
class Example:
    """A command, and the lines the README says it prints."""

    command: str
    shown: list[str] = field(default_factory=list)


def blocks() -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", README.read_text(), flags=re.MULTILINE | re.DOTALL)


def examples(block: str) -> list[Example]:
    found: list[Example] = []
    lines = iter(block.splitlines())
    prompted = False
    for line in lines:
        if line.startswith("#  "):
            found[-1].shown[-1] += line.removeprefix("#  ")
        elif line.startswith("# "):
            found[-1].shown.append(line.removeprefix("# "))
        elif prompted and not line.startswith("$ "):
            found[-1].shown.append(line)
        elif line.strip():
            command = re.sub(r"\s{2,}# .*$", "", line.removeprefix("$ "))  # a comment beside it
            prompted = line.startswith("$ ")
            while command.endswith("\\"):
                command += "\n" + next(lines)
            found.append(Example(command))
    return found


def as_pattern(shown: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in shown.split("...")))


def assert_shown(example: Example, output: str) -> None:
    printed = output.replace("\r", "").splitlines()
    for shown in example.shown:
        pattern = as_pattern(shown)
        assert any(pattern.fullmatch(line) for line in printed), (
            f"README.md says that\n  {example.command}\nprints a line like\n  {shown}\nbut it printed\n{output}"
        )


def curl() -> str:
    found = shutil.which("curl")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the README's examples: apt-get install curl")
        pytest.skip("curl is not installed (apt-get install curl)")
    return found


def test_every_block_is_run_or_said_why_not() -> None:
    first_commands = {examples(block)[0].command for block in blocks()}
    run = {command for command in first_commands if SHOWN_URL in command or command in prompted_commands()}
    assert first_commands - run == NOT_RUN.keys()


def prompted_examples() -> list[Example]:
    return [example for block in blocks() if block.startswith("$ ") for example in examples(block)]


def prompted_commands() -> list[str]:
    return [example.command for example in prompted_examples()]


def test_the_api_examples(tmp_path: Path) -> None:
    curl()
    calls = [example for block in blocks() if SHOWN_URL in block for example in examples(block)]
    assert len(calls) >= 8
    url = f"sqlite+aiosqlite:///{tmp_path / 'blog.sqlite3'}"
    migrate(url)
    with served({"DATABASE_URL": url, "AUTH_SECRET": TEST_SECRET}, log=tmp_path / "server.log") as base_url:
        host = base_url.removeprefix("http://")
        script = "".join(f"{example.command}\nprintf '\\n{END}\\n'\n" for example in calls)
        done = subprocess.run(
            ["bash", "-c", script.replace(SHOWN_URL, host)], capture_output=True, text=True, timeout=120, check=False
        )
    assert done.returncode == 0, done.stderr
    outputs = done.stdout.replace(host, SHOWN_URL).split(f"\n{END}\n")
    assert len(outputs) == len(calls) + 1, done.stdout
    for example, output in zip(calls, outputs, strict=False):
        assert_shown(example, output)


@pytest.mark.parametrize("command", prompted_commands())
def test_the_prompted_examples(command: str) -> None:
    # Run where the README runs it, with the project's .venv being the one running the tests.
    done = subprocess.run(
        ["bash", "-c", command.replace(".venv/bin/", f"{BIN}/")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    (example,) = (example for example in prompted_examples() if example.command == command)
    assert_shown(example, done.stdout + done.stderr)


SECTION_POINTER = re.compile(r'(README\.md|docs/[\w-]+\.md), (?:"(?P<quoted>[^"]+)"|(?P<bare>[A-Z]\w+),)')
SOURCES = ["README.md", "litestar.toml", "Makefile", "pyproject.toml", "docs/*.md", "blog/**/*.py", "migrations/*.py"]


def test_every_pointer_to_a_section_finds_it() -> None:
    pointers = [
        (path.relative_to(PROJECT_ROOT), found)
        for pattern in SOURCES
        for path in sorted(PROJECT_ROOT.glob(pattern))
        for found in SECTION_POINTER.finditer(path.read_text())
    ]
    assert len(pointers) >= 3
    for source, found in pointers:
        target = PROJECT_ROOT / found[1]
        headings = re.findall(r"^#+ (.+)$", target.read_text(), flags=re.MULTILINE) if target.exists() else []
        assert (found["quoted"] or found["bare"]) in headings, f"{source}: {found[0]!r} names no section of {target}"


def test_every_link_to_a_document_finds_it() -> None:
    for path in [README, *sorted(PROJECT_ROOT.glob("docs/*.md"))]:
        for link in re.findall(r"\]\(([\w./-]+)\)", path.read_text()):
            assert (path.parent / link).exists(), f"{path.name} links to {link}, which does not exist"
