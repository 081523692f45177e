"""The kiosk's screen flow: one ticket per visit, closed services refused before printing,
late results ignored, timeouts back home."""
from __future__ import annotations

from kiosk.catalog import ServiceEntry
from kiosk.ui_flow import DONE_S, IDLE_S, Flow, Outcome


def entry(sid="KTP", agency="dukcapil", open=True, reason=None, priority=True):
    return ServiceEntry(sid, agency, sid, "A", priority, True, open, reason)


def test_a_regular_ticket_is_one_tap_on_the_service_screen_and_no_priority_question():
    flow = Flow()
    assert flow.choose_agency("dukcapil") and flow.screen == "services"
    assert flow.choose_service(entry()) and flow.screen == "service"
    assert flow.take_ticket() and flow.screen == "printing"
    visit, service, priority = flow.ticket()
    assert (service, priority) == ("KTP", None)
    assert flow.finished(visit, Outcome(True, "A-001", "KTP", 0, 0))
    assert flow.screen == "done" and flow.timeout() == DONE_S
    flow.expire()
    assert flow.screen == "home" and flow.agency is None


def test_priority_is_asked_only_behind_its_own_button():
    flow = Flow()
    flow.choose_agency("dukcapil")
    flow.choose_service(entry())
    assert not flow.choose_priority("elderly")      # no kind without the priority button
    assert flow.ask_priority() and flow.screen == "priority"
    assert not flow.choose_priority("vip") and flow.screen == "priority"
    flow.back()
    assert flow.screen == "service"                 # changed their mind: regular after all
    flow.ask_priority()
    assert flow.choose_priority("pregnant") and flow.screen == "printing"
    assert flow.ticket()[1:] == ("KTP", "pregnant")


def test_a_service_without_priority_offers_no_priority():
    flow = Flow()
    flow.choose_agency("dukcapil")
    flow.choose_service(entry("AKTA", priority=False))
    assert not flow.ask_priority() and flow.screen == "service"
    assert flow.take_ticket() and flow.ticket()[1:] == ("AKTA", None)


def test_a_second_tap_while_printing_issues_nothing():
    flow = Flow()
    flow.choose_agency("dukcapil")
    flow.choose_service(entry(priority=False))
    assert flow.take_ticket()
    assert not flow.take_ticket()
    assert not flow.choose_service(entry(priority=False))
    assert not flow.choose_priority("elderly")
    flow.back()
    assert flow.screen == "printing" and flow.visit == 1


def test_a_closed_service_is_explained_and_nothing_prints():
    flow = Flow()
    flow.choose_agency("dukcapil")
    assert not flow.choose_service(entry(open=False, reason="quota_exhausted"))
    assert flow.screen == "error" and flow.outcome.closed
    assert flow.outcome.error == "quota_exhausted" and flow.visit == 0


def test_offline_without_numbers_is_an_error_not_a_closed_service():
    flow = Flow()
    flow.choose_agency("dukcapil")
    flow.choose_service(entry(open=False, reason="no_numbers"))
    assert flow.screen == "error" and not flow.outcome.closed


def test_a_result_for_an_ended_visit_is_ignored():
    flow = Flow()
    flow.choose_agency("dukcapil")
    flow.choose_service(entry(priority=False))
    flow.take_ticket()
    visit = flow.ticket()[0]
    flow.expire()                                  # the printing watchdog fired
    assert flow.screen == "error" and flow.outcome.error == "internal"
    flow.home()
    assert not flow.finished(visit, Outcome(True, "A-001"))
    assert flow.screen == "home"


def test_idle_services_screen_goes_home_and_back_steps_once():
    flow = Flow()
    flow.choose_agency("dukcapil")
    flow.choose_service(entry())
    assert flow.timeout() == IDLE_S
    flow.back()
    assert flow.screen == "services" and flow.timeout() == IDLE_S
    flow.expire()
    assert flow.screen == "home"
    assert not flow.take_ticket()                  # no stray tap prints from home
    assert not flow.choose_priority("elderly")
    assert not flow.choose_service(entry())


def test_a_tile_of_another_agency_is_refused():
    flow = Flow()
    flow.choose_agency("pdam")
    assert not flow.choose_service(entry()) and flow.screen == "services"


def test_a_group_opens_its_services_and_back_steps_out_of_it_then_home():
    flow = Flow()
    flow.choose_agency("dpmptsp")
    assert flow.choose_group("Surat Izin Praktik") and flow.group == "Surat Izin Praktik"
    assert not flow.choose_group("Izin Operasional")      # one group at a time
    flow.choose_service(entry("SIP-01", "dpmptsp"))
    flow.back()
    assert (flow.screen, flow.group) == ("services", "Surat Izin Praktik")
    flow.back()
    assert (flow.screen, flow.group) == ("services", None)
    flow.back()
    assert flow.screen == "home"
    flow.choose_agency("dpmptsp")
    flow.choose_group("Surat Izin Praktik")
    flow.expire()
    assert flow.group is None and flow.screen == "home"
