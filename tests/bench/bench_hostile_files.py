"""Hostile and unusual profile files: what each gives (refused once with a reason, or rows
landed with located errors) and the peak memory of reading it.

    python -m tests.bench.bench_hostile_files [--bomb-rows 1500000] [--out FILE.md]

Peak memory is measured in a fresh process per file (its VmHWM after reading, and how much of
it came after the imports), so the model and the other files do not blur it. Rows landed come from a
real ingest (real model, embedded store) in this process."""
from __future__ import annotations

import argparse
import codecs
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from tests.bench.common import REPO

HEADER = ["id", "name", "country", "sector", "description"]
ROWS = [["h-1", "Atelier Garonne", "FR", "aeronautics", "Usinage de pièces en titane"],
        ["h-2", "Eloxal Süd GmbH", "DE", "aeronautics", "Eloxieren von Aluminiumteilen"],
        ["h-3", "Trattamenti Superficiali Srl", "IT", "aeronautics", "Anodizzazione dura"]]


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    return "\r\n".join(delimiter.join(f'"{c}"' if delimiter in c else c for c in row) for row in rows) + "\r\n"


def _bomb(path: Path, rows: int) -> None:
    """A valid workbook whose sheet holds `rows` identical rows, deflated: a few hundred KiB
    inflating to more than 100 MiB."""
    template = path.with_suffix(".template.xlsx")
    _xlsx(template, 1)
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                z.writestr(item, src.read(item.filename))
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData>')
            row = b'<row><c t="inlineStr"><is><t>x</t></is></c><c t="inlineStr"><is><t>Firma</t></is></c></row>'
            for _ in range(rows // 1000):
                sheet.write(row * 1000)
            sheet.write(b"</sheetData></worksheet>")
    template.unlink()


def _xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append([f"x-{n}", f"Entreprise {n}", "FR", "aeronautics", f"Usinage de précision, lot {n}"])
    book.save(path)


def make_files(folder: Path, bomb_rows: int) -> list[tuple[str, Path, str]]:
    """(label, path, what it imitates)"""
    files = []

    def add(name: str, data: bytes, what: str) -> None:
        path = folder / name
        path.write_bytes(data)
        files.append((name, path, what))

    big = ["h-big", "Zelle zu groß", "DE", "aeronautics", "x" * (200 * 1024)]
    add("cell_200k.csv", _csv([HEADER, ROWS[0], big, ROWS[1]]).encode(), "one 200 KiB cell between valid rows")
    add("excel_unicode.csv", codecs.BOM_UTF16_LE + _csv([HEADER, *ROWS], "\t").encode("utf-16-le"),
        "Excel 'Unicode text': UTF-16 LE with BOM, tabs")
    add("excel_fr.csv", _csv([HEADER, *ROWS], ";").encode("cp1252", errors="replace"),
        "French Excel CSV: cp1252, ';'")
    add("utf8_bom.csv", codecs.BOM_UTF8 + _csv([HEADER, *ROWS], ";").encode(), "UTF-8 with BOM, ';'")
    dup = [HEADER] + [[f"d-{n}", f"Firma {n}", "DE", "aeronautics", "Fräsen"] for n in range(300)]
    dup.insert(301, ["d-1", "Doppelgänger", "FR", "aeronautics", "copie"])
    add("dup_299_later.csv", _csv(dup).encode(), "a duplicate id 299 lines after the first")
    add("binary.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "an image renamed .csv")
    add("not_a_zip.xlsx", b"PK\x03\x04 truncated download", "a truncated XLSX")
    add("broken_quotes.csv", (_csv([HEADER, ROWS[0]]) + 'h-9,"open quote,FR,aeronautics,x\r\n').encode(),
        "an unclosed quote at the end")
    bomb = folder / "bomb.xlsx"
    _bomb(bomb, bomb_rows)
    files.append(("bomb.xlsx", bomb, f"{bomb.stat().st_size // 1024} KiB inflating to "
                                     f"{sum(i.file_size for i in zipfile.ZipFile(bomb).infolist()) / 2**20:.0f} MiB"))
    honest = folder / "honest_5000.xlsx"
    _xlsx(honest, 5000)
    files.append(("honest_5000.xlsx", honest, "a real 5,000-row workbook"))
    return files


READ_ONLY = """
import json, sys
from pathlib import Path
from indexers.sources import read_records
from service.errors import InvalidRequestError
import openpyxl  # noqa: F401  (imported before the baseline, as in a worker)
def hwm():  # VmHWM: this process's peak RSS (ru_maxrss would carry the forking parent's)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
if len(sys.argv) > 2:  # the archive check switched off: what streaming and the row limit give alone
    import indexers.sources as sources
    sources.XLSX_MAX_RATIO = sources.XLSX_MAX_INFLATED_BYTES = 10**12
base = hwm()
outcome, rows, errors = "read", 0, 0
try:
    for record in read_records(Path(sys.argv[1]), "members", max_records=200000):
        rows += record.data is not None
        errors += record.error is not None
except InvalidRequestError as exc:
    outcome = "refused: " + exc.message
peak = hwm()
print(json.dumps({"outcome": outcome, "rows": rows, "errors": errors, "peak_kib": peak, "base_kib": base}))
"""


def read_in_fresh_process(path: Path, *extra: str) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", READ_ONLY, str(path), *extra], cwd=REPO, capture_output=True,
                         text=True, timeout=600)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["seconds"] = time.perf_counter() - started
    return result


def landed(path: Path, embedder, domain, folder: Path) -> tuple[int, list[dict]]:
    from indexers.pipeline import ingest
    from indexers.sources import read_records
    from service.errors import InvalidRequestError
    from service.index.embedded import EmbeddedIndex

    index = EmbeddedIndex(folder / f"{path.stem}.sqlite3")
    try:
        report = ingest(read_records(path, "members", max_records=200_000), "members", index, embedder, domain,
                        source=path.name)
    except InvalidRequestError as exc:
        return 0, [{"locator": path.name, "field": "_file", "message": exc.message}]
    return report.inserted + report.updated, report.errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-rows", type=int, default=1_500_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    from service.domain import load_domain

    from service.embeddings import load_embedder
    from service.settings import REPO_CONFIG_DIR, load_settings

    domain = load_domain(REPO_CONFIG_DIR)
    settings = load_settings()
    embedder = load_embedder(settings.model_name, settings.models_dir, 64)
    lines = ["| file | imitates | outcome | rows landed | errors (first) | peak RSS of reading it |",
             "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for label, path, what in make_files(folder, args.bomb_rows):
            read = read_in_fresh_process(path)
            count, errors = landed(path, embedder, domain, folder) if not label.startswith("bomb") else (0, [])
            outcome = read["outcome"] if read["outcome"] != "read" else f"read ({read['rows']} valid, " \
                f"{read['errors']} unreadable rows)"
            first = f"{errors[0]['locator']}: {errors[0]['field']}: {errors[0]['message']}"[:110] if errors else "—"
            lines.append(f"| {label} | {what} | {outcome[:120]} | {count} | {first} | "
                         f"{read['peak_kib'] / 1024:.0f} MiB (+{(read['peak_kib'] - read['base_kib']) / 1024:.1f} "
                         f"over the imports; {read['seconds']:.1f} s) |")
            print(lines[-1], flush=True)
            if label.startswith("bomb"):
                read = read_in_fresh_process(path, "no-archive-check")
                lines.append(f"| {label}, archive check off | streaming and the row limit alone | "
                             f"{read['outcome'][:120]} | 0 | — | {read['peak_kib'] / 1024:.0f} MiB "
                             f"(+{(read['peak_kib'] - read['base_kib']) / 1024:.1f}; {read['seconds']:.1f} s) |")
                print(lines[-1], flush=True)
    table = "\n".join(lines)
    print("\n" + table)
    if args.out:
        args.out.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
