"""Hostile input at every edge of the app: no route ever answers 500, on either database.

For every route of the access matrix (``tests/test_access_matrix.py``), as a role that gets through its
access checks there, the test sends a NUL byte, a CR/LF header injection, bidirectional overrides, huge
numbers and long values into every path argument, into every query parameter the role's pages send (and
those in QUERY), and into every field of every form the role's pages show: one field at a time, the
others as a browser would send them (or as VALID fills them in, so the hostile value reaches the service
behind the form), with a valid CSRF token. Any answer of 500 or more is a failure. One app and one set
of people per role; passwords are hashed cheaply here.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts import invitations
from directory.extensions import db
from directory.search.params import PARAMETERS as SEARCH_PARAMETERS

from . import test_access_matrix as matrix

people = matrix.people  # the matrix's organizations, agencies, request, report and users

NUL = "a\x00b"
CRLF = "x\r\nSet-Cookie: x=1"
BIDI = "\u202egnp.exe\u2066"
HUGE = (str(2**63), str(2**64), str(10**30), "9" * 5000)
#: Values for free-text fields (the override is long too: a column may hold fewer characters).
HOSTILE_TEXT = (NUL, CRLF, BIDI + "x" * 3000)
#: Values for number fields.
HOSTILE_NUMBER = (HUGE[2], "sNaN", "Infinity")
#: Values for hidden fields and query parameters.
HOSTILE_VALUE = (NUL, CRLF, HUGE[3])
#: One value for a choice (radio, checkbox, select, button) or a date: anything not on the list is
#: refused alike, so the worst of all at once.
HOSTILE_CHOICE = (NUL + CRLF + BIDI + HUGE[3],)
#: Values for path arguments (a huge id is the interesting case there).
HOSTILE_PATH = (*HUGE, NUL, CRLF, BIDI)
#: How each kind of field is attacked (by input type; "textarea" and "select" for those elements).
HOSTILE_BY_TYPE = {
    **dict.fromkeys(("text", "email", "url", "search", "tel", "textarea"), HOSTILE_TEXT),
    "number": HOSTILE_NUMBER,
    "hidden": HOSTILE_VALUE,
    "password": HOSTILE_CHOICE,  # only ever hashed or compared: one value says it all
}

#: Query parameters a route reads that no form on its page shows (forms' own fields are found).
QUERY = {
    "pages.home": ("lang",),
    "organizations.search_page": ("page", "per_page"),
    "api.organizations": SEARCH_PARAMETERS,
    "accounts.login": ("next",),
    "partnerships.new_requests": ("org",),
    "admin.audit": ("page",),
    "admin.users": ("email",),
}
NEW = "(new)"
#: Values that let a form get past its other checks, so a hostile field reaches the service behind it.
VALID = {
    "accounts.login": {"email": "nobody@example.org", "password": "a wrong but long password"},
    "accounts.register_organization": {
        "display_name": "Ada",
        "email": "new-org@example.org",
        "password": "lantern orchard velvet ninety",
        "org_name": "New Organization",
        "country_code": "CM",
        "city": "Douala",
    },
    "accounts.register_agency": {
        "display_name": "Ada",
        "email": "new-agency@example.org",
        "password": "lantern orchard velvet ninety",
        "agency_name": "New Agency",
        "agency_type": "business",
        "country_code": "KE",
        "description": "We fund shelters.",
    },
    "accounts.forgot_password": {"email": "a@example.org"},
    "accounts.accept_invitation": {"display_name": "Ada", "password": "lantern orchard velvet ninety"},
    "partnerships.new_request": {
        "form_token": NEW,  # a new request each time (the same token would return the first one)
        "title": "Training",
        "summary": "A training.",
        "stages": "design",
        "maturity": "idea",
        "engagement": "trainer",
        "paid": "no",
        "respond_by": "2030-01-01",
        "mode": "remote",
        "asks_personal_story": "no",
        "action": "send",
    },
    "partnerships.message": {"body": "Hello."},
    "reports.report": {"reason": "closed"},
}
VALID["partnerships.new_requests"] = VALID["partnerships.new_request"]  # the same form
#: Fields of forms the matrix's people are not shown (feedback waits for a completed request).
UNSHOWN = {
    "partnerships.feedback": ("respectful", "paid_on_time", "input_shaped_decisions", "development_offered")
}
#: POST routes whose form the test's people cannot be shown: no second factor pending, an address
#: already confirmed, a listing already published, a request not completed, a confirmation or reset
#: token that is not valid.
FORMLESS = {
    "accounts.two_factor",
    "accounts.resend_confirmation",
    "accounts.confirm",
    "accounts.finish_registration",
    "workspace.submit",
    "partnerships.feedback",
    "accounts.reset_password_page",
}


#: Routes whose form only shows with a query string the matrix does not send, and who can see it.
SHOWN_WITH = {"partnerships.new_requests": "agency_verified", "admin.users": "admin"}


def _query_for(endpoint: str, people: dict[str, Any]) -> str:
    """The query string that makes the route's page show its form."""
    if endpoint == "partnerships.new_requests":
        return f"?org={people['params']['slug']}"
    if endpoint == "admin.users":
        return f"?email={people['users']['org_b'].email}"
    return ""


