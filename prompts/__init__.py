"""Versioned prompt files and their strict renderer.

Each prompt is a YAML file beside this module (``coach_system.yaml``, ``compose.yaml``,
``route.yaml``) with ``name``, ``version``, ``description``, ``variables`` (the names
the template needs) and ``template`` (Jinja2). :func:`render` fails loudly: a variable
the template needs but the caller did not pass, a variable passed but not used, or a
``variables`` list that disagrees with the template raises :class:`PromptError`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from sportsgpt.core.errors import SportsGPTError

PROMPT_DIR = Path(__file__).resolve().parent


class PromptError(SportsGPTError, ValueError):
    """A prompt that does not exist, is malformed, or was given the wrong variables."""


class PromptFile(BaseModel):
    """One versioned prompt file."""

    name: str
    version: int = Field(ge=1)
    description: str
    variables: list[str] = Field(default_factory=list)
    template: str


def names() -> list[str]:
    """Names of every shipped prompt."""
    return sorted(p.stem for p in PROMPT_DIR.glob("*.yaml"))


@cache
def load(name: str) -> PromptFile:
    """Read and check one prompt file.

    Raises:
        PromptError: unknown name, malformed YAML, or ``variables`` that disagree with
            the names the template uses.
    """
    import yaml
    from jinja2 import Environment, TemplateSyntaxError, meta

    path = PROMPT_DIR / f"{name}.yaml"
    if not path.is_file():
        raise PromptError(f"unknown prompt {name!r}; known prompts: {', '.join(names())}")
    try:
        prompt = PromptFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        used = meta.find_undeclared_variables(Environment().parse(prompt.template))
    except (yaml.YAMLError, ValidationError, TemplateSyntaxError) as exc:
        raise PromptError(f"prompt {name!r} ({path.name}) is malformed: {exc}") from exc
    if prompt.name != name:
        raise PromptError(f"prompt file {path.name} is named {prompt.name!r}, not {name!r}")
    if used != set(prompt.variables):
        raise PromptError(f"prompt {name!r}: variables {sorted(prompt.variables)} disagree "
                          f"with the template's {sorted(used)}")
    return prompt


def render(name: str, /, **variables: Any) -> str:
    """Render prompt ``name`` with exactly its variables.

    Raises:
        PromptError: unknown prompt, a missing variable or an unused one.
    """
    from jinja2 import Environment, StrictUndefined, UndefinedError

    prompt = load(name)
    missing = sorted(set(prompt.variables) - set(variables))
    unused = sorted(set(variables) - set(prompt.variables))
    if missing or unused:
        raise PromptError(f"prompt {name!r} v{prompt.version}: missing variables {missing}, "
                          f"unused variables {unused}")
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True,
                      trim_blocks=True, lstrip_blocks=True, autoescape=False)
    try:
        return env.from_string(prompt.template).render(**variables)
    except UndefinedError as exc:
        raise PromptError(f"prompt {name!r} v{prompt.version}: {exc}") from exc
