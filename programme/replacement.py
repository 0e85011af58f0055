"""递补 (issue 15): "对连续两年考核靠后的予以淘汰，由考核优秀的市级示范镇递补". An admin carries out
what a published 省级 assessment proposes, in one write unit: the warned town leaves the
省级 list (淘汰), the candidate 市级 town enters it (递补入选, designated this year), each
decision in its town's history under the same 文号, and one audit entry naming both. Nothing
is rewritten: the histories grow, the published assessment stays as published, and the
rankings of past years read the registry as it was then (programme/membership.py)."""
from flask_babel import gettext as _
from sqlalchemy import select

from audit.services import record
from core.errors import Conflict, Forbidden, InvalidInput
from core.extensions import db
from dashboard import ranking
from events.filters import local_day
from programme import assessment, services
from programme.models import IN_PROGRAMME, ProgrammeTown


def _entry(town_id: int) -> ProgrammeTown | None:
    return db.session.scalar(select(ProgrammeTown).where(ProgrammeTown.town_id == town_id)
                             .with_for_update(of=ProgrammeTown))


def next_candidate(done, now):
    """The published candidate while it is still a 市级 town in the programme, else the next
    best of the year's 市级 assessment (one 递补 already took the first)."""
    first = done.candidate
    if first is not None:
        entry = _entry(first.id)
        if entry is not None and entry.level == "市级" and entry.status in IN_PROGRAMME:
            return entry
    found = assessment.candidate(done.year, now)
    return _entry(found.id) if found is not None else None


def replace(actor, year: int, town_code: str, document_no: str, note: str, now):
    """The 递补 of the warned `town_code` of `year`'s published 省级 assessment; returns the
    (eliminated, promoted) registry entries. Inside the caller's write unit."""
    if actor.role != "admin":
        raise Forbidden(_("只有管理员可以执行递补"))
    document_no = (document_no or "").strip()
    if not document_no or len(document_no) > 64:
        message = _("请填写递补决定的文号（不超过 64 字）")
        raise InvalidInput(message, fields={"document_no": [message]})
    done = assessment.published("省级", year)
    if done is None:
        raise Conflict(_("%(year)s 年省级示范镇考核结果尚未发布，不能递补", year=year))
    row = next((row for row in done.rows if row.town_code == town_code), None)
    if row is None or row.mark != ranking.ELIMINATE_WARNING:
        raise InvalidInput(_("该镇不在本年度考核的淘汰预警名单中"),
                           fields={"town": [_("不在淘汰预警名单中")]})
    leaving = _entry(row.town_id)
    if leaving is None or leaving.level != "省级" or leaving.status not in IN_PROGRAMME:
        raise Conflict(_("%(town)s 已不是在建的省级示范镇：递补已经执行过", town=row.town_name))
    entering = next_candidate(done, now)
    if entering is None:
        raise Conflict(_("没有可递补的市级示范镇"))
    reason = (note or "").strip()[:400]
    services.decide(actor, leaving, now, level="省级", status="eliminated",
                    designated_year=leaving.designated_year, document_no=document_no,
                    note=_("%(year)s 年度考核连续两年靠后，予以淘汰，由%(town)s递补",
                           year=year, town=entering.town.name) + (f"；{reason}" if reason else ""))
    services.decide(actor, entering, now, level="省级", status="promoted",
                    designated_year=local_day(now).year, document_no=document_no,
                    note=_("%(year)s 年度考核优秀，递补%(town)s为省级示范镇",
                           year=year, town=leaving.town.name) + (f"；{reason}" if reason else ""))
    record(actor, "programme", f"{year} 省级示范镇递补", "replace",
           {"eliminated": leaving.town.code, "level": "省级"},
           {"promoted": entering.town.code, "from_level": "市级", "document_no": document_no})
    return leaving, entering
