"""`python -m preflight plan` on a small fixture project: output and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from preflight.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main
from preflight.export import load_deployment
from preflight.stackfile import SECRET_PLACEHOLDER

PROGRAM = Path(__file__).parent / "fixtures" / "programs" / "basic_program.py"
REPO = Path(__file__).resolve().parents[2]
CIPHERTEXT = "v1:c2FsdA==:dG9wLXNlY3JldC1jaXBoZXJ0ZXh0"


def make_project(root: Path, program: str | None = None) -> Path:
    """A project with the fixture program (or ``program``) and one stack, ``dev``."""
    if program is None:
        shutil.copy(PROGRAM, root / "__main__.py")
    else:
        (root / "__main__.py").write_text(textwrap.dedent(program))
    (root / "Pulumi.yaml").write_text("name: fixture\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text(
        textwrap.dedent(
            f"""\
            config:
              aws:region: us-east-2
              settings:
                cidr: 10.0.0.0/16
                azCount: 2
                owner: team-a
              token:
                secure: {CIPHERTEXT}
            """
        )
    )
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def planned(project: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str, Path]:
    """One in-process `plan --export` of the fixture project: exit code, stdout, stderr, export path."""
    export = tmp_path_factory.mktemp("out") / "dev.json"
    capture = pytest.MonkeyPatch()
    out, err = _Capture(), _Capture()
    capture.setattr(sys, "stdout", out)
    capture.setattr(sys, "stderr", err)
    try:
        code = main(["plan", "--stack", "dev", "--project-dir", str(project), "--export", str(export)])
    finally:
        capture.undo()
    return code, out.getvalue(), err.getvalue(), export


class _Capture:
    """A text stream that says it is UTF-8, as a terminal would (capsys is function-scoped)."""

    encoding = "utf-8"

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def getvalue(self) -> str:
        return "".join(self.parts)


def test_plan_exits_zero(planned: tuple[int, str, str, Path]) -> None:
    assert planned[0] == EXIT_OK


def test_plan_prints_the_tree_by_parent(planned: tuple[int, str, str, Path]) -> None:
    lines = planned[1].splitlines()
    stack = next(i for i, line in enumerate(lines) if line.startswith("pulumi:pulumi:Stack"))
    app = next(i for i, line in enumerate(lines) if "fixture:app:App" in line)
    key = next(i for i, line in enumerate(lines) if "aws:kms/key:Key" in line)
    indent = [len(lines[i]) - len(lines[i].lstrip(" │├└─")) for i in (stack, app, key)]
    assert stack < app < key
    assert indent[0] < indent[1] < indent[2]
    assert lines[key].rstrip().endswith("main-storage-key")


def test_plan_prints_counts_total_time_and_the_offline_note(planned: tuple[int, str, str, Path]) -> None:
    out = planned[1]
    assert "      2  aws:ec2/subnet:Subnet" in out
    assert "Total: " in out
    assert " s\n" in out.split("Total: ", 1)[1]
    assert "Note: offline preview" in out


def test_plan_marks_protected_resources(planned: tuple[int, str, str, Path]) -> None:
    (bucket_line,) = [line for line in planned[1].splitlines() if "aws:s3/bucket:Bucket " in line]
    assert bucket_line.endswith("[protect, retainOnDelete]")


def test_secret_values_are_never_printed(planned: tuple[int, str, str, Path]) -> None:
    printed = planned[1] + planned[2]
    assert CIPHERTEXT not in printed
    assert SECRET_PLACEHOLDER not in printed
    assert "token: [secret]" in printed


def test_nested_secret_output_is_masked(planned: tuple[int, str, str, Path]) -> None:
    assert 'settings: {"owner": "team-a", "token": "[secret]"}' in planned[1]


def test_plan_writes_the_export(planned: tuple[int, str, str, Path]) -> None:
    resources = load_deployment(planned[3])
    assert "aws:kms/key:Key" in {r["type"] for r in resources}
    assert CIPHERTEXT not in planned[3].read_text()


def test_unknown_stack_exits_two_naming_the_stacks(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--stack", "staging", "--project-dir", str(project)]) == EXIT_USAGE
    assert "stacks that exist: dev" in capsys.readouterr().err


def test_missing_stack_option_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan"]) == EXIT_USAGE
    assert "--stack" in capsys.readouterr().err


def test_unknown_command_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "--stack", "dev"]) == EXIT_USAGE
    assert "invalid choice: 'deploy'" in capsys.readouterr().err


def test_broken_stack_file_exits_two_naming_it(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "Pulumi.broken.yaml").write_text("config:\n  settings: {cidr: [\n")
    try:
        assert main(["plan", "--stack", "broken", "--project-dir", str(project)]) == EXIT_USAGE
    finally:
        (project / "Pulumi.broken.yaml").unlink()
    assert "Pulumi.broken.yaml: invalid YAML at line 3" in capsys.readouterr().err


FAILING = """\
    import pulumi_aws as aws

    aws.s3.Bucket("logs")
    raise ValueError("subnet plan does not fit the VPC")
    """


def test_program_error_exits_one_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(tmp_path, FAILING)
    assert main(["plan", "--stack", "dev", "--project-dir", str(tmp_path)]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert "error: the program failed (at __main__.py:4): ValueError: subnet plan does not fit the VPC" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(tmp_path, FAILING)
    assert main(["plan", "--stack", "dev", "--project-dir", str(tmp_path), "--debug"]) == EXIT_FAILURE
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_config_error_exits_two_with_its_message_as_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(
        tmp_path,
        """\
        from components.config import ConfigError

        raise ConfigError("invalid stack config:\\n  - fixture:settings.cidr: not a CIDR (got 'x')")
        """,
    )
    assert main(["plan", "--stack", "dev", "--project-dir", str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "invalid stack config:\n  - fixture:settings.cidr: not a CIDR (got 'x')\n" in err
    assert "error:" not in err


def test_subprocess_plan_and_export(project: Path, tmp_path: Path) -> None:
    export = tmp_path / "dev.json"
    command = ["plan", "--stack", "dev", "--project-dir", str(project), "--export", str(export)]
    completed = subprocess.run(
        [sys.executable, "-m", "preflight", *command],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == EXIT_OK, completed.stderr
    assert "fixture:storage:Storage" in completed.stdout
    assert json.loads(export.read_text())["version"] == 3


def test_subprocess_unknown_stack_exits_two(project: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "preflight", "plan", "--stack", "qa", "--project-dir", str(project)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == EXIT_USAGE
    assert "unknown stack 'qa'" in completed.stderr


def test_missing_program_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(tmp_path)
    (tmp_path / "__main__.py").unlink()
    assert main(["plan", "--stack", "dev", "--project-dir", str(tmp_path)]) == EXIT_USAGE
    assert "no Pulumi program at" in capsys.readouterr().err


def test_unwritable_export_exits_two(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    command = ["plan", "--stack", "dev", "--project-dir", str(project), "--export", str(blocker / "dev.json")]
    assert main(command) == EXIT_USAGE
    assert "cannot write the export to" in capsys.readouterr().err
