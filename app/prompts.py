"""User-facing message templates from `prompts/`, loaded once and checked for their placeholders."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

import yaml

# Each template and exactly the placeholders it must use.
REQUIRED: dict[str, frozenset[str]] = {
    "answered_one_source": frozenset(),
    "answered_sources": frozenset({"sources"}),
    "figures_agree": frozenset({"sources"}),
    "figures_differ": frozenset({"sources"}),
    "part_not_stated": frozenset({"part"}),
    "rest_not_stated": frozenset(),
    "related_intro": frozenset(),
    "decline_out_of_scope": frozenset(),
    "decline_speculation_requested": frozenset(),
    "decline_figure_not_in_corpus": frozenset(),
    "decline_no_evidence": frozenset(),
}
_COUNT_WORDS = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")


class PromptError(ValueError):
    pass


class Messages:
    def __init__(self, templates: dict[str, Template]) -> None:
        self._templates = templates

    def render(self, key: str, **values: str) -> str:
        return self._templates[key].substitute(values)

    @staticmethod
    def count(n: int) -> str:
        """A count of sources or quotes in words: the only counting the framing may do."""
        return _COUNT_WORDS[n] if n < len(_COUNT_WORDS) else "Several"


def load_messages(prompts_dir: Path) -> Messages:
    path = prompts_dir / "messages.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PromptError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(raw, dict):
        raise PromptError(f"{path}: must map template names to text")
    missing = sorted(set(REQUIRED) - set(raw))
    if missing:
        raise PromptError(f"{path}: missing templates {missing}")
    templates: dict[str, Template] = {}
    for key, needed in REQUIRED.items():
        text = raw[key]
        if not isinstance(text, str):
            raise PromptError(f"{path}: template {key!r} must be text")
        template = Template(text)
        found = set(template.get_identifiers())
        if found != needed:
            raise PromptError(
                f"{path}: template {key!r} uses {sorted(found)}, needs {sorted(needed)}"
            )
        if re.search(r"\d", text):
            raise PromptError(f"{path}: template {key!r} contains a digit")
        templates[key] = template
    return Messages(templates)
