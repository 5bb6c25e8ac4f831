"""The words of the gate agent's console: what a guard reads at the lane (zh-CN, English).

Merged into the one catalogue by ``ui.i18n``; ``campusgate gate --lang zh|en`` picks
the language (default: the site's).  A decision's line, the answers to the guard's
commands, and a line whenever a device's state changes.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "con.help": (
        "命令：nomask（未戴口罩）| recheck 事件号 体温（复测）| temp 体温（手持测温）| "
        "handheld on|off|auto | vehicle 车牌 人数 | status（设备状态）",
        "commands: nomask | recheck EVENT_ID CELSIUS | temp CELSIUS (handheld mode) | "
        "handheld on|off|auto | vehicle PLATE OCCUPANTS | status",
    ),
    "con.decision": (
        "{at}  {decision}  {who}  {celsius}  [{reasons}]{case}  {event}",
        "{at}  {decision}  {who}  {celsius}  [{reasons}]{case}  {event}",
    ),
    "con.person": ("{name}（{kind}，{masked}）", "{name} ({kind}, {masked})"),
    "con.celsius": ("{celsius} °C", "{celsius} C"),
    "con.no_temperature": ("未测体温", "no temperature"),
    "con.ok": ("正常", "ok"),
    "con.case": ("  病例 {case}", "  case {case}"),
    "con.nomask": ("下一位：未戴口罩", "next passage: no mask"),
    "con.bad_recheck": (
        "无法识别 {event} {celsius}；{help}",
        "cannot read {event} {celsius}; {help}",
    ),
    "con.recheck_sent": ("{event} 的复测已提交", "re-measure of {event} sent"),
    "con.bad_temp": ("{error}；{help}", "{error}; {help}"),
    "con.temp": ("手持测温读数 {celsius} °C", "handheld reading {celsius} C"),
    "con.screening": ("测温方式：{mode}", "screening: {mode}"),
    "screening.handheld": ("手持测温", "handheld"),
    "screening.thermometer": ("自动测温", "thermometer"),
    "screening.auto": ("自动选择", "auto"),
    "con.vehicle": ("车辆 {plate}：待核验 {n} 人", "vehicle {plate}: {n} occupant(s) to screen"),
    "con.device": ("{device}：{state} {detail}", "{device}: {state} {detail}"),
    "con.device_changed": (
        "{at}  设备 {device}：{state} {detail}",
        "{at}  device {device}: {state} {detail}",
    ),
    "con.device.thermometer": ("测温仪", "thermometer"),
    "con.device.camera": ("摄像头", "camera"),
    "con.device.scanner": ("扫码器", "scanner"),
    "con.device.relay": ("闸机继电器", "relay"),
    "con.device.turnstile": ("闸机", "turnstile"),
    "con.device.outbox": ("待上传队列", "outbox"),
    "con.device.snapshot": ("白名单快照", "snapshot"),
    "con.device.plate_reader": ("车牌识别", "plate reader"),
    "con.mode": ("{at}  本门岗：{mode}", "{at}  this gate: {mode}"),
}
