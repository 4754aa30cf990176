"""Compiled templates are kept in the user cache folder between runs (convert/render.py): a run finding them
compiles nothing, an edited or damaged entry is compiled afresh, and a folder that cannot be made or written
costs nothing but the time."""

from __future__ import annotations

import jinja2
import pytest

from nb2prod.convert import render

NAMES = ("train.py.j2", "test_train.py.j2", "score.py.j2")


@pytest.fixture
def compiled(monkeypatch):
    """The names of the templates Jinja compiles from source, in order."""
    names = []
    real = jinja2.Environment.compile

    def compile_(self, source, name=None, *args, **kwargs):
        names.append(name)
        return real(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compile_)
    return names


def test_a_second_run_reads_the_compiled_templates(tmp_path, monkeypatch, compiled):
    monkeypatch.setenv("NB2PROD_CACHE_DIR", str(tmp_path))
    first = render.environment()
    for name in NAMES:
        first.get_template(name)
    assert compiled == list(NAMES) and len(list(tmp_path.glob("templates-*/*.cache"))) == len(NAMES)
    again = render.environment()  # a new process has a new environment
    for name in NAMES:
        again.get_template(name)
    assert compiled == list(NAMES)  # nothing compiled again
    conda = {"name": "n", "python": "3.11", "pins": [], "unresolved": ["# x: needed"]}
    cached = render.environment().get_template("conda.yml.j2").render(**conda)  # compiled, then read back
    cached = render.environment().get_template("conda.yml.j2").render(**conda)
    monkeypatch.setattr(render, "_template_cache", lambda jinja2: None)
    assert cached == render.environment().get_template("conda.yml.j2").render(**conda)
    assert compiled == [*NAMES, "conda.yml.j2", "conda.yml.j2"]


def test_an_edited_template_is_compiled_afresh(tmp_path, monkeypatch, compiled):
    monkeypatch.setenv("NB2PROD_CACHE_DIR", str(tmp_path / "cache"))
    mine = tmp_path / "templates"
    mine.mkdir()
    (mine / "conda.yml.j2").write_text("name: {{ name }}\n")
    assert render.environment(str(mine)).get_template("conda.yml.j2").render(name="a") == "name: a\n"
    (mine / "conda.yml.j2").write_text("env: {{ name }}\n")
    assert render.environment(str(mine)).get_template("conda.yml.j2").render(name="a") == "env: a\n"
    assert compiled == ["conda.yml.j2", "conda.yml.j2"]


def test_a_damaged_entry_is_compiled_afresh(tmp_path, monkeypatch, compiled):
    monkeypatch.setenv("NB2PROD_CACHE_DIR", str(tmp_path))
    render.environment().get_template("conda.yml.j2")
    (entry,) = tmp_path.glob("templates-*/*.cache")
    entry.write_bytes(entry.read_bytes()[:40])  # cut short inside the pickled checksum or the code
    text = render.environment().get_template("conda.yml.j2").render(name="n", python="3.11", pins=[], unresolved=[])
    assert 'name: "n"' in text and compiled == ["conda.yml.j2", "conda.yml.j2"]


def test_a_cache_folder_that_cannot_be_made_is_skipped(tmp_path, monkeypatch, compiled):
    (tmp_path / "blocker").write_text("a file where the folder would go")
    monkeypatch.setenv("NB2PROD_CACHE_DIR", str(tmp_path / "blocker" / "cache"))
    env = render.environment()
    assert env.bytecode_cache is None
    assert env.get_template("conda.yml.j2") is not None and compiled == ["conda.yml.j2"]


def test_an_unwritable_cache_folder_is_skipped(tmp_path, monkeypatch, compiled):
    monkeypatch.setenv("NB2PROD_CACHE_DIR", str(tmp_path))
    env = render.environment()
    folder = tmp_path / f"templates-{jinja2.__version__}-{render.TEMPLATE_SETTINGS}"
    folder.rmdir()  # gone between the environment and the first template: writing the entry fails
    assert env.get_template("conda.yml.j2") is not None and compiled == ["conda.yml.j2"]
