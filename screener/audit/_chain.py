"""The tamper-evident chain: each event's HMAC covers its content and the previous event's hash.

After 21 CFR Part 11 §11.10(e): computer-generated, time-stamped, never obscuring earlier entries. Editing,
deleting, reordering or inserting an event breaks the chain at that point; editing a screening breaks the content
hash its "screening.recorded" event carries. The key (instance/audit.key or SCREENER_AUDIT_KEY) keeps someone
with write access to the database from re-computing a forged chain; anchoring the head hash elsewhere
(`screener audit verify` prints it) guards against the key's holder too.
"""
import hashlib
import hmac
import json
from dataclasses import dataclass

from pydantic_core import PydanticSerializationError, to_json

GENESIS = "0" * 64


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(content: dict) -> bytes:
    """canonical(content).encode(), for a flat dict: written by pydantic's serialiser (Rust) when every value is a
    text (a str or a subclass) or None. The same bytes: both write compact JSON and escape each character on its
    own, identically for every code point (tests/test_group_commit.py holds them equal one by one); json's escaper
    was ~210 µs of a screening's 56 KB report text and the encoding ~35 µs more, this ~60 µs in all (a one-run
    timing, load ~4). Anything else (a number, a lone surrogate, which neither can encode) takes canonical() itself."""
    # json writes a str subclass (a StrEnum's member: the verdict) as its text: so does str.__str__.
    texts = {name: str.__str__(value) if isinstance(value, str) else value for name, value in sorted(content.items())}
    if all(value is None or type(value) is str for value in texts.values()):
        try:
            return to_json(texts)
        except PydanticSerializationError:
            pass
    return canonical(content).encode()


def screening_content(row) -> bytes:
    """The bytes a screening's content hash covers: every stored field except the hash itself, canonical JSON in
    UTF-8. The screening number (migration 0008) is covered when the row has one, so rows stored before keep their
    hash."""
    content = {name: getattr(row, name) for name in (
        "id", "request_id", "recorded_at", "actor", "channel", "trial_id", "rule_set_version", "rule_set_digest",
        "engine", "as_of", "verdict", "record_json", "report_json", "corrects_id")}
    if getattr(row, "screening_number", None) is not None:
        content["screening_number"] = row.screening_number
    return canonical_bytes(content)


_REVIEW_FIELDS = ("id", "trial_id", "kind", "rule_set_version", "rule_set_digest", "criterion_id", "text",
                  "recorded_at", "actor")
# Rows the chain vouches for besides screenings: the event that records each, the table, the key the event names
# as its subject and the fields its content hash covers (every stored field but the hash).
RECORDED_ROWS = {
    "screening.voided": ("voids", "screening_id", ("screening_id", "recorded_at", "actor", "reason", "note")),
    "outcome.recorded": ("outcomes", "id", (
        "id", "screening_number", "trial_id", "outcome", "on_date", "reason", "note", "study_number",
        "criterion_ids", "screening_id", "recorded_at", "actor")),
    "approval.recorded": ("approvals", "id", (
        "id", "trial_id", "kind", "rule_set_version", "rule_set_digest", "approved_from", "reference", "recorded_at",
        "actor")),
    "verification.signed": ("verifications", "id", (
        "id", "screening_number", "trial_id", "screening_id", "screening_content_hash", "rule_set_version",
        "rule_set_digest", "approval_id", "verified_on", "valid_through", "registration_window_days", "reviewed",
        "printed_name", "meaning", "challenge", "supersedes_id", "recorded_at", "actor")),
    "ruleset.reviewed": ("rule_set_reviews", "id", _REVIEW_FIELDS),
    "ruleset.comment": ("rule_set_reviews", "id", _REVIEW_FIELDS),
    "deviation.recorded": ("deviations", "id", (
        "id", "screening_number", "trial_id", "screening_id", "criterion_ids", "reason", "recorded_at", "actor")),
}


def row_content_hash(action: str, row) -> str:
    fields = RECORDED_ROWS[action][2]
    return hashlib.sha256(canonical({name: getattr(row, name) for name in fields}).encode()).hexdigest()


def screening_content_hash(row) -> str:
    """SHA-256 of every stored field of a screening except the hash itself."""
    return hashlib.sha256(screening_content(row)).hexdigest()


def event_hash(key: bytes, prev_hash: str, seq: int, recorded_at: str, actor: str, action: str, subject: str,
               details_json: str) -> str:
    message = canonical([prev_hash, seq, recorded_at, actor, action, subject, details_json])
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    screenings: int
    head: str
    first_bad: int | None = None
    problem: str | None = None
    # What the chain does not cover but vouches for: users and api_tokens rows it does not account for, the
    # append-only triggers, the schema revision (_access.py, _schema.py). Any of them makes ok False.
    access: tuple[str, ...] = ()

    def with_access(self, problems: list[str]) -> "Verification":
        if not problems:
            return self
        return Verification(False, self.events, self.screenings, self.head, self.first_bad,
                            self.problem or problems[0], tuple(problems))

    @property
    def anchor(self) -> str:
        return f"{self.events}:{self.head}"

    def __str__(self) -> str:
        if self.ok:
            return f"OK: {self.events} events, {self.screenings} screenings, chain head {self.head}"
        where = f"at event {self.first_bad}" if self.first_bad is not None else "outside the chain"
        lines = [f"TAMPERED {where}: {self.problem}"]
        lines += [f"  also: {problem}" for problem in self.access if problem != self.problem]
        return "\n".join(lines)


