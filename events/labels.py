"""Display names of states, actions and sources, in the domain words people use."""
from flask import has_request_context

from core.i18n import catalogue, gettext, per_language


def _lc(context: str, message: str) -> tuple[str, str]:
    """Marks a message for extraction (pybabel -k _lc:1c,2); translated when displayed.
    The context keeps 不予立案 the state apart from 不予立案 the action."""
    return context, message


def _t(entry, found=None) -> str:
    """A named entry in the request's language (`found`: its catalogue, when the caller
    holds it already, as a page of rows does)."""
    context, message = entry
    if found is not None:
        return found.upgettext(context, message)
    # Outside a request (CLI, scheduler) there is no locale: Chinese, the source language.
    return catalogue().upgettext(context, message) if has_request_context() else message


def name_in(names: dict, key: str, found=None) -> str:
    """`key`'s name from one of the tables below; the key itself when it has none."""
    entry = names.get(key)
    return _t(entry, found) if entry else key


STATE_NAMES = {
    "reported": _lc("state", "待核实"),
    "filed": _lc("state", "已立案"),
    "dispatched": _lc("state", "已派遣"),
    "accepted": _lc("state", "处置中"),
    "handled": _lc("state", "待核查"),
    "closed": _lc("state", "已结案"),
    "rejected": _lc("state", "不予立案"),
    "suspended": _lc("state", "挂账"),
}

ACTION_NAMES = {
    "create": _lc("action", "上报"),
    "verify": _lc("action", "核实立案"),
    "reject": _lc("action", "不予立案"),
    "dispatch": _lc("action", "派遣"),
    "accept": _lc("action", "签收"),
    "return": _lc("action", "回退"),
    "request_extension": _lc("action", "申请延期"),
    "approve_extension": _lc("action", "批准延期"),
    "deny_extension": _lc("action", "驳回延期"),
    "handle": _lc("action", "处置反馈"),
    "close": _lc("action", "核查结案"),
    "rework": _lc("action", "返工"),
    "suspend": _lc("action", "挂账"),
    "resume": _lc("action", "恢复办理"),
    "reopen": _lc("action", "重新打开"),
    "comment": _lc("action", "备注"),
    "supervise": _lc("action", "督办"),
    "warn": _lc("action", "催办"),
    "overdue": _lc("action", "超期督办"),
}

SOURCE_NAMES = {
    "patrol": _lc("source", "巡查上报"),
    "resident": _lc("source", "群众举报"),
    "hotline": _lc("source", "热线"),
    "open311": _lc("source", "Open311"),
}

#: stage clocks (events/escalation.py STAGE_OF_STATE)
STAGE_NAMES = {
    "verify": _lc("stage", "核实"),
    "dispatch": _lc("stage", "立案派遣"),
    "accept": _lc("stage", "签收"),
    "handle": _lc("stage", "处置"),
    "check": _lc("stage", "核查"),
}

ROLE_NAMES = {
    "grid_worker": _lc("role", "网格员"),
    "dispatcher": _lc("role", "派遣员"),
    "handler": _lc("role", "处置人员"),
    "supervisor": _lc("role", "督办领导"),
    "admin": _lc("role", "系统管理员"),
}


def state_label(state: str) -> str:
    return name_in(STATE_NAMES, state)


def action_label(action: str) -> str:
    return name_in(ACTION_NAMES, action)


def source_label(source: str) -> str:
    return name_in(SOURCE_NAMES, source)


def role_label(role: str) -> str:
    return name_in(ROLE_NAMES, role)


def stage_label(stage: str) -> str:
    return name_in(STAGE_NAMES, stage)


def stage_names() -> dict:
    """Every stage's name in the request's language (read-only: shared by every list in
    that language)."""
    return _stage_names() if has_request_context() else {
        stage: message for stage, (_context, message) in STAGE_NAMES.items()}


@per_language
def _stage_names() -> dict:
    return {stage: _t(entry) for stage, entry in STAGE_NAMES.items()}


def _words(found):
    """gettext through `found` (a page's catalogue) when given, else the request's."""
    return found.ugettext if found is not None else gettext


def holder_label(row) -> str:
    """Who holds a case now, as the workbench's 当前办理 column says it."""
    return holder_words(row.state, getattr(row, "category_verifier", None), row.department_name)


def holder_words(state: str, verifier: str | None, department_name: str | None,
                 found=None) -> str:
    """holder_label from the row's fields (`found`: the page's catalogue)."""
    _ = _words(found)
    if state in ("dispatched", "accepted"):
        return department_name or _("责任单位")
    if state == "reported":
        if verifier == "dispatcher":
            return _("派遣员核实")  # 其他问题: the town's desk verifies it
        return _("网格员核实")
    if state == "filed":
        return _("派遣员立案派遣")
    if state == "handled":
        return _("网格员核查")
    return _("督办领导") if state == "suspended" else "—"


def time_left_label(due_at, now, found=None) -> str:
    """剩 3小时20分 / 超期 1天2小时: a running clock's time to its deadline, in words
    (`found`: the page's catalogue)."""
    if due_at is None:
        return ""
    _ = _words(found)
    minutes = int((due_at - now).total_seconds() // 60)
    late, minutes = minutes < 0, abs(minutes)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        span = _("%(d)s天%(h)s小时") % {"d": days, "h": hours}
    elif hours:
        span = _("%(h)s小时%(m)s分") % {"h": hours, "m": mins}
    else:
        span = _("%(m)s分钟") % {"m": mins}
    return (_("超期 %(span)s") if late else _("剩 %(span)s")) % {"span": span}
