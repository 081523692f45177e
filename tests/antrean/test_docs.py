"""Keep the documents honest: the protocol document describes every topic, message type and
error code the code uses, and every CLI command has help."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from antrean import cli, protocol

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "protocol.md").read_text()


@pytest.mark.parametrize("template", sorted(protocol.TOPIC_TEMPLATES.values()))
def test_every_topic_is_in_the_protocol_document(template):
    documented = re.sub(r"\{(\w+)\}", r"<\1>", template)
    assert f"`{documented}`" in DOC, f"docs/protocol.md does not describe topic {documented}"


@pytest.mark.parametrize("mtype", sorted(protocol.MESSAGE_TYPES))
def test_every_message_type_is_in_the_protocol_document(mtype):
    assert f"`{mtype}`" in DOC, f"docs/protocol.md does not describe message type {mtype}"


@pytest.mark.parametrize("code", protocol.ERROR_CODES)
def test_every_error_code_is_in_the_protocol_document(code):
    assert re.search(rf"^\| `{re.escape(code)}` \|", DOC, re.M), f"error code {code} undocumented"


def test_no_topic_string_is_assembled_outside_the_protocol_module():
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in ("tests", ".venv", "build") or path.name == "protocol.py":
            continue
        if re.search(r"[\"']antrean/v\d", path.read_text()):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_cli_command_has_help(command):
    out = subprocess.run([sys.executable, "-m", "antrean.cli", command, "--help"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "usage:" in out.stdout.lower()


def test_top_level_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "antrean.cli", "--help"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0
    for command in cli.COMMANDS:
        assert command in out.stdout
