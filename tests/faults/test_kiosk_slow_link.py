"""A kiosk behind a slow link (a real veth into a network namespace, 600 ms each way): the
hub's lease replies come later than a visitor's ticket may wait, and are still kept, so no
block of numbers is granted by the hub and lost by the kiosk (a gap in the day's numbers)."""
import json
import queue
import sqlite3
import subprocess
import threading

import pytest

from tests.faults.conftest import SITE_FILE

pytestmark = pytest.mark.root


def test_a_lease_granted_over_a_slow_link_is_kept_and_granted_once(netns, open_hall, tmp_path):
    hall = open_hall
    netns.impair(delay_ms=600)                 # a reply takes > 1.2 s; tickets wait 0.5 s
    events: queue.Queue = queue.Queue()
    with (tmp_path / "kiosk.log").open("wb") as log:
        kiosk = netns.python(["-m", "tests.kiosk.issuer_driver", str(SITE_FILE),
                              netns.root_addr, str(hall.broker.port), "9",
                              str(tmp_path / "kiosk-state"), str(hall.hub_clock.now_ms()),
                              str(hall.broker.password_file("kiosk-1"))],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)

        def read():
            with kiosk.stdout:
                for line in kiosk.stdout:
                    events.put(json.loads(line)["event"])
        reader = threading.Thread(target=read, daemon=True)
        reader.start()

        def expect(event: str, timeout: float) -> None:
            while (got := events.get(timeout=timeout)) != event:
                pass
        try:
            expect("up", 60)
            kiosk.stdin.write("lease KTP 5\n")
            kiosk.stdin.flush()
            expect("leased", 60)
        finally:
            kiosk.stdin.close()
            kiosk.wait(30)
            reader.join(10)
    with sqlite3.connect(f"file:{hall.db}?mode=ro", uri=True) as db:
        granted = db.execute("SELECT COUNT(*) FROM leases WHERE device = 'kiosk-1' "
                             "AND service = 'KTP'").fetchone()[0]
    assert granted == 1
