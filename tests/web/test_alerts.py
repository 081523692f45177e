"""web/alerts.py: each alert appears when its cause holds, says since when, and clears by
itself. The clock is passed in; the model is fed real payloads."""
from __future__ import annotations

from antrean.protocol import Topics
from tests.fixtures.sites import small_site
from web import alerts, core

from .test_core import NOW, counter, health, presence, service

MIN = 60_000
T = Topics("mpp-test")


def model_at(start=NOW):
    return core.HallModel(small_site(), now_ms=lambda: start)


def keys(found):
    return {(a.key, a.level) for a in found}


def device_keys(model, now):
    return keys(alerts.device_alerts(model, now, alerts.AlertRules()))


def test_a_printer_out_of_paper_alerts_since_it_ran_out_and_clears_when_refilled():
    model = model_at()
    model.apply(T.presence("kiosk-1"), presence("kiosk-1"))
    model.apply(T.health("kiosk-1"), health("kiosk-1", at=NOW, printer={"status": "ok"}))
    assert ("printer:kiosk-1", "critical") not in device_keys(model, NOW)
    model.apply(T.health("kiosk-1"), health("kiosk-1", at=NOW + 30_000,
                                            printer={"status": "no_paper"}))
    model.apply(T.health("kiosk-1"), health("kiosk-1", at=NOW + 60_000,
                                            printer={"status": "no_paper"}))
    found = [a for a in alerts.current(model, NOW + 61_000) if a.key == "printer:kiosk-1"]
    assert found and found[0].since == NOW + 30_000 and found[0].level == "critical"
    model.apply(T.health("kiosk-1"), health("kiosk-1", at=NOW + 90_000,
                                            printer={"status": "ok"}))
    assert "printer:kiosk-1" not in {a.key for a in alerts.current(model, NOW + 91_000)}


def test_paper_low_is_no_alert_but_a_printer_offline_is():
    model = model_at()
    model.apply(T.presence("kiosk-2"), presence("kiosk-2"))
    model.apply(T.health("kiosk-2"), health("kiosk-2", printer={"status": "paper_low"}))
    assert not any(k.startswith("printer") for k, _ in device_keys(model, NOW))
    model.apply(T.health("kiosk-2"), health("kiosk-2", at=NOW + 1,
                                            printer={"status": "offline"}))
    assert ("printer:kiosk-2", "critical") in device_keys(model, NOW + 2)


def test_a_device_offline_for_more_than_a_minute_alerts_since_it_was_last_seen():
    model = model_at()
    model.apply(T.presence("kiosk-1"), presence("kiosk-1", "lost", at=NOW))
    assert "offline:kiosk-1" not in {k for k, _ in device_keys(model, NOW + 59_000)}
    found = [a for a in alerts.device_alerts(model, NOW + 61_000, alerts.AlertRules())
             if a.key == "offline:kiosk-1"]
    assert found and found[0].since == NOW
    model.apply(T.presence("kiosk-1"), presence("kiosk-1", bdseq=2, at=NOW + 70_000))
    assert "offline:kiosk-1" not in {k for k, _ in device_keys(model, NOW + 71_000)}


def test_a_device_never_seen_alerts_a_minute_after_the_page_started():
    model = model_at()
    assert "offline:display-3" not in {k for k, _ in device_keys(model, NOW + 30_000)}
    assert ("offline:display-3", "critical") in device_keys(model, NOW + 61_000)


def test_a_display_whose_voice_fails_alerts_and_clears():
    model = model_at()
    model.apply(T.presence("display-hall"), presence("display-hall"))
    model.apply(T.health("display-hall"), health("display-hall",
                                                 errors=["voice failing: no sink"]))
    assert ("audio:display-hall", "warning") in device_keys(model, NOW)
    model.apply(T.health("display-hall"), health("display-hall", at=NOW + 5, errors=[]))
    assert "audio:display-hall" not in {k for k, _ in device_keys(model, NOW + 6)}


def test_a_wait_past_75_percent_of_the_standard_warns_and_past_it_is_critical():
    model = model_at()     # KTP's standard time is 10 minutes in the small site
    model.apply(T.service("KTP"), service(waiting=2, oldest_at=NOW))
    rules = alerts.AlertRules()
    assert alerts.wait_alerts(model, NOW + 7 * MIN, rules) == []
    warn = alerts.wait_alerts(model, NOW + 8 * MIN, rules)
    assert [(a.level, a.since) for a in warn] == [("warning", NOW + int(7.5 * MIN))]
    late = alerts.wait_alerts(model, NOW + 11 * MIN, rules)
    assert [(a.level, a.since) for a in late] == [("critical", NOW + 10 * MIN)]
    assert late[0].detail == {"minutes": 11, "standard": 10}
    model.apply(T.service("KTP"), service(rev=2, waiting=1, oldest_at=NOW + 9 * MIN))
    assert alerts.wait_alerts(model, NOW + 11 * MIN, rules) == []     # the old one was called


def test_too_many_waiting_per_open_counter_warns_and_no_open_counter_is_critical():
    model = model_at()     # counters 1 and 2 serve KTP
    model.apply(T.counter(1), counter(1))
    model.apply(T.counter(2), counter(2, paused=True))
    model.apply(T.service("KTP"), service(waiting=10))
    rules = alerts.AlertRules(per_counter=10)
    assert alerts.crowd_alerts(model, rules) == []
    model.apply(T.service("KTP"), service(rev=2, waiting=11))
    assert keys(alerts.crowd_alerts(model, rules)) == {("crowd:KTP", "warning")}
    model.apply(T.counter(2), counter(2, rev=2))                        # the second one opens
    assert alerts.crowd_alerts(model, rules) == []
    model.apply(T.counter(1), counter(1, rev=2, paused=True))
    model.apply(T.counter(2), counter(2, rev=3, paused=True))
    assert keys(alerts.crowd_alerts(model, rules)) == {("crowd:KTP", "critical")}


def test_the_book_keeps_since_while_an_alert_holds_and_forgets_it_when_it_clears():
    model = model_at()
    model.apply(T.service("PAM-BAYAR"), service("PAM-BAYAR", waiting=3))   # counter 3 unknown
    book = alerts.AlertBook()
    first = book.update(alerts.current(model, NOW), NOW)
    crowd = [a for a in first if a.key == "crowd:PAM-BAYAR"]
    assert crowd and crowd[0].since == NOW
    again = book.update(alerts.current(model, NOW + 5_000), NOW + 5_000)
    assert [a.since for a in again if a.key == "crowd:PAM-BAYAR"] == [NOW]
    model.apply(T.service("PAM-BAYAR"), service("PAM-BAYAR", rev=2, waiting=0))
    assert not [a for a in book.update(alerts.current(model, NOW + 6_000), NOW + 6_000)
                if a.key == "crowd:PAM-BAYAR"]
    model.apply(T.service("PAM-BAYAR"), service("PAM-BAYAR", rev=3, waiting=1))
    back = book.update(alerts.current(model, NOW + 9_000), NOW + 9_000)
    assert [a.since for a in back if a.key == "crowd:PAM-BAYAR"] == [NOW + 9_000]


def test_critical_alerts_come_first():
    model = model_at()
    model.apply(T.presence("display-hall"), presence("display-hall"))
    model.apply(T.health("display-hall"), health("display-hall", errors=["voice failing"]))
    found = alerts.current(model, NOW + 2 * MIN)     # the never-seen devices are critical
    levels = [a.level for a in found]
    assert levels == sorted(levels, key=lambda level: level != "critical")
    assert "warning" in levels and "critical" in levels
