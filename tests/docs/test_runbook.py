"""docs/runbook.md: every command in it exists, and every alert the stacks raise has its section."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from components.cloud_alarms import ALARM_KINDS
from components.config.models import MonitoringConfig
from components.monitoring import ALERTS, runbook_anchor
from preflight.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "docs" / "runbook.md"
TEXT = RUNBOOK.read_text()
# pulumi sub-commands (and their own sub-commands) the runbook may use: typos fail here, not at 3 a.m.
PULUMI_COMMANDS = {
    "login": set(),
    "preview": set(),
    "up": set(),
    "destroy": set(),
    "refresh": set(),
    "config": {"set", "get", "rm"},
    "stack": {"select", "init", "output", "export", "import", "change-secrets-provider"},
    "state": {"unprotect", "protect"},
}


def code_blocks(text: str, *, shell_only: bool = False) -> list[str]:
    """The contents of every fenced code block (``shell_only``: not the ``yaml`` ones)."""
    # Fences may be indented (a code block inside a list item).
    blocks = re.findall(r"^[ \t]*```([^\n]*)\n(.*?)^[ \t]*```", text, flags=re.DOTALL | re.MULTILINE)
    return [body for language, body in blocks if not (shell_only and language.strip() == "yaml")]


def command_lines(text: str) -> list[list[str]]:
    """Every shell command in the code blocks, as words (continuations joined, comments dropped)."""
    commands = []
    for block in code_blocks(text, shell_only=True):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            words = shlex.split(line, comments=True)
            # A pipeline or a list: each part is a command.
            part: list[str] = []
            for word in words:
                if word in ("|", "&&", ";", "||"):
                    commands.append(part)
                    part = []
                else:
                    part.append(word)
            commands.append(part)
    return [command for command in commands if command]


def _after(words: list[str], prefix: tuple[str, ...]) -> list[str] | None:
    """The words after ``prefix`` (e.g. ``python -m preflight``), wherever it starts; None if absent."""
    for start in range(len(words) - len(prefix) + 1):
        if tuple(words[start : start + len(prefix)]) == prefix:
            return words[start + len(prefix) :]
    return None


COMMANDS = command_lines(TEXT)
PREFLIGHT = [args for words in COMMANDS if (args := _after(words, ("python", "-m", "preflight"))) is not None]
MAKE = [words[index:] for words in COMMANDS for index, word in enumerate(words[:2]) if word == "make"]
PULUMI = [words for words in COMMANDS if words[0] == "pulumi"]


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", makefile, flags=re.MULTILINE)) - {".PHONY"}


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(level: int) -> list[str]:
    return re.findall(rf"^{'#' * level} (.+)$", TEXT, flags=re.MULTILINE)


# -- the extraction finds what the runbook documents ----------------------------------------------


def test_the_runbook_uses_every_preflight_command() -> None:
    assert {args[0] for args in PREFLIGHT} == {"plan", "check", "analyze", "diff", "evidence"}


def test_the_runbook_uses_make() -> None:
    assert MAKE


# -- every command exists ---------------------------------------------------------------------------


@pytest.mark.parametrize("args", PREFLIGHT, ids=" ".join)
def test_preflight_command_parses(args: list[str]) -> None:
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            namespace = build_parser().parse_args(args)
    except SystemExit:
        pytest.fail(f"`python -m preflight {' '.join(args)}` is not a valid command: {stderr.getvalue().strip()}")
    assert namespace.command == args[0]


@pytest.mark.parametrize("words", MAKE, ids=" ".join)
def test_make_target_exists(words: list[str]) -> None:
    targets = [word for word in words[1:] if not word.startswith("-") and "=" not in word]
    assert targets, "make without a target"
    missing = sorted(set(targets) - make_targets())
    assert missing == [], f"Makefile has no target {missing}"


@pytest.mark.parametrize("words", PULUMI, ids=lambda words: " ".join(words[:3]))
def test_pulumi_command_is_a_real_subcommand(words: list[str]) -> None:
    positional = [word for word in words[1:] if not word.startswith("-")]
    command = positional[0]
    assert command in PULUMI_COMMANDS, f"unknown pulumi command {command!r}"
    if PULUMI_COMMANDS[command]:
        assert positional[1] in PULUMI_COMMANDS[command], f"unknown `pulumi {command}` sub-command {positional[1]!r}"


def test_every_policy_profile_the_runbook_names_exists() -> None:
    profiles = set(re.findall(r"policies/profiles/([a-z-]+)\.json", "\n".join(code_blocks(TEXT))))
    assert profiles, "the deploy commands name their profiles"
    assert sorted(name for name in profiles if not (ROOT / "policies" / "profiles" / f"{name}.json").is_file()) == []


def test_every_profile_flag_names_a_profile() -> None:
    for args in PREFLIGHT:
        if "--profile" in args:
            profile = args[args.index("--profile") + 1]
            assert (ROOT / "policies" / "profiles" / f"{profile}.json").is_file(), profile


# -- every alert has its section --------------------------------------------------------------------


@pytest.mark.parametrize("name", [*ALERTS, *ALARM_KINDS])
def test_every_alert_and_alarm_has_a_section(name: str) -> None:
    assert name in headings(3)


@pytest.mark.parametrize("name", [*ALERTS, *ALARM_KINDS])
def test_runbook_links_land_on_the_section(name: str) -> None:
    assert runbook_anchor(name) == github_slug(name)


def test_the_default_runbook_url_is_this_file() -> None:
    assert (ROOT / MonitoringConfig().runbook_url) == RUNBOOK


def test_no_alert_section_is_left_over() -> None:
    alerts = set(ALERTS) | set(ALARM_KINDS)
    section = TEXT.split("## 6. Alerts and what to do first", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^### (.+)$", section, flags=re.MULTILINE))
    assert documented == alerts
