"""FHIR medications: RxNorm code and name, route, daily dose from dosage and timing, status, period, what is ignored."""

import pytest

from .test_fhir import AS_OF, bundle, read

RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _med(kind="MedicationRequest", id_="m1", *, concept=None, dosage=None, status="active", **extra):
    resource = {"resourceType": kind, "id": id_, "status": status, "subject": {"reference": "urn:uuid:p1"}}
    if kind == "MedicationRequest":
        resource |= {"intent": "order", "authoredOn": "2026-11-18"}
    else:
        resource["effectiveDateTime"] = "2026-11-18T09:00:00Z"
    if concept is not False:
        resource["medicationCodeableConcept"] = concept or {
            "coding": [{"system": RX, "code": "197582", "display": "Dexamethasone 4 MG Oral Tablet"}]
        }
    if dosage is not None:
        resource["dosageInstruction" if kind == "MedicationRequest" else "dosage"] = dosage
    resource |= extra
    return {"fullUrl": f"urn:uuid:{id_}", "resource": resource}


def _dose(value, unit, frequency=1, period=1, period_unit="d", **more):
    line = {
        "timing": {"repeat": {"frequency": frequency, "period": period, "periodUnit": period_unit}},
        "doseAndRate": [
            {"doseQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}
        ],
    }
    return [line | more]


def _one(*entries):
    record, imported = read(bundle(*entries))
    return record.history.medications, imported


def _ignored(imported, id_="m1"):
    return [i["reason"] for i in imported.ignored if i["resource"].endswith(f"/{id_}")]


def test_rxnorm_code_and_display_are_read():
    meds, imported = _one(_med())
    assert (meds[0].rxnorm, meds[0].name) == ("197582", "Dexamethasone 4 MG Oral Tablet")
    assert "RxNorm 197582" in imported.used[-1]["note"]


def test_text_when_no_coding_and_rxnorm_without_display():
    meds, _ = _one(_med(concept={"text": "Decadron"}))
    assert (meds[0].name, meds[0].rxnorm) == ("Decadron", None)
    meds, _ = _one(_med(concept={"coding": [{"system": RX, "code": "197582"}]}))
    assert (meds[0].name, meds[0].rxnorm) == ("RxNorm 197582", "197582")


def test_contained_and_referenced_medication():
    contained = _med(
        concept=False,
        medicationReference={"reference": "#med"},
        contained=[
            {
                "resourceType": "Medication",
                "id": "med",
                "code": {"coding": [{"system": RX, "code": "312617", "display": "predniSONE 5 MG Oral Tablet"}]},
            }
        ],
    )
    meds, imported = _one(contained)
    assert (meds[0].rxnorm, meds[0].name) == ("312617", "predniSONE 5 MG Oral Tablet")
    assert "contained Medication" in imported.used[-1]["note"]
    medication = {
        "fullUrl": "urn:uuid:med2",
        "resource": {
            "resourceType": "Medication",
            "id": "med2",
            "code": {"coding": [{"system": RX, "code": "8640", "display": "prednisone"}]},
        },
    }
    meds, _ = _one(medication, _med(concept=False, medicationReference={"reference": "Medication/med2"}))
    assert (meds[0].rxnorm, meds[0].name) == ("8640", "prednisone")
    _, imported = _one(_med(concept=False, medicationReference={"reference": "Medication/nowhere"}))
    assert "does not resolve" in _ignored(imported)[0]


@pytest.mark.parametrize(
    "dosage,expected",
    [
        (_dose(0.15, "mg/kg", frequency=2), (0.3, "mg/kg/day")),  # twice a day
        (_dose(2, "mg", frequency=1, period=8, period_unit="h"), (6, "mg/day")),  # every 8 hours
        (_dose(6, "mg/m2"), (6, "mg/m2/day")),
        (_dose(0.5, "g"), (500, "mg/day")),
        (_dose(500, "ug", frequency=2), (1, "mg/day")),
        (_dose(10, "mg/d", frequency=3), (10, "mg/day")),  # already a daily dose: timing not applied
        (_dose(2, "{tablet}", frequency=2), (16, "mg/day")),  # 2 tablets × 4 mg from the name, twice a day
        (
            [
                {
                    "timing": {"code": {"coding": [{"code": "TID"}]}},
                    "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "mg", "code": "mg"}}],
                }
            ],
            (3, "mg/day"),
        ),
        ([_dose(2, "mg")[0] | {"sequence": 1}, _dose(1, "mg")[0] | {"sequence": 1}], (3, "mg/day")),  # concurrent lines
    ],
)
def test_daily_dose_from_dose_and_timing(dosage, expected):
    meds, _ = _one(_med(dosage=dosage))
    assert meds[0].dose == pytest.approx(expected[0]) and meds[0].dose_unit == expected[1]


@pytest.mark.parametrize(
    "dosage,why",
    [
        ([{"asNeededBoolean": True, "doseAndRate": [{"doseQuantity": {"value": 4, "code": "mg"}}]}], "as needed"),
        (_dose(4, "mg", period=1, period_unit="wk"), "less often than daily"),
        (_dose(4, "mg", period=36, period_unit="h"), "less often than daily"),
        (
            [{"doseAndRate": [{"doseRange": {"low": {"value": 1, "code": "mg"}, "high": {"value": 4, "code": "mg"}}}]}],
            "range",
        ),
        ([{"doseAndRate": [{"doseQuantity": {"value": 4, "code": "mg"}}]}], "without timing"),
        (_dose(5, "mL"), "not a mass"),
        (
            [
                {
                    "timing": {"repeat": {"frequency": 1, "frequencyMax": 4, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [{"doseQuantity": {"value": 4, "code": "mg"}}],
                }
            ],
            "range of frequencies",
        ),
        ([_dose(4, "mg")[0] | {"sequence": 1}, _dose(2, "mg")[0] | {"sequence": 2}], "taper"),
        (_dose(4, "mg", frequency=100), "implausible"),
        (_dose(0, "mg"), "no usable dose value"),
        (_dose("4", "mg"), "dosageInstruction[0].doseAndRate[0].doseQuantity.value malformed"),  # kept, dose unknown
        (_dose(1e300, "mg"), "dosageInstruction[0].doseAndRate[0].doseQuantity.value malformed"),
    ],
)
def test_unreadable_doses_stay_unknown_and_say_why(dosage, why):
    meds, imported = _one(_med(dosage=dosage))
    assert meds[0].dose is None and meds[0].dose_unit is None
    assert any(why in reason for reason in _ignored(imported)), _ignored(imported)


def test_unitless_tablet_needs_a_single_strength_in_the_name():
    combo = {
        "coding": [
            {
                "system": RX,
                "code": "857005",
                "display": "Acetaminophen 325 MG / HYDROcodone Bitartrate 7.5 MG Oral Tablet",
            }
        ]
    }
    meds, imported = _one(
        _med(
            concept=combo,
            dosage=[
                {
                    "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [{"doseQuantity": {"value": 1}}],
                }
            ],
        )
    )
    assert meds[0].dose is None and "no single strength" in _ignored(imported)[0]


def test_administrations_of_one_drug_on_one_day_add_up():
    dose = {
        "dose": {"value": 4, "unit": "mg", "code": "mg"},
        "route": {"coding": [{"system": "http://snomed.info/sct", "code": "47625008"}]},
    }
    meds, imported = _one(
        _med("MedicationAdministration", "a1", status="completed", dosage=dose),
        _med("MedicationAdministration", "a2", status="completed", dosage=dose),
        _med(
            "MedicationAdministration", "a3", status="completed", dosage=dose, effectiveDateTime="2026-11-19T09:00:00Z"
        ),
    )
    assert [(m.start.isoformat(), m.dose, m.dose_unit, m.route) for m in meds] == [
        ("2026-11-18", 8, "mg/day", "iv"),
        ("2026-11-19", 4, "mg/day", "iv"),
    ]
    assert "now 8 mg/day" in imported.used[-2]["note"]


def test_administration_over_several_days_has_no_daily_dose():
    entry = _med(
        "MedicationAdministration",
        "m1",
        status="completed",
        dosage={"dose": {"value": 40, "code": "mg"}},
        effectivePeriod={"start": "2026-11-15", "end": "2026-11-18"},
    )
    del entry["resource"]["effectiveDateTime"]
    meds, imported = _one(entry)
    assert meds[0].dose is None and (meds[0].start.isoformat(), meds[0].end.isoformat()) == ("2026-11-15", "2026-11-18")
    assert any("several days" in r for r in _ignored(imported))


@pytest.mark.parametrize(
    "kind,status,extra,ignored",
    [
        ("MedicationStatement", "intended", {}, "not yet taken"),
        ("MedicationStatement", "not-taken", {}, "not taken"),
        ("MedicationStatement", "entered-in-error", {}, "entered in error"),
        ("MedicationAdministration", "not-done", {}, "not given"),
        ("MedicationRequest", "cancelled", {}, "cancelled"),
        ("MedicationRequest", "draft", {}, "draft"),
        ("MedicationRequest", "active", {"intent": "plan"}, "not an order"),
        ("MedicationRequest", "active", {"intent": "proposal"}, "not an order"),
    ],
)
def test_statuses_that_mean_not_taken_are_ignored_with_the_reason(kind, status, extra, ignored):
    meds, imported = _one(_med(kind, status=status, **extra))
    assert meds == [] and ignored in _ignored(imported)[0]


@pytest.mark.parametrize(
    "kind,status,extra,end,note",
    [
        ("MedicationRequest", "active", {}, None, "ongoing from 2026-11-18"),
        ("MedicationRequest", "stopped", {}, None, "stopped on a date not given: taken as ongoing"),
        (
            "MedicationRequest",
            "completed",
            {"dosageInstruction": [{"timing": {"repeat": {"boundsDuration": {"value": 5, "code": "d"}}}}]},
            "2026-11-23",
            "bounds duration",
        ),
        (
            "MedicationRequest",
            "completed",
            {
                "dosageInstruction": [
                    {"timing": {"repeat": {"boundsPeriod": {"start": "2026-11-01", "end": "2026-11-05"}}}}
                ]
            },
            "2026-11-05",
            "bounds end",
        ),
        (
            "MedicationRequest",
            "stopped",
            {"dispenseRequest": {"expectedSupplyDuration": {"value": 7, "code": "d"}, "numberOfRepeatsAllowed": 1}},
            "2026-12-02",
            "expected supply",
        ),
        ("MedicationStatement", "completed", {}, "2026-11-18", "on 2026-11-18"),
        (
            "MedicationStatement",
            "active",
            {"effectiveDateTime": None, "effectivePeriod": {"start": "2026-11-10"}},
            None,
            "ongoing from 2026-11-10",
        ),
        (
            "MedicationStatement",
            "completed",
            {"effectiveDateTime": None, "effectivePeriod": {"start": "2026-11-10"}},
            None,
            "completed on a date not given",
        ),
        (
            "MedicationStatement",
            "stopped",
            {"effectiveDateTime": None, "effectivePeriod": {"start": "2026-11-10", "end": "2026-11-12"}},
            "2026-11-12",
            "2026-11-10 to 2026-11-12",
        ),
        (
            "MedicationAdministration",
            "in-progress",
            {"effectiveDateTime": None, "effectivePeriod": {"start": "2026-11-21"}},
            None,
            "ongoing",
        ),
    ],
)
def test_status_and_period(kind, status, extra, end, note):
    extra = {k: v for k, v in extra.items() if v is not None}
    entry = _med(kind, status=status, **extra)
    if "effectivePeriod" in extra:
        del entry["resource"]["effectiveDateTime"]
    meds, imported = _one(entry)
    assert (meds[0].end.isoformat() if meds[0].end else None) == end
    assert note in imported.used[-1]["note"]


@pytest.mark.parametrize(
    "route,name,expected",
    [
        ({"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}]}, "x", "oral"),
        ({"coding": [{"system": "http://snomed.info/sct", "code": "72607000"}]}, "x", "intrathecal"),
        ({"text": "Intravenous"}, "x", "iv"),
        (None, "Hydrocortisone 10 MG/ML Topical Cream", "topical"),
        (None, "120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler", "inhaled"),
        (None, "1 ML Dexamethasone 4 MG/ML Injection", "unknown"),
        (None, "Hydrochlorothiazide 25 MG", "unknown"),
    ],
)
def test_route_from_code_words_or_dose_form(route, name, expected):
    dosage = [{"route": route}] if route else None
    meds, _ = _one(_med(concept={"coding": [{"system": RX, "code": "1", "display": name}]}, dosage=dosage))
    assert meds[0].route == expected


def _weight(kg: float) -> dict:
    """A body-weight Observation of 15 Nov 2026: a mg/day dose is sized by it."""
    return {
        "fullUrl": "urn:uuid:w",
        "resource": {
            "resourceType": "Observation",
            "id": "w",
            "status": "final",
            "subject": {"reference": "urn:uuid:p1"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
            "effectiveDateTime": "2026-11-15",
            "valueQuantity": {"value": kg, "unit": "kg", "code": "kg"},
        },
    }


def test_a_fhir_steroid_dose_now_decides_the_steroid_exclusion():
    from screener.screening import screen

    weight = _weight(20)

    def e7(value):
        record, _ = read(bundle(weight, _med(dosage=_dose(value, "mg", frequency=1, route={"text": "oral"}))))
        return next(c for c in screen(record, "NCT06674265", AS_OF).criteria if c.id == "NCT06674265-E7")

    # 20 kg: dexamethasone × 6.67 prednisone-equivalent; 0.5 mg/kg/day = 10 mg/day prednisone = 1.5 mg dexamethasone.
    assert e7(1.5).status == "fail"
    assert e7(1.4).status == "pass"
    record, _ = read(bundle(weight, _med(dosage=[{"asNeededBoolean": True, "route": {"text": "oral"}}])))
    assert (
        next(c for c in screen(record, "NCT06674265", AS_OF).criteria if c.id == "NCT06674265-E7").status == "unknown"
    )


def test_an_unreadable_medication_makes_the_history_not_recorded():
    # A resource whose drug cannot be read could be the excluding steroid: the history is not complete, so the
    # medication criteria stay unknown instead of passing on the readable entries alone.
    meds, imported = _one(_med(), _med(id_="m2", concept=False))
    assert meds is None
    assert any("could not be read" in a for a in imported.assumptions)
    assert _ignored(imported, "m2")
    meds, _ = _one(_med())
    assert meds is not None and len(meds) == 1


def test_split_morning_and_evening_orders_are_one_daily_exposure():
    # Issue 22: prednisone 10 mg every morning and 5 mg every evening, two active MedicationRequests, 27.5 kg:
    # 15 mg/day = 0.55 mg/kg/day prednisone-equivalent. Each alone is below 0.5; the child is excluded.
    from screener.screening import screen

    weight = _weight(27.5)
    prednisone = {"coding": [{"system": RX, "code": "8640", "display": "prednisone"}]}

    def order(id_, mg, when):
        dosage = [{
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d", "when": [when]}},
            "route": {"text": "oral"},
            "doseAndRate": [{"doseQuantity": {"value": mg, "unit": "mg", "system": "http://unitsofmeasure.org",
                                              "code": "mg"}}],
        }]
        return _med(id_=id_, concept=prednisone, dosage=dosage)

    def e7(*orders):
        record, _ = read(bundle(weight, *orders))
        return next(c for c in screen(record, "NCT06674265", AS_OF).criteria if c.id == "NCT06674265-E7")

    both = e7(order("m1", 10, "MORN"), order("m2", 5, "EVE"))
    assert both.status == "fail"
    assert "prednisone 0.36 + prednisone 0.18 = 0.55 mg/kg/day prednisone-equivalent" in both.reason
    for engine in ("durable", "reference"):
        record, _ = read(bundle(weight, order("m1", 10, "MORN"), order("m2", 5, "EVE")))
        assert screen(record, "NCT06674265", AS_OF, engine).verdict == "ineligible"
    assert e7(order("m1", 10, "MORN")).status == "pass"  # 0.36 alone
    assert e7(order("m1", 10, "MORN"), order("m2", 3.5, "EVE")).status == "pass"  # 13.5 mg: 0.49


def _prednisone_order(id_, mg, start="2026-11-10", **extra):
    dosage = [{
        "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
        "route": {"text": "oral"},
        "doseAndRate": [{"doseQuantity": {"value": mg, "unit": "mg", "system": "http://unitsofmeasure.org",
                                          "code": "mg"}}],
    }]
    concept = {"coding": [{"system": RX, "code": "8640", "display": "prednisone"}]}
    return _med(id_=id_, concept=concept, dosage=dosage, authoredOn=start, **extra)


def _given(id_, mg, day="2026-11-18", order="m1"):
    concept = {"coding": [{"system": RX, "code": "8640", "display": "prednisone"}]}
    extra = {"request": {"reference": f"urn:uuid:{order}"}} if order else {}
    return _med("MedicationAdministration", id_, concept=concept, status="completed",
                effectiveDateTime=f"{day}T08:00:00Z",
                dosage={"route": {"text": "oral"}, "dose": {"value": mg, "unit": "mg",
                                                             "system": "http://unitsofmeasure.org", "code": "mg"}},
                **extra)


def test_doses_given_under_their_own_order_are_not_a_second_exposure():
    # The order (8 mg/day) and its administrations are one exposure: summing them would exclude a child whose
    # dose is below the threshold. Each administration names its order and gives no more than it.
    meds, imported = _one(_prednisone_order("m1", 8), _given("a1", 8), _given("a2", 4, day="2026-11-19"),
                          _given("a3", 4, day="2026-11-19"))
    assert [(m.name, m.dose) for m in meds] == [("prednisone", 8)]
    assert all("given under its own order" in _ignored(imported, a)[0] for a in ("a1", "a2", "a3"))


@pytest.mark.parametrize("given", [
    _given("a1", 12),  # more than the order's daily dose: what was given counts beside it (the strict side)
    _given("a1", 8, order=None),  # names no order: a second exposure as far as the record can tell
    _given("a1", 8, day="2026-11-05"),  # before the order's start: not given under it
])
def test_doses_not_accounted_for_by_their_order_are_added(given):
    meds, _ = _one(_prednisone_order("m1", 8), given)
    assert len(meds) == 2


# --- issue 22: a free-text dose instruction is never a drug name ---------------------------------------------------
SAT_SUN = "Co-trimoxazole 240 mg/5 mL oral suspension, 5 mL twice daily Sat/Sun"


def test_a_dose_instruction_after_the_drug_in_the_text_is_taken_off_the_name():
    meds, imported = _one(_med(concept={"text": SAT_SUN}))
    assert meds[0].name == "Co-trimoxazole 240 mg/5 mL oral suspension, 5 mL"
    assert "dose instruction after the name taken off" in imported.used[-1]["note"]
    assert meds[0].route == "oral"  # the dose form still states the route


def test_the_sat_sun_text_reads_as_co_trimoxazole_not_as_three_names():
    from screener.screening import screen

    record, _ = read(bundle(_med(concept={"text": SAT_SUN})))
    by_id = {c.id: c for c in screen(record, "NCT06674265", AS_OF).criteria}
    for criterion in ("NCT06674265-E7", "NCT06674265-E8"):
        assert by_id[criterion].status == "pass", by_id[criterion].reason
        assert "sulfamethoxazole; trimethoprim" in by_id[criterion].reason
        assert "not a recognised" not in by_id[criterion].reason


def test_a_dose_instruction_as_the_only_text_is_no_name_and_the_history_is_not_complete():
    # never silently dropped: like a resource without a name, it makes the medication history not recorded, so
    # the steroid and CYP3A4 criteria stay unknown
    meds, imported = _one(_med(), _med(id_="m2", concept={"text": "5 mL twice daily Sat/Sun"}))
    assert meds is None
    assert _ignored(imported, "m2") == [
        "no medication name or RxNorm code (the text given is a dose instruction, not a drug name)"]
    assert any("could not be read" in a for a in imported.assumptions)


def test_a_dose_instruction_beside_an_rxnorm_code_leaves_the_code_to_name_the_drug():
    meds, imported = _one(_med(concept={"coding": [{"system": RX, "code": "197582"}], "text": "1 tablet BD"}))
    assert (meds[0].name, meds[0].rxnorm) == ("RxNorm 197582", "197582")
    assert "a dose instruction given as a name was not read as one" in imported.used[-1]["note"]


def test_an_instruction_in_a_coding_display_gives_way_to_the_text():
    concept = {"coding": [{"system": "urn:local", "code": "x", "display": "5 mL twice daily"}], "text": "TMP-SMX"}
    meds, _ = _one(_med(concept=concept))
    assert meds[0].name == "TMP-SMX"


def test_an_unrecognised_name_with_an_instruction_stays_whole_and_unrecognised():
    meds, _ = _one(_med(concept={"text": "Zorbexal 5 mL twice daily"}))
    assert meds[0].name == "Zorbexal 5 mL twice daily"


def _e7_e8_through(channel: str, client, b: dict) -> tuple[str, str, str]:
    import json

    if channel == "api":
        response = client.post("/api/v1/trials/NCT06674265/screen?as_of=2026-11-22", data=json.dumps(b),
                               content_type="application/fhir+json")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        report = response.json["report"]
    else:
        from click.testing import CliRunner

        from screener.cli import main

        result = CliRunner().invoke(main, ["screen", "-", "--trial", "NCT06674265", "--as-of", "2026-11-22",
                                           "--format", "json"], input=json.dumps(b).encode())
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
    by_id = {c["id"]: c for c in report["criteria"]}
    e7, e8 = by_id["NCT06674265-E7"], by_id["NCT06674265-E8"]
    return e7["status"], e8["status"], json.dumps([e7["reason"], e8["reason"]], ensure_ascii=False)


@pytest.mark.parametrize("channel", ["api", "cli"])
def test_the_sat_sun_text_through_the_api_and_the_cli(client, channel):
    e7, e8, reasons = _e7_e8_through(channel, client, bundle(_med("MedicationStatement", concept={"text": SAT_SUN})))
    assert (e7, e8) == ("pass", "pass") and "sulfamethoxazole; trimethoprim" in reasons
    only_instruction = bundle(_med("MedicationStatement", concept={"text": "5 mL twice daily Sat/Sun"}))
    assert _e7_e8_through(channel, client, only_instruction)[:2] == ("unknown", "unknown")
