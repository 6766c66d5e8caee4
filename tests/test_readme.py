"""The README's and its documents' commands and Python example run as written, on the example inputs shipped in
seeds/examples/; every link between them resolves."""
import contextlib
import importlib.util
import io
import re
import shlex

from click.testing import CliRunner

from screener.cli import main

from .helpers import REPO

# The README and the documents its sections moved to (issue 24), in reading order: the commands run in this order.
DOCUMENTS = ["README.md"] + [f"docs/{name}.md" for name in (
    "running", "command-line", "trials", "screening", "rule-files", "api", "form", "auditing", "access-control",
    "batch", "performance", "layout", "recipes")]
TEXTS = {name: (REPO / name).read_text(encoding="utf-8") for name in DOCUMENTS}
README = TEXTS["README.md"]


def _blocks(language: str) -> list[str]:
    return [block for text in TEXTS.values() for block in re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)]


def _make_examples():
    spec = importlib.util.spec_from_file_location("make_examples", REPO / "scripts" / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_examples_are_what_the_generator_writes():
    for name, content in _make_examples().examples().items():
        shipped = REPO / "seeds" / "examples" / name
        assert shipped.exists() and shipped.read_text(encoding="utf-8") == content, (
            f"seeds/examples/{name} is out of date: run .venv/bin/python scripts/make_examples.py")


def test_the_python_example_runs_as_shown(monkeypatch):
    (code,) = [block for block in _blocks("python") if "parse_record" in block]
    monkeypatch.chdir(REPO)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "documented example", "exec"), {})
    printed = out.getvalue()
    assert printed.startswith("eligible - every criterion passes")
    assert "pass NCT06674265-E1 " in printed and "('NCT06674265', 'eligible')" in printed


def _cli_lines() -> list[list[str]]:
    lines = []
    for block in _blocks("sh"):
        for line in block.splitlines():
            if line.startswith(".venv/bin/screener "):
                lines.append(shlex.split(line, comments=True)[1:])
    return lines


def test_every_readme_cli_command_runs(tmp_path, monkeypatch):
    from screener import config

    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", tmp_path / "instance")  # a fresh store: users are new
    monkeypatch.chdir(REPO)
    run = CliRunner().invoke
    commands = _cli_lines()
    assert len(commands) >= 20
    anchor = token = screening = None
    for args in commands:
        args = [str(tmp_path / a) if i and args[i - 1] == "--out" else a for i, a in enumerate(args)]
        if "SEQ:HASH" in args:
            args[args.index("SEQ:HASH")] = anchor
        if "TOKEN_ID" in args:
            args[args.index("TOKEN_ID")] = token
        if "SCREENING_ID" in args:  # the screening the command before recorded
            args[args.index("SCREENING_ID")] = screening
        result = run(main, args)
        if args[0] == "screen":
            screening = re.search(r"Recorded as screening (\w+)", result.stderr)[1]
        assert result.exit_code == 0, (args, result.output)
        if args[:2] == ["audit", "verify"]:
            anchor = result.stdout.splitlines()[-1].removeprefix("anchor: ")
        if args[:2] == ["tokens", "create"]:
            token = result.stdout.split()[1]
    assert anchor and token


def test_the_ids_of_an_all_trials_response_are_documented():
    from screener.model.api import ScreenAllResponse, ScreenResponse

    paragraph = next(p for p in TEXTS["docs/api.md"].split("\n\n") if "An all-trials response" in p)
    for field in ScreenAllResponse.model_fields:
        assert f"`{field}`" in paragraph, field
    for field in ScreenResponse.model_fields:
        assert f"`{field}`" in paragraph, field


def test_every_local_link_resolves_and_the_readme_leads_to_every_document():
    linked = set()
    for name, text in TEXTS.items() | {(p.relative_to(REPO).as_posix(), p.read_text(encoding="utf-8"))
                                        for p in (REPO / "docs").glob("*.md")}:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            path = ((REPO / name).parent / target).resolve()
            assert path.exists(), (name, target)
            if name == "README.md":
                linked.add(path)
    documents = {path.resolve() for path in (REPO / "docs").glob("*.md")}
    assert {(REPO / name).resolve() for name in DOCUMENTS[1:]} <= documents
    assert documents - linked == set(), "documents the README does not lead to"
