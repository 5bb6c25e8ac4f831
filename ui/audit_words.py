"""Why a reason fired (``audit explain``, the audit event page), in zh-CN and English.

Merged into the one catalogue by ``ui.i18n``; ``services/audit/why.py`` says each as a
``ui.i18n.Phrase`` (its English text, with its key and values for other languages).
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "why.admitted": ("没有规则触发：通行", "no rule fired: admitted"),
    "why.fever": (
        "{gate} 的 {sensor} 测得 {celsius} °C，达到阈值 {threshold} °C；该门岗测温方式为 {mode}",
        "{celsius} C measured by {sensor} is at or above the threshold {threshold} C; "
        "screening at {gate} is {mode}",
    ),
    "why.implausible": (
        "{celsius} °C 超出合理范围 {low}-{high} °C",
        "{celsius} C is outside the plausible range {low}-{high} C",
    ),
    "why.not_valid_then": (
        "{person} 在白名单中，但当时无效（当前在册：{active}，有效期 {start} 至 {end}）",
        "{person} is in the roster but was not valid then (active now: {active}, "
        "valid {start} .. {end})",
    ),
    "why.grant_not_then": (
        "{grant}（{type}）当时不可通行：状态 {status}，时间段 {start} 至 {end}",
        "{grant} ({type}) did not admit then: status {status}, window {start} .. {end}",
    ),
    "why.nobody": (
        "没有有效的码对应白名单人员、已批准的预约或通行证",
        "no valid code named anyone in the roster, an approved appointment or a pass",
    ),
    "why.not_allowed_here": (
        "{gate} 不在允许的校门（{gates}）或类别之内，或通行证次数已用完，或禁止访客",
        "{gate} is not among the allowed gates ({gates}) or kinds, or the pass's uses are "
        "spent, or visitors are banned",
    ),
    "why.return_not_approved": (
        "学生返校未获审批（当前：{approved}，审批人 {by}）",
        "student's return (返校) not approved (now: {approved}, by {by})",
    ),
    "why.code_used": ("一次性码被再次出示", "a one-time code was presented again"),
    "why.code_used_by": (
        "一次性码被再次出示；已由 {event} 于 {at} 使用",
        "a one-time code was presented again; it was spent by {event} at {at}",
    ),
    "why.quota": (
        "户 {household} 已用完出行限额：{exits}",
        "household {household} had already used its exit quota: {exits}",
    ),
    "why.quota_exit": ("{person} 于 {at}", "{person} at {at}"),
    "why.health_rule": (
        "健康码规则 {reason}（策略要求健康码：{required}）",
        "health code rule {reason} (the policy requires a health code: {required})",
    ),
    "why.gate_closed": (
        "校门 {gate} 已封闭（封闭指令，或响应级别关闭了此门）",
        "gate {gate} was closed (locked down, or closed by the policy's level)",
    ),
    "why.invalid_code": (
        "码被伪造、无法识别或由未知密钥签发，或出示了两个人的码",
        "a code was forged, unreadable or signed by an unknown key, or codes of two people "
        "were shown",
    ),
    "why.expired_code": (
        "判定时码的有效期已过",
        "a code's validity had ended when the passage was decided",
    ),
    "why.isolation_pending": (
        "此人有未结束的隔离病例 {case}",
        "the person has an open isolation case {case}",
    ),
    "why.suspended": (
        "此人的隔离病例已确诊，尚未登记复学",
        "the person's isolation case was confirmed and no return (复学) is recorded yet",
    ),
    "why.symptoms": ("门岗随通行记录登记了症状", "the guard recorded symptoms with the passage"),
    "why.no_mask": (
        "要求佩戴口罩时被标记为未戴口罩",
        "marked without a mask where masks are required",
    ),
    "why.no_temperature": ("门岗未发送体温读数", "the gate sent no temperature reading"),
    "why.plate": (
        "车辆 {plate} 当时不在任何有效的车牌白名单中，也不在任何时间段内已批准的访客预约中",
        "the vehicle {plate} was on no plate whitelist entry valid then and on no approved "
        "visitor appointment whose window was open",
    ),
    "why.snapshot_stale": (
        "门岗离线判定时所用的白名单快照超过了最长离线时限：不据此放行任何人",
        "the gate decided offline on a whitelist snapshot older than its maximum offline "
        "age: it admits nobody on it",
    ),
    "why.malformed": (
        "报文未通过校验；已保存在无效报文中",
        "the message failed validation; it is kept in the rejected messages",
    ),
    "why.gate_clock": (
        "门岗记录的通行时间为 {ts}，早于可转发的 30 天或超前 5 分钟以上：按接收时间判定",
        "the gate dated the passage {ts}, before the 30 days a forwarded passage may be or "
        "over 5 minutes ahead: judged at receipt, not at the gate's time",
    ),
}
