"""The health census as rows for the report files, and the clinic report sent upward (上报)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from kernel.decision.reasons import Reason
from services.reports.census import Census
from services.reports.daily import DailyReport

ORIGIN_WORDS = {
    Reason.FEVER.value: "门岗发热",
    Reason.SYMPTOMS.value: "症状",
    "close_contact": "密切接触者",
    "authority": "卫健部门名单",
    "checkin": "晨午检异常",
    "manual": "校医手动",
}


def census_figures(census: Census) -> list[tuple[str, object]]:
    expected, morning, noon = census.checkin_totals()
    return [
        ("on campus at end of day (admitted in - out)", census.on_campus),
        ("  net flow this day", census.net_flow),
        ("check-ins morning / noon / expected", f"{morning} / {noon} / {expected}"),
        ("fevers at the gates / in check-ins", f"{census.gate_fevers} / {census.checkin_fevers}"),
        ("new cases (zero report when 0)", census.new_cases),
        ("  of which with symptoms", census.symptom_cases),
        ("awaiting the clinic at end of day", census.pending),
        ("under observation", census.observation),
        ("referred to hospital", census.referred),
        ("suspected", census.suspected),
        ("confirmed", census.confirmed),
        ("released this day", census.released),
        ("suspended (confirmed, not returned)", census.suspended),
        ("returned (back to school) this day", census.returned),
        ("incidents at the lanes", sum(census.incidents.values())),
        ("under observation: a reading missed / end passed",
         f"{census.missed_reading_cases} / {census.end_passed_cases}"),
    ]  # fmt: skip


def checkin_rows(census: Census) -> list[list[object]]:
    rows: list[list[object]] = []
    for u in census.checkins:
        rate = f"{100 * min(u.morning, u.noon) / u.expected:.0f}%" if u.expected else "-"
        rows.append([u.unit, u.expected, u.morning, u.noon, rate])
    return rows


CHECKIN_HEADER = ["unit", "expected", "morning", "noon", "complete"]


FOLLOWUP_HEADER = ["case", "planned end", "flags", "missed readings"]


def followup_rows(census: Census, zone: ZoneInfo) -> list[list[object]]:
    """The cases under observation that need the clinic's eye (local times)."""
    return [
        [f.case_id, f.until.astimezone(zone).strftime("%Y-%m-%d %H:%M"), " ".join(f.flags),
         ", ".join(f.missed)]
        for f in census.followup
    ]  # fmt: skip


def origin_rows(census: Census) -> list[list[object]]:
    return [[origin, n] for origin, n in sorted(census.new_by_origin.items())] + [
        [f"incident: {kind}", n] for kind, n in sorted(census.incidents.items())
    ]


def clinic_report(report: DailyReport) -> str:
    """The clinic's daily report to the epidemic-control office, as plain text (zh-CN)."""
    census = report.census
    assert census is not None
    expected, morning, noon = census.checkin_totals()
    kind = "零报告" if census.zero else "日报告"
    by_origin = sorted(census.new_by_origin.items())
    new = "，".join(f"{ORIGIN_WORDS.get(o, o)} {n}" for o, n in by_origin) or "无新增，零报告"
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