def _plan() -> dict[str, list[tuple[str, str]]]:
    """Role -> the routes tested as that role: the first role that gets a 200 there (or, for a POST, the
    role that gets its form page; else the first whose POST gets through). Anonymous for the rest."""

    def through(endpoint: str, method: str, role: str) -> bool:
        status = matrix.MATRIX[endpoint, method][role]
        return status == 200 or (method == "POST" and status == 302 and role != "anonymous")

    plan: dict[str, list[tuple[str, str]]] = {}
    for endpoint, method in matrix.MATRIX:
        role = SHOWN_WITH.get(endpoint) or next(
            (
                r
                for r in matrix.ROLES
                if ((endpoint, "GET") in matrix.MATRIX and through(endpoint, "GET", r))
                or through(endpoint, method, r)
            ),
            "anonymous",
        )
        plan.setdefault(role, []).append((endpoint, method))
    return plan


PLAN = _plan()


@dataclass
class Form:
    """A form as a browser sees it: where it goes, its fields and what a plain submit sends."""

    action: str
    method: str
    names: list[str] = field(default_factory=list)
    values: dict[str, list[str]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str | None, kind: str = "text") -> None:
        if name not in self.names:
            self.names.append(name)
            self.types[name] = kind
        if value is not None:
            self.values.setdefault(name, []).append(value)

    def hostile(self, name: str) -> tuple[str, ...]:
        """The values to try in field ``name``."""
        return HOSTILE_BY_TYPE.get(self.types.get(name, "text"), HOSTILE_CHOICE)

    def data(self, *changes: dict[str, str]) -> dict[str, list[str]]:
        """What a submit sends, with ``changes`` applied in turn (NEW: a value never sent before)."""
        out = dict(self.values)
        for change in changes:
            out.update({name: [secrets.token_hex(8) if v == NEW else v] for name, v in change.items()})
        return out


class _FormParser(HTMLParser):
    """The forms of a page, with what a browser would send for each field when nothing is changed."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.textarea: str | None = None
        self.text = ""
        self.select: str | None = None
        self.multiple = False
        self.options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urlsplit(a.get("action") or self.page_url)
            url = action.path + (f"?{action.query}" if action.query else "")
            self.form = Form(url, a.get("method", "get").lower())
            self.forms.append(self.form)
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))
        elif self.form is not None and a.get("name"):
            self._field(self.form, tag, a)

    def _field(self, form: Form, tag: str, a: dict[str, str]) -> None:
        name = a["name"]
        kind = a.get("type", "submit" if tag == "button" else "text").lower()
        value = a.get("value", "on" if kind == "checkbox" else "")
        if tag == "textarea":
            self.textarea, self.text = name, ""
        elif tag == "select":
            self.select, self.multiple, self.options = name, "multiple" in a, []
        elif kind == "radio":  # the checked option, else the first
            form.add(name, None, kind)
            if "checked" in a or name not in form.values:
                form.values[name] = [value]
        elif kind == "checkbox":
            form.add(name, value if "checked" in a else None, kind)
        elif kind == "submit":  # the first button of a name is the one pressed
            form.add(name, value if name not in form.values else None, kind)
        else:
            form.add(name, value, kind)

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "textarea" and self.form and self.textarea:
            self.form.add(self.textarea, self.text.removeprefix("\r\n").removeprefix("\n"), "textarea")
            self.textarea = None
        elif tag == "select" and self.form and self.select:
            chosen = [v for v, selected in self.options if selected]
            if not chosen and not self.multiple and self.options:
                chosen = [self.options[0][0]]
            self.form.add(self.select, None, "select")
            self.form.values[self.select] = chosen
            self.select = None


def forms_on(page: str, url: str) -> list[Form]:
    parser = _FormParser(url)
    parser.feed(page)
    return parser.forms


def _path(rule: str, params: dict[str, Any], hostile: tuple[str, str] | None = None) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if hostile and hostile[0] == name:
            return quote(hostile[1], safe="")
        return quote(str(params[name]), safe="")

    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", value, rule)


@dataclass
class Prober:
    """Sends requests as one role and records every answer of 500 or more."""

    app: Flask
    role: str
    client: FlaskClient
    failures: list[str] = field(default_factory=list)
    formless: list[str] = field(default_factory=list)  # POST routes whose form no page showed
    count: int = 0
    token: str = ""

    def send(self, method: str, url: str, **kwargs: Any) -> Any:
        self.count += 1
        response = self.client.open(url, method=method, **kwargs)
        if response.status_code >= 500:
            shown = {k: v for k, v in kwargs.items() if k in ("query_string", "data")}
            self.failures.append(f"{self.role} {method} {url!r} {shown!r} -> {response.status_code}")
        return response

    def csrf(self) -> str:
        """A valid CSRF token for this client's session (it stays valid while the session lasts)."""
        if not self.token:
            self.token = matrix._csrf(self.client)
        return self.token

    def restart(self) -> None:
        """A new anonymous visitor (an accepted invitation signs the old one in)."""
        self.client, self.token = self.app.test_client(), ""


