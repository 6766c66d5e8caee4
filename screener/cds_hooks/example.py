"""What an EHR would send, made from a FHIR Bundle and a private key: for the docs' curl example
(scripts/cds-hooks-request), the benchmark and the tests that act as the EHR. Not used when serving."""
import json
import time
import uuid

import jwt

from .discovery import Category, prefetch_templates
from .prefetch import _TYPES


def prefetch_from_bundle(bundle: dict) -> tuple[str, dict]:
    """(patient id, prefetch) as a FHIR server would answer each template for the Bundle's Patient: the Patient as
    itself, every other key a searchset Bundle of that key's resource types (empty when none). The Bundle's
    urn:uuid references become Type/id ones, as a server's are."""
    entries = [e for e in bundle.get("entry") or [] if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
    local = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in entries
             if isinstance(e.get("fullUrl"), str) and isinstance(e["resource"].get("id"), str)}
    text = json.dumps(entries)
    for url, reference in local.items():
        text = text.replace(json.dumps(url), json.dumps(reference))
    resources = [e["resource"] for e in json.loads(text)]
    patient = next(r for r in resources if r.get("resourceType") == "Patient")
    prefetch: dict = {}
    for key, (category, template) in prefetch_templates().items():
        if category == Category.PATIENT:
            prefetch[key] = patient
            continue
        kind = template.split("?", 1)[0]
        found = [r for r in resources if r.get("resourceType") == kind
                 or (r.get("resourceType") == "Medication" and kind.startswith("Medication")
                     and key == "medicationRequests")]
        found = [r for r in found if r.get("resourceType") in _TYPES[category]]
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                         "entry": [{"fullUrl": f"{r['resourceType']}/{r.get('id')}", "resource": r} for r in found]}
    return patient["id"], prefetch


def hook_request(hook: str, patient_id: str, prefetch: dict | None, **more) -> dict:
    return {"hook": hook, "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/example", "patientId": patient_id, **more.pop("context", {})},
            **({"prefetch": prefetch} if prefetch is not None else {}), **more}


def token(private_jwk: dict, iss: str, aud: str, *, alg: str = "ES384", lifetime: int = 300, **claims) -> str:
    """A CDS client's JWT as the spec (and the sandbox) shapes it: kid and typ in the header; iss, aud, exp, iat,
    jti in the claims."""
    now = int(time.time())
    key = jwt.PyJWK.from_dict(private_jwk)
    payload = {"iss": iss, "aud": aud, "exp": now + lifetime, "iat": now, "jti": str(uuid.uuid4()), **claims}
    return jwt.encode(payload, key.key, algorithm=alg, headers={"kid": private_jwk["kid"], "typ": "JWT"})
