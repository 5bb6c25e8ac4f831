"""Every reason a decision can give, defined once: its code, its outcome, its words.

The decision core fires these members (never bare strings), the gate adds
``snapshot_stale`` when it decides on an old snapshot, the central worker answers
an unreadable message with ``malformed`` and flags a passage whose gate clock is
not believable with ``gate_clock``.  The pages, the explainer and the reports
read the outcomes from here, and the words through the one catalogue of words
(``ui.i18n``, which merges them as ``reason.<code>``; ``reason_words`` looks them
up), so a reason cannot exist in one place and be missing in another (a test
walks the sources to make sure).

A reason's ``outcome`` is the one its rule fires with.  ``fever`` is the one rule
whose outcome depends on the gate: ``isolate`` under hard screening (the default,
recorded here), ``admit`` under soft screening, where it still alerts and logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from schemas.messages import Outcome


class Reason(StrEnum):
    """The reason codes on the wire (``Decision.reasons``), in the order of DESIGN section 4."""

    GATE_CLOSED = "gate_closed"
    INVALID_CODE = "invalid_code"
    EXPIRED_CODE = "expired_code"
    CODE_USED = "code_used"
    NOT_WHITELISTED = "not_whitelisted"
    NOT_ALLOWED_HERE = "not_allowed_here"
    RETURN_NOT_APPROVED = "return_not_approved"
    ISOLATION_PENDING = "isolation_pending"
    SUSPENDED = "suspended"
    HEALTH_CODE_MISSING = "health_code_missing"
    HEALTH_CODE_YELLOW = "health_code_yellow"
    HEALTH_CODE_RED = "health_code_red"
    TEST_EXPIRED = "test_expired"
    TRAVEL_RISK = "travel_risk"
    NO_MASK = "no_mask"
    SYMPTOMS = "symptoms"
    NO_TEMPERATURE = "no_temperature"
    IMPLAUSIBLE_TEMPERATURE = "implausible_temperature"
    FEVER = "fever"
    QUOTA_EXCEEDED = "quota_exceeded"
    PLATE_NOT_ALLOWED = "plate_not_allowed"
    SNAPSHOT_STALE = "snapshot_stale"
    MALFORMED = "malformed"
    GATE_CLOCK = "gate_clock"


@dataclass(frozen=True, slots=True)
class ReasonInfo:
    outcome: Outcome
    zh: str
    en: str


REASONS: dict[Reason, ReasonInfo] = {
    Reason.GATE_CLOSED: ReasonInfo("deny", "校门已封闭", "gate closed"),
    Reason.INVALID_CODE: ReasonInfo("deny", "无效码", "invalid code"),
    Reason.EXPIRED_CODE: ReasonInfo("deny", "码已过期", "code expired"),
    Reason.CODE_USED: ReasonInfo("deny", "码已使用", "code already used"),
    Reason.NOT_WHITELISTED: ReasonInfo("deny", "不在白名单", "not on the whitelist"),
    Reason.NOT_ALLOWED_HERE: ReasonInfo("deny", "此门不允许通行", "not allowed at this gate"),
    Reason.RETURN_NOT_APPROVED: ReasonInfo("deny", "未获返校审批", "return not approved"),
    Reason.ISOLATION_PENDING: ReasonInfo("isolate", "隔离观察中", "under isolation observation"),
    # A confirmed case suspends its person (休学) until the return (复学) is recorded.
    Reason.SUSPENDED: ReasonInfo(
        "deny", "休学中（确诊），未办复学", "suspended (confirmed case), not returned"
    ),
    Reason.HEALTH_CODE_MISSING: ReasonInfo("deny", "缺少健康码", "health code missing"),
    Reason.HEALTH_CODE_YELLOW: ReasonInfo("deny", "健康码黄码", "health code yellow"),
    Reason.HEALTH_CODE_RED: ReasonInfo("isolate", "健康码红码", "health code red"),
    Reason.TEST_EXPIRED: ReasonInfo("deny", "核酸检测过期", "nucleic-acid test expired"),
    Reason.TRAVEL_RISK: ReasonInfo("deny", "途经风险地区", "travel through a risk area"),
    Reason.NO_MASK: ReasonInfo("deny", "未佩戴口罩", "no mask"),
    # Recorded by the guard with a passage (cough, sore throat, ...): opens or joins a case.
    Reason.SYMPTOMS: ReasonInfo(
        "isolate", "有发热咳嗽等症状", "symptoms (cough, sore throat, ...)"
    ),
    Reason.NO_TEMPERATURE: ReasonInfo("recheck", "未测体温", "no temperature"),
    Reason.IMPLAUSIBLE_TEMPERATURE: ReasonInfo(
        "recheck", "体温读数异常", "implausible temperature"
    ),
    Reason.FEVER: ReasonInfo("isolate", "发热", "fever"),
    Reason.QUOTA_EXCEEDED: ReasonInfo("deny", "超出出行限额", "exit quota exceeded"),
    Reason.PLATE_NOT_ALLOWED: ReasonInfo(
        "deny", "车辆未登记或未预约", "vehicle neither whitelisted nor booked"
    ),
    Reason.SNAPSHOT_STALE: ReasonInfo(
        "deny", "离线白名单已过期", "offline whitelist snapshot too old"
    ),
    Reason.MALFORMED: ReasonInfo("deny", "报文无效", "malformed message"),
    # A flag, not a rule: the outcome stands, judged at receipt instead of the gate's time.
    Reason.GATE_CLOCK: ReasonInfo(
        "admit", "闸机时钟异常，按接收时间判定", "gate clock off: judged at receipt time"
    ),
}


def reason_info(code: str) -> ReasonInfo | None:
    """The catalogue entry of a stored or received reason code (None if unknown)."""
    try:
        return REASONS[Reason(code)]
    except ValueError:
        return None


class Symptom(StrEnum):
    """What a guard (or a daily check-in) records besides the temperature (发热咳嗽等症状)."""

    COUGH = "cough"
    SORE_THROAT = "sore_throat"
    SHORT_BREATH = "short_breath"
    FATIGUE = "fatigue"
    DIARRHOEA = "diarrhoea"
    LOSS_OF_SMELL = "loss_of_smell"
    OTHER = "other_symptom"


SYMPTOMS: dict[Symptom, tuple[str, str]] = {
    Symptom.COUGH: ("咳嗽", "cough"),
    Symptom.SORE_THROAT: ("咽痛", "sore throat"),
    Symptom.SHORT_BREATH: ("气促", "shortness of breath"),
    Symptom.FATIGUE: ("乏力", "fatigue"),
    Symptom.DIARRHOEA: ("腹泻", "diarrhoea"),
    Symptom.LOSS_OF_SMELL: ("嗅觉味觉减退", "loss of smell or taste"),
    Symptom.OTHER: ("其他症状", "other symptom"),
}


class Incident(StrEnum):
    """What a guard records at the lane that is not a passage's decision (拒不配合, 强行闯入)."""

    REFUSED_INSTRUCTIONS = "refused_instructions"
    FORCED_ENTRY = "forced_entry"
    OTHER = "other_incident"


INCIDENTS: dict[Incident, tuple[str, str]] = {
    Incident.REFUSED_INSTRUCTIONS: ("拒不配合检查", "refused to follow instructions"),
    Incident.FORCED_ENTRY: ("强行闯入", "forced entry"),
    Incident.OTHER: ("其他事件", "other incident"),
}
