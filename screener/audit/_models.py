"""ORM models of the append-only store: screenings and the hash-chained audit events."""
from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Screening(Base):
    """One screening of one record against one trial. Never updated or deleted; a correction is a new row."""

    __tablename__ = "screenings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(32), index=True
    )  # screenings made together (one submit, "all trials")
    recorded_at: Mapped[str] = mapped_column(String(32), index=True)  # ISO 8601 UTC, exact in every database
    actor: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10))  # api, form, cli, batch
    trial_id: Mapped[str] = mapped_column(String(40), index=True)
    rule_set_version: Mapped[str] = mapped_column(String(20))
    rule_set_digest: Mapped[str] = mapped_column(String(80))
    engine: Mapped[str] = mapped_column(String(100))
    as_of: Mapped[str] = mapped_column(String(10))
    verdict: Mapped[str] = mapped_column(String(24), index=True)
    record_json: Mapped[str] = mapped_column(Text)
    report_json: Mapped[str] = mapped_column(Text)
    corrects_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("screenings.id"), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    # The child (SCR-0042); None on screenings stored before migration 0008 (see _children.py for how they count).
    screening_number: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)


class Void(Base):
    """A screening voided (entered in error, wrong patient, test): kept, never counted. One per screening; its
    "screening.voided" event carries this row's content hash."""

    __tablename__ = "voids"

    screening_id: Mapped[str] = mapped_column(String(32), ForeignKey("screenings.id"), primary_key=True)
    recorded_at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))


class Outcome(Base):
    """What became of a child for a trial (screen failed, eligible not enrolled, consented, enrolled, withdrawn).
    Appended, never changed: the latest per child and trial holds. Its "outcome.recorded" event carries this row's
    content hash."""

    __tablename__ = "outcomes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    screening_number: Mapped[str] = mapped_column(String(16), index=True)
    trial_id: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(24))
    on_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(24), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    study_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    criterion_ids: Mapped[str] = mapped_column(Text)  # JSON list: a screen failure's failing criteria
    screening_id: Mapped[str] = mapped_column(String(32), ForeignKey("screenings.id"))  # the screening it rests on
    recorded_at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))


class Approval(Base):
    """A rule-set version approved for use at the site from a date (or, kind "withdrawn", no longer from a date).
    Appended, never changed; its "approval.recorded" event carries this row's content hash (_approvals.py)."""

    __tablename__ = "approvals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trial_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # approved, withdrawn
    rule_set_version: Mapped[str] = mapped_column(String(20))
    rule_set_digest: Mapped[str] = mapped_column(String(80))  # the content approved: an edited file is not it
    approved_from: Mapped[str] = mapped_column(String(10))  # ISO date the kind takes effect
    reference: Mapped[str] = mapped_column(String(64))  # the ethics committee's approval (or withdrawal) reference
    recorded_at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))


class RuleSetReview(Base):
    """A person's review of a rule set's content (kind "reviewed", with a note) or their comment on one criterion of
    it (kind "comment") (issue 28). Appended, never changed; its "ruleset.reviewed" or "ruleset.comment" event
    carries this row's content hash (_reviews.py). A review is of the content digest: an edited file is unreviewed."""

    __tablename__ = "rule_set_reviews"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trial_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # reviewed, comment
    rule_set_version: Mapped[str] = mapped_column(String(20))
    rule_set_digest: Mapped[str] = mapped_column(String(80))  # the content reviewed or commented on
    criterion_id: Mapped[str | None] = mapped_column(String(48))  # a comment's criterion; None for a review
    text: Mapped[str] = mapped_column(String(1000))  # the review's note or the comment (no names or identifiers)
    recorded_at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))


