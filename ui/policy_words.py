"""The words of the policy editor and the response levels' forms (zh-CN, English); merged
into the one catalogue by ``ui.i18n``.

``policy.field.<setting>`` names each setting as the page and its change list show it,
``policy.error.<code>`` each problem a field can have (``services.policy.editor``),
``policy.value.*`` the words a value is shown in ("严格", "不限", "全天").
"""

from __future__ import annotations

FIELDS: dict[str, tuple[str, str]] = {
    "policy.field.threshold": ("发热阈值", "Fever threshold"),
    "policy.field.plausible_min": ("合理体温下限", "Plausible reading, lowest"),
    "policy.field.plausible_max": ("合理体温上限", "Plausible reading, highest"),
    "policy.field.default_screening": ("默认筛查模式", "Default screening mode"),
    "policy.field.screening": ("{gate} 筛查模式", "Screening mode at {gate}"),
    "policy.field.health_code_required": ("查验健康码", "Health code required"),
    "policy.field.test_max_age_hours": ("核酸检测时限", "Negative test within"),
    "policy.field.travel_check": ("查验行程卡", "Travel check"),
    "policy.field.mask_required": ("必须佩戴口罩", "Mask required"),
    "policy.field.accept_plain_ids": ("接受手工证件号/卡号", "Accept typed IDs and card numbers"),
    "policy.field.gate_kinds": ("{gate} 允许的人员类别", "Kinds allowed at {gate}"),
    "policy.field.visitors_allowed": ("允许访客入校", "Visitors allowed"),
    "policy.field.exit_quota": ("家庭出门配额", "Household exit quota"),
    "policy.field.zones": ("区域", "Zones"),
    "policy.field.zone.gates": ("区域 {zone} 的门岗", "Gates of zone {zone}"),
    "policy.field.zone.kinds": ("区域 {zone} 允许的人员类别", "Kinds allowed in zone {zone}"),
    "policy.field.zone.open_from": ("区域 {zone} 开放时间", "Zone {zone} opens"),
    "policy.field.zone.open_until": ("区域 {zone} 关闭时间", "Zone {zone} closes"),
    "policy.field.zone.exit_quota": ("区域 {zone} 出门配额", "Exit quota of zone {zone}"),
    "policy.field.zone": ("区域 {zone}", "Zone {zone}"),
    "policy.field.closed_gates": ("封闭的门岗", "Closed gates"),
    "policy.field.timezone": ("时区", "Time zone"),
    "policy.field.level": ("响应级别", "Response level"),
    "policy.field.description": ("说明", "Description"),
    "policy.field.reason": ("修改原因", "Reason"),
    "policy.field.policy": ("策略", "Policy"),
    "policy.field.base_version": ("所编辑的版本", "Version edited"),
}

VALUES: dict[str, tuple[str, str]] = {
    "policy.value.none": ("无", "none"),
    "policy.value.yes": ("是", "yes"),
    "policy.value.no": ("否", "no"),
    "policy.value.hard": ("严格（发热禁止入校）", "hard (a fever denies entry)"),
    "policy.value.soft": ("宽松（放行但报警）", "soft (admit, but alert)"),
    "policy.value.default_mode": ("按默认", "as the default"),
    "policy.value.all_kinds": ("所有类别", "every kind"),
    "policy.value.always": ("全天", "all day"),
    "policy.value.no_quota": ("不限", "no quota"),
    "policy.value.quota": (
        "每户 {exits} 人次 / {hours} 小时",
        "{exits} per household per {hours} h",
    ),
    "policy.value.hours": ("{hours} 小时内", "within {hours} h"),
    "policy.value.not_required": ("不要求", "not required"),
    "policy.value.unchanged": ("不改变", "unchanged"),
    "policy.value.celsius": ("{value} °C", "{value} °C"),
    "policy.value.absent": ("（无）", "(none)"),
}

ERRORS: dict[str, tuple[str, str]] = {
    "policy.error.too_low": ("不得低于 {limit}", "must not be below {limit}"),
    "policy.error.too_high": ("不得高于 {limit}", "must not be above {limit}"),
    "policy.error.threshold_outside_range": (
        "发热阈值须在合理体温范围 {min}–{max} °C 之内",
        "the fever threshold must lie inside the plausible range {min}-{max} °C",
    ),
    "policy.error.range_order": (
        "合理体温下限 {min} 须低于上限 {max}",
        "the lowest plausible reading {min} must be below the highest {max}",
    ),
    "policy.error.unknown_gate": ("没有名为 {gate} 的门岗", "there is no gate {gate}"),
    "policy.error.unknown_kind": ("没有人员类别 {kind}", "there is no person kind {kind}"),
    "policy.error.gate_in_two_zones": (
        "门岗 {gate} 已属于区域 {zone}：一个门岗只能属于一个区域",
        "gate {gate} is already in zone {zone}: a gate belongs to one zone",
    ),
    "policy.error.zone_hours_overlap": (
        "门岗 {gate} 也在区域 {zone}，两个区域的开放时间重叠",
        "gate {gate} is also in zone {zone} and the two zones' hours overlap",
    ),
    "policy.error.hours_paired": (
        "开放和关闭时间须同时填写，或都不填",
        "give both the opening and the closing time, or neither",
    ),
    "policy.error.hours_empty": (
        "开放时间与关闭时间相同：区域永不开放",
        "opening and closing times are the same: the zone would never open",
    ),
    "policy.error.unknown_zone": ("未知时区 {zone}", "unknown time zone {zone}"),
    "policy.error.unknown_field": ("没有这一设置", "no such setting"),
    "policy.error.bad_name": (
        "只能使用字母、数字、点、下划线和连字符",
        "use letters, digits, dots, underscores and hyphens only",
    ),
    "policy.error.bad_choice": ("不是可选的值", "not one of the choices"),
    "policy.error.bad_time": ("时间格式应为 时:分", "give the time as HH:MM"),
    "policy.error.bad_number": ("请填写数字", "give a number"),
    "policy.error.too_long": ("太长", "too long"),
    "policy.error.too_many": ("太多（最多 {limit} 项）", "too many (at most {limit})"),
    "policy.error.required": ("必填", "required"),
    "policy.error.no_change": ("没有任何修改", "nothing was changed"),
    "policy.error.invalid": ("值无效", "invalid value"),
    "policy.error.reason": (
        "请填写修改原因（4–200 个字符，不含控制字符）",
        "say why (4-200 characters, no control characters)",
    ),
}

