"""The OpenAPI 3.1 document, generated from the same pydantic models the API validates and returns, and a docs page."""
from functools import lru_cache

from flask import Blueprint, Response, json, render_template
from pydantic.json_schema import models_json_schema

from ..fhir import Bundle
from ..model.api import (
    ApprovalsResponse,
    FieldView,
    OutcomeRequest,
    OutcomeResponse,
    PatientView,
    Problem,
    ScreenAllResponse,
    ScreenResponse,
    TrialDetail,
    TrialSummary,
    VerificationView,
    VoidRequest,
    VoidResponse,
)
from ..model.cds_hooks import CdsResponse, Discovery, Feedback, HookRequest
from ..model.children import SCREENING_NUMBER_PATTERN
from ..model.record import PatientRecord

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _ok(schema: dict) -> dict:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return {"description": description, "content": _PROBLEM}


_AS_OF = {
    "name": "as_of",
    "in": "query",
    "required": False,
    "description": "Screening date, YYYY-MM-DD (default: today).",
    "schema": {"type": "string", "format": "date"},
}
_TRIAL_ID = {"name": "trial_id", "in": "path", "required": True, "schema": {"type": "string"}}
_ACCEPT_LANGUAGE = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "description": "The language of the reports' reasons only: `fa` (or fa-IR, ...) preferred to English words each "
    "criterion's reason and title, to_settle, the to-dos' text, to_repeat, the summary and verdict_text in Persian "
    "(Solar Hijri dates and Persian digits inside those sentences). Everything else stays English and ISO: field "
    "names, codes, statuses, verdicts, evidence, dates, errors. Absent, `en`, any other language or a malformed "
    "header: English. The screening recorded is English whatever was asked.",
    "schema": {"type": "string"},
    "example": "fa",
}
_CONTENT_LANGUAGE = {
    "Content-Language": {
        "description": "The language of the reports' reasons: `fa` or `en` (see the Accept-Language parameter).",
        "schema": {"type": "string", "enum": ["en", "fa"]},
    }
}
_SCREENING_NUMBER_QUERY = {
    "name": "screening_number",
    "in": "query",
    "required": False,
    "description": "The child's pseudonymous screening number (SCR- and 4 digits, or 5 from SCR-10000): for a FHIR "
    "Bundle, which has no place for it; a native record may carry it as its screening_number field instead (the "
    "two must agree). Without one, the next free number is assigned and returned.",
    "schema": {"type": "string", "pattern": SCREENING_NUMBER_PATTERN},
}
_SCREENING_NUMBER = {"name": "screening_number", "in": "path", "required": True,
                     "schema": {"type": "string", "pattern": SCREENING_NUMBER_PATTERN}}
_SCREENING_ID = {"name": "screening_id", "in": "path", "required": True,
                 "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}
_VERIFICATION_ID = {"name": "verification_id", "in": "path", "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}


def _body(model: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}}}


def _log_operation(summary: str, parameters: list, response: str, body: str | None = None,
                   status: str = "200", more: dict | None = None) -> dict:
    responses = {
        status: _ok({"$ref": f"#/components/schemas/{response}"}),
        "404": _error("No such screening or child that this principal may see"),
        "422": _error("Invalid request: every offending field by its path, never its value"),
        **_ACCESS,
        **(more or {}),
    }
    operation: dict = {"summary": summary, "parameters": parameters, "responses": responses}
    if body is not None:
        operation["requestBody"] = _body(body)
        responses["415"] = _error("Send application/json")
    return operation


_ACCESS = {
    "401": _error("No valid credentials: send Authorization: Bearer <token>"),
    "403": _error("The token's user has a role that may not do this"),
    "429": _error("Rate limit reached for this token"),
}
# Every route refuses a control character in the address or the query string (web/input_guard.py).
_CONTROL = {"422": _error("A control character in the address or the query string, named by its field")}


def _screen_operation(summary: str, response: str, parameters: list) -> dict:
    return {
        "summary": summary,
        "parameters": parameters,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/PatientRecord"}},
                "application/fhir+json": {"schema": {"$ref": "#/components/schemas/FhirBundle"}},
            },
        },
        "responses": {
            "200": {**_ok({"$ref": f"#/components/schemas/{response}"}), "headers": _CONTENT_LANGUAGE},
            "404": _error("Unknown trial"),
            "413": _error("Body larger than the limit"),
            "415": _error("Unsupported content type"),
            "422": _error("Invalid record, or a control character in the address or the query string: every "
                          "offending field by its path"),
            "500": _error("Unexpected failure, with an incident id"),
            "503": _error("The screening could not be recorded (database unavailable); nothing was written"),
            **_ACCESS,
        },
    }


_CDS_REFUSED = {"401": {"description": "No trusted EHR JWT (any failed check): an empty body, nothing said"}}
_CDS_SERVICE = {"name": "service_id", "in": "path", "required": True,
                "schema": {"type": "string", "enum": ["trial-candidates", "trial-order-check"]}}


