"""QR points (二维码点位), resident ratings and Open311 API keys."""
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from core.types import UTCDateTime

#: where a QR code hangs: 公示栏, 垃圾站, 集贸市场, 路口, 公园广场, 小区门口, 其他
#: a QR point marked as a snow point (清雪点位) has one of these road classes (issue 14)
SNOW_CLASSES = ("主干道", "次干道", "背街小巷", "公共场所")
QR_KINDS = ("公示栏", "垃圾站", "集贸市场", "路口", "公园广场", "小区门口", "其他")
#: 满意 / 基本满意 / 不满意
RATINGS = ("satisfied", "fair", "unsatisfied")


class QrPoint(db.Model):
    __tablename__ = "qr_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    label: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    #: ≥128 random bits, URL-safe; the poster's URL is <public base>/q/<token>
    token: Mapped[str] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a snow point (清雪点位): its road class (SNOW_CLASSES), or None
    snow_class: Mapped[str | None] = mapped_column(String(8))

    grid = relationship("Grid")


class RetiredQrToken(db.Model):
    """A token replaced on re-issue (defaced or copied poster): its URL says 已停用."""

    __tablename__ = "retired_qr_token"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("qr_point.id"))
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    point: Mapped[QrPoint] = relationship()


class Rating(db.Model):
    """A resident's verdict on a closed case (满意度评价): one per closure."""

    __tablename__ = "rating"
    __table_args__ = (UniqueConstraint("event_id", "closed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    rating: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    #: which closure it rates (a reopened case can be rated again after the next one)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Open311Key(db.Model):
    __tablename__ = "open311_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    #: sha256 of the key; the key is shown once
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requests: Mapped[int] = mapped_column(Integer, default=0)