PAGE: dict[str, tuple[str, str]] = {
    "nav.policy_levels": ("响应级别设置", "Response levels"),
    "policy.edit": ("编辑策略", "Edit the policy"),
    "policy.section.temperature": ("体温", "Temperature"),
    "policy.section.entry": ("入校条件", "Entry rules"),
    "policy.section.gates": ("各门岗", "Gates"),
    "policy.section.zones": ("区域与开放时间", "Zones and hours"),
    "policy.gate": ("门岗", "Gate"),
    "policy.screening_mode": ("筛查模式", "Screening mode"),
    "policy.kinds_limited": ("限定类别", "Only these kinds"),
    "policy.closed": ("封闭", "Closed"),
    "policy.test_required": ("要求核酸阴性证明", "Require a negative test"),
    "policy.test_hours": ("时限（小时）", "Within (hours)"),
    "policy.quota_on": ("限制家庭出门", "Limit household exits"),
    "policy.quota_exits": ("人次", "Exits"),
    "policy.quota_hours": ("时间窗（小时）", "Window (hours)"),
    "policy.zone_name": ("区域名称", "Zone name"),
    "policy.zone_hours": ("开放时间（留空为全天）", "Hours (empty: all day)"),
    "policy.zone_quota": ("本区域单独的出门配额", "A quota of its own"),
    "policy.zone_add": ("添加区域", "Add a zone"),
    "policy.zone_remove": ("删除区域", "Remove the zone"),
    "policy.preview": ("预览修改", "Preview the changes"),
    "policy.save": ("保存为新版本", "Save as a new version"),
    "policy.diff_title": ("与当前版本相比的修改", "Changes against the version in force"),
    "policy.diff_none": ("没有任何修改", "Nothing changed"),
    "policy.errors_title": ("请修改以下各项", "Please correct"),
    "policy.saved": (
        "已保存为第 {version} 版，门岗将在几秒内采用",
        "Saved as version {version}; the gates adopt it within seconds",
    ),
    "policy.edited_version": ("正在编辑第 {version} 版", "Editing version {version}"),
    "policy.history": ("最近的版本", "Recent versions"),
    "policy.history_line": (
        "第 {version} 版 · {when} · {who}：{why}",
        "v{version} · {when} · {who}: {why}",
    ),
    "policy.level_preview": ("预览切换", "Preview the switch"),
    "policy.override_title": (
        "以下手动设置的值将被响应级别覆盖",
        "These hand-set values would be replaced by the level",
    ),
    "policy.override_line": (
        "{field}：手动设置为 {hand_set}，级别 {level} 将设为 {level_value}",
        "{field}: hand-set to {hand_set}, level {level} sets {level_value}",
    ),
    "policy.override_confirm": (
        "我确认用该级别的值覆盖上述手动设置",
        "I confirm: replace the hand-set values above with the level's",
    ),
    "policy.levels_title": ("响应级别设置", "Response levels"),
    "policy.level_new": ("新建级别", "A new level"),
    "policy.level_name": ("级别名称", "Level name"),
    "policy.level_saved": ("级别 {level} 已保存", "Level {level} saved"),
    "policy.level_unchanged": ("不改变", "Unchanged"),
    "policy.level_required": ("要求", "Required"),
    "policy.level_optional": ("不要求", "Not required"),
    "error.policy_invalid": ("策略有误，请修改标出的各项", "The policy has errors; see each field"),
    "error.policy_stale": (
        "策略已被他人修改，未保存：请重新载入页面查看最新版本后再修改",
        "Someone changed the policy meanwhile; nothing was saved: reload and edit again",
    ),
    "error.level_overrides": (
        "该级别将覆盖手动设置的值：请确认后再切换",
        "The level would replace hand-set values: confirm before switching",
    ),
    "error.payload_too_large": ("提交的内容过大", "The request is too large"),
}

MESSAGES: dict[str, tuple[str, str]] = {
    # the response levels the product ships (an administrator's own levels show their name)
    "level.normal": ("常态", "normal"),
    "level.elevated": ("加强", "elevated"),
    "level.lockdown": ("封控", "lockdown"),
    **FIELDS,
    **VALUES,
    **ERRORS,
    **PAGE,
}
