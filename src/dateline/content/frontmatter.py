"""Split a Markdown file into YAML front matter and body, keeping line numbers.

We split by an explicit line scan (python-frontmatter's `parse()` strips text and
its boundary regex swallows blank lines, which shifts every line number) and
read YAML strictly: YAML 1.1's implicit booleans and timestamps are switched off,
so the country code `NO` stays "NO" and dates stay text for our own date parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

try:  # libyaml's C parser where present: several times faster on big archives
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class StrictLoader(_BaseLoader):
    """SafeLoader with YAML 1.2 core booleans only and no implicit timestamps."""


StrictLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.copy().items()
}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

_FENCE = re.compile(r"^---[ \t]*$")
_YAML_ONLY_BREAKS = str.maketrans({"\x85": " ", "\u2028": " ", "\u2029": " "})
_END_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")


class FrontMatterError(Exception):
    """A problem at a line of the file (1-based), with a hint for the author."""

    def __init__(self, line: int | None, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The parsed header: values, the line of each top-level key, and the body."""

    data: dict[str, Any]
    key_lines: dict[str, int]
    body: str
    body_line: int

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)


def has_front_matter(text: str) -> bool:
    """True when the text opens with a `---` line."""
    first = text.split("\n", 1)[0]
    return bool(_FENCE.match(first))


def parse_front_matter(text: str) -> FrontMatter:
    """Parse `text` (newlines already normalised to "\\n"); raise FrontMatterError."""
    lines = text.split("\n")
    if not lines or not _FENCE.match(lines[0]):
        raise FrontMatterError(
            1,
            "the file does not start with front matter",
            "start the file with a line '---', then 'title: …' and 'date: …', then '---'",
        )
    end = next((i for i in range(1, len(lines)) if _END_FENCE.match(lines[i])), None)
    if end is None:
        raise FrontMatterError(
            1, "the front matter is never closed", "add a line '---' after the last key"
        )
    block = "\n".join(lines[1:end])
    data, key_lines = _load_yaml(block, first_line=2)
    return FrontMatter(data, key_lines, "\n".join(lines[end + 1 :]), end + 2)


def _load_yaml(block: str, *, first_line: int) -> tuple[dict[str, Any], dict[str, int]]:
    if not block.strip():
        return {}, {}
    # YAML also breaks lines at NEL, LS and PS; as spaces they keep key lines = file lines.
    loader = StrictLoader(block.translate(_YAML_ONLY_BREAKS))
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        if not isinstance(node, yaml.MappingNode):
            raise FrontMatterError(
                first_line + node.start_mark.line,
                "the front matter must be a list of 'key: value' lines",
                "write e.g. 'title: My bulletin' on its own line",
            )
        key_lines = {
            str(key.value): first_line + key.start_mark.line
            for key, _ in node.value
            if isinstance(key, yaml.ScalarNode)
        }
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and mark and mark.line >= block.count("\n"):
            mark = (
                exc.context_mark
            )  # an unclosed [ or " is noticed at the end: show where it opened
        line = first_line + mark.line if mark else first_line
        problem = exc.problem or exc.context or "invalid YAML"
        raise FrontMatterError(
            line,
            f"the front matter is not valid YAML: {problem}",
            "check the quotes and the ': ' after each key; quote texts that contain ': ' or '#'",
        ) from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(first_line, f"the front matter is not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):  # pragma: no cover - guarded by the node check
        raise FrontMatterError(first_line, "the front matter must be a mapping")
    return {str(k): v for k, v in data.items()}, key_lines
