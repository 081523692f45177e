"""`antrean status`: what a technician reads about every device, from the real broker."""
from antrean.status import collect, describe, status_login


def test_status_names_offline_devices_and_a_printer_out_of_paper(broker, hall_site, client_for):
    # Given a kiosk whose printer ran out of paper, and a display that went away cleanly.
    kiosk = client_for("kiosk-1")
    kiosk.set_health({"printer": {"status": "no_paper", "detail": "paper end"}, "outbox": 3})
    display = client_for("display-hall")
    display.stop()
    assert kiosk.wait_connected(10)
    # When the technician asks (the retained presence and health).
    login = status_login(hall_site, None).id
    seen = collect(hall_site, broker.host, broker.port, wait_s=1.0,
                   password=broker.passwords[login])
    now = seen["kiosk-1"]["health"].at
    lines = {d: describe(d, seen.get(d, {}), now) for d in ("kiosk-1", "display-hall", "box-1")}
    # Then each device says what matters.
    assert "ONLINE" in lines["kiosk-1"] and "NO PAPER" in lines["kiosk-1"]
    assert "3 offline tickets not yet at the hub" in lines["kiosk-1"]
    assert "OFFLINE" in lines["display-hall"]
    assert "NEVER SEEN" in lines["box-1"]
    assert "hub-status" not in seen          # the tool itself leaves no trace
