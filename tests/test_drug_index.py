"""The drug-name library's on-disk index answers as the library's own data does, and a bad file is rebuilt."""
import random
import sqlite3
import threading

import pytest

from screener import config
from screener.facts import drug_index
from screener.facts.drug_index import INDEX, DrugIndex, from_library


@pytest.fixture(scope="module")
def library():
    return from_library()


def test_the_index_answers_as_the_library_data_for_a_sample_of_names(library):
    names, canonicals, loose, listed = library
    sample = random.Random(14).sample(sorted(names), 3000)
    assert {n: INDEX.canonicals(n) for n in sample} == {n: names[n] for n in sample}
    assert {n: INDEX.is_canonical(n) for n in sample} == {n: n in canonicals for n in sample}
    keys = random.Random(15).sample(sorted(loose), 1000)
    assert {k: INDEX.loose(k) for k in keys} == {k: loose[k] for k in keys}
    # unknown stays unknown: misspellings, a key that two drugs share (dropped from the loose index), nonsense
    unknown = ["zorbexal", "dexamethasone foo", "", "??", *(n + "x" for n in sample[:200])]
    for name in unknown:
        assert INDEX.canonicals(name) == names.get(name)
        assert INDEX.is_canonical(name) == (name in canonicals)
        key = drug_index.loose(name)
        assert (INDEX.loose(key) if key else None) == (loose.get(key) if key else None)
    assert dict(INDEX.listed()) == {n: names[n] for n in listed} and "decadron" not in listed and "tegretol" in listed


_TINY = ({"decadron": ("dexamethasone",), "dexamethasone": ("dexamethasone",), "kaletra": ("lopinavir", "ritonavir"),
          "lopinavir": ("lopinavir",), "ritonavir": ("ritonavir",)},
         frozenset({"dexamethasone", "lopinavir", "ritonavir"}),
         {"decadron": ("dexamethasone",), "dexamethasone": ("dexamethasone",)},
         frozenset({"dexamethasone"}))


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A small library in a fresh instance folder; counts builds."""
    builds = []

    def fake(path=None):
        builds.append(path)
        return _TINY

    monkeypatch.setattr(drug_index, "from_library", fake)
    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", tmp_path / "instance")
    return builds


def _file(tmp_path):
    files = list((tmp_path / "instance").glob("drug-names-*.sqlite3"))
    assert len(files) == 1
    return files[0]


def _answers(connection):
    return sorted(connection.execute("SELECT name, canonicals, canonical, listed FROM name"))


def test_the_index_is_built_once_and_then_reused(tiny, tmp_path):
    first = _answers(drug_index.connect())
    assert _answers(drug_index.connect()) == first and len(tiny) == 1
    assert ("kaletra", "lopinavir\x1fritonavir", 0, 0) in first  # combinations keep their order
    assert oct(_file(tmp_path).stat().st_mode & 0o777) == oct(0o600)  # the instance folder's files are owner-only


@pytest.mark.parametrize("damage", [
    lambda path: path.write_bytes(b"not a database at all" * 100),          # foreign content
    lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),  # truncated
    lambda path: path.write_bytes(path.read_bytes() + b"\0" * 4096),        # padded
    lambda path: path.write_bytes(b""),                                     # empty
])
def test_a_damaged_index_is_rebuilt_not_trusted(tiny, tmp_path, damage):
    good = _answers(drug_index.connect())
    damage(_file(tmp_path))
    assert _answers(drug_index.connect()) == good and len(tiny) == 2


def test_an_index_whose_content_disagrees_with_its_name_is_rebuilt(tiny, tmp_path):
    good = _answers(drug_index.connect())
    path = _file(tmp_path)
    for statement in ("UPDATE meta SET value = 'another-version' WHERE key = 'key'",    # stale content, right name
                      "UPDATE name SET canonicals = 'prednisone' WHERE name = 'decadron'",  # a sentinel changed
                      "DELETE FROM meta WHERE key = 'names'"):                           # a build that stopped
        with sqlite3.connect(path) as connection:
            connection.execute(statement)
        connection.close()
        assert _answers(drug_index.connect()) == good
    assert len(tiny) == 4


def test_a_new_library_version_or_code_builds_a_new_index_and_drops_the_old(tiny, tmp_path, monkeypatch):
    drug_index.connect()
    old = _file(tmp_path)
    monkeypatch.setattr(drug_index, "_version", lambda: "99.0")
    drug_index.connect()
    assert _file(tmp_path) != old and not old.exists() and len(tiny) == 2


def test_concurrent_first_uses_build_the_index_once(tiny):
    results, errors = [], []

    def use():
        try:
            results.append(DrugIndex().canonicals("decadron"))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and results == [("dexamethasone",)] * 4 and len(tiny) == 1


def test_an_unwritable_instance_folder_falls_back_to_the_user_cache_then_memory(tiny, tmp_path, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", blocked)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert DrugIndex().canonicals("kaletra") == ("lopinavir", "ritonavir")
    assert list((tmp_path / "cache" / "screener").glob("drug-names-*.sqlite3"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert DrugIndex().canonicals("kaletra") == ("lopinavir", "ritonavir")  # in memory


def test_damage_met_during_a_look_up_rebuilds_the_index_once(tiny):
    class Damaged:
        def execute(self, *args):
            raise sqlite3.DatabaseError("database disk image is malformed")

        def close(self):
            pass

    index = DrugIndex()
    assert index.canonicals("decadron") == ("dexamethasone",) and len(tiny) == 1
    index._connection = Damaged()
    assert index.canonicals("kaletra") == ("lopinavir", "ritonavir") and len(tiny) == 2


def test_a_process_finding_the_index_built_never_reads_the_library(monkeypatch):
    INDEX.canonicals("decadron")  # the suite's index, built by now

    def refuse(path=None):
        raise AssertionError("the library's data file was unpickled although the index was built")

    monkeypatch.setattr(drug_index, "from_library", refuse)
    assert DrugIndex().canonicals("decadron") == ("dexamethasone",)
