"""Rule sets read as FHIR R4 resources (docs/fhir-publishing.md): a trial's ResearchStudy, its eligibility Group, and
the search a FHIR client makes for both at once (`_id` and `_include=ResearchStudy:enrollment`, a searchset Bundle).

Only reviewed rule sets are published: a draft is not found here (`screener rules export-fhir --allow-draft` writes
one, labelled). Rule sets are not patient data, so every signed-in role reads them (web/auth.py). An id is named back
only when it has the shape of a trial id; anything else is "that id", so no arbitrary input is echoed.
"""
import json
import re
from typing import Any

from flask import Blueprint, Response, request, url_for

from ..authoring.fhir_publish import eligibility_group, group_id, research_study
from ..model.ruleset import RuleSet
from ..rules import load_rule_sets

bp = Blueprint("fhir_publish", __name__, url_prefix="/fhir")
FHIR_JSON = "application/fhir+json"
_TRIAL_ID = re.compile(r"^[A-Za-z0-9-]{3,40}$")  # RuleSet.trial_id's own pattern
_GROUP_SUFFIX = "-eligibility"
_ENROLLMENT = "ResearchStudy:enrollment"
_SEARCH_PARAMETERS = {"_id", "_include"}
_MAX_IDS = 50


def _fhir(resource: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(resource, sort_keys=True, ensure_ascii=False), status=status,
                    content_type=f"{FHIR_JSON}; charset=utf-8")


def _outcome(status: int, code: str, diagnostics: str) -> Response:
    return _fhir({"resourceType": "OperationOutcome",
                  "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}]}, status)


def _published() -> dict[str, RuleSet]:
    return {trial_id: rule_set for trial_id, rule_set in load_rule_sets().items() if rule_set.status != "draft"}


def _not_found(resource_type: str, given: str, trial_id: str) -> Response:
    named = f"{resource_type}/{given}" if _TRIAL_ID.match(trial_id) else f"{resource_type} with that id"
    drafted = load_rule_sets().get(trial_id)
    if drafted is not None and drafted.status == "draft":
        return _outcome(404, "not-found", f"{named} is a draft rule set, not reviewed: it is not published")
    return _outcome(404, "not-found", f"no {named}")


@bp.get("/ResearchStudy/<path:trial_id>")  # path: any id, slashes too, gets an OperationOutcome
def read_study(trial_id: str):
    rule_set = _published().get(trial_id)
    return _not_found("ResearchStudy", trial_id, trial_id) if rule_set is None else _fhir(research_study(rule_set))


@bp.get("/Group/<path:group>")
def read_group(group: str):
    trial_id = group.removesuffix(_GROUP_SUFFIX) if group.endswith(_GROUP_SUFFIX) else ""
    rule_set = _published().get(trial_id)
    if rule_set is None:
        return _not_found("Group", group, trial_id if _TRIAL_ID.match(trial_id) else "")
    return _fhir(eligibility_group(rule_set))


@bp.get("/ResearchStudy")
def search_studies():
    """The published studies (all, or those named by `_id`, comma-separated), with their Groups when asked for
    with `_include=ResearchStudy:enrollment`: a searchset Bundle, matches first, then what they include."""
    unsupported = set(request.args) - _SEARCH_PARAMETERS
    if unsupported:
        return _outcome(400, "not-supported", "only the search parameters _id and _include are supported")
    includes = request.args.getlist("_include")
    if any(value != _ENROLLMENT for value in includes):
        return _outcome(400, "not-supported", f"_include supports {_ENROLLMENT} only")
    published = _published()
    wanted = [i for value in request.args.getlist("_id") for i in value.split(",")] if "_id" in request.args else None
    if wanted is not None and len(wanted) > _MAX_IDS:
        return _outcome(400, "too-costly", f"at most {_MAX_IDS} ids in _id")
    found = list(published.values()) if wanted is None else [published[i] for i in dict.fromkeys(wanted)
                                                              if i in published]
    base = url_for("fhir_publish.search_studies", _external=True).rsplit("/ResearchStudy", 1)[0]
    entries = [{"fullUrl": f"{base}/ResearchStudy/{r.trial_id}", "resource": research_study(r),
                "search": {"mode": "match"}} for r in found]
    if includes:
        entries += [{"fullUrl": f"{base}/Group/{group_id(r.trial_id)}", "resource": eligibility_group(r),
                     "search": {"mode": "include"}} for r in found]
    # The self link is rebuilt from what was understood (ids that can be trial ids), never the raw query string.
    query = [*([f"_id={','.join(r.trial_id for r in found)}"] if wanted is not None else []),
             *([f"_include={_ENROLLMENT}"] if includes else [])]
    return _fhir({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(found),
        "link": [{"relation": "self", "url": f"{base}/ResearchStudy" + ("?" + "&".join(query) if query else "")}],
        "entry": entries,
    })
