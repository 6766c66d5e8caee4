"""CDS Hooks token ids (jti) seen, in the database so that every worker process refuses a replay."""
import hashlib
import time

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from ._errors import store_boundary
from ._models import SeenTokenId


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
