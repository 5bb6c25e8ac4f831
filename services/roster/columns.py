"""Roster columns and values as schools write them: English or Chinese headers.

Headers are matched after normalising (case, spaces, full-width slashes,
``*`` required-markers and bracketed notes such as ``身份证号(必填)``), so a
header row exported from another system usually maps without editing.
"""

from __future__ import annotations

import re

# field -> accepted headers (normalised with ``header_key``)
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "person_id": ("person_id", "学号/工号", "学工号", "学号", "工号", "编号", "人员编号"),
    "name": ("name", "姓名"),
    "kind": ("kind", "类别", "人员类别", "身份", "类型"),
    "id_number": ("id_number", "身份证号", "身份证号码", "证件号码", "身份证"),
    "unit": ("unit", "学院/单位", "学院", "单位", "部门", "所在单位", "学院/部门"),
    "household": ("household", "户号", "户"),
    "valid_from": ("valid_from", "有效期起", "有效期开始", "起始日期", "开始日期"),
    "valid_until": ("valid_until", "有效期止", "有效期至", "有效期结束", "截止日期", "结束日期"),
    "validity": ("validity", "有效期起止", "有效期"),
    "gates": ("gates", "可通行校门", "通行校门", "校门"),
    "return_approved": ("return_approved", "返校审批", "返校审批状态", "返校批准"),
    "doc_type": ("doc_type", "证件类型", "证件种类"),
    "card_no": ("card_no", "校园卡号", "一卡通号", "一卡通卡号", "ic卡号", "卡号"),
    "phone": ("phone", "手机", "手机号", "手机号码", "联系电话", "电话"),
    "class_name": ("class_name", "class", "班级", "班级/科室", "科室", "班级/部门"),
    "dormitory": ("dormitory", "宿舍", "宿舍号", "宿舍/住址"),
    "photo": ("photo", "照片", "照片文件"),
}
REQUIRED = ("person_id", "name", "kind", "id_number")
ENGLISH_HEADER = (
    "person_id", "name", "kind", "id_number", "unit", "household",
    "valid_from", "valid_until", "gates", "return_approved",
    "doc_type", "card_no", "phone", "class_name", "dormitory",
)  # fmt: skip
CHINESE_HEADER = {
    "person_id": "学号/工号", "name": "姓名", "kind": "类别", "id_number": "身份证号",
    "unit": "学院/单位", "household": "户号", "valid_from": "有效期起",
    "valid_until": "有效期止", "gates": "可通行校门", "return_approved": "返校审批",
    "doc_type": "证件类型", "card_no": "校园卡号", "phone": "手机号", "class_name": "班级",
    "dormitory": "宿舍", "photo": "照片",
}  # fmt: skip

KINDS = ("student", "staff", "family", "visitor", "contractor")
KIND_ALIASES: dict[str, str] = {
    **{kind: kind for kind in KINDS},
    "学生": "student", "本科生": "student", "研究生": "student", "博士生": "student",
    "硕士生": "student", "留学生": "student",
    "教职工": "staff", "教师": "staff", "职工": "staff", "员工": "staff", "教工": "staff",
    "行政人员": "staff", "teacher": "staff",
    "家属": "family", "住户": "family", "居民": "family", "家属区住户": "family",
    "访客": "visitor", "来访": "visitor", "来访人员": "visitor",
    "外包": "contractor", "施工": "contractor", "物业": "contractor", "合同工": "contractor",
    "外包人员": "contractor", "施工人员": "contractor",
}  # fmt: skip
KIND_LABELS_ZH = {"student": "学生", "staff": "教职工", "family": "家属", "visitor": "访客",
                  "contractor": "外包"}  # fmt: skip

YES = frozenset({"yes", "y", "true", "1", "是", "已批准", "批准", "同意", "通过", "approved"})
NO = frozenset({"no", "n", "false", "0", "否", "未批准", "不批准", "不同意", "未通过", "待审批",
                "pending", "refused", "not approved"})  # fmt: skip
ALL_GATES = frozenset({"*", "全部", "所有", "全部校门", "所有校门", "all"})
GATE_SEPARATORS = re.compile(r"[;；,，、|\s]+")

_NOTES = re.compile(r"\(.*?\)|（.*?）|\[.*?\]|【.*?】")
_NOISE = re.compile(r"[\s*＊:：]")


def header_key(text: str) -> str:
    """A header normalised for matching."""
    key = _NOTES.sub("", text.replace("\ufeff", ""))
    key = _NOISE.sub("", key).replace("／", "/").replace("\\", "/")
    return key.lower()


_BY_KEY = {header_key(alias): field for field, aliases in HEADER_ALIASES.items()
           for alias in aliases}  # fmt: skip


def field_for_header(text: str) -> str | None:
    return _BY_KEY.get(header_key(text))


def kind_for(text: str) -> str | None:
    value = text.strip()
    return KIND_ALIASES.get(value.lower()) or KIND_ALIASES.get(value)
