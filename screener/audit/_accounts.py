"""Users and API tokens: strong password hashes, tokens shown once and stored hashed, every change audited."""
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..model.errors import ScreenerError
from ..roles import ROLES
from ._access import token_problems, user_problems, user_row_state
from ._access import token_state as _token_state
from ._errors import store_boundary
from ._models import ApiToken, User
from ._store import AuditStore, _now

_USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,63}")
MIN_PASSWORD = 12
# Where `screener users ensure-admin` leaves the first admin's password when its output is not a terminal.
FIRST_ADMIN_PASSWORD_FILE = "first-admin-password"
# A fixed hash to check against when the user does not exist, so a wrong username costs the same time.
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in user or an integration's token."""

    username: str
    role: str
    via: str  # "session" or "token:<id>"
    session_generation: int = 0
    must_change_password: bool = False
    language: str | None = None  # the pages' language the user chose (None: the browser's)

    @property
    def actor(self) -> str:
        return f"user:{self.username}" if self.via == "session" else f"{self.via}({self.username})"


class AccountError(ValueError, ScreenerError):
    pass


def _session_principal(user: User) -> Principal:
    return Principal(user.username, user.role, "session", user.session_generation, user.must_change_password,
                     user.language)


def _token_hash(secret: str) -> str:
    # Tokens carry 256 random bits: a fast hash is enough (no dictionary to attack), unlike passwords.
    return hashlib.sha256(secret.encode()).hexdigest()


def _set_password(user: User, password: str, must_change: bool) -> dict:
    """A new password for the user (ending every session): the event's details, the hash only as a digest."""
    user.password_hash = generate_password_hash(password, method="scrypt")
    user.must_change_password = must_change
    user.session_generation += 1
    return {"password": user_row_state(user)["password"], "must_change": must_change}


