"""web/core.py: the hall's retained messages, as real payloads, make the model the pages show."""
from __future__ import annotations

from pathlib import Path

from antrean import protocol
from antrean.config import load_site
from antrean.protocol import Topics
from tests.fixtures.sites import small_site
from web import core

NOW = 1_795_400_000_000
MADIUN = Path(__file__).resolve().parents[2] / "examples/mpp-madiun.toml"


def service(sid="KTP", rev=1, epoch=1, **fields):
    body = {"service": sid, "day": "2026-11-23", "open": True, "waiting": 0,
            "next_number": "A-001", **fields}
    return protocol.encode("state.service", epoch=epoch, rev=rev, at=NOW, **body)


def counter(cid=1, rev=1, **fields):
    return protocol.encode("state.counter", epoch=1, rev=rev, at=NOW,
                           **{"counter": cid, "paused": False, **fields})


def presence(device, state="online", bdseq=1, at=NOW, session="s1"):
    role = "kiosk" if device.startswith("kiosk") else "display"
    return protocol.encode("presence", device=device, role=role, state=state,
                           session=session, bdseq=bdseq, at=at)


def health(device, at=NOW, **fields):
    role = "kiosk" if device.startswith("kiosk") else "display"
    return protocol.encode("health", device=device, role=role, at=at, **fields)


def test_a_service_snapshot_gives_its_waiting_last_called_and_estimate():
    model = core.HallModel(small_site(), now_ms=lambda: NOW)
    t = Topics("mpp-test")
    assert model.apply(t.service("KTP"), service(waiting=4, last_called="A-008", wait_min=18))
    ktp = next(s for s in core.services(model) if s["id"] == "KTP")
    assert (ktp["waiting"], ktp["last_called"], ktp["wait_min"]) == (4, "A-008", 18)
    assert ktp["agency_name"] == "Disdukcapil" and ktp["prefix"] == "A"
    kk = next(s for s in core.services(model) if s["id"] == "KK")
    assert kk["known"] is False and kk["waiting"] is None


def test_an_older_snapshot_is_ignored_and_a_new_epoch_wins():
    model = core.HallModel(small_site())
    t = Topics("mpp-test")
    model.apply(t.service("KTP"), service(rev=5, waiting=3))
    assert not model.apply(t.service("KTP"), service(rev=4, waiting=9))
    assert model.services["KTP"].waiting == 3
    assert model.apply(t.service("KTP"), service(rev=1, epoch=2, waiting=1))   # hub restarted
    assert model.services["KTP"].waiting == 1


def test_bad_and_cleared_payloads_change_nothing():
    model = core.HallModel(small_site())
    t = Topics("mpp-test")
    assert not model.apply(t.service("KTP"), b"{not json")
    assert not model.apply(t.service("KTP"), b"")
    assert not model.apply(t.service("NOPE"), service("NOPE"))       # not a service of the site
    assert not model.apply(t.counter(99), counter(99))
    assert model.version == 0


def test_counter_states_open_paused_idle_serving():
    model = core.HallModel(small_site())
    t = Topics("mpp-test")
    model.apply(t.counter(1), counter(1, number="A-003", service="KTP"))
    model.apply(t.counter(2), counter(2, paused=True))
    states = {c["id"]: (c["state"], c["number"]) for c in core.counters(model)}
    assert states == {1: ("serving", "A-003"), 2: ("paused", None), 3: ("unknown", None)}
    model.apply(t.counter(1), counter(1, rev=2))
    assert core.counters(model)[0]["state"] == "idle"


def test_devices_show_presence_health_printer_audio_and_outbox():
    site = small_site()
    model = core.HallModel(site)
    t = Topics(site.id)
    model.apply(t.presence("kiosk-1"), presence("kiosk-1"))
    model.apply(t.health("kiosk-1"), health("kiosk-1", version="0.1.0", uptime_s=600,
                                            printer={"status": "no_paper"}, outbox=3))
    model.apply(t.presence("display-hall"), presence("display-hall"))
    model.apply(t.health("display-hall"), health("display-hall",
                                                 errors=["voice failing: aplay exited 1"]))
    rows = {d["id"]: d for d in core.devices(model)}
    assert list(rows)[0] == "hub" and rows["hub"]["state"] == "never"
    k = rows["kiosk-1"]
    assert (k["state"], k["version"], k["uptime_s"], k["printer"], k["outbox"], k["audio"]) == \
        ("online", "0.1.0", 600, "no_paper", 3, None)
    assert k["printer_since"] == NOW and k["last_seen"] == NOW
    assert rows["display-hall"]["audio"] == "failing"
    assert rows["display-3"]["audio"] == "unknown" and rows["display-3"]["state"] == "never"


def test_a_late_will_of_an_older_connection_does_not_override_the_newer_birth():
    model = core.HallModel(small_site())
    t = Topics("mpp-test")
    model.apply(t.presence("kiosk-1"), presence("kiosk-1", bdseq=2))
    assert not model.apply(t.presence("kiosk-1"), presence("kiosk-1", "lost", bdseq=1))
    assert model.devices["kiosk-1"].presence.state == "online"


def test_the_madiun_hall_lists_every_service_counter_and_device():
    site = load_site(MADIUN)
    model = core.HallModel(site)
    assert len(core.services(model)) == len(site.services)
    assert [c["id"] for c in core.counters(model)] == sorted(site.counters)
    assert len(core.devices(model)) == 1 + len(list(site.devices()))


def test_the_core_imports_without_any_web_framework():
    """web/core.py, alerts.py, pages.py and strings.py need no Starlette, uvicorn or argon2."""
    import subprocess
    import sys
    code = ("import sys\n"
            "for name in ('starlette', 'uvicorn', 'argon2', 'itsdangerous'):\n"
            "    sys.modules[name] = None\n"
            "import web.core, web.alerts, web.pages, web.strings\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
