"""The health census as rows for the report files, and the clinic report sent upward (上报).

Figures are named by ``rpt.fig.*`` keys of the one catalogue (``render.key_figures``
words them); origins and incidents are words, never codes.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from services.reports.census import Census
from services.reports.daily import DailyReport
from ui.i18n import Lang, t, word


def census_figures(census: Census) -> list[tuple[str, object]]:
    """(figure name, value): the name is ``rpt.fig.<name>`` in the catalogue."""
    expected, morning, noon = census.checkin_totals()
    return [
        ("on_campus", census.on_campus),
        ("net_flow", census.net_flow),
        ("checkins", f"{morning} / {noon} / {expected}"),
        ("fever_sources", f"{census.gate_fevers} / {census.checkin_fevers}"),
        ("new_cases", census.new_cases),
        ("symptom_cases", census.symptom_cases),
        ("pending", census.pending),
        ("observation", census.observation),
        ("referred", census.referred),
        ("suspected", census.suspected),
        ("confirmed", census.confirmed),
        ("released", census.released),
        ("suspended_cases", census.suspended),
        ("returned", census.returned),
        ("incidents", sum(census.incidents.values())),
        ("followup", f"{census.missed_reading_cases} / {census.end_passed_cases}"),
    ]


def checkin_rows(census: Census) -> list[list[object]]:
    rows: list[list[object]] = []
    for u in census.checkins:
        rate = f"{100 * min(u.morning, u.noon) / u.expected:.0f}%" if u.expected else "-"
        rows.append([u.unit, u.expected, u.morning, u.noon, rate])
    return rows


CHECKIN_HEADER = ("rpt.col.unit", "rpt.col.expected", "rpt.col.morning", "rpt.col.noon",
                  "rpt.col.complete")  # fmt: skip


FOLLOWUP_HEADER = ("rpt.col.case", "rpt.col.planned_end", "rpt.col.flags", "rpt.col.missed")


def followup_rows(census: Census, zone: ZoneInfo, lang: Lang) -> list[list[object]]:
    """The cases under observation that need the clinic's eye (local times)."""
    return [
        [f.case_id, f.until.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
         "、".join(t(lang, f"flag.{flag}") for flag in f.flags), ", ".join(f.missed)]
        for f in census.followup
    ]  # fmt: skip


def origin_rows(census: Census, lang: Lang) -> list[list[object]]:
    return [[word(lang, "origin", o), n] for o, n in sorted(census.new_by_origin.items())] + [
        [t(lang, "rpt.incident", what=word(lang, "incident", kind)), n]
        for kind, n in sorted(census.incidents.items())
    ]


def clinic_report(report: DailyReport) -> str:
    """The clinic's daily report to the epidemic-control office: its form, in zh-CN always."""
    census = report.census
    assert census is not None
    expected, morning, noon = census.checkin_totals()
    kind = "零报告" if census.zero else "日报告"
    by_origin = sorted(census.new_by_origin.items())
    new = "，".join(f"{word('zh-CN', 'origin', o)} {n}" for o, n in by_origin) or "无新增，零报告"
    lines = [
        f"{report.site} 校园疫情防控{kind}（{report.day.isoformat()}，{report.timezone}）",
        f"在校人数：{census.on_campus}（当日进出净增 {census.net_flow}）",
        f"晨午检：晨检 {morning}/{expected}，午检 {noon}/{expected}",
        f"发热：门岗 {census.gate_fevers} 人次，晨午检 {census.checkin_fevers} 人次",
        f"新增病例：{census.new_cases}（{new}）",
        f"隔离观察 {census.observation}，转诊 {census.referred}，疑似 {census.suspected}，"
        f"确诊 {census.confirmed}，待处置 {census.pending}",
        f"当日解除隔离 {census.released}，休学 {census.suspended}，复学 {census.returned}",
        f"门岗事件 {sum(census.incidents.values())}",
        f"隔离观察跟进：漏测体温 {census.missed_reading_cases} 例，"
        f"观察期满未解除 {census.end_passed_cases} 例",
    ]
    zone = ZoneInfo(report.timezone)
    slots = {"morning": "晨检", "noon": "午检"}
    for f in census.followup:
        parts = []
        if f.missed:
            missed = "、".join(
                f"{d} {slots.get(s, s)}" for d, _sp, s in (m.partition(" ") for m in f.missed)
            )
            parts.append(f"漏测 {missed}")
        if "end_passed" in f.flags:
            parts.append(
                f"观察期满（计划 {f.until.astimezone(zone).strftime('%Y-%m-%d %H:%M')}）未解除"
            )
        lines.append(f"  病例 {f.case_id}：{'；'.join(parts)}")
    for unit in census.checkins:
        if unit.expected and min(unit.morning, unit.noon) < unit.expected:
            lines.append(f"  {unit.unit}：晨检 {unit.morning}/{unit.expected}，"
                         f"午检 {unit.noon}/{unit.expected}")  # fmt: skip
    return "\n".join(lines) + "\n"
