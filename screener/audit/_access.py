"""Who may do what, accounted for by the chain: the live users and api_tokens rows must be what their events say.

Users and tokens are mutable rows, so the hash chain alone does not protect them: a row inserted into api_tokens or
a role edited to admin changes who gets in without touching an event. Every change that grants or withdraws access
is an event whose details carry the resulting state (secrets only as digests, see digest()); replaying a user's or
a token's events gives the state the trail accounts for, and a row that differs from it is tampering. The service
refuses such a principal (Accounts), and `screener audit verify` reports every such row.

Accounts that existed before the trail recorded access (stores made by releases before migration 0007) are
accounted for by one "baseline" event each, written by that migration: what the rows held at the upgrade is taken
as given (verify the trail before upgrading; docs/operations.md).
"""
import hashlib
import hmac

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ._chain import event_hash
from ._models import ApiToken, AuditEvent, User

USER_ACTIONS = (
    "user.created", "user.baseline", "user.enabled", "user.disabled", "user.role_changed", "user.password_changed",
    "user.password_reset",
)
TOKEN_ACTIONS = ("token.created", "token.baseline", "token.revoked")
_USER_FIELDS = ("role", "active", "password", "must_change")
_TOKEN_FIELDS = ("user", "token", "expires_at", "revoked")


def digest(stored_hash: str) -> str:
    """What the trail keeps of a password hash or a token hash: a SHA-256 of the stored hash, never the secret nor
    the stored hash itself (a password hash in an exportable trail could be attacked offline; this cannot, it
    lacks the salt)."""
    return hashlib.sha256(b"screener access\0" + stored_hash.encode()).hexdigest()


def user_state(password_hash: str, role: str, active: bool, must_change: bool) -> dict:
    return {"role": role, "active": bool(active), "password": digest(password_hash), "must_change": bool(must_change)}


def user_row_state(user: User) -> dict:
    return user_state(user.password_hash, user.role, user.active, user.must_change_password)


def token_state(username: str, token_hash: str, expires_at: str, revoked: bool) -> dict:
    return {"user": username, "token": digest(token_hash), "expires_at": expires_at, "revoked": bool(revoked)}


def fold(state: dict | None, action: str, details: dict) -> dict:
    """The state after one user or token event. Events written before migration 0007 carry less (no digests):
    the fields they leave out are None, which matches no row, until the baseline event fills them."""
    if action in ("user.created", "user.baseline"):
        return {name: details.get(name, True if name == "active" else None) for name in _USER_FIELDS}
    if action in ("token.created", "token.baseline"):
        return {name: details.get(name, False if name == "revoked" else None) for name in _TOKEN_FIELDS}
    state = dict(state or {})
    if action in ("user.enabled", "user.disabled"):
        state["active"] = action == "user.enabled"
    elif action == "user.role_changed":
        state["role"] = details.get("role")
    elif action in ("user.password_changed", "user.password_reset"):
        state["password"], state["must_change"] = details.get("password"), details.get("must_change")
    elif action == "token.revoked":
        state["revoked"] = True
    return state


def differences(kind: str, name: str, expected: dict | None, actual: dict) -> list[str]:
    """What a live row holds that its events do not account for, one line each (no secret, no hash)."""
    if expected is None:
        return [f"{kind} {name} is not in the audit trail: added outside the service"]
    problems = []
    for field, value in actual.items():
        if expected.get(field) == value:
            continue
        if field in ("password", "token"):
            problems.append(f"{kind} {name}: its {'password' if field == 'password' else 'secret'} hash is not the "
                            "one the trail records: replaced outside the service")
        else:
            problems.append(f"{kind} {name}: {field} is {value!r} but the audit trail says {expected.get(field)!r}")
    return problems


def _replay(events) -> tuple[dict, dict]:
    import json

    users: dict = {}
    tokens: dict = {}
    for event in events:
        table = users if event.action.startswith("user.") else tokens
        table[event.subject] = fold(table.get(event.subject), event.action, json.loads(event.details_json))
    return users, tokens


def _access_events(*conditions):
    return (
        select(AuditEvent)
        .where(or_(AuditEvent.action.in_(USER_ACTIONS), AuditEvent.action.in_(TOKEN_ACTIONS)), *conditions)
        .order_by(AuditEvent.seq)
    )


def check_all(session: Session) -> list[str]:
    """Every users and api_tokens row the chain does not account for, and every account the chain knows that is
    gone. Call after the chain itself verified (the events are trusted here)."""
    users, tokens = _replay(session.scalars(_access_events()))
    problems = []
    live_users = {user.id: user for user in session.scalars(select(User).order_by(User.username))}
    for user in live_users.values():
        problems += differences("user", user.username, users.get(user.username), user_row_state(user))
    problems += [f"user {name} is in the audit trail but its row is gone: deleted outside the service"
                 for name in sorted(set(users) - {u.username for u in live_users.values()})]
    live_tokens = list(session.scalars(select(ApiToken).order_by(ApiToken.id)))
    for token in live_tokens:
        owner = live_users.get(token.user_id)
        actual = token_state(owner.username if owner else f"#{token.user_id}", token.token_hash, token.expires_at,
                             token.revoked_at is not None)
        problems += differences("api token", token.id, tokens.get(token.id), actual)
    problems += [f"api token {name} is in the audit trail but its row is gone: deleted outside the service"
                 for name in sorted(set(tokens) - {t.id for t in live_tokens})]
    return problems


def _trusted(keys: tuple[bytes, ...], events) -> bool:
    """Each event's own HMAC under one of the ring's keys (the links between events, and which key signs which
    stretch, are `audit verify`'s to check; forging an event needs a key)."""
    return all(any(hmac.compare_digest(event.hash, event_hash(
        key, event.prev_hash, event.seq, event.recorded_at, event.actor, event.action, event.subject,
        event.details_json)) for key in keys) for event in events)


def _expected(session: Session, keys: tuple[bytes, ...], actions: tuple[str, ...], subject: str) -> dict | None:
    # Plain rows (no ORM objects): this runs on every signed-in request.
    events = session.execute(
        select(AuditEvent.__table__).where(AuditEvent.subject == subject, AuditEvent.action.in_(actions))
        .order_by(AuditEvent.seq)).all()
    if not events or not _trusted(keys, events):
        return None
    users, tokens = _replay(events)
    return (users if actions == USER_ACTIONS else tokens).get(subject)


def user_problems(session: Session, keys: tuple[bytes, ...], user: User) -> list[str]:
    """Whether one signed-in user's row is what the trail says (a read of that user's events, by index)."""
    return differences("user", user.username, _expected(session, keys, USER_ACTIONS, user.username),
                       user_row_state(user))


def token_problems(session: Session, keys: tuple[bytes, ...], token_id: str, username: str, token_hash: str,
                   expires_at: str, revoked: bool) -> list[str]:
    return differences("api token", token_id, _expected(session, keys, TOKEN_ACTIONS, token_id),
                       token_state(username, token_hash, expires_at, revoked))
