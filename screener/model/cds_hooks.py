"""CDS Hooks 2.0.1 (HL7 STU2, https://cds-hooks.hl7.org/2.0/): discovery, the hook request, the cards answered and
the feedback on them. Written here rather than taken from a package: none on PyPI holds these models alone (the SDKs
that do bring a web framework of their own; docs/cds-hooks.md).

Requests are closed like every input here (a misspelt field is refused), with the spec's `extension` member open.
"""
from typing import Annotated, Literal

from pydantic import Field, SecretStr

from ._base import StrictModel

# A FHIR id (R4 datatypes: [A-Za-z0-9\-\.]{1,64}): it is put into the prefetch queries, so nothing else may pass.
FhirId = Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]{1,64}$")]
# A reference to a user's resource, as the hooks' context gives it: Practitioner/123.
UserReference = Annotated[str, Field(pattern=r"^[A-Za-z]{1,40}/[A-Za-z0-9.-]{1,64}$")]
Hook = Literal["patient-view", "order-sign"]
Indicator = Literal["info", "warning", "critical"]
_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$"
Extension = Annotated[dict, Field(description="the spec's extension member: read by no one here")]


class CdsService(StrictModel):
    """One service in discovery: the hook it answers, where it lives ({base}/cds-services/{id}) and what to send."""

    hook: Hook
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")]
    title: str
    description: str
    prefetch: dict[str, str] = Field(description="key -> FHIR query template ({{context.patientId}} filled in)")


class Discovery(StrictModel):
    services: list[CdsService]


class FhirAuthorization(StrictModel):
    """An OAuth 2.0 bearer token for fhirServer. The token is a secret: never logged, stored or echoed."""

    access_token: SecretStr
    token_type: Literal["Bearer"]
    expires_in: Annotated[int, Field(ge=0)]
    scope: Annotated[str, Field(max_length=2000)]
    subject: Annotated[str, Field(max_length=200)]
    patient: FhirId | None = None


class HookContext(StrictModel):
    """patient-view's context (userId, patientId, encounterId) and order-sign's (the same, and draftOrders: a FHIR
    Bundle of draft orders). The Bundle stays a mapping: the FHIR reader checks each resource itself."""

    userId: UserReference
    patientId: FhirId
    encounterId: FhirId | None = None
    draftOrders: dict | None = None
    selections: list[Annotated[str, Field(max_length=200)]] | None = None  # order-select's; read by no one here


class HookRequest(StrictModel):
    """POST {base}/cds-services/{id}. prefetch: each key the client filled, as a resource, a search Bundle, or null
    (no data); a key it did not fill is absent."""

    hook: Hook
    hookInstance: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,64}$")]
    fhirServer: Annotated[str, Field(pattern=r"^https?://[^\s]{1,2000}$")] | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: HookContext
    prefetch: dict[str, dict | None] | None = None
    extension: Extension | None = None


class Coding(StrictModel):
    system: Annotated[str, Field(max_length=400)] | None = None
    code: Annotated[str, Field(max_length=200)]
    display: Annotated[str, Field(max_length=400)] | None = None


class Source(StrictModel):
    label: str
    url: str | None = None


class Link(StrictModel):
    label: str
    url: str
    type: Literal["absolute"]  # no SMART app is launched: the link opens the screener's own form


class Card(StrictModel):
    uuid: str
    # The spec says "<140 characters": at most 139.
    summary: Annotated[str, Field(max_length=139)]
    detail: str = Field(description="GitHub-flavoured Markdown")
    indicator: Indicator
    source: Source
    links: list[Link] = []


class CdsResponse(StrictModel):
    cards: list[Card]


class OverrideReason(StrictModel):
    reason: Coding | None = None
    userComment: Annotated[str, Field(max_length=2000)] | None = None


class AcceptedSuggestion(StrictModel):
    id: Annotated[str, Field(max_length=64)]


class FeedbackItem(StrictModel):
    card: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,64}$")]
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] = []
    overrideReason: OverrideReason | None = None
    # ISO 8601 as the spec asks (a string: kept as sent, never reinterpreted)
    outcomeTimestamp: Annotated[str, Field(pattern=_TIMESTAMP)]


class Feedback(StrictModel):
    """POST {base}/cds-services/{id}/feedback."""

    feedback: Annotated[list[FeedbackItem], Field(min_length=1, max_length=100)]


# Asymmetric algorithms only: the spec forbids `none` and every symmetric one (a shared secret is no identity).
Algorithm = Literal["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"]


class EhrRegistration(StrictModel):
    """An EHR this service trusts (the file SCREENER_CDS_EHRS names, or the app's CDS_EHRS): its issuer, its public
    keys held here (a JWK Set exchanged out of band: no key is fetched from a URL a token names), the algorithms
    it signs with (the spec recommends ES384 and RS384; the public sandbox signs ES256) and the FHIR servers this
    service may fetch from with the bearer token the EHR gives."""

    iss: Annotated[str, Field(min_length=1, max_length=400)]
    jwks: dict = Field(description="the EHR's public JWK Set: {\"keys\": [...]}, each key with its kid")
    algorithms: Annotated[list[Algorithm], Field(min_length=1)] = ["ES384", "RS384"]
    fhir_servers: list[Annotated[str, Field(pattern=r"^https?://[^\s]{1,2000}$")]] = []


class EhrRegistry(StrictModel):
    ehrs: list[EhrRegistration]
