"""The one catalogue of words: zh-CN and English (room for more), one lookup for everything.

``t(lang, key, **values)`` looks a key up and formats it; a missing key shows
the key itself, so a gap is visible, never a crash (and the tests look for keys
in what the product writes).  Pages hand the whole catalogue of the user's
language to their scripts for live rows; the CLI, the report files, the exports
and the gate's console take their words from here too, in the language asked
(``--lang``) or the site's (``CAMPUSGATE_LANG``, zh-CN by default).

The words live in word modules merged here (``*_words.py``: visitors, health,
reports and exports, the CLI's listings, the gate's console); a new part of the
product adds its own module and one line below.  The words of decision reasons
are defined with the reasons (``kernel.decision.reasons``, which the gate runs
too) and merged as ``reason.<code>``; :func:`reason_words` reads them.

Each entry is a tuple with one text per language, in the order of ``LANGS``: a
third language is a third text in every tuple (the tests check each has all).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Literal, get_args

from kernel.decision.reasons import INCIDENTS, REASONS, SYMPTOMS
from kernel.errors import ConfigError
from ui.audit_words import MESSAGES as AUDIT_MESSAGES
from ui.cli_words import MESSAGES as CLI_MESSAGES
from ui.console_words import MESSAGES as CONSOLE_MESSAGES
from ui.health_words import HEALTH_MESSAGES
from ui.notify_words import MESSAGES as NOTIFY_MESSAGES
from ui.policy_words import MESSAGES as POLICY_MESSAGES
from ui.report_words import MESSAGES as REPORT_MESSAGES
from ui.visitor_words import MESSAGES as VISITOR_MESSAGES

Lang = Literal["zh-CN", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "zh-CN"
LANG_ENV = "CAMPUSGATE_LANG"
# What a person may type for a language (``--lang zh``, ``CAMPUSGATE_LANG=en``).
LANG_NAMES: dict[str, Lang] = {"zh": "zh-CN", "zh-cn": "zh-CN", "zh_cn": "zh-CN", "en": "en"}

# key -> (zh-CN, en)
MESSAGES: dict[str, tuple[str, str]] = {
    # -- frame
    "app.title": ("校园门禁", "campusgate"),
    "nav.kiosk": ("门岗", "Kiosk"),
    "nav.dashboard": ("校园110指挥中心", "Security office"),
    "nav.clinic": ("校医院", "Clinic"),
    "nav.users": ("用户", "Users"),
    "nav.audit": ("审计", "Audit"),
    "nav.appointments": ("访客预约", "Appointments"),
    "nav.policy": ("防控策略", "Policy"),
    "nav.reports": ("日报告", "Reports"),
    "nav.passes": ("临时通行证", "Passes"),
    "nav.roster": ("白名单", "Roster"),
    "nav.logout": ("退出", "Log out"),
    "nav.signed_in_as": ("当前用户 {user}（{role}）", "Signed in as {user} ({role})"),
    "live.lost": ("实时连接中断，正在重连…", "Live connection lost, reconnecting…"),
    "live.reload": ("页面数据已过期，正在刷新…", "Falling behind, reloading…"),
    "sound.enable": ("开启声音", "Enable sound"),
    "sound.on": ("声音已开启", "Sound on"),
    # -- login
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.failed": ("用户名或密码错误", "Wrong user name or password"),
    "login.rate_limited": (
        "登录失败次数过多，请 {minutes} 分钟后再试",
        "Too many failed sign-ins; try again in {minutes} min",
    ),
    "login.expired": ("表单已过期，请重试", "The form expired; please try again"),
    "login.busy": ("登录请求过多，请稍后再试", "Too many sign-ins at once; try again in a moment"),
    # -- roles
    "role.admin": ("管理员", "administrator"),
    "role.security": ("保卫处", "security office"),
    "role.guard": ("门岗", "guard"),
    "role.clinic": ("校医", "clinic"),
    "role.auditor": ("审计", "auditor"),
    # -- decisions and reasons
    "decision.admit": ("通行", "ADMIT"),
    "decision.recheck": ("复测", "RECHECK"),
    "decision.deny": ("禁止通行", "DENY"),
    "decision.isolate": ("隔离观察", "ISOLATE"),
    # Reason labels come from the one catalogue (kernel.decision.reasons).
    **{f"reason.{code.value}": (info.zh, info.en) for code, info in REASONS.items()},
    "kind.student": ("学生", "student"),
    "kind.staff": ("教职工", "staff"),
    "kind.family": ("家属", "family"),
    "kind.visitor": ("访客", "visitor"),
    "kind.contractor": ("外包人员", "contractor"),
    "person.unknown": ("未识别人员", "unknown person"),
    "direction.in": ("进", "in"),
    "direction.out": ("出", "out"),
    # -- gates
    "gate.online": ("在线", "online"),
    "gate.offline": ("离线", "offline"),
    "gate.unknown": ("未上报", "not reported"),
    "gate.locked": ("已封闭", "locked down"),
    "gate.handheld": ("手持测温", "handheld thermometer"),
    "gate.offline_banner": (
        "本门岗设备离线：按本地缓存判定，请人工核验",
        "This gate is OFFLINE: deciding on its local cache, check people by hand",
    ),
    "gate.locked_banner": ("本校门已封闭", "This gate is LOCKED DOWN"),
    "gate.devices": ("设备", "Devices"),
    "gate.snapshot": ("白名单快照", "Whitelist snapshot"),
    "gate.snapshot_none": ("无快照", "no snapshot"),
    "gate.outbox": ("待上传", "Outbox"),
    "device.ok": ("正常", "ok"),
    "device.degraded": ("降级", "degraded"),
    "device.fault": ("故障", "fault"),
    "device.unconfigured": ("未配置", "unconfigured"),
    "device.absent": ("未连接", "absent"),
    # -- kiosk
    "kiosk.title": ("门岗 {gate}", "Gate {gate}"),
    "kiosk.waiting": ("等待通行…", "Waiting for the next person…"),
    "kiosk.no_mask": ("未戴口罩", "No mask"),
    "kiosk.remeasure": ("人工复测", "Manual re-measure"),
    "kiosk.remeasure_submit": ("提交复测", "Submit reading"),
    "kiosk.celsius": ("体温 (°C)", "Temperature (°C)"),
    "kiosk.override": ("人工放行", "Manual override"),
    "kiosk.override_reason": ("放行理由（必填）", "Reason (required)"),
    "kiosk.override_submit": ("放行并记录", "Open and log"),
    "kiosk.override_needs_passage": (
        "请先选择要放行的通行记录",
        "Pick the passage to override first (it is on screen, or in the list)",
    ),
    "kiosk.recent": ("最近通行", "Recent passages"),
    "kiosk.vehicle": (
        "车辆 {plate}：{done}/{total} 人已核验",
        "Vehicle {plate}: {done}/{total} checked",
    ),
    "kiosk.vehicle_blocked": ("车辆不得放行", "vehicle must wait"),
    "kiosk.vehicle_clear": ("车辆可以放行", "vehicle may pass"),
    "kiosk.vehicle_announce": ("车辆登记", "Vehicle"),
    "kiosk.handheld": ("手持测温读数", "Handheld reading"),
    "kiosk.handheld_submit": ("提交并核验", "Submit and decide"),
    "kiosk.handheld_on": ("改用手持测温", "Switch to handheld"),
    "kiosk.handheld_auto": ("恢复自动测温", "Back to automatic"),
    "gate.offline_detail": (
        "· 待上传 {outbox} 条 · 白名单快照已有 {age}",
        "· {outbox} waiting to upload · whitelist snapshot {age} old",
    ),
    "gate.age_s": ("{n} 秒", "{n} s"),
    "gate.age_min": ("{n} 分钟", "{n} min"),
    "gate.age_h": ("{n} 小时", "{n} h"),
    "kiosk.vehicle_plate": ("车牌", "Plate"),
    "kiosk.vehicle_occupants": ("车内人数", "Occupants"),
    "kiosk.vehicle_submit": ("逐人核验", "Screen each occupant"),
    "kiosk.sent": ("已提交", "Sent"),
    # -- dashboard
    "dash.title": ("校园110指挥中心", "Security office"),
    "dash.gates": ("校门", "Gates"),
    "dash.gate": ("校门", "Gate"),
    "dash.state": ("状态", "State"),
    "dash.today": ("今日", "Today"),
    "dash.last_hour": ("近1小时", "Last hour"),
    "dash.actions": ("操作", "Actions"),
    "dash.live": ("实时通行", "Live passages"),
    "dash.denials": ("最近拒绝", "Recent denials"),
    "dash.cases": ("发热病例（未结案）", "Open fever cases"),
    "dash.escalations": ("超时未处理的发热告警", "Unacknowledged fever alerts (escalated)"),
    "dash.commands": ("最近指令", "Recent commands"),
    "dash.lockdown": ("封闭", "Lock down"),
    "dash.release": ("解除封闭", "Release"),
    "dash.open": ("远程开门", "Open"),
    "dash.sync": ("同步白名单", "Sync"),
    "dash.reason_prompt": ("请输入原因：", "Reason:"),
    "cmd.lockdown": ("封闭", "lockdown"),
    "cmd.release": ("解除封闭", "release"),
    "cmd.open": ("开门", "open"),
    "cmd.sync": ("同步", "sync"),
    "cmd.vehicle": ("车辆", "vehicle"),
    # -- clinic
    "clinic.title": ("校医院 发热处置", "Clinic: fever cases"),
    "clinic.case": ("病例", "Case"),
    "clinic.opened": ("发现时间", "Opened"),
    "clinic.person": ("人员", "Person"),
    "clinic.gate_temp": ("门岗体温", "Gate reading"),
    "clinic.status": ("状态", "Status"),
    "clinic.ack": ("确认接收", "Acknowledge"),
    "clinic.measure": ("记录复测", "Record re-measurement"),
    "clinic.close": ("结案", "Close case"),
    "clinic.outcome": ("处置结果", "Outcome"),
    "clinic.note": ("备注", "Note"),
    "clinic.timeline": ("处置时间线", "Timeline"),
    "clinic.none": ("暂无未结案病例", "No open cases"),
    "clinic.timeline_hint": ("点击病例查看时间线", "Click a case to see its timeline"),
    "clinic.show_closed": ("显示已结案", "Show closed"),
    "status.open": ("待确认", "open"),
    "status.acknowledged": ("已确认", "acknowledged"),
    "status.closed": ("已结案", "closed"),
    "status.escalated": ("已升级", "escalated"),
    "outcome.released": ("排除，放行", "released"),
    "outcome.isolation_room": ("转隔离观察室", "isolation room"),
    "outcome.referred_hospital": ("转诊医院", "referred to hospital"),
    "event.opened": ("门岗发现发热", "fever found at the gate"),
    "event.alerted": ("告警已送达", "alert delivered"),
    "event.acknowledged": ("校医确认", "acknowledged"),
    "event.remeasured": ("校医复测", "clinical re-measurement"),
    "event.escalated": ("超时升级至保卫处", "escalated to the security office"),
    "event.closed": ("结案", "closed"),
    "event.notify_failed": ("通知发送失败", "notification failed"),
    # -- users
    "users.title": ("用户与角色", "Users and roles"),
    "users.add": ("添加用户", "Add user"),
    "users.role": ("角色", "Role"),
    "users.gates": ("绑定校门", "Gates"),
    "users.lang": ("语言", "Language"),
    "users.active": ("启用", "Active"),
    "users.dead_letters": ("发送失败的通知", "Undelivered notifications"),
    "users.retry": ("重发", "Retry"),
    # -- audit
    "audit.title": ("通行审计", "Audit"),
    "audit.logged_note": (
        "每一次查询都会以您的用户名记入审计日志",
        "Every query is itself recorded in the audit log under your name",
    ),
    "audit.person_id": ("学号/工号/预约号/通行证号", "Person, appointment or pass id"),
    "audit.since": ("起始日期", "From"),
    "audit.until": ("截止日期（含）", "Until (inclusive)"),
    "audit.history": ("查询通行记录", "Person history"),
    "audit.gate_history": ("查询校门记录", "Gate history"),
    "audit.trace": ("密接追踪", "Contact trace"),
    "audit.window": ("前后时间窗（分钟）", "Window (minutes either side)"),
    "audit.days": ("回溯天数", "Days back"),
    "audit.history_of": ("{who}：{since} 至 {until}", "{who}: {since} to {until}"),
    "audit.trace_of": (
        "{who} 的密接追踪：前后 {window} 分钟，回溯 {days} 天",
        "Contact trace of {who}: {window} min either side, {days} days back",
    ),
    "audit.contacts": ("密接人员", "Contacts"),
    "audit.passages": ("本人通行记录", "The person's own passages"),
    "audit.no_entries": ("无通行记录", "No passages"),
    "audit.no_contacts": ("无密接人员", "No contacts"),
    "audit.direction": ("方向", "Direction"),
    "audit.decision": ("判定", "Decision"),
    "audit.reasons": ("原因", "Reasons"),
    "audit.name": ("姓名", "Name"),
    "audit.kind": ("类别", "Kind"),
    "audit.policy": ("策略版本", "Policy"),
    "audit.explain": ("详情", "Explain"),
    "audit.encounters": ("接触次数", "Encounters"),
    "audit.closest": ("最近间隔（秒）", "Closest (s)"),
    "audit.first": ("首次", "First"),
    "audit.last": ("末次", "Last"),
    "audit.event_title": ("通行判定说明", "Passage explained"),
    "audit.outcome": ("导致", "Leads to"),
    "audit.why": ("依据", "Why"),
    "audit.entry": ("通行记录", "Entry"),
    "audit.inputs": ("门岗上报的输入", "Inputs from the gate"),
    "audit.facts": ("判定依据的事实", "Facts"),
    "audit.policy_then": ("当时的策略", "Policy then"),
    "audit.answer": ("判定结果", "Decision as answered"),
    "audit.seal": ("哈希链封存", "Hash-chain seal"),
    "audit.codes": ("扫描的码", "Codes scanned"),
    "audit.log": ("审计日志", "Audit log"),
    "audit.action": ("操作", "Action"),
    "audit.target": ("对象", "Target"),
    "audit.rows": ("结果条数", "Rows"),
    "audit.params": ("参数", "Parameters"),
    # -- appointments
    "appt.title": ("访客预约", "Visitor appointments"),
    "appt.responsible": (
        "谁审核谁负责：只有接待单位的审核人可以批准或拒绝",
        "Who approves is responsible: only an approver of the host unit may approve or refuse",
    ),
    "appt.id": ("预约号", "Appointment"),
    "appt.visitor": ("访客姓名", "Visitor"),
    "appt.phone": ("手机号", "Phone"),
    "appt.id_number": ("身份证号", "ID number"),
    "appt.unit": ("接待单位", "Host unit"),
    "appt.purpose": ("事由", "Purpose"),
    "appt.window": ("时间段", "Window"),
    "appt.from": ("开始时间", "From"),
    "appt.until": ("结束时间", "Until"),
    "appt.once": ("一次性访客码", "One-time code"),
    "appt.decided_by": ("审核人", "Decided by"),
    "appt.approve": ("批准", "Approve"),
    "appt.refuse": ("拒绝", "Refuse"),
    "appt.refuse_reason": ("拒绝理由（必填）：", "Reason for the refusal (required):"),
    "appt.request": ("登记访客预约", "Request an appointment"),
    "appt.submit": ("提交预约", "Submit the request"),
    "appt.approved": ("{id} 已批准，访客码如下", "{id} approved: the visitor code below"),
    "appt.code": ("访客码", "Visitor code"),
    "appt.code_hint": (
        "请将此二维码发送给访客（仅显示一次）",
        "Send this QR code to the visitor (shown only once)",
    ),
    "appt.approvers": ("各单位审核人", "Approvers of each host unit"),
    "appt.approver": ("审核人用户名", "Approver (user name)"),
    "appt.remove": ("移除", "Remove"),
    "appt.status.requested": ("待审核", "requested"),
    "appt.status.approved": ("已批准", "approved"),
    "appt.status.refused": ("已拒绝", "refused"),
    "appt.status.cancelled": ("已取消", "cancelled"),
    # -- passes
    "pass.title": ("临时通行证", "Temporary passes"),
    "pass.id": ("通行证号", "Pass"),
    "pass.category": ("类别", "Category"),
    "pass.holder": ("持证人", "Holder"),
    "pass.uses": ("已用次数", "Uses"),
    "pass.max_uses": ("最多使用次数", "Max uses"),
    "pass.revoke": ("吊销", "Revoke"),
    "pass.revoke_reason": ("吊销理由（必填）：", "Reason for revoking (required):"),
    "pass.issue": ("签发临时通行证", "Issue a pass"),
    "pass.issue_submit": ("签发", "Issue"),
    "pass.issued": ("{id} 已签发，通行码如下", "{id} issued: its code below"),
    "pass.code": ("通行码", "Pass code"),
    "pass.state.active": ("有效", "active"),
    "pass.state.not_yet": ("未生效", "not yet valid"),
    "pass.state.expired": ("已过期", "expired"),
    "pass.state.used_up": ("次数用完", "used up"),
    "pass.state.revoked": ("已吊销", "revoked"),
    # -- roster
    "roster.title": ("白名单导入", "Roster import"),
    "roster.hint": (
        "先检查（不写入），确认校验报告后再导入；表头可用中文或英文",
        "Check first (nothing is written), read the report, then import; zh or en headers",
    ),
    "roster.file": ("CSV 或 XLSX 文件", "CSV or XLSX file"),
    "roster.sync": ("停用文件中没有的人员", "Deactivate people missing from the file"),
    "roster.check": ("检查（试运行）", "Check (dry run)"),
    "roster.import": ("导入", "Import"),
    "roster.line": ("行", "Line"),
    "roster.column": ("列", "Column"),
    "roster.reason": ("原因", "Reason"),
    "roster.photos": (
        "照片 ZIP（按学号/工号命名，可选）",
        "Photos ZIP (named by person id; optional)",
    ),
    "roster.force": ("确认停用超过 10% 的人员", "Yes, deactivate more than 10 %"),
    "person.title": ("单个人员", "One person"),
    "person.id": ("学号/工号", "Student or staff number"),
    "person.kind": ("类别", "Kind"),
    "person.unit": ("学院/单位", "Unit"),
    "person.name": ("姓名", "Name"),
    "person.found": ("已找到：{id}", "Found: {id}"),
    "person.find": ("查找", "Find"),
    "person.add": ("新增", "Add"),
    "person.save": ("保存", "Save"),
    "person.deactivate": ("停用", "Deactivate"),
    "person.reactivate": ("恢复", "Reactivate"),
    "person.why": ("原因（记入审计日志）", "Why (kept in the audit log)"),
    "person.photo": ("照片（JPEG/PNG，≤5 MB）", "Photo (JPEG/PNG, <= 5 MB)"),
    "person.saved": ("已保存：{id}", "Saved: {id}"),
    "person.doc_type": ("证件类型", "Document type"),
    "person.card_no": ("校园卡号", "Card no."),
    "person.phone": ("手机号", "Phone"),
    "person.class": ("班级/科室", "Class or department"),
    "person.dormitory": ("宿舍", "Dormitory"),
    "person.active": ("在册", "Active"),
    "kiosk.lookup": ("查找人员（学号/工号或姓名）", "Find a person (number or name)"),
    "kiosk.lookup_hint": ("如 2021001 或 张三", "e.g. 2021001 or a name"),
    "kiosk.lookup_local": (
        "查找人员（学号/工号、校园卡号、身份证号或姓名）",
        "Find a person (number, card, ID number or name)",
    ),
    "kiosk.lookup_none": ("本校门未找到此人", "Nobody found for this gate"),
    "kiosk.manual_send": ("测温并放行判定", "Send with this reading"),
    "error.lookup_limit": ("查找过于频繁，请稍后", "Too many look-ups; wait a while"),
    "error.lookup_expired": ("查找结果已过期，请重新查找", "The look-up expired; look again"),
    "error.plain_ids_refused": ("本校策略不接受手工证件号", "The policy does not accept typed IDs"),
    "error.no_photo": ("无照片", "No photo"),
    "error.sync_refused": (
        "停用人数超过在册人员的 10%，请确认文件完整",
        "That deactivates over 10 % of the roster: is the file whole?",
    ),
    # -- my code (a person's phone)
    "me.title": ("我的通行码", "My code"),
    "me.person_id": ("学号/工号", "Student or staff number"),
    "me.pin": ("PIN 码", "PIN"),
    "me.sign_in": ("登录", "Sign in"),
    "me.sign_out": ("退出", "Sign out"),
    "me.login_hint": (
        "首次使用请打开通知书上的二维码链接设置 PIN",
        "First time: open the link on your letter and set a PIN",
    ),
    "me.enrol": ("设置 PIN 码", "Set your PIN"),
    "me.new_pin": ("PIN 码（6-12 位数字）", "PIN (6-12 digits)"),
    "me.pin_again": ("再输入一次", "PIN again"),
    "me.set_pin": ("设置并显示通行码", "Set it and show my code"),
    "me.qr_alt": ("通行码二维码", "Your code as a QR"),
    "me.photo_alt": ("本人照片", "Your photo"),
    "me.valid_until": ("有效至 {at}，自动刷新", "Valid until {at}, refreshed by itself"),
    "me.status.isolated": ("隔离观察中，请联系校医院", "Under isolation: contact the clinic"),
    "me.status.admitted": ("今日 {at} 已入校", "Entered today at {at}"),
    "me.status.none": ("今日尚未入校", "Not entered today"),
    "me.offline": ("无法刷新，请检查网络", "Cannot refresh: check the network"),
    "me.error.form": ("页面已过期，请重试", "The page expired: try again"),
    "me.error.wrong": ("学号或 PIN 码不正确", "Wrong number or PIN"),
    "me.error.locked": (
        "尝试次数过多，请 15 分钟后再试",
        "Too many attempts: try again in 15 minutes",
    ),
    "me.error.link": ("链接无效、已使用或已过期", "This link is unknown, used or expired"),
    "me.error.pin": ("PIN 码须为 6-12 位数字", "A PIN is 6 to 12 digits"),
    "me.error.mismatch": ("两次输入不一致", "The two PINs differ"),
    "roster.cards": ("打印本单位证卡", "Print cards for this unit"),
    "roster.cards_hint": (
        "为所选单位的在册人员各签发一个身份码（365 天），A4 每页 10 张，带裁切线",
        "One ID code (365 days) per active person of the unit, A4, 10 a page, crop marks",
    ),
    "roster.unit": ("单位", "Unit"),
    "roster.card_lang": ("证卡语言", "Card language"),
    "roster.print": ("下载 PDF", "Download PDF"),
    "roster.printed": ("已生成 {name}", "{name} is ready"),
    # -- policy
    "policy.title": ("防控策略", "Policy"),
    "policy.version": ("当前版本", "Current version"),
    "policy.level": ("响应级别", "Response level"),
    "policy.changed": (
        "{who} 于 {when} 修改：{why}",
        "Changed by {who} at {when}: {why}",
    ),
    "policy.threshold": ("体温阈值", "Fever threshold"),
    "policy.none": ("尚无策略版本", "No policy version yet"),
    "policy.switch": ("切换响应级别", "Switch the response level"),
    "policy.reason": ("原因（必填）", "Reason (required)"),
    "policy.switch_submit": ("切换", "Switch"),
    "policy.switched": (
        "已切换到 {level}（版本 {version}）",
        "Switched to {level} (version {version})",
    ),
    # -- reports
    "report.title": ("日报告", "Daily report"),
    "report.date": ("日期", "Date"),
    "report.show": ("查看", "Show"),
    "report.of": ("{site} {day} 日报告", "Daily report of {site}, {day}"),
    "report.zero": ("零报告", "zero report"),
    # -- errors
    "error.not_authenticated": ("请先登录", "Please sign in"),
    "error.forbidden": ("无权访问", "You may not do this"),
    "error.forbidden_gate": ("无权访问此校门", "You may not see or command this gate"),
    "error.forbidden_unit": ("非本单位人员或单位，无权操作", "Not of a unit you answer for"),
    "error.bad_csrf": ("页面已过期，请刷新", "The page expired; reload it"),
    "error.not_found": ("未找到", "Not found"),
    "error.conflict": ("操作冲突", "Conflict"),
    "error.invalid_input": ("输入无效", "Invalid input"),
    "error.unavailable": ("消息服务暂不可用", "The message broker is unavailable"),
    "error.case_closed": ("病例已结案", "The case is closed"),
    "error.already_acknowledged": ("病例已被确认", "The case was already acknowledged"),
    "error.isolate_not_overridable": (
        "发热/隔离人员不得人工放行，请联系校医",
        "A fever or isolation decision cannot be overridden; call the clinic",
    ),
    "error.passage_not_recent": (
        "只能为本门几分钟内的通行手动放行",
        "Only a passage of this gate in the last few minutes can be overridden",
    ),
    "error.rate_limited": ("请求过于频繁", "Too many attempts"),
    "error.login_busy": (
        "登录请求过多，请稍后再试",
        "Too many sign-ins at once; try again in a moment",
    ),
    "error.refused": ("规则不允许此操作", "The rules do not allow this"),
    "error.person_not_found": ("查无此人", "No such person, appointment or pass"),
    "error.bad_dates": ("日期无效", "Invalid dates"),
    "error.bad_person_id": ("编号格式无效", "Invalid person id"),
    "error.bad_gate": ("校门名称无效", "Invalid gate name"),
    "error.bad_roster_file": ("只接受 CSV 或 XLSX 文件", "Only CSV or XLSX files are read"),
    "error.upload_too_large": ("文件过大", "The file is too large"),
    "error.roster_too_large": (
        "名单文件超出可读取的范围（行、列、合并单元格或解压后大小）",
        "The roster file is beyond what is read (rows, columns, merged cells or unpacked size)",
    ),
    "error.bad_request": ("请求无效", "Bad request"),
    "error.internal_error": (
        "系统内部错误，请联系管理员",
        "Internal error: tell the administrator",
    ),
    "error.backend_unavailable": (
        "服务暂不可用",
        "The database or the message broker is unavailable",
    ),
    "common.save": ("保存", "Save"),
    "common.cancel": ("取消", "Cancel"),
    "common.time": ("时间", "Time"),
    "common.none": ("无", "none"),
    "list.sep": ("、", ", "),
    **HEALTH_MESSAGES,
}
MESSAGES.update(VISITOR_MESSAGES)  # the visitor, unit and walk-in pages' words
MESSAGES.update(NOTIFY_MESSAGES)  # the chat and SMS alerts' words
MESSAGES.update(POLICY_MESSAGES)  # the policy editor's and the levels' forms
MESSAGES.update(REPORT_MESSAGES)  # report files, exports, the roster import's report
MESSAGES.update(CLI_MESSAGES)  # the campusgate command's listings
MESSAGES.update(CONSOLE_MESSAGES)  # the gate agent's console lines
MESSAGES.update(AUDIT_MESSAGES)  # why a reason fired (audit explain)
MESSAGES.update({f"symptom.{code.value}": pair for code, pair in SYMPTOMS.items()})
MESSAGES.update({f"incident.{code.value}": pair for code, pair in INCIDENTS.items()})


def lang_or_default(value: str | None) -> Lang:
    for lang in LANGS:
        if value == lang:
            return lang
    return DEFAULT_LANG


def lang_arg(value: str | None) -> Lang:
    """The language a person named (``zh``, ``zh-CN``, ``en``); None: the site's language."""
    if value is None:
        return site_lang()
    found = LANG_NAMES.get(value.strip().lower())
    if found is None:
        raise ConfigError(f"unknown language {value!r} (zh or en)")
    return found


