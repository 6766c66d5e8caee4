"""The draft as YAML text: the same data always gives the same bytes (no dates of the run, no sets, a fixed key
order and line width)."""
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Lists of criteria indented under their key, as the hand-written rule files are."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data) -> bool:
        return True  # every value written out where it belongs, never as an anchor and alias


_OTHER_BREAKS = ("\x85", "\u2028", "\u2029", "\r")


def _text(dumper: yaml.SafeDumper, value: str):
    # Many-line words (a continuation line, the structured fields) as a block, so the source stays readable; a line
    # with trailing spaces cannot be a block and keeps the quoted style.
    if any(ch in value for ch in _OTHER_BREAKS):
        # YAML reads these as line breaks and would give back "\n": escaped in double quotes, the words come back
        # as they are (a NEL is what a cp1252 ellipsis becomes when mis-decoded).
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if "\n" in value and not any(line != line.rstrip() for line in value.split("\n")):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _text)


def to_yaml(data: dict[str, Any], heading: list[str]) -> str:
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=116, default_flow_style=False)
    return "".join(f"# {line}\n" if line else "#\n" for line in heading) + body
