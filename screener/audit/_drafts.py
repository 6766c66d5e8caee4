"""Form drafts: a screening form whose session ended before it was sent, kept encrypted for its user.

What was typed is patient data, so it is stored only sealed: AES-256-GCM under a key derived (HKDF-SHA256) from
the audit key, with the draft's id, its user and its trial as associated data, so a sealed value moved to another
row or another user does not open. Whoever holds the database without the key (a copied file, a dump) reads
nothing; the key ring's older keys still open drafts sealed before a rotation. A draft opens only for the user
it was kept for, and goes when it is screened, discarded or expired (expired ones are deleted at every keep and
every look-up). Nothing here logs; errors name no value.
"""
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select

from ._errors import store_boundary
from ._models import FormDraft
from ._store import AuditStore

_INFO = b"screener form drafts v1"  # HKDF's context: this key is for drafts, never the chain's HMAC
_NONCE = 12


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _key(secret: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret))


def _bound(draft_id: str, username: str, trial: str) -> bytes:
    return "\0".join(("form-draft", draft_id, username, trial)).encode()


@dataclass(frozen=True)
class KeptForm:
    id: str
    trial: str
    kept_at: str  # ISO 8601 UTC
    expires_at: str
    fields: dict[str, str] = field(default_factory=dict)  # filled by open() only


@store_boundary
class Drafts:
    def __init__(self, store: AuditStore):
        self.store = store

    def keep(self, draft_id: str, username: str, trial: str, fields: dict[str, str], hours: float,
             per_user: int) -> KeptForm:
        """Seal and store what was typed (replacing a draft of the same id and user: the same form sent twice).
        A user keeps at most per_user drafts: the oldest go first."""
        now = datetime.now(timezone.utc)
        kept = KeptForm(draft_id, trial, _iso(now), _iso(now + timedelta(hours=hours)))
        nonce = os.urandom(_NONCE)
        sealed = nonce + _key(self.store.key).encrypt(
            nonce, json.dumps(fields, separators=(",", ":")).encode(), _bound(draft_id, username, trial))
        with self.store.sessions.begin() as session:
            self._purge(session, kept.kept_at)
            session.execute(delete(FormDraft).where(FormDraft.id == draft_id, FormDraft.username == username))
            older = session.scalars(select(FormDraft.id).where(FormDraft.username == username)
                                    .order_by(FormDraft.kept_at.desc()).offset(max(per_user - 1, 0))).all()
            if older:
                session.execute(delete(FormDraft).where(FormDraft.id.in_(older)))
            session.add(FormDraft(id=draft_id, username=username, trial=trial, kept_at=kept.kept_at,
                                  expires_at=kept.expires_at, sealed=sealed))
        return kept

    def kept(self, username: str) -> list[KeptForm]:
        """The user's unexpired drafts, newest first, without their contents."""
        with self.store.sessions.begin() as session:
            self._purge(session, _iso(datetime.now(timezone.utc)))
            rows = session.scalars(select(FormDraft).where(FormDraft.username == username)
                                   .order_by(FormDraft.kept_at.desc())).all()
            return [KeptForm(row.id, row.trial, row.kept_at, row.expires_at) for row in rows]

    def open(self, draft_id: str, username: str) -> KeptForm | None:
        """The draft with what was typed, if it is this user's and has not expired; else None."""
        now = _iso(datetime.now(timezone.utc))
        with self.store.sessions() as session:
            row = session.scalar(select(FormDraft).where(FormDraft.id == draft_id, FormDraft.username == username,
                                                         FormDraft.expires_at > now))
        if row is None:
            return None
        nonce, sealed = row.sealed[:_NONCE], row.sealed[_NONCE:]
        for secret in reversed(self.store.keys):  # the key in use first; older ones for drafts from before a rotation
            try:
                plain = _key(secret).decrypt(nonce, sealed, _bound(row.id, row.username, row.trial))
            except InvalidTag:
                continue
            return KeptForm(row.id, row.trial, row.kept_at, row.expires_at, json.loads(plain))
        return None  # sealed under a key no longer held, or altered: nothing to show

    def discard(self, draft_id: str, username: str) -> None:
        with self.store.sessions.begin() as session:
            session.execute(delete(FormDraft).where(FormDraft.id == draft_id, FormDraft.username == username))

    def purge(self) -> int:
        """Delete every expired draft; how many were deleted."""
        with self.store.sessions.begin() as session:
            return self._purge(session, _iso(datetime.now(timezone.utc)))

    @staticmethod
    def _purge(session, now: str) -> int:
        return session.execute(delete(FormDraft).where(FormDraft.expires_at <= now)).rowcount