@pytest.mark.parametrize("role", list(PLAN))
def test_no_hostile_input_answers_500(
    app: Flask, people: dict[str, Any], role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config.update(WTF_CSRF_ENABLED=True, RATELIMIT_FORMS="100000 per hour")
    _fast_passwords(monkeypatch)
    params = dict(people["params"])
    if role == "anonymous":  # a valid invitation, so its form is shown
        params["token"] = invitations.invite(people["users"]["org_a"], "invited@example.org")
        db.session.commit()
    prober = Prober(app, role, matrix._client(app, role, people))
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    routes = {
        (endpoint, method): _path(rules[endpoint], params) + _query_for(endpoint, people)
        for endpoint, method in PLAN[role]
    }
    forms: list[Form] = []
    for (_, method), url in routes.items():
        if method == "GET":
            response = prober.send("GET", url)
            if response.mimetype == "text/html":  # not the icon, robots.txt or the sitemap
                forms += forms_on(response.get_data(as_text=True), url)
    _probe_paths(prober, rules, params)
    _probe_queries(prober, routes, forms)
    _probe_posts(prober, routes, forms)
    assert not prober.failures, "\n".join(prober.failures)
    # The pages showed every form but those that need a state the matrix's people are not in.
    assert set(prober.formless) <= FORMLESS, prober.formless
    assert prober.count > 10


def _fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id is slow on purpose; this test only cares where a password goes, not how it is hashed."""
    from directory.accounts import passwords

    fast = type(passwords.HASHER)(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "HASHER", fast)


def _probe_paths(prober: Prober, rules: dict[str, str], params: dict[str, Any]) -> None:
    for endpoint, method in PLAN[prober.role]:
        rule = rules[endpoint]
        for name in re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule):
            for value in HOSTILE_PATH:
                url = _path(rule, params, (name, value))
                data = {"csrf_token": prober.csrf()} if method == "POST" else None
                prober.send(method, url, data=data)


def _probe_queries(prober: Prober, routes: dict[tuple[str, str], str], forms: list[Form]) -> None:
    """Each parameter of the GET forms on the role's pages, and those in QUERY, with each hostile value."""
    targets: dict[str, Form] = {}

    def target(url: str) -> Form:
        parts = urlsplit(url)
        found = targets.setdefault(parts.path, Form(parts.path, "get"))
        for name, value in parse_qsl(parts.query):
            found.values.setdefault(name, [value])
        return found

    for (endpoint, method), url in routes.items():
        if method == "GET" and endpoint in QUERY:
            found = target(url)
            for name in QUERY[endpoint]:
                found.add(name, None)
    for form in forms:
        if form.method == "get":
            found = target(form.action)
            for name in form.names:
                found.add(name, None)
                found.values.setdefault(name, form.values.get(name, []))
    for path, found in targets.items():
        for name in found.names:
            for value in (*HOSTILE_VALUE, BIDI, HUGE[2]):
                prober.send("GET", path, query_string=found.data({name: value}))


def _probe_posts(prober: Prober, urls: dict[tuple[str, str], str], forms: list[Form]) -> None:
    for (endpoint, method), url in urls.items():
        if method != "POST":
            continue
        path = urlsplit(url).path
        found = [f for f in forms if f.method == "post" and urlsplit(f.action).path == path]
        if not found:
            prober.formless.append(endpoint)
            found = [Form(url, "post", ["csrf_token", *UNSHOWN.get(endpoint, ())])]
        for form in _distinct(found):
            for name in form.names:
                for value in form.hostile(name):
                    data = form.data(VALID.get(endpoint, {}), {"csrf_token": prober.csrf()}, {name: value})
                    prober.send("POST", form.action, data=data)
                    if endpoint == "accounts.accept_invitation":
                        prober.restart()


def _distinct(forms: list[Form]) -> list[Form]:
    seen, out = set(), []
    for form in forms:
        key = tuple(form.names)
        if key not in seen:
            seen.add(key)
            out.append(form)
    return out
