"""ORM models of the append-only store: screenings and the hash-chained audit events."""
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Screening(Base):
    """One screening of one record against one trial. Never updated or deleted; a correction is a new row."""

    __tablename__ = "screenings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(32), index=True)  # screenings made together (one submit, "all trials")
    recorded_at: Mapped[str] = mapped_column(String(32), index=True)  # ISO 8601 UTC, exact in every database
    actor: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10))  # api, form, cli, batch
    trial_id: Mapped[str] = mapped_column(String(40), index=True)
    rule_set_version: Mapped[str] = mapped_column(String(20))
    rule_set_digest: Mapped[str] = mapped_column(String(80))
    engine: Mapped[str] = mapped_column(String(100))
    as_of: Mapped[str] = mapped_column(String(10))
    verdict: Mapped[str] = mapped_column(String(12), index=True)
    record_json: Mapped[str] = mapped_column(Text)
    report_json: Mapped[str] = mapped_column(Text)
    corrects_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("screenings.id"), nullable=True)
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