@store_boundary
class Accounts:
    def __init__(self, store: AuditStore):
        self.store = store

    def create_user(self, username: str, role: str, password: str | None, actor: str, must_change: bool = False) -> str:
        """Create a user; returns the password (generated when none is given, to be shown once)."""
        if not _USERNAME.fullmatch(username):
            raise AccountError("username: 2-64 of a-z 0-9 . _ -, starting with a letter")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        password = password or secrets.token_urlsafe(18)
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"password: at least {MIN_PASSWORD} characters")
        with self.store.sessions.begin() as session:
            if session.scalar(select(User).where(User.username == username)) is not None:
                raise AccountError("that username exists")
            user = User(username=username, password_hash=generate_password_hash(password, method="scrypt"),
                        role=role, active=True, created_at=_now(), must_change_password=must_change)
            session.add(user)
            self.store.append(session, actor, "user.created", username, user_row_state(user))
        return password

    def users(self) -> list[User]:
        with self.store.sessions() as session:
            return list(session.scalars(select(User).order_by(User.username)))

    def _change(self, username: str, actor: str, action: str, change, keeps_admin: bool = True) -> User:
        """change(user) -> the event's details, applied to an existing user with its event in one transaction.
        keeps_admin=False: the change may take away an active admin, refused when it is the last one."""
        with self.store.sessions.begin() as session:
            # The chain's lock first (PostgreSQL; SQLite's BEGIN IMMEDIATE holds its write lock already): two
            # admins demoting each other at once must not both see the other still there.
            self.store.lock_chain(session)
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise AccountError("no such user")
            if not keeps_admin and user.active and user.role == "admin":
                others = session.scalar(select(func.count()).select_from(User).where(
                    User.role == "admin", User.active.is_(True), User.id != user.id))
                if not others:
                    raise AccountError(f"{username} is the only active admin: make another user admin first, "
                                       "or nobody could manage users")
            self.store.append(session, actor, action, username, change(user))
            return user

    def set_active(self, username: str, active: bool, actor: str) -> None:
        def change(user):
            user.active = active
            return {}

        self._change(username, actor, "user.enabled" if active else "user.disabled", change, keeps_admin=active)

    def set_role(self, username: str, role: str, actor: str) -> None:
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")

        def change(user):
            user.role = role
            return {"role": role}

        self._change(username, actor, "user.role_changed", change, keeps_admin=role == "admin")

    def reset_password(self, username: str, actor: str) -> str:
        """A generated password, to be shown once and replaced at first sign-in; ends the user's sessions."""
        password = secrets.token_urlsafe(18)
        self._change(username, actor, "user.password_reset", lambda user: _set_password(user, password, True))
        return password

    def _accounted(self, session: Session, user: User | None) -> User | None:
        """The user if the trail accounts for its row; None (refused, logged) if not."""
        if user is None:
            return None
        problems = user_problems(session, self.store.keys, user)
        if problems:
            _log.error("refused: %s", "; ".join(problems))
            return None
        return user

    def authenticate(self, username: str, password: str) -> Principal | None:
        with self.store.sessions() as session:
            user = self._accounted(session, session.scalar(select(User).where(User.username == username)))
        if user is None or not user.active:
            check_password_hash(_DUMMY_HASH, password)
            return None
        if not check_password_hash(user.password_hash, password):
            return None
        return _session_principal(user)

    def exists(self, username: str) -> bool:
        """Whether an account, enabled or not, has this name."""
        with self.store.sessions() as session:
            return session.scalar(select(User.id).where(User.username == username)) is not None

    def user(self, username: str) -> Principal | None:
        with self.store.sessions() as session:
            user = self._accounted(session, session.scalar(select(User).where(User.username == username)))
        return _session_principal(user) if user is not None and user.active else None

    def change_password(self, username: str, current: str, new: str, actor: str) -> Principal:
        """Replace a password after checking the current one; ends the user's other sessions."""
        if len(new) < MIN_PASSWORD:
            raise AccountError(f"the new password needs at least {MIN_PASSWORD} characters")
        if new == current:
            raise AccountError("the new password must differ from the current one")
        if self.authenticate(username, current) is None:
            raise AccountError("the current password is wrong")
        user = self._change(username, actor, "user.password_changed", lambda user: _set_password(user, new, False))
        return _session_principal(user)

    def set_language(self, username: str, language: str) -> None:
        """The pages' language the user chose. A display preference, like the session generation not part of the
        row the trail accounts for: it opens nothing and changes no screening."""
        with self.store.sessions.begin() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is not None:
                user.language = language

    def end_sessions(self, username: str) -> None:
        """Invalidate every session cookie issued to the user so far (sign-out, password change)."""
        with self.store.sessions.begin() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is not None:
                user.session_generation += 1

    def create_token(self, username: str, name: str, days: int, actor: str) -> tuple[str, str]:
        """A new token for the user: (token id, secret). The secret is not stored and cannot be shown again."""
        if not 1 <= days <= 366:
            raise AccountError("days: 1 to 366")
        token_id, secret = secrets.token_hex(8), "scr_" + secrets.token_urlsafe(32)
        expires_at = datetime.now(timezone.utc) + timedelta(days=days)
        expires = expires_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        with self.store.sessions.begin() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None or not user.active:
                raise AccountError("no such active user")
            token_hash = _token_hash(secret)
            session.add(
                ApiToken(
                    id=token_id,
                    user_id=user.id,
                    name=name[:100],
                    token_hash=token_hash,
                    created_at=_now(),
                    expires_at=expires,
                    revoked_at=None,
                )
            )
            self.store.append(session, actor, "token.created", token_id,
                              _token_state(username, token_hash, expires, False))
        return token_id, secret

    def tokens(self) -> list[tuple[ApiToken, str]]:
        with self.store.sessions() as session:
            rows = session.execute(
                select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.created_at)
            )
            return [(token, username) for token, username in rows]

    def revoke_token(self, token_id: str, actor: str) -> None:
        with self.store.sessions.begin() as session:
            token = session.get(ApiToken, token_id)
            if token is None:
                raise AccountError("no such token")
            token.revoked_at = _now()
            self.store.append(session, actor, "token.revoked", token_id, {})

    def token_principal(self, secret: str) -> Principal | None:
        found = self.token_lookup(secret)
        return found[0] if found is not None else None

    def token_lookup(self, secret: str) -> tuple[Principal, str] | None:
        """The token's principal and its expiry (ISO 8601 UTC), or None when unknown, expired, revoked or its user
        disabled. A read on the reader engine: checking a token takes no write lock."""
        token_hash = _token_hash(secret)
        with Session(self.store.reader) as session:
            row = session.execute(
                select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == token_hash)
            ).first()
            if row is None:
                return None
            token, user = row
            if token.revoked_at is not None or token.expires_at <= _now() or not user.active:
                return None
            # A token or user row the trail does not account for (inserted, moved to another user, extended,
            # un-revoked, a role edited) is refused: access is granted only as the trail records it.
            problems = token_problems(session, self.store.keys, token.id, user.username, token_hash,
                                      token.expires_at, False)
            if problems or self._accounted(session, user) is None:
                if problems:
                    _log.error("refused: %s", "; ".join(problems))
                return None
        return Principal(user.username, user.role, f"token:{token.id}"), token.expires_at

    def ensure_first_admin(self) -> str | None:
        """On first start, with no users: create 'admin' with a generated password and return it (shown once)."""
        with self.store.sessions() as session:
            if session.scalar(select(User.id).limit(1)) is not None:
                return None
        return self.create_user("admin", "admin", None, "system:first-start", must_change=True)