def site_lang() -> Lang:
    """The site's language: ``$CAMPUSGATE_LANG`` (zh or en), else zh-CN."""
    value = os.environ.get(LANG_ENV, "").strip()
    return lang_arg(value) if value else DEFAULT_LANG


def t(lang: Lang, key: str, /, **values: object) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``; the key if unknown."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    index = LANGS.index(lang) if lang in LANGS else 0
    text = pair[index] if index < len(pair) else pair[0]
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def catalogue(lang: Lang) -> dict[str, str]:
    """Every message in ``lang`` (for the page scripts)."""
    return {key: t(lang, key) for key in MESSAGES}


class Phrase(str):
    """A sentence made for a person that can be said in every language: it *is* its English
    text (so logs, exceptions and old callers see what they always saw) and it keeps its
    catalogue key and values, so :func:`say` words it in another language later."""

    key: str
    values: dict[str, object]

    def __new__(cls, key: str, /, **values: object) -> Phrase:
        made = super().__new__(cls, t("en", key, **values))
        made.key, made.values = key, values
        return made


def say(lang: Lang, text: str) -> str:
    """``text`` in ``lang`` when it is a :class:`Phrase` (its values too); else as it is."""
    if not isinstance(text, Phrase):
        return text
    values = {k: say(lang, v) if isinstance(v, str) else v for k, v in text.values.items()}
    return t(lang, text.key, **values)


def reason_words(lang: Lang, code: str) -> str:
    """The words of a reason code; a code nobody knows (from a newer gate) is shown as itself."""
    key = f"reason.{code}"
    return t(lang, key) if key in MESSAGES else code


def reasons_text(lang: Lang, codes: Iterable[str]) -> str:
    """Several reasons' words in one cell or line (、 in Chinese, commas in English)."""
    return t(lang, "list.sep").join(reason_words(lang, code) for code in codes if code)


def word(lang: Lang, family: str, value: str) -> str:
    """A status, kind, direction, outcome ... as words: ``family.value``, else the value.

    For values read back from storage or the wire, where an unknown one is shown as it
    is rather than as a key (the tests check that every known value has its words).
    """
    key = f"{family}.{value}"
    return t(lang, key) if key in MESSAGES else value


def lang_from_header(accept_language: str | None) -> Lang:
    """The first of our languages named in an Accept-Language header."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANG
