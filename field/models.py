"""巡查打卡: a grid worker's visit to a QR point, with where the phone was."""
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.types import UTCDateTime


class CheckIn(db.Model):
    """One visit: who, which point (and its grid), when, and the phone's position with its
    accuracy and distance from the point — or none, when the phone could not say."""
    __tablename__ = "check_in"
    __table_args__ = (
        # one key per worker: a check-in sent twice (a second tap, a replay after a lost
        # signal) is recorded once
        UniqueConstraint("user_id", "key", name="ux_check_in_user_key"),
        Index("ix_check_in_grid_at", "grid_id", "at"),
        Index("ix_check_in_user_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    point_id: Mapped[int] = mapped_column(ForeignKey("qr_point.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[int | None] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64))

    user = relationship("User")
    point = relationship("QrPoint")
