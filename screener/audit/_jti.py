"""CDS Hooks token ids (jti) seen, in the database so that every worker process refuses a replay."""
import hashlib
import hmac
import time

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from ._errors import store_boundary
from ._models import EhrPatient, SeenTokenId
from ._store import _now


@store_boundary
class SeenTokens:
    def __init__(self, store, clock=None):
        self.store, self._clock = store, clock

    def first_use(self, issuer: str, jti: str, expires_at: float) -> bool:
        """Record the token id; False when it was seen before and has not expired (a replay). Expired ids are
        forgotten on the way: their tokens are refused for their exp anyway."""
        key = hashlib.sha256(f"{issuer}\x1f{jti}".encode()).hexdigest()
        now = (self._clock or time.time)()
        try:
            with self.store.counters.begin() as connection:
                connection.execute(delete(SeenTokenId).where(SeenTokenId.expires_at < now))
                connection.execute(insert(SeenTokenId).values(key=key, expires_at=expires_at))
        except IntegrityError:
            return False
        return True


@store_boundary
class EhrPatients:
    """The screening number of each EHR patient screened through CDS Hooks, by a keyed hash of issuer and patient id:
    a chart opened again is the same child in the screening log."""

    def __init__(self, store, issuer: str):
        self.store, self.issuer = store, issuer

    def _link(self, patient_id: str) -> str:
        message = "\x1f".join(["ehr patient", self.issuer, patient_id]).encode()
        return hmac.new(self.store.key, message, hashlib.sha256).hexdigest()

    def number(self, patient_id: str) -> str | None:
        with self.store.sessions() as session:
            return session.scalar(select(EhrPatient.screening_number).where(
                EhrPatient.link == self._link(patient_id)))

    def remember(self, patient_id: str, screening_number: str) -> None:
        """Link the patient to the number their first screening was given (a concurrent first call that linked the
        patient already wins; its number is the one used from then on)."""
        try:
            with self.store.sessions.begin() as session:
                session.add(EhrPatient(link=self._link(patient_id), screening_number=screening_number,
                                       linked_at=_now()))
        except IntegrityError:
            pass
