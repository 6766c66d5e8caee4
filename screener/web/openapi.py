"""The OpenAPI 3.1 document, generated from the same pydantic models the API validates and returns, and a docs page."""
from functools import lru_cache

from flask import Blueprint, Response, json, render_template
from pydantic.json_schema import models_json_schema

from ..fhir import Bundle
from ..model.api import FieldView, Problem, ScreenAllResponse, ScreenResponse, TrialDetail, TrialSummary
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
            "200": _ok({"$ref": f"#/components/schemas/{response}"}),
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


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    _, schemas = models_json_schema(
        [
            (PatientRecord, "validation"),
            (ScreenResponse, "serialization"),
            (ScreenAllResponse, "serialization"),
            (TrialSummary, "serialization"),
            (TrialDetail, "serialization"),
            (FieldView, "serialization"),
            (Problem, "serialization"),
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
            "/api/v1/trials/{trial_id}/screen": {
                "post": _screen_operation("Screen a record against one trial", "ScreenResponse", [_TRIAL_ID, _AS_OF])
            },
            "/api/v1/screen": {
                "post": _screen_operation(
                    "Screen a record against every trial, best prospects first", "ScreenAllResponse", [_AS_OF]
                )
            },
        },
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from `screener tokens create`",
                }
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
