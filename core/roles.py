"""Pages for some roles only (admin pages, the dispatcher's desk): the role check as a
decorator, so no view repeats `if current_user.role != …: abort(403)`."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles: str):
    """Log in first (the login page for anonymous visitors), then 403 for other roles."""
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate
