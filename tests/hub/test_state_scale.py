"""State that scales (docs/protocol.md, "Snapshots"): a hall of 1,000 services and 500
counters behind a real Mosquitto. Every retained payload stays far below the limit, a command
re-sends only the service or counter it changed, and 0.2's whole-hall topics are cleared.
Bytes are counted as a subscriber of everything receives them."""
from __future__ import annotations

import json
import threading
from collections import Counter

import pytest

from antrean import protocol
from antrean.deploy.broker import run_broker
from antrean.mqtt import HallClient
from hub.service import HubService
from tests.fixtures.hallclock import hall_clock
from tests.fixtures.sites import big_site

from .test_service import Device


class Tap:
    """``ops-tap``: every state and call (or what ``filters`` name), in arrival order."""

    def __init__(self, site, broker, filters: list[str] | None = None, name: str = "ops-tap"):
        self.got: list[tuple[str, bytes, bool]] = []
        self.cond = threading.Condition()
        self.client = HallClient(site=site.id, device=name, role="operator", announce=False,
                                 password=broker.passwords[name], host=broker.host,
                                 port=broker.port)
        self.topics = self.client.topics
        for topic in filters or (f"{self.topics.base}/state/#", self.topics.called):
            self.client.subscribe(topic, self._on)
        self.client.start()
        assert self.client.wait_connected(10)

    def _on(self, msg) -> None:
        if msg.topic == self.topics.clock:
            return                          # the heartbeat: not state
        with self.cond:
            self.got.append((msg.topic, msg.payload, msg.retain))
            self.cond.notify_all()

    def wait(self, predicate, timeout: float = 30) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: predicate(self.got), timeout), \
                f"{len(self.got)} messages, not what was awaited"

    def since(self, mark: int, upto: str, where=lambda body: True) -> list[tuple]:
        """What arrived after ``mark``, up to and including the first message on ``upto``
        whose body satisfies ``where``."""
        def end(got) -> int | None:
            return next((i for i, (t, p, _) in enumerate(got[mark:])
                         if t == upto and where(json.loads(p))), None)
        self.wait(lambda got: end(got) is not None)
        with self.cond:
            return self.got[mark:mark + end(self.got) + 1]


@pytest.fixture(scope="module")
def big_hall(tmp_path_factory):
    site = big_site(1000, 500)
    tmp = tmp_path_factory.mktemp("big")
    broker = run_broker(site, tmp / "broker")
    # The hub of an older Antrean, before ours starts: the hub's own login.
    hub_client = HallClient(site=site.id, device="hub", role="hub", announce=False,
                            password=broker.passwords["hub"], host=broker.host, port=broker.port)
    hub_client.start()
    assert hub_client.wait_connected(10)
    stale = b'{"v":1,"type":"state.hall","epoch":1,"rev":1,"at":1,"counters":{},"calls":[]}'
    for topic in hub_client.topics.retired:           # left behind by Antrean 0.2
        assert hub_client.publish(topic, stale, qos=1, retain=True).done.wait(5)
    hub_client.stop()
    tap = Tap(site, broker)
    hub = HubService(site, str(tmp / "hub.sqlite"), broker.host, broker.port,
                     password=broker.passwords["hub"],
                     now_ms=hall_clock())
    thread = threading.Thread(target=hub.run, daemon=True)
    thread.start()
    everything = len(site.services) + len(site.counters)
    tap.wait(lambda got: sum("/state/" in t and t.rsplit("/", 2)[-2] in ("service", "counter")
                             for t, _, _ in got) >= everything, timeout=60)
    yield site, broker, hub, tap
    hub.stop()
    thread.join(10)
    tap.client.stop()
    broker.stop()


def test_every_snapshot_of_a_big_hall_is_small(big_hall):
    site, _, _, tap = big_hall
    states = [(t, p) for t, p, _ in tap.got if t.rsplit("/", 2)[-2] in ("service", "counter")]
    assert {t for t, _ in states} == \
        {tap.topics.service(s) for s in site.services} | \
        {tap.topics.counter(c) for c in site.counters}
    largest = max(len(p) for _, p in states)
    assert largest < 1024 < protocol.MAX_PAYLOAD, f"largest snapshot {largest} bytes"
    for _, payload in states:
        protocol.decode(payload)            # what every receiver checks


def test_the_old_whole_hall_snapshots_are_cleared(big_hall):
    site, broker, _, tap = big_hall
    retired = set(tap.topics.retired)
    tap.wait(lambda got: {t for t, p, _ in got if t in retired and p == b""} == retired)
    # A device left on 0.2 that connects now finds nothing stale to show.
    late = Tap(site, broker, [*retired, tap.topics.service("LAYANAN-0000")], "ops-late")
    late.wait(lambda got: got)
    assert [t for t, _, _ in late.got] == [tap.topics.service("LAYANAN-0000")]
    late.client.stop()


def test_a_ticket_and_a_call_send_only_what_changed(big_hall):
    site, broker, _, tap = big_hall
    kiosk, box = Device(site, broker, "kiosk-1"), Device(site, broker, "box-26")
    try:
        counter = site.counters[251]
        service = counter.services[0]
        mark = len(tap.got)
        ticket = kiosk.ask("ticket.request", service=service)["result"]["ticket"]
        kiosk.ask("ticket.printed", ticket=ticket["id"])
        issued = tap.since(mark, tap.topics.service(service), lambda s: s["waiting"] == 1)
        assert {t for t, _, _ in issued} == {tap.topics.service(service)}

        mark = len(tap.got)
        call = box.ask("counter.next", counter=251)["result"]["call"]
        assert call["ticket"] == ticket["id"]
        # A later command's state marks the end: the hub handles commands one by one.
        marker = site.counters[1].services[0]
        kiosk.ask("ticket.request", service=marker)
        sent = tap.since(mark, tap.topics.service(marker))[:-1]
        # The call's event, its counter and its service (waiting: 0); nothing else, however
        # big the hall. The counter's other services did not change, so are not re-sent.
        assert sorted(t for t, _, _ in sent) == sorted(
            [tap.topics.called, tap.topics.counter(251), tap.topics.service(service)])
        per_call = sum(len(p) for _, p, _ in sent)
        assert per_call <= 2048, f"{per_call} bytes per call to a subscriber of everything"
        # The start-up burst went out once: each untouched state arrived exactly once.
        touched = {tap.topics.service(service), tap.topics.service(marker),
                   tap.topics.counter(251), tap.topics.called}
        with tap.cond:
            counts = Counter(t for t, _, _ in tap.got if t not in touched
                             and t.rsplit("/", 2)[-2] in ("service", "counter"))
        assert set(counts.values()) == {1}
    finally:
        kiosk.close()
        box.close()
