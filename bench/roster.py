"""Importing a 100,000-row XLSX roster (Chinese headers), with the progress bar.

Writes the workbook once (openpyxl, write-only), then for SQLite and PostgreSQL:
the first import (all new), the same file again (all unchanged: the idempotent
path), and a dry run; each with the progress bar on stderr as a user sees it.
Floor: reading the same sheet's rows with openpyxl alone (no validation, no
database), in the same run.

    nice -n 10 .venv/bin/python -m bench.roster [--rows 100000] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date
from pathlib import Path

import openpyxl
from sqlalchemy.orm import Session

from bench.pgtemp import temporary_postgres_database
from kernel.localtime import site_zone
from services.cli.common import ProgressBar
from services.demo.people import cn_id_number
from services.identity import DEMO_KEY, IdHasher
from services.roster import import_file
from services.storage.engine import make_engine, upgrade

HEADER = ["学号/工号", "姓名", "类别", "身份证号", "学院/单位", "户号", "有效期起止", "可通行校门"]


def write_workbook(path: Path, rows: int) -> None:
    rng = random.Random(3)
    # A normal (not write-only) workbook, as Excel writes one: shared strings, dimensions.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "白名单"
    sheet.append(HEADER)
    for n in range(rows):
        kind = "学生" if n % 10 < 6 else "教职工" if n % 10 < 8 else "家属"
        born = date(1960 + n % 45, 1 + n % 12, 1 + n % 28)
        sheet.append(
            [
                f"{2020000000 + n}",
                f"测试{n}",
                kind,
                cn_id_number(rng, born),
                ["计算机学院", "数学学院", "物理学院", "家属区"][n % 4],
                f"H{n // 3:05d}" if kind == "家属" else "",
                "2026-09-01~2027-07-01",
                "*",
            ]
        )
    workbook.save(path)


def timed_import(url: str, path: Path, label: str, **options: object) -> tuple[float, object]:
    engine = make_engine(url)
    bar = ProgressBar(label)
    try:
        start = time.perf_counter()
        with Session(engine) as session, session.begin():
            report = import_file(
                path,
                session=session,
                hasher=IdHasher(DEMO_KEY),
                tz=site_zone("Asia/Shanghai"),
                progress=bar,
                **options,
            )  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
    finally:
        bar.close()
        engine.dispose()
    return elapsed, report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="campusgate-roster-"))
    path = work / "roster.xlsx"
    start = time.perf_counter()
    write_workbook(path, args.rows)
    print(
        f"wrote {path} ({args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB) in "
        f"{time.perf_counter() - start:.1f} s"
    )
    start = time.perf_counter()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    read = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    floor = time.perf_counter() - start
    print(f"floor: openpyxl reads {read:,} rows in {floor:.1f} s")
    table = []
    for backend in args.db.split(","):
        if backend == "sqlite":
            url = f"sqlite:///{work}/roster.db"
            upgrade(url)
            results = _run(url, path, backend)
        else:
            with temporary_postgres_database() as url:
                upgrade(url)
                results = _run(url, path, backend)
        table.append((backend, results))
    print()
    print("| database | first import (all new) | again (all unchanged) | dry run | vs floor |")
    print("|---|---|---|---|---|")
    for backend, (first, again, dry) in table:
        print(
            f"| {backend} | {first:.1f} s ({args.rows / first:,.0f} rows/s) | {again:.1f} s | "
            f"{dry:.1f} s | {first / floor:.1f}x |"
        )


def _run(url: str, path: Path, backend: str) -> tuple[float, float, float]:
    first, report = timed_import(url, path, f"{backend} import")
    assert report.inserted > 0, report  # type: ignore[attr-defined]
    assert not report.errors, report  # type: ignore[attr-defined]
    again, report = timed_import(url, path, f"{backend} again")
    assert report.unchanged == report.rows, report  # type: ignore[attr-defined]
    dry, _ = timed_import(url, path, f"{backend} dry run", dry_run=True)
    return first, again, dry


if __name__ == "__main__":
    main()
