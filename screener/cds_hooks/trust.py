"""Trusting the EHR that calls (CDS Hooks 2.0 "Trusting CDS Clients", and the checks of its best-practices page,
in its order): the issuer is registered here, the token is signed with one of the algorithms registered for it by
a key registered for it, the audience is exactly the URL called, it has not expired, it was issued, and its id
(jti) has not been seen before. Anything else is Untrusted, answered with a bare 401.

PyJWT does the JOSE work (maintained, the reference Python implementation): the algorithms it may accept are the
EHR's registered list, never the token's own header."""
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import jwt

from ..model.cds_hooks import EhrRegistration
from ..model.errors import ScreenerError

LEEWAY_SECONDS = 5  # clock skew between the EHR and this server
MAX_LIFETIME_SECONDS = 3600  # the spec's best practice: a token lives at most an hour (bounds the jti store)


class Untrusted(ScreenerError):
    """Why is not said to the caller (a bare 401), nor logged with the token."""


@dataclass(frozen=True)
class Ehr:
    registration: EhrRegistration

    @cached_property
    def keys(self) -> dict[str, jwt.PyJWK]:
        try:
            found = jwt.PyJWKSet.from_dict(self.registration.jwks).keys
        except jwt.PyJWTError:
            return {}
        return {key.key_id: key for key in found if key.key_id}


Seen = Callable[[str, str, float], bool]  # (iss, jti, exp) -> first use? Records it when it is.


def _unverified(token: str) -> tuple[dict, dict]:
    try:
        return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise Untrusted("unreadable") from None


def verify(token: str, url: str, ehrs: dict[str, Ehr], first_use: Seen) -> tuple[str, str]:
    """The caller's (iss, jti) when the token is trusted for url; else Untrusted."""
    header, unverified = _unverified(token)
    issuer = unverified.get("iss")
    ehr = ehrs.get(issuer) if isinstance(issuer, str) else None
    if ehr is None:
        raise Untrusted("issuer not registered")
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ehr.registration.algorithms or header.get("typ") != "JWT" or not isinstance(kid, str):
        raise Untrusted("header")
    key = ehr.keys.get(kid)
    if key is None:
        raise Untrusted("unknown key")
    try:
        claims = jwt.decode(
            token, key.key, algorithms=[alg], audience=url, issuer=ehr.registration.iss, leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "jti"], "verify_signature": True},
        )
    except jwt.PyJWTError:
        raise Untrusted("claims") from None
    jti, exp = claims["jti"], claims["exp"]
    if not isinstance(jti, str) or not 0 < len(jti) <= 256:
        raise Untrusted("jti")
    if exp > time.time() + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
        raise Untrusted("lifetime")
    if not first_use(ehr.registration.iss, jti, float(exp)):
        raise Untrusted("replayed")
    return ehr.registration.iss, jti
