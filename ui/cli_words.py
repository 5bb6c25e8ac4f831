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
}
