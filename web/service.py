"""`antrean web`: the hall's web page on the hub, as its own process and systemd unit.

Composes the parts: the site config, a read-only operator login (``--as``, default
``ops-web``) following the broker into a :class:`web.core.HallModel`, the staff accounts file,
the session key in the state directory, and uvicorn serving :mod:`web.app`. The watchdog is fed
from the web server's own event loop, so a hung loop is restarted by systemd.

    antrean web --config hall.toml --listen 0.0.0.0:80 --device-config /etc/antrean/device.toml
    antrean web --add-user budi [--users FILE]      (the password is asked, or read from stdin)

Exit codes: 0 stopped, 2 usage, 3 config (a bad site config, password or accounts file).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import sys
from pathlib import Path

from antrean.device_settings import add_login_arguments, own_password, own_tls_ca
from antrean.errors import UsageError
from antrean.sdnotify import Watchdog

log = logging.getLogger("antrean.web")
STATE_DIR = Path("/var/lib/antrean")
USERS_FILE = "web-users.toml"
LOGIN = "ops-web"


def listen_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--listen {text!r}: give ADDRESS:PORT, e.g. 0.0.0.0:80")
    return host.strip("[]") or "0.0.0.0", int(port)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="antrean web", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", help="site config (TOML)")
    p.add_argument("--host", default="127.0.0.1", help="the broker's address")
    p.add_argument("--port", type=int, default=1883, help="the broker's port")
    p.add_argument("--listen", default="0.0.0.0:8080", metavar="ADDR:PORT",
                   help="where the page is served (default 0.0.0.0:8080)")
    p.add_argument("--as", dest="login", default=LOGIN, metavar="OPERATOR",
                   help=f"the read-only operator login to follow the hall with (default "
                        f"{LOGIN}, an [[operators]] entry of the site config)")
    p.add_argument("--state-dir", type=Path, default=STATE_DIR,
                   help="where the session key is kept (default /var/lib/antrean)")
    p.add_argument("--users", type=Path, metavar="FILE",
                   help=f"the staff accounts file (default STATE_DIR/{USERS_FILE})")
    p.add_argument("--add-user", metavar="NAME",
                   help="add (or reset) a staff account and exit; the password is asked, or "
                        "read from standard input when it is not a terminal")
    add_login_arguments(p)
    return p


def add_user(users: Path, name: str) -> int:
    from .accounts import Accounts
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            raise UsageError("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    Accounts(users).add(name, password)
    print(f"{name} can log in to the staff page ({users}, mode 600)")
    return 0


def operator_login(site, login: str):
    op = site.operators.get(login)
    if op is None:
        raise UsageError(f"no operator {login!r} in the site config: declare it "
                         f'([[operators]] id = "{login}") and give it a password '
                         "(antrean credentials)")
    if op.commands:
        raise UsageError(f"operator {login!r} may send commands: the web page needs a "
                         "read-only login (commands = false)")
    return op


class Composed:
    """The running parts of one page: model, follower, page, and the Starlette app."""

    def __init__(self, site, *, login: str, password: str, host: str, port: int,
                 tls_ca: Path | None, users: Path, state_dir: Path, now_ms=None,
                 watchdog: Watchdog | None = None):
        from . import app as webapp
        from .accounts import Accounts
        from .core import HallFollower, HallModel, wall_ms

        operator_login(site, login)
        self.model = HallModel(site, now_ms=now_ms or wall_ms)
        self.follower = HallFollower(self.model, login=login, password=password, host=host,
                                     port=port, tls_ca=tls_ca)
        accounts = Accounts(users)
        accounts.users()                         # a broken accounts file stops us here
        self.page = webapp.WebPage(self.model, accounts=accounts,
                                   link=lambda: self.follower.connected)
        self.follower.on_change(self.page.bell.ring)
        self.watchdog = watchdog or Watchdog()

        @contextlib.asynccontextmanager
        async def lifespan(app):
            self.follower.start()
            feeder = asyncio.create_task(feed(self.watchdog, self.follower))
            self.watchdog.ready("serving")
            try:
                yield
            finally:
                feeder.cancel()
                await asyncio.to_thread(self.follower.stop)

        self.app = webapp.build(self.page, webapp.session_secret(state_dir), lifespan)


def serve(args) -> int:
    import uvicorn

    from antrean.config import load_site

    if not args.config:
        raise UsageError("--config is required")
    site = load_site(args.config)
    operator_login(site, args.login)
    password = own_password(args.login, args.device_config, args.password_file)
    tls_ca = own_tls_ca(site.broker_tls, args.tls_ca, args.device_config)
    host, port = listen_address(args.listen)
    parts = Composed(site, login=args.login, password=password, host=args.host,
                     port=args.port, tls_ca=tls_ca, users=args.users or args.state_dir /
                     USERS_FILE, state_dir=args.state_dir)
    log.info("web page on http://%s:%d/ for %s", host, port, site.id)
    config = uvicorn.Config(parts.app, host=host, port=port, log_level="warning",
                            access_log=False, timeout_graceful_shutdown=3)
    uvicorn.Server(config).run()
    return 0


async def feed(watchdog: Watchdog, follower) -> None:
    """Feed systemd's watchdog from the event loop that serves the pages."""
    said = None
    while True:
        watchdog.ping()
        status = "broker link up" if follower.connected else "broker link down"
        if status != said:
            watchdog.status(status)
            said = status
        await asyncio.sleep(1)        # a period, not a wait on another party


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.add_user:
        return add_user(args.users or args.state_dir / USERS_FILE, args.add_user)
    return serve(args)
