"""The words of the clinic's case lifecycle, check-ins and incidents (zh-CN, English).

Kept apart from :mod:`services.web.i18n` only for size; that module merges them
into the one catalogue.
"""

from __future__ import annotations

from kernel.decision.reasons import INCIDENTS, SYMPTOMS

HEALTH_MESSAGES: dict[str, tuple[str, str]] = {
    "status.remeasured": ("已复测", "re-measured"),
    "status.observation": ("隔离观察中", "under observation"),
    "status.referred": ("已转诊", "referred to hospital"),
    "status.suspected": ("疑似", "suspected"),
    "status.confirmed": ("确诊", "confirmed"),
    "status.released": ("已解除隔离", "released"),
    "status.suspended": ("休学中，待复学", "suspended until return"),
    "event.observation": ("隔离观察", "observation"),
    "event.referred": ("转诊医院", "referred to hospital"),
    "event.suspected": ("列为疑似", "suspected"),
    "event.confirmed": ("确诊", "confirmed"),
    "event.released": ("解除隔离", "released"),
    "event.returned": ("复学", "returned"),
    "event.joined": ("再次发现，并入本病例", "joined this case"),
    "origin.fever": ("门岗发热", "fever at a gate"),
    "origin.symptoms": ("有症状", "with symptoms"),
    "origin.close_contact": ("密切接触者", "close contact"),
    "origin.authority": ("卫健部门名单", "health authority's list"),
    "origin.checkin": ("晨午检异常", "daily check-in"),
    "origin.manual": ("校医手动", "by hand"),
    "clinic.reading": ("记录体温", "Record reading"),
    "clinic.step": ("下一步", "Next step"),
    "clinic.apply": ("执行", "Apply"),
    "clinic.room": ("观察室", "Room"),
    "clinic.place_room": ("隔离观察室", "observation room"),
    "clinic.place_home": ("居家观察", "at home"),
    "clinic.until": ("计划结束", "Planned end"),
    "clinic.hospital": ("医院", "Hospital"),
    "clinic.transfer_at": ("转运时间", "Transfer time"),
    "clinic.release_reason": ("解除原因", "Reason for release"),
    "clinic.return": ("登记复学", "Record return"),
    "clinic.return_date": ("复学日期", "Return date"),
    "clinic.certificate": ("证明编号", "Certificate reference"),
    "clinic.isolate": ("隔离此人", "Isolate this person"),
    "clinic.isolate_contacts": ("隔离这些密接人员", "Isolate these contacts"),
    "clinic.isolated": ("已隔离 {n} 人", "{n} isolated"),
    "clinic.upload": ("上传名单隔离", "Isolate a list"),
    "step.observe": ("隔离观察", "Observation"),
    "step.refer": ("转诊医院", "Refer to hospital"),
    "step.suspect": ("列为疑似", "Suspected"),
    "step.confirm": ("确诊", "Confirmed"),
    "step.release": ("解除隔离", "Release"),
    "error.not_clinician": ("只有校医可以处置病例", "Only a clinician may act on a case"),
    "error.case_released": ("病例已解除隔离", "The case is already released"),
    "error.already_acknowledged": ("病例已被确认", "The case is already acknowledged"),
    "error.implausible_reading": ("体温读数不合理", "Not a body temperature"),
    "error.observation_ends_before_start": (
        "观察结束时间早于开始时间",
        "The observation ends before it starts",
    ),
    "error.case_confirmed": ("病例已确诊", "The case is already confirmed"),
    "error.reason_required": ("请填写原因", "A reason is required"),
    "error.not_suspended": (
        "该病例未确诊，无需复学",
        "Not a confirmed case: nothing to return from",
    ),
    "error.case_not_released": ("请先解除隔离再登记复学", "Release the case before the return"),
    "error.already_returned": ("已登记复学", "The return is already recorded"),
    "error.case_changed": ("病例已被他人修改，请刷新", "Someone changed the case; reload"),
    "error.case_not_found": ("查无此病例", "No such case"),
    "error.case_refused": ("病例规则不允许此操作", "The rules of cases do not allow this"),
    "error.list_too_large": ("名单过大", "The list is too large"),
    "error.list_not_utf8": ("名单不是 UTF-8 文本", "The list is not UTF-8 text"),
    "error.list_has_problems": (
        "名单有误，未做任何隔离：请看逐行说明",
        "The list has problems; nobody was isolated: see each row",
    ),
}

HEALTH_MESSAGES.update(
    {f"symptom.{code.value}": words for code, words in SYMPTOMS.items()}
    | {f"incident.{code.value}": words for code, words in INCIDENTS.items()}
    | {
        "kiosk.symptoms": ("登记症状", "Record symptoms"),
        "kiosk.incident": ("登记事件", "Record an incident"),
        "kiosk.incident_note": ("事件说明", "What happened"),
        "kiosk.symptoms_recorded": ("已登记症状，病例 {case}", "Symptoms recorded, case {case}"),
        "dash.incidents": ("今日门岗事件", "Incidents today"),
        "event.symptoms": ("门岗登记症状", "symptoms recorded at the lane"),
    }
)

HEALTH_MESSAGES.update(
    {
        "nav.checkins": ("晨午检", "Check-ins"),
        "checkin.title": ("晨午检", "Daily check-in"),
        "checkin.unit": ("单位/班级", "Unit"),
        "checkin.slot": ("时段", "Slot"),
        "checkin.morning": ("晨检", "Morning"),
        "checkin.noon": ("午检", "Noon"),
        "checkin.enter": ("录入", "Enter"),
        "checkin.save": ("保存本班", "Save the class"),
        "checkin.saved": ("已保存 {n} 人，{cases} 人转病例", "{n} saved, {cases} opened a case"),
        "checkin.missing": ("未报名单", "Not reported"),
        "checkin.deadline": ("截止", "due"),
        "checkin.overdue": ("已逾期 {n} 人", "{n} overdue"),
        "checkin.pending": ("未报 {n} 人", "{n} not yet"),
        "checkin.remind": ("发送提醒", "Send reminder"),
        "checkin.reminded": ("已提醒（{n} 人）", "Reminded ({n})"),
        "checkin.temperature": ("体温", "Temperature"),
        "checkin.submit": ("提交", "Submit"),
        "checkin.done": ("已提交", "Submitted"),
        "report.checkins": ("晨午检完成情况", "Daily check-ins per unit"),
        "report.expected": ("应报", "Expected"),
        "report.complete": ("完成率", "Complete"),
        "report.clinic": ("校医院上报（疫情日报）", "Clinic report to send upward"),
        # The follow-up of cases under observation (services/cases/followup.py).
        "flag.missed_reading": ("漏测体温", "reading missed"),
        "flag.end_passed": ("观察期满未解除", "observation end passed"),
        "clinic.missed": ("缺测", "Missing"),
        "clinic.report": ("上报报告", "Clinic report"),
        "error.bad_flag": ("未知的跟进标记", "Unknown follow-up flag"),
        "report.followup": ("隔离观察跟进", "Observation follow-up"),
        "report.missed_cases": ("漏测体温病例", "Cases with a missed reading"),
        "report.overdue_cases": ("观察期满未解除病例", "Cases past their planned end"),
    }
)
