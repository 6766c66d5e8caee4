"""fast_init (facts/fast_init.py): the fact data classes stay the frozen dataclasses they were, only built faster."""
import dataclasses
import importlib
import inspect
from datetime import date

import pytest

from screener.facts.fact import Fact
from screener.facts.fast_init import fast_init, replaced
from screener.facts.provenance import Measured, ObservationPath

MODULES = ["fact", "provenance", "entries", "reasons", "medications"]


def _frozen_classes():
    for name in MODULES:
        module = importlib.import_module(f"screener.facts.{name}")
        for cls in vars(module).values():
            if isinstance(cls, type) and cls.__module__ == module.__name__ and dataclasses.is_dataclass(cls):
                if cls.__dataclass_params__.frozen:
                    yield cls


def test_every_frozen_fact_class_has_the_fast_init_with_the_dataclass_signature():
    classes = list(_frozen_classes())
    assert len(classes) > 90
    for cls in classes:
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
        assert cls.__init__.__code__.co_filename == "<fast_init>"
        params = list(inspect.signature(cls).parameters.values())
        assert [p.name for p in params] == [f.name for f in dataclasses.fields(cls)]
        for p, f in zip(params, dataclasses.fields(cls), strict=True):
            assert p.default == (inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default)


def test_values_defaults_equality_hash_and_repr_are_the_dataclass_ones():
    day = date(2026, 11, 22)
    fact = Fact(1.5, Measured(1.5, "mg/dL"), "mg/dL", day, ObservationPath(0, None, "2160-0"))
    assert (fact.value, fact.unit, fact.date, fact.why, fact.settle, fact.clears_on, fact.shared) == (
        1.5, "mg/dL", day, None, None, None, False)
    same = Fact(value=1.5, shown=Measured(1.5, "mg/dL"), unit="mg/dL", date=day,
                source=ObservationPath(0, test="2160-0"), shared=True)
    assert fact == same and hash(fact) == hash(same)  # shared is not compared
    assert fact != Fact(1.5)
    assert repr(Measured(2, "g/dL")) == "Measured(value=2, unit='g/dL', canonical=None, canonical_unit=None)"
    assert dataclasses.replace(fact, value=None).shown == fact.shown


def test_still_frozen_and_still_strict_about_arguments():
    fact = Fact(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fact.value = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        Fact()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Fact(1, colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ObservationPath(1, None, "x", "extra")  # type: ignore[call-arg]


def test_only_plain_frozen_dataclasses_are_accepted():
    @dataclasses.dataclass
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True)
    class Factory:
        a: list = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class Checked:
        a: int

        def __post_init__(self):
            pass

    for cls in (Mutable, Factory, Checked):
        with pytest.raises(TypeError):
            fast_init(cls)


def test_replaced_is_dataclasses_replace():
    fact = Fact(1.5, Measured(1.5, "mg/dL"), "mg/dL", date(2026, 11, 22), shared=True)
    for changes in ({"value": None}, {"shown": None, "unit": None}, {}):
        made = replaced(fact, **changes)
        assert repr(made) == repr(dataclasses.replace(fact, **changes))
        assert made.shared == dataclasses.replace(fact, **changes).shared
    with pytest.raises(TypeError):
        replaced(fact, colour="red")

    @dataclasses.dataclass(frozen=True)
    class Plain:
        a: int

    with pytest.raises(TypeError):
        replaced(Plain(1), a=2)
