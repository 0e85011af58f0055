"""Masking of residents' personal data: the one rule for pages, API, exports and Open311.

Only dispatchers and admins (they call residents back) see a reporter's name and mobile
number in full; every other staff role sees 王** and 138****1234; public pages and Open311
show neither.
"""

FULL_CONTACT_ROLES = ("dispatcher", "admin")


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def may_see_contact(user) -> bool:
    """Dispatchers and admins see a reporter's name, number and 查询码 in full."""
    return getattr(user, "role", None) in FULL_CONTACT_ROLES


def reporter_contact(user, event) -> dict | None:
    """{"name", "phone"} of a case's resident reporter as `user` may see them, or None."""
    if not (event.reporter_name or event.reporter_phone):
        return None
    if may_see_contact(user):
        return {"name": event.reporter_name or "", "phone": event.reporter_phone or ""}
    return {"name": mask_name(event.reporter_name), "phone": mask_phone(event.reporter_phone)}
