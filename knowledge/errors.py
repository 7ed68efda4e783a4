"""The one error the knowledge files raise, listing every problem found."""

from __future__ import annotations


class KnowledgeError(Exception):
    """One or more problems in the knowledge files, each naming file, line or topic."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def yaml_problem(path: object, exc: Exception) -> str:
    """'FILE: line N: YAML syntax error: what' — the one wording staff see for syntax errors."""
    mark = getattr(exc, "problem_mark", None)
    line = f" line {mark.line + 1}:" if mark else ""
    problem = getattr(exc, "problem", None) or "syntax error"
    return f"{path}:{line} YAML syntax error: {problem}"
