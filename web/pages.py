"""What each page shows, as plain data for the templates: the public queue view and the staff
view, in one language, with times in the hall's time zone. No web framework here."""
from __future__ import annotations

import datetime as dt
import zoneinfo

from . import alerts, core
from .strings import alert_words, duration, text


def clock(ms: int | None, tz: str, now_ms: int) -> str:
    """``12:03`` today, ``27-11 12:03`` on another day, in the hall's time zone."""
    if ms is None:
        return ""
    zone = zoneinfo.ZoneInfo(tz)
    when = dt.datetime.fromtimestamp(ms / 1000, zone)
    today = dt.datetime.fromtimestamp(now_ms / 1000, zone).date()
    return when.strftime("%H:%M" if when.date() == today else "%d-%m %H:%M")


def service_name(svc: dict, lang: str) -> str:
    return svc["name_en"] if lang == "en" else svc["name"]


def public(model: core.HallModel, lang: str, now_ms: int) -> dict:
    """Every service grouped by agency: waiting, last called, estimated wait."""
    t = text(lang)
    groups: dict[str, dict] = {}
    for svc in model.read(core.services):
        agency = groups.setdefault(svc["agency"], {
            "name": svc["agency_name_en"] if lang == "en" else svc["agency_name"],
            "services": []})
        if not svc["known"]:
            note = t["not_known"]
        elif not svc["open"]:
            note = t["quota_gone"] if svc["reason"] == "quota_exhausted" else t["closed"]
            if svc["opens_at"]:
                note += ", " + t["opens_at"].format(time=svc["opens_at"])
        else:
            note = ""
        agency["services"].append({
            "id": svc["id"], "prefix": svc["prefix"], "name": service_name(svc, lang),
            "waiting": t["none"] if svc["waiting"] is None else svc["waiting"],
            "last_called": svc["last_called"] or t["none"],
            "estimate": t["minutes"].format(n=svc["wait_min"]) if svc["wait_min"] is not None
            and svc["open"] else t["none"],
            "note": note, "open": bool(svc["open"])})
    return {"agencies": list(groups.values()),
            "updated": t["updated"].format(time=clock(now_ms, model.site.timezone, now_ms))}


def subject_name(model: core.HallModel, subject: str, lang: str) -> str:
    svc = model.site.services.get(subject)
    if svc is None:
        return subject
    return f"{svc.prefix} {svc.name_en if lang == 'en' else svc.name}"


def alert_rows(model: core.HallModel, found: list[alerts.Alert], lang: str,
               now_ms: int) -> list[dict]:
    t = text(lang)
    tz = model.site.timezone
    return [{"key": a.key, "level": a.level, "level_word": t[f"level_{a.level}"],
             "text": alert_words(a.kind, a.level, subject_name(model, a.subject, lang),
                                 a.detail, lang),
             "since": t["since"].format(time=clock(a.since, tz, now_ms)),
             "for": duration(now_ms - a.since, lang) if a.since else ""}
            for a in found]


def device_rows(model: core.HallModel, lang: str, now_ms: int) -> list[dict]:
    t = text(lang)
    rows = []
    for d in model.read(core.devices):
        seen = d["last_seen"]
        rows.append({
            "id": d["id"], "role": d["role"], "state": d["state"],
            "state_word": t[f"state_{d['state']}"],
            "last_seen": t["ago"].format(d=duration(now_ms - seen, lang)) if seen else
            t["none"],
            "version": d["version"] or t["none"],
            "uptime": duration(d["uptime_s"] * 1000, lang) if d["uptime_s"] else t["none"],
            "printer": t[f"printer_{d['printer']}"] if d["printer"] else t["none"],
            "printer_bad": d["printer"] in ("no_paper", "offline", "cover_open"),
            "audio": t[f"audio_{d['audio']}"] if d["audio"] else t["none"],
            "audio_bad": d["audio"] == "failing",
            "outbox": t["none"] if d["outbox"] is None else d["outbox"]})
    return rows


def counter_rows(model: core.HallModel, lang: str) -> list[dict]:
    t = text(lang)
    return [{"id": c["id"], "name": c["name"], "agency": c["agency_name"],
             "state": c["state"],
             "state_word": t[f"counter_{c['state']}"].format(number=c["number"])}
            for c in model.read(core.counters)]


def staff(model: core.HallModel, found: list[alerts.Alert], lang: str, now_ms: int) -> dict:
    return {"alerts": alert_rows(model, found, lang, now_ms),
            "devices": device_rows(model, lang, now_ms),
            "counters": counter_rows(model, lang),
            "updated": text(lang)["updated"].format(
                time=clock(now_ms, model.site.timezone, now_ms))}
