"""The fact plan (each fact's derivation prepared once per key) derives what the unprepared methods derive."""
from dataclasses import replace

from screener import config
from screener.engine.compile import compiled
from screener.facts.derive import _BY_KIND, _Deriver, derive, fact_plan
from screener.rules import load_rule_sets, load_tables
from screener.screening import parse_record
from tests import report_cases


def test_a_plan_holds_exactly_the_rule_sets_facts_and_is_made_once():
    for rule_set in load_rule_sets().values():
        prepared = compiled(rule_set)
        plan = fact_plan(prepared.facts)
        assert [key for key, _ in plan] == list(prepared.facts)  # none the rule set does not use
        assert fact_plan(list(prepared.facts)) is plan


def test_each_prepared_step_equals_the_method_it_prepares():
    """Every pinned case's record (demo, golden, generated) against every rule set, including the memoised facts
    of undated record fields, which are shared between records."""
    tables, seen, checked = load_tables(), set(), 0
    rule_sets = [compiled(r) for r in load_rule_sets().values()]
    for _, text, _, as_of in report_cases.cases():
        if (text, as_of) in seen:
            continue
        seen.add((text, as_of))
        record = parse_record(text)
        for rule_set in rule_sets:
            lookback = rule_set.rule_set.lookback
            planned = derive(record, as_of, rule_set.facts, lookback, tables)
            plain = _Deriver(record, as_of, lookback, tables)
            for key in rule_set.facts:
                fact = _BY_KIND[type(key)](plain, key)
                if isinstance(fact.value, float):  # derive puts numbers on the decimal grid
                    fact = replace(fact, value=round(fact.value, config.DECIMALS))
                assert planned[key] == fact, (key.slot, as_of)
                checked += 1
    assert checked > 10_000
