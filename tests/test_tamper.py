"""Every kind of tampering the outside probe tried (issue 23), reported by `screener audit verify` with no anchor
given, on SQLite and PostgreSQL; and the service refuses a principal the trail does not account for.

The kinds: the events (edited, deleted, the last one deleted, reordered, forged, the trail emptied, the tail cut
back with the service writing on), the screenings (edited, deleted, inserted), the api_tokens rows (inserted, moved
to another user, extended, a revoked one reinstated, its secret swapped, deleted), the users rows (inserted, a role
edited, a disabled user re-enabled, a password hash swapped, a forced password change cleared, deleted, renamed),
and the protections (append-only triggers dropped, replaced by no-ops, disabled). The tail cut (and the last event
deleted) is caught by the head `audit verify` remembered outside the database (instance/audit.anchor).
"""
import hashlib
from datetime import date

import pytest
from click.testing import CliRunner

from screener import config
from screener.audit import Accounts, open_store
from screener.cli import main
from screener.screening import parse_record, rule_set_for, screen

from .helpers import PATIENTS, tamper

AS_OF = date(2026, 11, 22)
KNOWN_HASH = hashlib.sha256(b"scr_a secret the intruder knows").hexdigest()
USER_COLUMNS = "username, password_hash, role, active, created_at, session_generation, must_change_password"


def _record(store):
    record = parse_record((PATIENTS / "eligible.json").read_text())
    return store.record(record, [screen(record, "NCT06674265", AS_OF)], actor="test", channel="cli")[1][0]


