"""Messages made in Python (service errors, login failures) follow the page's language."""
from tests.pagehelpers import field_value, state_badge, text_of


def test_service_and_login_messages_follow_the_chosen_language(world, login_as, report):
    case = report("worker")  # filed: a dispatcher may dispatch it, not close it
    dispatcher = login_as("dispatcher")
    refused = {
        "zh_CN": "案件当前状态为「已立案」，不能执行「核查结案」；可执行：不予立案、派遣、挂账、备注",
        "en": "The case is “Filed”, so “Check & close” is not possible. "
              "Possible now: Reject, Dispatch, Suspend, Comment.",
    }
    wrong_login = {"zh_CN": "用户名或密码错误", "en": "Wrong username or password."}
    for lang, other in (("en", "zh_CN"), ("zh_CN", "en")):
        assert dispatcher.get(f"/lang/{lang}").status_code == 302
        detail = dispatcher.get(f"/events/{case['id']}")
        response = dispatcher.post(f"/events/{case['id']}/actions", data={
            "action": "close", "note": "现场核查", "version": field_value(detail, "version")})
        assert response.status_code == 409
        page = text_of(response)
        assert refused[lang] in page
        assert refused[other] not in page
        assert state_badge(response) == {"en": "Filed", "zh_CN": "已立案"}[lang]

        visitor = world.test_client()
        visitor.get(f"/lang/{lang}?next=/login")
        failed = visitor.post("/login", data={"username": "dispatcher", "password": "wrong"})
        assert failed.status_code == 401
        assert wrong_login[lang] in text_of(failed)
        assert wrong_login[other] not in text_of(failed)


def test_the_catalogue_kept_for_a_request_follows_a_forced_locale(world):
    """core/i18n keeps a request's catalogue (issue 8): a force_locale block inside the
    request (mail in a recipient's language) still speaks its own language, in Python and
    in templates, and the request's language comes back after it."""
    from flask import render_template_string
    from flask_babel import force_locale, gettext
    chinese, english = "用户名或密码错误", "Wrong username or password."
    with world.test_request_context("/"):
        assert gettext(chinese) == chinese
        with force_locale("en"):
            assert gettext(chinese) == english
            assert render_template_string("{{ _('用户名或密码错误') }}") == english
        assert gettext(chinese) == chinese
        assert render_template_string("{{ _('用户名或密码错误') }}") == chinese


def test_a_template_label_is_translated_with_its_values_escaped(world):
    """The templates' _() and gettext (core.i18n.template_gettext, one call in place of
    Jinja's three): the page's language, the label itself trusted, a value put into it
    escaped, "%%" a percent sign — as Jinja's newstyle gettext does."""
    from flask import render_template_string
    from flask_babel import force_locale
    template = ("{{ _('用户名 %(username)s 已存在', username=name) }}|"
                "{{ gettext('用户名 %(username)s 已存在', username=name) }}|{{ _('100%%') }}")
    with world.test_request_context("/"):
        assert render_template_string(template, name="<b>王&五</b>") == (
            "用户名 &lt;b&gt;王&amp;五&lt;/b&gt; 已存在|"
            "用户名 &lt;b&gt;王&amp;五&lt;/b&gt; 已存在|100%")
        with force_locale("en"):
            assert render_template_string(template, name="Li") == (
                "The username Li is already taken.|The username Li is already taken.|100%")


def test_a_template_label_may_name_a_value_string(world):
    """template_gettext takes its own arguments by position: a label's value may be called
    anything, `string` too (as Jinja's own gettext allows)."""
    from flask import render_template_string
    with world.test_request_context("/"):
        page = render_template_string("{{ _('名称：%(string)s', string=s) }}", s="<甲>")
        assert page == "名称：&lt;甲&gt;"