ROTATED = "audit.key_rotated"


def key_fingerprint(key: bytes) -> str:
    """A public name for a key (a SHA-256 of it, domain-separated): says which key, reveals nothing usable."""
    return hashlib.sha256(b"screener audit key\0" + key).hexdigest()


def verify(keys, events, screenings: dict, anchors: dict[int, str] | None = None,
           rows: dict[str, dict] | None = None) -> Verification:
    """Walk the events in order; the first inconsistency is named. screenings: id -> stored row. rows: table ->
    {key: row} of the other recorded rows (voids, outcomes, approvals, verifications, deviations, rule-set reviews:
    RECORDED_ROWS).

    keys: the key ring, oldest first (or one key). An "audit.key_rotated" event, signed with the key in use,
    names the next key by its fingerprint; the events after it are checked with that key.

    anchors: {seq: hash} recorded outside the database earlier. A chain cut back at its tail (the last events and
    their screenings deleted, the service writing on) is consistent in itself; only an anchor past the cut shows it.
    """
    anchors = dict(anchors or {})
    rows = rows or {}
    previous, expected_seq, recorded = GENESIS, 1, set()
    recorded_rows: set[tuple[str, str]] = set()
    ring = [keys] if isinstance(keys, bytes) else list(keys)
    key = ring.pop(0)

    def bad(seq, problem):
        return Verification(False, expected_seq - 1, len(screenings), previous, seq, problem)

    for event in events:
        if event.seq != expected_seq:
            return bad(expected_seq, f"event {expected_seq} is missing (next is {event.seq}): deleted or renumbered")
        if event.prev_hash != previous:
            return bad(
                event.seq, "its previous-hash does not match the event before it: reordered, inserted or deleted"
            )
        if event.hash != event_hash(
            key,
            event.prev_hash,
            event.seq,
            event.recorded_at,
            event.actor,
            event.action,
            event.subject,
            event.details_json,
        ):
            hint = " (or the key is not this trail's: restore its audit.key)" if event.seq == 1 else ""
            return bad(event.seq, f"its content does not match its hash: edited or forged{hint}")
        if event.action == ROTATED:
            named = json.loads(event.details_json).get("new_key")
            if not ring or key_fingerprint(ring[0]) != named:
                return bad(event.seq, "the key it rotates to is not the next in the key ring (audit.key)")
            key = ring.pop(0)
        if event.action == "screening.recorded":
            row = screenings.get(event.subject)
            if row is None:
                return bad(event.seq, f"screening {event.subject} it records is gone")
            if (
                screening_content_hash(row) != json.loads(event.details_json)["content_hash"]
                or row.content_hash != json.loads(event.details_json)["content_hash"]
            ):
                return bad(event.seq, f"screening {event.subject} was altered after it was recorded")
            recorded.add(event.subject)
        if event.action in RECORDED_ROWS:
            table = RECORDED_ROWS[event.action][0]
            row = rows.get(table, {}).get(event.subject)
            if row is None:
                return bad(event.seq, f"the {table} row {event.subject} it records is gone")
            claimed = json.loads(event.details_json).get("content_hash")
            if row_content_hash(event.action, row) != claimed or row.content_hash != claimed:
                return bad(event.seq, f"the {table} row {event.subject} was altered after it was recorded")
            recorded_rows.add((table, event.subject))
        if event.seq in anchors and anchors.pop(event.seq) != event.hash:
            return bad(event.seq, "it differs from the anchored hash recorded outside the database")
        previous, expected_seq = event.hash, expected_seq + 1
    if anchors:
        seq = min(anchors)
        return Verification(
            False,
            expected_seq - 1,
            len(screenings),
            previous,
            seq,
            f"anchored event {seq} is gone: the trail was cut back",
        )
    if ring:
        return Verification(False, expected_seq - 1, len(screenings), previous, None,
                            "the key ring holds a key no rotation event put in use")
    for table, by_key in sorted(rows.items()):
        stray = sorted(key for key in by_key if (table, key) not in recorded_rows)
        if stray:
            return Verification(False, expected_seq - 1, len(screenings), previous, None,
                                f"the {table} row {stray[0]} has no audit event: inserted outside the service")
    unrecorded = sorted(set(screenings) - recorded)
    if unrecorded:
        return Verification(
            False,
            expected_seq - 1,
            len(screenings),
            previous,
            None,
            f"screening {unrecorded[0]} has no audit event: inserted outside the service",
        )
    return Verification(True, expected_seq - 1, len(screenings), previous)
