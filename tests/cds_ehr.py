"""A mock EHR for the CDS Hooks tests: its keys, its registration, and signed calls (importable helpers)."""
import json

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from screener.cds_hooks.example import token

ISS = "https://ehr.example.org"
SANDBOX_ISS = "https://sandbox.cds-hooks.org"
BASE = "http://localhost"


def private_jwk(curve, kid: str) -> dict:
    key = ec.generate_private_key(curve)
    return {**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key)), "kid": kid}


def public(jwk: dict) -> dict:
    return {k: v for k, v in jwk.items() if k != "d"}


KEY_384 = private_jwk(ec.SECP384R1(), "ehr-key-1")
KEY_256 = private_jwk(ec.SECP256R1(), "sandbox-key-1")


def registry(**more) -> dict:
    return {"ehrs": [
        {"iss": ISS, "jwks": {"keys": [public(KEY_384)]}, **more},
        {"iss": SANDBOX_ISS, "jwks": {"keys": [public(KEY_256)]}, "algorithms": ["ES256"]},
    ]}


def bearer(path: str, **options) -> dict:
    return {"Authorization": f"Bearer {token(KEY_384, ISS, BASE + path, **options)}"}
