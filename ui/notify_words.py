"""The words of the chat and SMS alerts (WeCom, DingTalk, Feishu, SMS; zh-CN, English);
merged into the one catalogue by ``ui.i18n``.

Titles are ``notify.<kind>``, field labels ``notify.field.<name>``, the closing line
that says what to do ``notify.do.<kind>``.  Values (names, notes) are filled in by
``services.web.notify.cards`` after making them inert.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "notify.brand": ("校园门禁", "campusgate"),
    # -- titles, one per kind of notice
    "notify.fever_alert": ("发热告警", "Fever alert"),
    "notify.escalation": ("发热告警升级", "Fever alert escalated"),
    "notify.symptoms": ("门岗登记症状", "Symptoms recorded at a gate"),
    "notify.checkin_reminder": ("晨午检未报提醒", "Daily check-ins missing"),
    "notify.walkin": ("临时来访待审批", "Walk-in visitor waiting"),
    "notify.incident": ("门岗事件", "Incident at a gate"),
    "notify.lockdown": ("门岗封闭", "Gate locked down"),
    "notify.release": ("门岗解除封闭", "Gate released"),
    "notify.other": ("系统通知", "Notice"),
    "notify.test": ("测试消息", "Test message"),
    # -- field labels
    "notify.field.gate": ("门岗", "Gate"),
    "notify.field.person": ("人员", "Person"),
    "notify.field.temperature": ("体温", "Temperature"),
    "notify.field.reasons": ("原因", "Reasons"),
    "notify.field.time": ("时间", "Time"),
    "notify.field.case": ("病例", "Case"),
    "notify.field.opened": ("告警时间", "Alerted"),
    "notify.field.symptoms": ("症状", "Symptoms"),
    "notify.field.by": ("登记人", "Recorded by"),
    "notify.field.day": ("日期", "Day"),
    "notify.field.slot": ("时段", "Slot"),
    "notify.field.deadline": ("截止", "Due"),
    "notify.field.missing": ("未报人数", "Not reported"),
    "notify.field.visitor": ("访客", "Visitor"),
    "notify.field.unit": ("被访单位", "Host unit"),
    "notify.field.class": ("单位/班级", "Unit"),
    "notify.field.host": ("被访人", "Person visited"),
    "notify.field.answer_by": ("审批截止", "Answer by"),
    "notify.field.incident": ("事件", "Incident"),
    "notify.field.note": ("说明", "Note"),
    "notify.field.operator": ("操作人", "By"),
    "notify.field.reason": ("原因", "Reason"),
    "notify.field.text": ("内容", "Text"),
    "notify.field.channel": ("渠道", "Channel"),
    # -- values
    "notify.unknown_person": ("未识别人员", "unknown person"),
    "notify.celsius": (
        "{celsius} °C（阈值 {threshold} °C）",
        "{celsius} °C (threshold {threshold} °C)",
    ),
    "notify.people": ("{n} 人", "{n}"),
    "notify.unit_missing": ("{unit}：{n} 人", "{unit}: {n}"),
    "notify.more_units": ("另有 {n} 个单位", "{n} more units"),
    "notify.cut": ("（内容过长，已截断）", "(too long, cut)"),
    # -- what to do
    "notify.do.fever_alert": ("请校医尽快确认处置。", "Clinic: please acknowledge at once."),
    "notify.do.escalation": (
        "{minutes} 分钟内无人确认，已升级至保卫处，请跟进。",
        "Nobody acknowledged within {minutes} min; security office, please follow up.",
    ),
    "notify.do.symptoms": ("请校医跟进该病例。", "Clinic: please follow the case up."),
    "notify.do.checkin_reminder": (
        "请各单位信息员督促未报人员尽快上报。",
        "Unit officers: please remind those who have not reported.",
    ),
    "notify.do.walkin": (
        "请被访单位审核人在「本单位」页面审批。",
        "Approvers of the host unit: please answer on the My unit page.",
    ),
    "notify.do.incident": ("请保卫处跟进。", "Security office: please follow up."),
    "notify.do.lockdown": ("该门岗已拒绝所有通行。", "The gate now denies every passage."),
    "notify.do.release": ("该门岗已恢复正常通行。", "The gate admits again as usual."),
    "notify.do.test": (
        "收到这条消息，说明该渠道配置正确，无需处理。",
        "This channel is set up right; nothing to do.",
    ),
}