def _cds_paths() -> dict:
    """The CDS Hooks 2.0.1 endpoints (docs/cds-hooks.md), outside /api/v1 where the spec puts them."""
    security: list[dict[str, list[str]]] = [{"cdsClientJwt": []}]
    return {
        "/cds-services": {"get": {
            "summary": "CDS Hooks discovery: the patient-view and order-sign services and their prefetch",
            "security": security,
            "responses": {"200": _ok({"$ref": "#/components/schemas/Discovery"}), **_CDS_REFUSED, **_CONTROL},
        }},
        "/cds-services/{service_id}": {"post": {
            "summary": "A hook call: cards for the trials the patient may be a candidate for (patient-view), or "
            "warnings for a draft order that would exclude them (order-sign)",
            "security": security,
            "parameters": [_CDS_SERVICE],
            "requestBody": _body("HookRequest"),
            "responses": {
                "200": _ok({"$ref": "#/components/schemas/CdsResponse"}),
                "404": _error("No such CDS service"),
                "412": _error("A prefetch key was neither sent nor fetchable (no registered fhirServer with "
                              "fhirAuthorization)"),
                "413": _error("Body larger than the limit"),
                "415": _error("Send application/json"),
                "422": _error("Invalid request, or patient data that cannot be screened: every offending field"),
                "503": _error("The screening could not be recorded: no cards are given"),
                **_CDS_REFUSED,
            },
        }},
        "/cds-services/{service_id}/feedback": {"post": {
            "summary": "Feedback on cards (accepted, overridden with a reason), recorded in the audit trail",
            "security": security,
            "parameters": [_CDS_SERVICE],
            "requestBody": _body("Feedback"),
            "responses": {
                "200": _ok({"type": "object"}),
                "404": _error("No such CDS service"),
                "413": _error("Body larger than the limit"),
                "415": _error("Send application/json"),
                "422": _error("Invalid feedback: every offending field"),
                "503": _error("The feedback could not be recorded"),
                **_CDS_REFUSED,
            },
        }},
    }


_FHIR_RESOURCE = {"content": {"application/fhir+json": {"schema": {
    "type": "object", "required": ["resourceType"], "properties": {"resourceType": {"type": "string"}}}}}}
_FHIR_ID = {"in": "path", "required": True, "schema": {"type": "string"}}


