"""The hall's web page (Starlette): a public queue view, and a staff view behind a login.

Pages render on the server (Jinja2) from ``web/pages.py``; live updates come as server-sent
events carrying the page's live part as HTML, re-rendered when the model changes (and every
few seconds, for the times and ages). Routes:

    GET  /               public queue view (no login), ?lang=en|id
    GET  /events         its live part (text/event-stream)
    GET  /staff          devices, counters and alerts (login)
    GET  /staff/events   its live part
    GET  /login  POST /login  POST /logout   (CSRF token in the session and the form)
    GET  /healthz        {"link": true|false}
"""
from __future__ import annotations

import asyncio
import hmac
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import (HTMLResponse, JSONResponse, RedirectResponse,
                                 StreamingResponse)
from starlette.routing import Route

from . import alerts, pages
from .accounts import Accounts, Brake
from .core import HallModel
from .strings import language, text

# Not an importable name, so setuptools ships it as data, not as a package.
TEMPLATES = Path(__file__).with_name("page-templates")
REFRESH_S = 5.0                # re-render at least this often: "since" and "ago" move on
SESSION_S = 12 * 3600          # a staff login lasts a working day
SECRET_FILE = "web-session.key"


class Bell:
    """Rings every listening page's asyncio.Event from any thread (the MQTT delivery thread
    says the model changed; the pages' streams wait on the event loop)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._events: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def listen(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
        pair = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._events.add(pair)
        return pair

    def forget(self, pair) -> None:
        with self._lock:
            self._events.discard(pair)

    def ring(self) -> None:
        with self._lock:
            pairs = list(self._events)
        for loop, event in pairs:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:       # that loop is closed: its page is gone
                self.forget((loop, event))


def session_secret(state_dir: Path) -> str:
    """The random key signing session cookies, made once and kept (mode 600) in the state
    directory, so logins survive a restart of the page."""
    path = Path(state_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


class WebPage:
    """What the routes need: the model, whether the broker link is up, the accounts, the
    brake on wrong passwords, the alert rules and the clock."""

    def __init__(self, model: HallModel, *, accounts: Accounts, link: Callable[[], bool],
                 rules: alerts.AlertRules = alerts.AlertRules(), brake: Brake | None = None):
        self.model = model
        self.accounts = accounts
        self.link = link
        self.rules = rules
        self.brake = brake or Brake()
        self.bell = Bell()
        self.book = alerts.AlertBook()
        self._public: dict[str, tuple[tuple, str]] = {}
        self.env = Environment(loader=FileSystemLoader(TEMPLATES),
                               autoescape=select_autoescape(["html"]))

    def render(self, name: str, **context) -> str:
        return self.env.get_template(name).render(**context)

    def hub_online(self) -> bool:
        seen = self.model.devices.get("hub")
        return bool(self.link() and seen and seen.presence and seen.presence.state == "online")

    def live_public(self, lang: str) -> str:
        """The public page's live part; rendered once per change and second for every
        phone watching it, not once per phone."""
        now = self.model.now_ms()
        up = self.hub_online()
        key = (lang, self.model.version, up, now // 1000)
        cached = self._public.get(lang)
        if cached is None or cached[0] != key:
            html = self.render("_public.html", t=text(lang), up=up,
                               **pages.public(self.model, lang, now))
            self._public[lang] = cached = (key, html)
        return cached[1]

    def live_staff(self, lang: str) -> str:
        now = self.model.now_ms()
        found = self.book.update(alerts.current(self.model, now, self.rules), now)
        return self.render("_staff.html", t=text(lang), up=self.hub_online(),
                           **pages.staff(self.model, found, lang, now))


def lang_of(request: Request) -> str:
    return language(request.query_params.get("lang") or request.cookies.get("lang"))


def page(web: WebPage, request: Request, name: str, status: int = 200, **context):
    lang = lang_of(request)
    other = "en" if lang == "id" else "id"
    html = web.render(name, t=text(lang), lang=lang, other=other, site=web.model.site,
                      user=request.session.get("user"), csrf=csrf_token(request), **context)
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") == lang:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


def csrf_token(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(32)
    return request.session["csrf"]


async def form_of(request: Request) -> dict[str, str]:
    """An urlencoded form (no python-multipart needed for two fields)."""
    body = (await request.body())[:4096].decode("utf-8", "replace")
    return {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}


def stream(web: WebPage, request: Request, render: Callable[[], str]) -> StreamingResponse:
    async def events():
        pair = web.bell.listen()
        last = None
        try:
            while True:
                pair[1].clear()
                html = render()
                if html != last:
                    data = "\n".join(f"data: {line}" for line in html.splitlines())
                    yield f"event: update\n{data}\n\n"
                    last = html
                else:
                    yield ": still here\n\n"       # finds a closed connection
                try:
                    await asyncio.wait_for(pair[1].wait(), REFRESH_S)
                except TimeoutError:
                    pass
        finally:
            web.bell.forget(pair)
    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def routes(web: WebPage) -> list[Route]:
    async def public(request: Request):
        return page(web, request, "public.html", live=web.live_public(lang_of(request)))

    async def public_events(request: Request):
        lang = lang_of(request)
        return stream(web, request, lambda: web.live_public(lang))

    async def staff(request: Request):
        if not request.session.get("user"):
            return RedirectResponse("/login", status_code=303)
        return page(web, request, "staff.html", live=web.live_staff(lang_of(request)))

    async def staff_events(request: Request):
        if not request.session.get("user"):
            return JSONResponse({"error": "login needed"}, status_code=401)
        lang = lang_of(request)
        return stream(web, request, lambda: web.live_staff(lang))

    async def login_form(request: Request):
        return page(web, request, "login.html")

    async def login(request: Request):
        form = await form_of(request)
        t = text(lang_of(request))
        if not hmac.compare_digest(form.get("csrf", ""), request.session.get("csrf", "")):
            return page(web, request, "login.html", 403, error=t["bad_form"])
        who = request.client.host if request.client else "?"
        wait = web.brake.wait_s(who)
        if wait:
            return page(web, request, "login.html", 429, error=t["too_many"].format(n=wait))
        name = form.get("username", "").strip().lower()
        ok = await asyncio.to_thread(web.accounts.check, name, form.get("password", ""))
        if not ok:
            web.brake.wrong(who)
            return page(web, request, "login.html", 401, error=t["wrong_password"],
                        username=name)
        web.brake.right(who)
        request.session.clear()                  # a new session: no fixation
        request.session["user"] = name
        return RedirectResponse("/staff", status_code=303)

    async def logout(request: Request):
        form = await form_of(request)
        if not hmac.compare_digest(form.get("csrf", ""), request.session.get("csrf", "")):
            return page(web, request, "login.html", 403, error=text(lang_of(request))["bad_form"])
        request.session.clear()
        return RedirectResponse("/", status_code=303)

    async def healthz(request: Request):
        return JSONResponse({"link": web.link(), "hub": web.hub_online()})

    return [Route("/", public), Route("/events", public_events),
            Route("/staff", staff), Route("/staff/events", staff_events),
            Route("/login", login_form, methods=["GET"]),
            Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]), Route("/healthz", healthz)]


def build(web: WebPage, secret: str, lifespan=None) -> Starlette:
    async def not_found(request: Request, exc):
        return page(web, request, "message.html", 404,
                    message=text(lang_of(request))["not_found"])

    return Starlette(
        routes=routes(web), lifespan=lifespan, exception_handlers={404: not_found},
        middleware=[Middleware(SessionMiddleware, secret_key=secret,
                               session_cookie="antrean_web", max_age=SESSION_S,
                               same_site="strict", https_only=False)])
