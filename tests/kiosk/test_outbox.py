"""The kiosk outbox: leased numbers are taken once, recorded before printing, and survive
a kill -9."""
import os
import signal
import subprocess
import sys
import textwrap

from kiosk.outbox import Outbox


def test_numbers_come_from_the_lease_once_each_and_run_out(tmp_path):
    box = Outbox(tmp_path / "outbox.sqlite")
    box.add_lease("KTP", "2026-11-23", 11, 13)
    box.add_lease("KTP", "2026-11-23", 11, 13)          # the same lease twice changes nothing
    taken = [box.take("KTP", "2026-11-23", 1000 + i, None) for i in range(4)]
    assert [t.number for t in taken[:3]] == [11, 12, 13]
    assert taken[3] is None
    assert box.take("KTP", "2026-11-24", 2000, None) is None   # leases are per day
    assert [t.id for t in box.pending()] == ["2026-11-23.KTP.11", "2026-11-23.KTP.12",
                                             "2026-11-23.KTP.13"]
    box.close()


def test_handed_and_void_tickets_are_not_pending(tmp_path):
    box = Outbox(tmp_path / "outbox.sqlite")
    box.add_lease("KK", "2026-11-23", 1, 10)
    a = box.take("KK", "2026-11-23", 1, "elderly")
    b = box.take("KK", "2026-11-23", 2, None)
    c = box.take("KK", "2026-11-23", 3, None)
    box.mark(a.id, "handed")
    box.mark(b.id, "void")
    assert [t.id for t in box.pending()] == [c.id]
    assert box.numbers_left("KK", "2026-11-23") == 7
    box.close()


def test_confirmations_wait_until_the_hub_answers(tmp_path):
    box = Outbox(tmp_path / "outbox.sqlite")
    box.add_confirm("2026-11-23.KK.4")
    box.add_confirm("2026-11-23.KK.4")
    assert box.pending_confirms() == ["2026-11-23.KK.4"]
    box.confirmed("2026-11-23.KK.4")
    assert box.pending_confirms() == []
    box.close()


def test_a_kill_9_loses_no_taken_number_and_repeats_none(tmp_path):
    db = tmp_path / "outbox.sqlite"
    box = Outbox(db)
    box.add_lease("KTP", "2026-11-23", 1, 100000)
    box.close()
    script = textwrap.dedent(f"""
        import sys
        from kiosk.outbox import Outbox
        box = Outbox({str(db)!r})
        i = 0
        while True:
            t = box.take("KTP", "2026-11-23", i, None)
            print(t.number, flush=True)    # "printed" only after the commit
            i += 1
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=os.getcwd())
    printed = [int(proc.stdout.readline()) for _ in range(200)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    printed += [int(line) for line in proc.stdout.read().split()]
    proc.stdout.close()

    box = Outbox(db)
    recorded = [t.number for t in box.pending()]
    assert len(recorded) == len(set(recorded))
    assert set(printed) <= set(recorded)              # every printed number was recorded
    after = box.take("KTP", "2026-11-23", 10**9, None)
    assert after.number not in recorded               # and none is handed out again
    box.close()