class SignedVerification(Base):
    """An investigator's signed eligibility verification (issue 26): never changed; a later one supersedes it by
    naming it. Its "verification.signed" event carries this row's content hash (_verifications.py)."""

    __tablename__ = "verifications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    screening_number: Mapped[str] = mapped_column(String(16), index=True)
    trial_id: Mapped[str] = mapped_column(String(40))
    screening_id: Mapped[str] = mapped_column(String(32), ForeignKey("screenings.id"))  # the day's re-screen signed
    screening_content_hash: Mapped[str] = mapped_column(String(64))
    rule_set_version: Mapped[str] = mapped_column(String(20))
    rule_set_digest: Mapped[str] = mapped_column(String(80))
    approval_id: Mapped[str] = mapped_column(String(32), ForeignKey("approvals.id"))  # the approval in force
    verified_on: Mapped[str] = mapped_column(String(10))
    valid_through: Mapped[str] = mapped_column(String(10))
    registration_window_days: Mapped[int] = mapped_column(Integer)
    reviewed: Mapped[str] = mapped_column(Text)  # JSON list: the criterion ids confirmed one by one
    printed_name: Mapped[str] = mapped_column(String(100))
    meaning: Mapped[str] = mapped_column(Text)
    challenge: Mapped[str] = mapped_column(String(64), unique=True)  # used once: a replayed request is refused
    supersedes_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("verifications.id"), nullable=True)
    recorded_at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))  # the signer's username; printed_name is the name signed
    content_hash: Mapped[str] = mapped_column(String(64))


class Deviation(Base):
    """A protocol deviation: a child who does not meet every criterion enrolled anyway, against the criterion ids
    not passing on the day's re-screen. Its "deviation.recorded" event carries this row's content hash."""

    __tablename__ = "deviations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    screening_number: Mapped[str] = mapped_column(String(16), index=True)
    trial_id: Mapped[str] = mapped_column(String(40))
    screening_id: Mapped[str] = mapped_column(String(32), ForeignKey("screenings.id"))
    criterion_ids: Mapped[str] = mapped_column(Text)  # JSON list
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(Base):
    """One entry of the trail. Its hash covers its own content and the previous entry's hash (keyed HMAC)."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recorded_at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(64))
    details_json: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class User(Base):
    """A person who signs in to the web app. Mutable (password, role, active); every change is an audit event."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # screener, auditor, admin
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[str] = mapped_column(String(32))
    # A session cookie names the generation it was issued in; signing out moves the user to the next one, so a
    # copied cookie stops working although the cookie itself (signed, client-side) is still intact.
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    # Set for a password someone else saw (the generated first admin's): replaced at first sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # The pages' language the user chose (en, fa); None: the browser's Accept-Language decides (migration 0015).
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)


class ApiToken(Base):
    """A bearer token for an integration: only its SHA-256 is stored; the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str] = mapped_column(String(32))
    revoked_at: Mapped[str | None] = mapped_column(String(32), nullable=True)


class RateLimit(Base):
    """A shared counter for throttling and lockouts, so every worker and restart sees the same count.

    The key is a SHA-256 of what is counted (a client address, a username with an address, a token id): a
    username field sometimes holds a mistyped password, which must not be stored.
    """

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[float] = mapped_column(Float)  # epoch seconds; for a lockout, the last failure
    hits: Mapped[int] = mapped_column(Integer)  # in the window; for a lockout, consecutive failures
    locked_until: Mapped[float] = mapped_column(Float, default=0.0)


class FormDraft(Base):
    """What a user typed into the screening form when their session ended before it was sent (_drafts.py).

    Only `sealed` holds what was typed, encrypted; the id is random and the trial is the form's choice, so no
    column in clear carries patient data. Deleted once screened, discarded or expired.
    """

    __tablename__ = "form_drafts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    trial: Mapped[str] = mapped_column(String(40))
    kept_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str] = mapped_column(String(32), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # 12-byte nonce, then AES-GCM ciphertext and tag


# The table of each row kind the chain vouches for besides screenings (_chain.RECORDED_ROWS names its fields).
RECORDED_MODELS: dict[str, type[Base]] = {model.__tablename__: model for model in (
    Void, Outcome, Approval, SignedVerification, Deviation, RuleSetReview)}


class EhrPatient(Base):
    """An EHR's patient linked to the child's screening number (CDS Hooks): link is a keyed hash (the audit key,
    domain-separated) of the issuer and the EHR's patient id, so the id is never stored and cannot be recomputed
    without the key. One row per patient; the first screening's number."""

    __tablename__ = "ehr_patients"

    link: Mapped[str] = mapped_column(String(64), primary_key=True)
    screening_number: Mapped[str] = mapped_column(String(16))
    linked_at: Mapped[str] = mapped_column(String(32))


class SeenTokenId(Base):
    """A CDS Hooks client's token id (jti) seen, kept until the token expires so that no worker accepts it again.

    The key is a SHA-256 of the issuer and the jti (both the client's to choose, of any length); nothing of the
    request is kept."""

    __tablename__ = "cds_seen_tokens"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # epoch seconds: the token's exp
