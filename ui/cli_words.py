"""The words of the ``campusgate`` command's listings and answers (zh-CN, English).

Merged into the one catalogue by ``ui.i18n``; every command that writes for people
takes ``--lang zh|en`` (default: the site's language).  Times in these lines are
filled in by ``kernel.localtime.local_iso`` (the site's zone, with its offset).
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "cli.dash": ("-", "-"),
    # -- case
    "cli.case.line": (
        "{case}  {status}  {who}  发现于 {opened}{flags}",
        "{case}  {status}  {who}  opened {opened}{flags}",
    ),
    "cli.case.suspended": ("  休学中", "  suspended"),
    "cli.case.flag": ("  {flag}", "  {flag}"),
    "cli.case.until": ("  观察至 {until}", "  until {until}"),
    "cli.case.count": ("共 {n} 个病例", "{n} case(s)"),
    "cli.case.detail": (
        "  来源 {origin}  校门 {gate}  备注 {note}",
        "  origin {origin}  gate {gate}  note {note}",
    ),
    "cli.case.event": ("  {at}  {kind}  {actor}  {detail}", "  {at}  {kind}  {actor}  {detail}"),
    "cli.case.opened_for": ("{case} 已为 {person} 建立", "{case} opened for {person}"),
    "cli.case.joined_for": ("{case} 已并入（{person}）", "{case} joined for {person}"),
    "cli.case.problem": ("第 {line} 行：{value}：{reason}", "line {line}: {value}: {reason}"),
    "cli.case.bulk": (
        "{rows} 行，匹配 {matched} 人，问题 {problems} 个；"
        "新建病例 {opened} 个，并入 {joined} 个；{written}",
        "{rows} row(s), {matched} person(s) matched, {problems} problem(s); "
        "{opened} case(s) opened, {joined} joined; {written}",
    ),
    "bulk.too_many": ("超过 {rows} 行：其余未读取", "more than {rows} rows: the rest is not read"),
    "bulk.not_an_id": (
        "既不是学号/工号也不是有效的身份证号",
        "neither a person id nor a valid ID number",
    ),
    "bulk.unknown": ("白名单中没有此编号的人员", "nobody in the roster has this id"),
    "cli.written": ("已写入", "written"),
    "cli.nothing_written": ("未写入", "nothing written"),
    "cli.case.now": ("{case} {status}", "{case} {status}"),
    # -- check-ins
    "slot.morning": ("晨检", "morning"),
    "slot.noon": ("午检", "noon"),
    "cli.checkin.recorded": (
        "{person} {day} {slot} {celsius} °C 已记录{case}",
        "{person} {day} {slot} {celsius} °C recorded{case}",
    ),
    "cli.checkin.case_opened": ("；病例 {case} 已建立", "; case {case} opened"),
    "cli.checkin.case_joined": ("；已并入病例 {case}", "; case {case} joined"),
    "cli.checkin.row": (
        "{person}  {name}  晨检 {morning}  午检 {noon}",
        "{person}  {name}  morning {morning}  noon {noon}",
    ),
    "cli.checkin.count": ("{unit} {day}：共 {n} 人", "{n} person(s) in {unit} on {day}"),
    "cli.checkin.unit": ("{unit}（{n}）：{people}", "{unit} ({n}): {people}"),
    "cli.checkin.missing": (
        "{day} {slot}未报 {n} 人（{state}）",
        "{n} missing {slot} report(s) on {day} ({state})",
    ),
    "cli.checkin.overdue": ("已超时", "overdue"),
    "cli.checkin.due": ("截止 {time}", "due {time}"),
    # -- users
    "cli.user.added": (
        "用户 {user} 已添加，角色 {role}{bound}",
        "user {user} added as {role}{bound}",
    ),
    "cli.user.bound": ("，绑定校门 {gates}", " at {gates}"),
    "cli.user.line": (
        "{user}  {role}  {gates}  {lang}{state}",
        "{user}  {role}  {gates}  {lang}{state}",
    ),
    "cli.user.disabled": ("  （已停用）", "  (disabled)"),
    # -- appointments
    "cli.appt.line": (
        "{id} {status} {visitor}（{masked}，{phone}）接待单位 {unit} 校门 {gates} "
        "{start} 至 {end}{decided}",
        "{id} {status} {visitor} ({masked}, {phone}) host {unit} gates {gates} "
        "{start} .. {end}{decided}",
    ),
    "cli.appt.decided": ("，审核人 {who}", " decided by {who}"),
    "cli.appt.count": ("共 {n} 个预约", "{n} appointment(s)"),
    "cli.appt.requested": (
        "{id} 已登记；等待 {unit} 的审核人审核",
        "{id} requested; waiting for an approver of {unit}",
    ),
    "cli.appt.approved": (
        "{id} 已由 {who} 批准；访客码有效至 {until}{once}",
        "{id} approved by {who}; code valid until {until}{once}",
    ),
    "cli.appt.once": ("（一次性）", " (one-time)"),
    "cli.appt.refused": ("{id} 已被 {who} 拒绝：{note}", "{id} refused by {who}: {note}"),
    "cli.appt.cancelled": ("{id} 已取消（{note}）", "{id} cancelled ({note})"),
    "cli.qr": ("二维码图片：{path}", "QR image: {path}"),
    "cli.field": ("{key}：{value}", "{key}: {value}"),
    # -- passes
    "cli.pass.line": (
        "{id} {state} {category} {holder}（{masked}）校门 {gates} 已用 {uses} {start} 至 {end}",
        "{id} {state} {category} {holder} ({masked}) gates {gates} uses {uses} {start} .. {end}",
    ),
    "cli.pass.count": ("共 {n} 张通行证", "{n} pass(es)"),
    "cli.pass.revoked": ("{id} 已由 {who} 吊销", "{id} revoked by {who}"),
    "cli.pass.category": (
        "{name}  {label}：最长 {days} 天，同时有效 {active}，默认 {uses} 次，校门 {gates}",
        "{name}  {label}: max {days} day(s), {active} in force, {uses} use(s), gates {gates}",
    ),
    "cli.unlimited": ("不限", "unlimited"),
    "cli.quota.none": (
        "户 {household}：不适用出行限额",
        "household {household}: no exit quota applies",
    ),
    "cli.quota.line": (
        "户 {household}：近 {hours} 小时已出行 {used} 人次，限额 {exits}；剩余 {left}",
        "household {household}: {used} exit(s) in the last {hours} h, quota {exits}; {left} left",
    ),
    "cli.quota.exit": ("  {at} {person} 经 {gate}", "  {at} {person} via {gate}"),
    "cli.quota.next": ("下次可出行时间 {at}", "next exit allowed from {at}"),
    # -- keys
    "cli.keys.version": ("密钥集版本 {version}", "key set version {version}"),
    "cli.keys.retired_at": ("  已于 {at} 停用", "  retired {at}"),
    "cli.keys.retires_at": ("  将于 {at} 停用", "  retires {at}"),
    "cli.keys.gone": ("  {kid}  已永久停用", "  {kid}  retired for good"),
    "cli.keys.grace": (
        "{kid} 已停止签发；{n} 个有效码在 {at} 前仍可验证（宽限期），之后失效",
        "retired {kid} for signing; {n} live code(s) keep verifying until {at} (grace), "
        "then it stops",
    ),
    "cli.keys.now": (
        "{kid} 已停用：其码数秒内失效{forced}",
        "retired {kid}: its codes stop verifying within seconds{forced}",
    ),
    "cli.keys.forced": (
        "（强制切断 {n} 个有效码：--force --no-grace）",
        " ({n} live code(s) cut: --force --no-grace)",
    ),
    "cli.keys.later": (
        "{kid} 停用中：其码在 {at} 前仍可验证",
        "retiring {kid}: its codes verify until {at}",
    ),
    "cli.keys.exported": (
        "{n} 个公钥已导出到 {path}：{kids}",
        "{n} public key(s) in {path}: {kids}",
    ),
    # -- audit
    "cli.audit.entry": (
        "{at} {gate} {direction} {decision} {celsius} {who} {name} [{reasons}] {event}",
        "{at} {gate} {direction} {decision} {celsius} {who} {name} [{reasons}] {event}",
    ),
    "cli.audit.count": ("共 {n} 条通行记录", "{n} passage(s)"),
    "cli.audit.exported": ("已导出 {n} 条通行记录到 {path}", "exported {n} passage(s) to {path}"),
    "cli.audit.exported_to": ("已导出到 {path}", "exported to {path}"),
    "cli.audit.trace": (
        "{person} {name}：{start} 至 {end} 共 {n} 条通行记录，时间窗 {window} 分钟",
        "{person} {name}: {n} passage(s) {start} .. {end}, window {window} min",
    ),
    "cli.audit.contact": (
        "  {who} {name}（{kind}）：{encounters} 次，最近 {closest} 秒，校门 {gates}，"
        "{first} 至 {last}",
        "  {who} {name} ({kind}): {encounters}x, closest {closest} s at {gates}, {first} .. {last}",
    ),
    "cli.audit.contacts": ("共 {n} 名密接人员", "{n} contact(s)"),
    "cli.audit.record": (
        "{at} {actor}（{role}）{action} {target} {params} -> {count}",
        "{at} {actor} ({role}) {action} {target} {params} -> {count}",
    ),
    "cli.audit.records": ("共 {n} 条审计记录", "{n} record(s)"),
    "cli.audit.event": (
        "事件 {event}：{decision}，{site}/{gate}（{direction}）{at}",
        "event {event}: {decision} at {site}/{gate} ({direction}) {at}",
    ),
    "cli.audit.reasons": ("原因：", "reasons:"),
    "cli.audit.reason": ("  {outcome} {reason}：{why}", "  {outcome} {reason}: {why}"),
    # -- policy
    "cli.policy.version": (
        "校区 {site} 策略版本 {version}（级别 {level}），{at} 由 {who} 修改：{why}",
        "site {site} policy version {version} (level {level}), {at} by {who}: {why}",
    ),
    "cli.policy.none": (
        "校区 {site}：尚无策略，使用默认值",
        "site {site}: no stored policy; the defaults apply",
    ),
    "cli.policy.history": (
        "v{version} {at} {who} [{level}] {why}：{changed}",
        "v{version} {at} {who} [{level}] {why}: {changed}",
    ),
    "cli.policy.first": ("首个版本", "first version"),
    "cli.policy.count": ("共 {n} 个版本", "{n} version(s)"),
    # -- retention
    "cli.retention.run": (
        "{id} {at} {actor} {mode} {days} 天，截止 {cutoff}：{n} 条 {detail}",
        "{id} {at} {actor} {mode} {days} d, cutoff {cutoff}: {n} entr(ies) {detail}",
    ),
    "cli.retention.count": ("共 {n} 次", "{n} run(s)"),
    "cli.retention.done": (
        "数据保留任务 {id}：{cutoff} 之前的 {n} 条通行记录已{verb}；为隔离病例保留 {kept} 条；"
        "{unsealed} 条尚未封存（未处理）；删除家属区出行 {exits} 条、无效报文 {rejected} 条；"
        "匿名化已结束的预约/通行证 {grants} 个",
        "retention run {id}: {verb} {n} entr(ies) before {cutoff}; kept {kept} of isolation "
        "cases; {unsealed} not sealed yet (left alone); deleted {exits} household exit(s) and "
        "{rejected} rejected message(s); {grants} ended appointment(s)/pass(es) anonymised",
    ),
    "cli.retention.purged": ("删除", "purged"),
    "cli.retention.anonymised": ("匿名化", "anonymised"),
    # -- reports
    "cli.report.done": (
        "{site} {day} {kind}：通行 {n} 人次，发热 {fevers}，拒绝 {denials}，"
        "新增病例 {cases}；审计链头 {anchor}",
        "{kind} for {site} {day}: {n} passage(s), {fevers} fever(s), {denials} denial(s), "
        "{cases} case(s) opened; chain head {anchor}",
    ),
    "cli.report.written": ("已写入：{path}", "written: {path}"),
    # -- roster
    "cli.roster.return": (
        "{person} {name}：返校{state}，审批人 {who}",
        "{person} {name}: return {state} by {who}",
    ),
    "cli.roster.approved": ("已批准", "approved"),
    "cli.roster.not_approved": ("未批准", "not approved"),
    # -- field names of a record ("show" commands, the audit log's parameters)
    "field.appointment_id": ("预约号", "appointment_id"),
    "field.site": ("校区", "site"),
    "field.visitor_name": ("访客姓名", "visitor_name"),
    "field.phone": ("手机号", "phone"),
    "field.masked_id": ("证件号（遮蔽）", "masked_id"),
    "field.host_unit": ("接待单位", "host_unit"),
    "field.purpose": ("事由", "purpose"),
    "field.gates": ("可通行校门", "gates"),
    "field.valid_from": ("有效期起", "valid_from"),
    "field.valid_until": ("有效期止", "valid_until"),
    "field.once": ("一次性", "once"),
    "field.status": ("状态", "status"),
    "field.requested_by": ("登记人", "requested_by"),
    "field.requested_at": ("登记时间", "requested_at"),
    "field.decided_by": ("审核人", "decided_by"),
    "field.decided_at": ("审核时间", "decided_at"),
    "field.decision_note": ("审核意见", "decision_note"),
    "field.code_expires_at": ("访客码有效至", "code_expires_at"),
    "field.person_id": ("学号/工号", "person_id"),
    "field.name": ("姓名", "name"),
    "field.kind": ("类别", "kind"),
    "field.unit": ("学院/单位", "unit"),
    "field.household": ("户号", "household"),
    "field.active": ("在册", "active"),
    "field.return_approved": ("返校审批", "return_approved"),
    "field.return_approved_by": ("返校审批人", "return_approved_by"),
    "field.return_approved_at": ("返校审批时间", "return_approved_at"),
    "field.doc_type": ("证件类型", "doc_type"),
    "field.card_no": ("校园卡号", "card_no"),
    "field.class_name": ("班级", "class_name"),
    "field.dormitory": ("宿舍", "dormitory"),
    "field.has_photo": ("有照片", "has_photo"),
    "field.approver": ("审核人", "approver"),
    "field.format": ("格式", "format"),
    "field.path": ("路径", "path"),
    "field.reason": ("原因", "reason"),
    "field.note": ("备注", "note"),
    "field.category": ("类别", "category"),
    "field.since": ("起", "since"),
    "field.until": ("止", "until"),
    "field.window_minutes": ("时间窗（分钟）", "window_minutes"),
    "field.role": ("角色", "role"),
    "field.count": ("数量", "count"),
    "field.zero": ("零报告", "zero"),
    "field.sha256": ("SHA-256 摘要", "sha256"),
    "field.chain_anchor": ("审计链头", "chain_anchor"),
    "field.holder_name": ("持证人", "holder_name"),
    "field.max_uses": ("最多使用次数", "max_uses"),
    "field.event_id": ("事件号", "event_id"),
    "field.decision": ("结果", "decision"),
    "field.gate": ("校门", "gate"),
    "field.officer": ("信息员", "officer"),
    "field.plate": ("车牌", "plate"),
    "cli.yes": ("是", "yes"),
    "cli.no": ("否", "no"),
    # -- what the action log records (campusgate audit log, the audit log page)
    "action.appointment.approve": ("批准预约", "appointment.approve"),
    "action.appointment.approver_add": ("添加审核人", "appointment.approver_add"),
    "action.appointment.approver_remove": ("移除审核人", "appointment.approver_remove"),
    "action.appointment.cancel": ("取消预约", "appointment.cancel"),
    "action.appointment.expire": ("预约过期", "appointment.expire"),
    "action.appointment.refuse": ("拒绝预约", "appointment.refuse"),
    "action.appointment.request": ("登记预约", "appointment.request"),
    "action.audit.explain": ("查询判定依据", "audit.explain"),
    "action.audit.gate": ("查询校门记录", "audit.gate"),
    "action.audit.log": ("查询审计日志", "audit.log"),
    "action.audit.person": ("查询个人记录", "audit.person"),
    "action.audit.trace": ("密接追踪", "audit.trace"),
    "action.audit.verify": ("核验审计链", "audit.verify"),
    "action.code.cards": ("制作证卡", "code.cards"),
    "action.gate.manual_passage": ("人工放行", "gate.manual_passage"),
    "action.gate.symptoms": ("登记症状", "gate.symptoms"),
    "action.key.retire": ("停用密钥", "key.retire"),
    "action.me.enrol": ("本人激活", "me.enrol"),
    "action.me.links": ("生成激活链接", "me.links"),
    "action.pass.category": ("设置通行证类别", "pass.category"),
    "action.pass.issue": ("签发通行证", "pass.issue"),
    "action.pass.revoke": ("吊销通行证", "pass.revoke"),
    "action.policy.change": ("修改策略", "policy.change"),
    "action.policy.import": ("导入策略", "policy.import"),
    "action.policy.level_define": ("定义响应级别", "policy.level_define"),
    "action.policy.level_switch": ("切换响应级别", "policy.level_switch"),
    "action.report.daily": ("生成日报告", "report.daily"),
    "action.roster.import": ("导入白名单", "roster.import"),
    "action.roster.person.add": ("添加人员", "roster.person.add"),
    "action.roster.person.edit": ("修改人员", "roster.person.edit"),
    "action.roster.return_approval": ("返校审批", "roster.return_approval"),
    "action.unit.officer_add": ("添加信息员", "unit.officer_add"),
    "action.unit.officer_remove": ("移除信息员", "unit.officer_remove"),
    "action.vehicle.plate_add": ("添加车牌", "vehicle.plate_add"),
    "action.vehicle.plate_remove": ("移除车牌", "vehicle.plate_remove"),
    "action.visitor.risk_area_add": ("添加风险地区", "visitor.risk_area_add"),
    "action.visitor.risk_area_remove": ("移除风险地区", "visitor.risk_area_remove"),
    "action.retention.purge": ("数据保留：删除", "retention.purge"),
    "action.retention.anonymise": ("数据保留：匿名化", "retention.anonymise"),
}
