"""The plugin's translation template is made from the code by scripts/make-pot.sh, and is up to date."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
POT = REPO / "wp-plugin" / "languages" / "automationtools-ai.pot"


def entries(pot: str) -> list[str]:
    """The template without its copyright comment, which is the only line that may carry a date."""
    return [line for line in pot.splitlines() if not line.startswith("# Copyright")]


def test_the_pot_file_in_the_repository_is_what_make_pot_makes_from_the_code_now(tmp_path):
    fresh = tmp_path / "automationtools-ai.pot"
    subprocess.run([str(REPO / "scripts" / "make-pot.sh"), str(fresh)], check=True, capture_output=True, text=True)

    assert entries(POT.read_text(encoding="utf-8")) == entries(fresh.read_text(encoding="utf-8")), (
        "wp-plugin/languages/automationtools-ai.pot is out of date: run scripts/make-pot.sh and commit it")


def test_the_template_holds_the_plugins_strings_with_their_translator_comments(tmp_path):
    pot = POT.read_text(encoding="utf-8")

    assert 'msgid "The AutomationTools.AI worker cannot be reached"' in pot
    assert "#. translators: %d: number of seconds." in pot
    assert 'msgid_plural "%1$d runs wait in the worker\'s queue (%2$s)."' in pot
    assert '"X-Domain: automationtools-ai\\n"' in pot and "POT-Creation-Date" not in pot