@pytest.fixture
def site(database_url, tmp_path, monkeypatch):
    """A store with accounts and screenings, the CLI pointed at it, and its head verified (and so remembered)."""
    instance = tmp_path / "instance"
    monkeypatch.setattr(config, "DATABASE_URL", database_url)
    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", instance)
    store = open_store(database_url, instance)
    accounts = Accounts(store)
    admin_password = accounts.ensure_first_admin()  # must change it at first sign-in
    screener_password = accounts.create_user("screener1", "screener", None, "test")
    accounts.create_user("auditor1", "auditor", None, "test")
    accounts.create_user("gone", "screener", None, "test")
    accounts.set_active("gone", False, "test")
    token, secret = accounts.create_token("screener1", "EHR", 30, "test")
    revoked, revoked_secret = accounts.create_token("screener1", "old", 30, "test")
    accounts.revoke_token(revoked, "test")
    screenings = [_record(store) for _ in range(3)]
    child = _child(store)
    verified = CliRunner().invoke(main, ["audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("OK:"), verified.output
    return {"store": store, "accounts": accounts, "token": token, "secret": secret, "revoked": revoked,
            "revoked_secret": revoked_secret, "screenings": screenings, "admin_password": admin_password,
            "screener_password": screener_password, "events": store.verify().events, **child}


def _child(store):
    """A child screened (SCR-0001), the screening corrected, a test screening voided and an outcome recorded: the
    rows and events of the screening log by child (migration 0008)."""
    from screener import service
    from screener.model.children import OutcomeRequest, VoidRequest

    record = parse_record((PATIENTS / "eligible.json").read_text())
    screen_it = lambda **kw: service.screen_and_record(  # noqa: E731
        record, AS_OF, channel=service.Channel.CLI, actor="cli:coordinator", recorder=store, trial="NCT06674265", **kw)
    first = screen_it()
    corrected = screen_it(corrects=first.ids[0], correction_reason="platelets typed in the wrong unit")
    test = screen_it()
    service.void_screening(store, test.ids[0], VoidRequest(reason="test", note="training"),
                           actor="cli:coordinator", sees=None)
    outcome = service.record_outcome(store, first.screening_number, OutcomeRequest(
        trial_id="NCT06674265", outcome="enrolled", date=date(2026, 11, 30), study_number="NK-007"),
        actor="cli:investigator")
    from screener.model.approvals import ApprovalRequest

    approval = service.record_approval(store, "NCT06674265", ApprovalRequest(
        version=rule_set_for("NCT06674265").version, approved_from=date(2026, 11, 1), reference="REC 24/LO/0123"),
        actor="cli:admin")
    approval_id = next(e.subject for e in store.events() if e.action == "approval.recorded")
    assert approval.reference == "REC 24/LO/0123"
    return {"voided": test.ids[0], "outcome": outcome.outcome_id, "corrected": corrected.ids[0],
            "approval": approval_id}


def _user_id(name):
    return f"(SELECT id FROM users WHERE username = '{name}')"


def _cut_tail(site):
    last = site["store"].events()[-1]
    tamper(site["store"], f"DELETE FROM audit_events WHERE seq = {last.seq}",
           f"DELETE FROM screenings WHERE id = '{last.subject}'")
    _record(site["store"])  # the service writes on from the new head: the chain is consistent again


def _drop_triggers(site):
    if site["store"].engine.dialect.name == "sqlite":
        tamper(site["store"], put_triggers_back=False)
    else:
        tamper(site["store"], "DROP TRIGGER audit_events_append_only ON audit_events")


def _no_op_triggers(site):
    if site["store"].engine.dialect.name == "sqlite":
        tamper(site["store"], "DROP TRIGGER IF EXISTS screenings_no_update", put_triggers_back=False)
        tamper(site["store"], "CREATE TRIGGER screenings_no_update BEFORE UPDATE ON screenings BEGIN SELECT 1; END",
               put_triggers_back=False)
    else:
        tamper(site["store"], "CREATE OR REPLACE FUNCTION screener_append_only() RETURNS trigger LANGUAGE plpgsql "
                              "AS $$ BEGIN RETURN NEW; END $$")


def _disable_triggers(site):
    if site["store"].engine.dialect.name == "sqlite":  # SQLite cannot disable a trigger: dropping one is the way
        tamper(site["store"], "DROP TRIGGER IF EXISTS audit_events_no_delete", put_triggers_back=False)
    else:
        tamper(site["store"], "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")


def _sql(*statements):
    return lambda site: tamper(site["store"], *(s.format(**site) for s in statements))


# kind -> (how, what the report says). 26 kinds; the issue's probe counted 22.
KINDS = {
    "event edited": (_sql("UPDATE audit_events SET actor = 'someone else' WHERE seq = 2"), "edited or forged"),
    "event deleted": (_sql("DELETE FROM audit_events WHERE seq = 3"), "missing"),
    "last event deleted": (_sql("DELETE FROM audit_events WHERE seq = {events}"), "cut back"),
    "events reordered": (_sql("UPDATE audit_events SET seq = -1 WHERE seq = 2",
                              "UPDATE audit_events SET seq = 2 WHERE seq = 3",
                              "UPDATE audit_events SET seq = 3 WHERE seq = -1"), "TAMPERED at event 2"),
    "event forged at the head": (_sql(
        "INSERT INTO audit_events (seq, recorded_at, actor, action, subject, details_json, prev_hash, hash) SELECT "
        "seq + 1, recorded_at, 'intruder', 'user.role_changed', 'screener1', '{{\"role\":\"admin\"}}', hash, "
        f"'{KNOWN_HASH}' FROM audit_events WHERE seq = {{events}}"), "edited or forged"),
    "trail emptied": (_sql("DELETE FROM audit_events", "DELETE FROM outcomes", "DELETE FROM voids",
                           "DELETE FROM approvals",
                           "DELETE FROM screenings"), "cut back"),
    "tail cut back, service writing on": (_cut_tail, "anchored hash"),
    "screening edited": (_sql("UPDATE screenings SET verdict = 'ineligible' WHERE id = '{screenings[1]}'"),
                         "altered after it was recorded"),
    "screening deleted": (_sql("DELETE FROM screenings WHERE id = '{screenings[0]}'"), "is gone"),
    "screening inserted": (_sql(
        "INSERT INTO screenings SELECT 'f0000000000000000000000000000000', request_id, recorded_at, actor, channel, "
        "trial_id, rule_set_version, rule_set_digest, engine, as_of, verdict, record_json, report_json, corrects_id, "
        "content_hash, screening_number FROM screenings WHERE id = '{screenings[0]}'"), "inserted outside the service"),
    "screening number edited": (_sql("UPDATE screenings SET screening_number = 'SCR-0999' WHERE id = '{corrected}'"),
                                "altered after it was recorded"),
    "screening number given to an old screening": (_sql(
        "UPDATE screenings SET screening_number = 'SCR-0001' WHERE id = '{screenings[0]}'"),
        "altered after it was recorded"),
    "void reason edited": (_sql("UPDATE voids SET reason = 'wrong_patient' WHERE screening_id = '{voided}'"),
                           "voids row {voided} was altered"),
    "void deleted (the screening counted again)": (_sql("DELETE FROM voids WHERE screening_id = '{voided}'"),
                                                   "voids row {voided} it records is gone"),
    "void inserted": (_sql(
        "INSERT INTO voids SELECT '{screenings[1]}', recorded_at, actor, reason, note, content_hash FROM voids "
        "WHERE screening_id = '{voided}'"), "voids row {screenings[1]} has no audit event"),
    "outcome edited": (_sql("UPDATE outcomes SET outcome = 'withdrawn' WHERE id = '{outcome}'"),
                       "outcomes row {outcome} was altered"),
    "outcome study number edited": (_sql("UPDATE outcomes SET study_number = 'NK-999' WHERE id = '{outcome}'"),
                                    "outcomes row {outcome} was altered"),
    "outcome deleted": (_sql("DELETE FROM outcomes WHERE id = '{outcome}'"), "outcomes row {outcome} it records"),
    "outcome inserted": (_sql(
        "INSERT INTO outcomes SELECT 'f0000000000000000000000000000000', screening_number, trial_id, 'consented', "
        "on_date, reason, note, study_number, criterion_ids, screening_id, recorded_at, actor, content_hash "
        "FROM outcomes WHERE id = '{outcome}'"), "outcomes row f0000000000000000000000000000000 has no audit event"),
    # Rule-set approvals at the site (issue 26): an edited approval could make another version, or an edited file,
    # the one in force; a deleted one, a screening approved no more; an inserted one, a version never approved.
    "approval reference edited": (_sql("UPDATE approvals SET reference = 'REC 99' WHERE id = '{approval}'"),
                                  "approvals row {approval} was altered"),
    "approval moved to an earlier date": (_sql(
        "UPDATE approvals SET approved_from = '2020-01-01' WHERE id = '{approval}'"),
        "approvals row {approval} was altered"),
    "approval digest swapped (an edited rule file approved)": (_sql(
        "UPDATE approvals SET rule_set_digest = 'sha256:0000' WHERE id = '{approval}'"),
        "approvals row {approval} was altered"),
    "approval deleted": (_sql("DELETE FROM approvals WHERE id = '{approval}'"), "approvals row {approval} it records"),
    "approval inserted": (_sql(
        "INSERT INTO approvals SELECT 'f0000000000000000000000000000000', trial_id, kind, '9.9.9', rule_set_digest, "
        "approved_from, reference, recorded_at, actor, content_hash FROM approvals WHERE id = '{approval}'"),
        "approvals row f0000000000000000000000000000000 has no audit event"),
    "correction reason edited": (_sql(
        "UPDATE audit_events SET details_json = replace(details_json, 'wrong unit', 'right unit') "
        "WHERE subject = '{corrected}'"), "edited or forged"),
    "api token inserted": (_sql(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at, revoked_at) VALUES "
        f"('feedfeedfeedfeed', {_user_id('admin')}, 'x', '{KNOWN_HASH}', '2026-01-01T00:00:00Z', "
        "'2999-01-01T00:00:00Z', NULL)"), "api token feedfeedfeedfeed is not in the audit trail"),
    "api token moved to an admin": (_sql(f"UPDATE api_tokens SET user_id = {_user_id('admin')} WHERE id = '{{token}}'"),
                                    "user is 'admin' but the audit trail says 'screener1'"),
    "api token extended": (_sql("UPDATE api_tokens SET expires_at = '2999-01-01T00:00:00Z' WHERE id = '{token}'"),
                           "expires_at is '2999-01-01T00:00:00Z'"),
    "revoked api token reinstated": (_sql("UPDATE api_tokens SET revoked_at = NULL WHERE id = '{revoked}'"),
                                     "revoked is False but the audit trail says True"),
    "api token secret swapped": (_sql(f"UPDATE api_tokens SET token_hash = '{KNOWN_HASH}' WHERE id = '{{token}}'"),
                                 "secret hash is not the one the trail records"),
    "api token deleted": (_sql("DELETE FROM api_tokens WHERE id = '{revoked}'"), "its row is gone"),
    "user inserted": (_sql(
        f"INSERT INTO users ({USER_COLUMNS}) SELECT 'intruder', password_hash, 'admin', active, created_at, 0, "
        "must_change_password FROM users WHERE username = 'auditor1'"), "user intruder is not in the audit trail"),
    "role edited to admin": (_sql("UPDATE users SET role = 'admin' WHERE username = 'screener1'"),
                             "role is 'admin' but the audit trail says 'screener'"),
    "disabled user re-enabled": (_sql("UPDATE users SET active = true WHERE username = 'gone'"),
                                 "active is True but the audit trail says False"),
    "password hash swapped": (_sql("UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE "
                                   "username = 'screener1') WHERE username = 'admin'"),
                              "user admin: its password hash is not the one"),
    "forced password change cleared": (_sql("UPDATE users SET must_change_password = false WHERE username = 'admin'"),
                                       "must_change is False but the audit trail says True"),
    "user deleted": (_sql("DELETE FROM users WHERE username = 'auditor1'"), "user auditor1 is in the audit trail but"),
    "user renamed": (_sql("UPDATE users SET username = 'root' WHERE username = 'auditor1'"),
                     "user root is not in the audit trail"),
    "append-only triggers dropped": (_drop_triggers, "is gone: audit_events can be edited"),
    "append-only trigger made a no-op": (_no_op_triggers, "was replaced"),
    "append-only trigger disabled": (_disable_triggers, "audit_events can be edited"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_of_tampering_is_reported_without_an_anchor(site, kind):
    how, says = KINDS[kind]
    how(site)
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("TAMPERED") and says.format(**site) in result.output, result.output
    assert "Traceback" not in result.output and "scrypt" not in result.output


def test_the_kinds_cover_what_the_issue_counts():
    assert len(KINDS) >= 22


@pytest.mark.parametrize(("kind", "refused"), [
    ("api token inserted", ["known"]), ("api token moved to an admin", ["secret"]), ("api token extended", ["secret"]),
    ("revoked api token reinstated", ["revoked_secret"]), ("api token secret swapped", ["known", "secret"]),
])
def test_the_service_refuses_a_token_the_trail_does_not_account_for(site, kind, refused):
    accounts, secrets = site["accounts"], {**site, "known": "scr_a secret the intruder knows"}
    assert accounts.token_principal(site["secret"]).role == "screener"
    KINDS[kind][0](site)
    for name in refused:
        assert accounts.token_principal(secrets[name]) is None


def test_the_service_refuses_a_user_whose_role_or_password_was_edited(site):
    accounts = site["accounts"]
    assert accounts.user("screener1").role == "screener"
    assert accounts.authenticate("screener1", site["screener_password"]) is not None
    KINDS["role edited to admin"][0](site)
    assert accounts.user("screener1") is None
    assert accounts.authenticate("screener1", site["screener_password"]) is None
    assert accounts.token_principal(site["secret"]) is None  # the token's user is not accounted for either
    KINDS["password hash swapped"][0](site)
    assert accounts.authenticate("admin", site["screener_password"]) is None
    assert accounts.user("auditor1").role == "auditor"  # the others are untouched


def test_changes_made_through_the_service_stay_accounted_for(site):
    accounts = site["accounts"]
    accounts.set_role("screener1", "auditor", "test")
    new = accounts.reset_password("auditor1", "test")
    principal = accounts.change_password("auditor1", new, "a new password of some length", "user:auditor1")
    assert not principal.must_change_password
    accounts.set_active("gone", True, "test")
    accounts.revoke_token(site["token"], "test")
    assert accounts.user("screener1").role == "auditor" and accounts.user("gone") is not None
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_no_secret_or_stored_hash_is_in_the_trail(site):
    store = site["store"]
    hashes = [row.password_hash for row in site["accounts"].users()]
    hashes += [token.token_hash for token, _ in site["accounts"].tokens()]
    trail = " ".join(e.details_json for e in store.events())
    for secret in (site["secret"], site["revoked_secret"], site["admin_password"], site["screener_password"],
                   *hashes):
        assert secret not in trail


def test_accounts_made_before_the_trail_recorded_access_upgrade_to_a_verified_baseline(database_url, tmp_path):
    """A store at revision 0006 (the release before access was in the chain), its accounts made as that release
    made them (events without state), upgrades: every account gets a baseline event, the trail verifies, its token
    still works; a row edited after the upgrade is reported like any other."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from screener.audit import AuditStore
    from screener.audit._key import load_key
    from screener.audit._store import _MIGRATIONS

    store = AuditStore(database_url, load_key(tmp_path, database_url))
    alembic = Config()
    alembic.set_main_option("script_location", str(_MIGRATIONS))
    with store.engine.begin() as connection:
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "0006")
    _record(store)
    secret = "scr_" + "x" * 43
    with store.sessions.begin() as session:
        session.execute(text(
            f"INSERT INTO users ({USER_COLUMNS}) VALUES ('old', 'scrypt:32768:8:1$salt$00', 'screener', true, "
            "'2026-01-01T00:00:00Z', 0, false)"))
        store.append(session, "cli:root", "user.created", "old", {"role": "screener"})
        session.execute(text(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at, revoked_at) SELECT "
            f"'0123456789abcdef', id, 'EHR', '{hashlib.sha256(secret.encode()).hexdigest()}', "
            "'2026-01-01T00:00:00Z', '2999-01-01T00:00:00Z', NULL FROM users WHERE username = 'old'"))
        store.append(session, "cli:root", "token.created", "0123456789abcdef",
                     {"user": "old", "expires_at": "2999-01-01T00:00:00Z"})
    upgraded = open_store(database_url, tmp_path)
    assert [e.action for e in upgraded.events()[-2:]] == ["user.baseline", "token.baseline"]
    assert upgraded.verify().ok
    assert Accounts(upgraded).token_principal(secret).username == "old"
    tamper(upgraded, "UPDATE users SET role = 'admin' WHERE username = 'old'")
    result = upgraded.verify()
    assert not result.ok and "role is 'admin' but the audit trail says 'screener'" in result.problem


def test_the_service_logs_every_unaccounted_row_at_first_use_and_refuses_the_token(tmp_path, caplog):
    from screener.web.storage import get_store

    from .helpers import authorised, make_app

    app = make_app(tmp_path)
    client = authorised(app, "screener", "screener1")
    assert client.get("/api/v1/trials").status_code == 200
    with app.app_context():
        tamper(get_store(), "UPDATE users SET role = 'admin' WHERE username = 'screener1'")
    fresh = make_app(tmp_path)  # another worker starting on the same store
    with fresh.app_context(), caplog.at_level("ERROR"):
        get_store()
    assert "audit trail check: user screener1: role is 'admin' but the audit trail says 'screener'" in caplog.text
    same_token = fresh.test_client()
    same_token.environ_base.update(client.environ_base)
    assert same_token.get("/api/v1/trials").status_code == 401
