"""Display names of states, actions and sources, in the domain words people use."""
from flask import has_request_context
from flask_babel import gettext


def _l(message: str) -> str:
    """Marks a message for extraction (pybabel -k _l); translated when displayed."""
    return message


def _t(message: str) -> str:
    # Outside a request (CLI, scheduler) there is no locale: Chinese, the source language.
    return gettext(message) if has_request_context() else message

STATE_NAMES = {
    "reported": _l("待核实"),
    "filed": _l("已立案"),
    "dispatched": _l("已派遣"),
    "accepted": _l("处置中"),
    "handled": _l("待核查"),
    "closed": _l("已结案"),
    "rejected": _l("不予立案"),
    "suspended": _l("挂账"),
}

ACTION_NAMES = {
    "create": _l("上报"),
    "verify": _l("核实立案"),
    "reject": _l("不予立案"),
    "dispatch": _l("派遣"),
    "accept": _l("签收"),
    "return": _l("回退"),
    "request_extension": _l("申请延期"),
    "approve_extension": _l("批准延期"),
    "deny_extension": _l("驳回延期"),
    "handle": _l("处置反馈"),
    "close": _l("核查结案"),
    "rework": _l("返工"),
    "suspend": _l("挂账"),
    "resume": _l("恢复办理"),
    "reopen": _l("重新打开"),
    "comment": _l("备注"),
    "warn": _l("催办"),
    "overdue": _l("超期督办"),
}

SOURCE_NAMES = {
    "patrol": _l("巡查上报"),
    "resident": _l("群众举报"),
    "hotline": _l("热线"),
    "open311": _l("Open311"),
}

ROLE_NAMES = {
    "grid_worker": _l("网格员"),
    "dispatcher": _l("派遣员"),
    "handler": _l("处置人员"),
    "supervisor": _l("督办领导"),
    "admin": _l("系统管理员"),
}


def state_label(state: str) -> str:
    return _t(STATE_NAMES.get(state, state))


def action_label(action: str) -> str:
    return _t(ACTION_NAMES.get(action, action))


def source_label(source: str) -> str:
    return _t(SOURCE_NAMES.get(source, source))


def role_label(role: str) -> str:
    return _t(ROLE_NAMES.get(role, role))