def _fhir_paths() -> dict:
    """Reviewed rule sets as FHIR R4 (docs/fhir-publishing.md): FHIR read and search, FHIR's own media type, and an
    OperationOutcome for what is not there (a draft is not published)."""
    not_found = {"description": "No such published resource: an OperationOutcome (a bad address: problem+json)",
                 "content": {**_FHIR_RESOURCE["content"], **_PROBLEM}}
    return {
        "/fhir/ResearchStudy/{trial_id}": {"get": {
            "summary": "A trial's reviewed rule set as a FHIR R4 ResearchStudy (enrollment: its eligibility Group)",
            "parameters": [{"name": "trial_id", **_FHIR_ID}],
            "responses": {"200": {"description": "The ResearchStudy", **_FHIR_RESOURCE}, "404": not_found,
                          **_CONTROL, **_ACCESS},
        }},
        "/fhir/Group/{group}": {"get": {
            "summary": "A trial's eligibility criteria as a definitional FHIR R4 Group (id: the trial id and "
            "-eligibility), one characteristic per criterion",
            "parameters": [{"name": "group", **_FHIR_ID}],
            "responses": {"200": {"description": "The Group", **_FHIR_RESOURCE}, "404": not_found,
                          **_CONTROL, **_ACCESS},
        }},
        "/fhir/ResearchStudy": {"get": {
            "summary": "Search the published studies: a searchset Bundle, with their Groups when asked for",
            "parameters": [
                {"name": "_id", "in": "query", "required": False, "schema": {"type": "string"},
                 "description": "Trial ids, comma-separated (at most 50); without it, every published study."},
                {"name": "_include", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": ["ResearchStudy:enrollment"]},
                 "description": "ResearchStudy:enrollment adds each study's eligibility Group."},
            ],
            "responses": {
                "200": {"description": "A searchset Bundle", **_FHIR_RESOURCE},
                "400": {"description": "An unsupported search parameter or _include, or too many ids: an "
                        "OperationOutcome", **_FHIR_RESOURCE},
                **_CONTROL, **_ACCESS,
            },
        }},
    }


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    _, schemas = models_json_schema(
        [
            (PatientRecord, "validation"),
            (ScreenResponse, "serialization"),
            (ScreenAllResponse, "serialization"),
            (TrialSummary, "serialization"),
            (TrialDetail, "serialization"),
            (ApprovalsResponse, "serialization"),
            (FieldView, "serialization"),
            (Problem, "serialization"),
            (PatientView, "serialization"),
            (VoidRequest, "validation"),
            (VoidResponse, "serialization"),
            (OutcomeRequest, "validation"),
            (OutcomeResponse, "serialization"),
            (VerificationView, "serialization"),
            (Discovery, "serialization"),
            (HookRequest, "validation"),
            (CdsResponse, "serialization"),
            (Feedback, "validation"),
        ],
        ref_template="#/components/schemas/{model}",
    )
    # The FHIR subset the reader reads, from the models it checks each resource against; prefixed, because FHIR's
    # names (Observation, Medication, Period) are also the native record's.
    _, fhir = models_json_schema([(Bundle, "validation")], ref_template="#/components/schemas/Fhir{model}")
    schemas["$defs"].update({f"Fhir{name}": schema for name, schema in fhir["$defs"].items()})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Trial eligibility screener",
            "version": "1",
            "description": "Screen a patient record, or a FHIR R4 Bundle, against NK-cell trials: pass, fail or "
            "unknown for every criterion, with the value, unit, date and threshold behind it.",
        },
        "paths": {
            "/api/v1/trials": {
                "get": {
                    "summary": "List the trials and their rule-set versions",
                    "responses": {
                        "200": _ok({"type": "array", "items": {"$ref": "#/components/schemas/TrialSummary"}}),
                        **_CONTROL,
                        **_ACCESS,
                    },
                }
            },
            "/api/v1/trials/{trial_id}": {
                "get": {
                    "summary": (
                        "One trial's rule set: every criterion with its source words, citation, interpretation "
                        "and logic"
                    ),
                    "parameters": [_TRIAL_ID],
                    "responses": {
                        "200": _ok({"$ref": "#/components/schemas/TrialDetail"}),
                        "404": _error("Unknown trial"),
                        **_CONTROL,
                        **_ACCESS,
                    },
                }
            },
            "/api/v1/fields": {
                "get": {
                    "summary": "The field catalogue: types, accepted units, LOINC codes",
                    "responses": {
                        "200": _ok({"type": "array", "items": {"$ref": "#/components/schemas/FieldView"}}),
                        **_CONTROL,
                        **_ACCESS,
                    },
                }
            },
            "/api/v1/trials/{trial_id}/approvals": {
                "get": {
                    "summary": ("The trial's rule-set versions approved at the site (the amendment history) and "
                                "the version in force today"),
                    "parameters": [_TRIAL_ID],
                    "responses": {
                        "200": _ok({"$ref": "#/components/schemas/ApprovalsResponse"}),
                        "404": _error("Unknown trial"),
                        **_CONTROL,
                        **_ACCESS,
                    },
                }
            },
            "/api/v1/trials/{trial_id}/screen": {
                "post": _screen_operation("Screen a record against one trial", "ScreenResponse",
                                          [_TRIAL_ID, _AS_OF, _SCREENING_NUMBER_QUERY, _ACCEPT_LANGUAGE])
            },
            "/api/v1/screen": {
                "post": _screen_operation(
                    "Screen a record against every trial, best prospects first", "ScreenAllResponse",
                    [_AS_OF, _SCREENING_NUMBER_QUERY, _ACCEPT_LANGUAGE]
                )
            },
            "/api/v1/patients/{screening_number}": {
                "get": _log_operation("A child's screenings over time, the one counted per trial with its signed "
                                      "eligibility verification and protocol deviations, and the outcomes",
                                      [_SCREENING_NUMBER], "PatientView")
            },
            "/api/v1/verifications/{verification_id}": {
                "get": {
                    "summary": ("A signed enrolment-day eligibility verification: the checklist signed (every "
                                "criterion with its status and evidence), the protocol version and its approval, the "
                                "signature (printed name, time, meaning) and its standing today"),
                    "parameters": [_VERIFICATION_ID],
                    "responses": {
                        "200": _ok({"$ref": "#/components/schemas/VerificationView"}),
                        "404": _error("No such verification that this principal may see (a screener sees those of "
                                      "the children they screened)"),
                        **_CONTROL,
                        **_ACCESS,
                    },
                }
            },
            "/api/v1/screenings/{screening_id}/void": {
                "post": _log_operation(
                    "Void a screening (entered in error, wrong patient, test): kept in the trail, never counted",
                    [_SCREENING_ID], "VoidResponse", "VoidRequest",
                    more={"409": _error("The screening is voided already")})
            },
            "/api/v1/patients/{screening_number}/outcomes": {
                "post": _log_operation("Record what became of a child for a trial", [_SCREENING_NUMBER],
                                       "OutcomeResponse", "OutcomeRequest", status="201")
            },
            **_cds_paths(),
            **_fhir_paths(),
        },
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from `screener tokens create`",
                },
                "cdsClientJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "CDS Hooks: the registered EHR's signed JWT (ES384/RS384, or the algorithms "
                    "registered for it), aud the exact URL called, exp, iat and a jti never used before",
                },
            },
        },
        "security": [{"bearer": []}],
    }


@bp.get("/openapi.json")
def openapi_json():
    return Response(json.dumps(openapi_document()), mimetype="application/json")


@bp.get("/docs")
def docs():
    return render_template("api_docs.html", doc=openapi_document())
