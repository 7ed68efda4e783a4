"""Registration lists as files staff open in Excel: CSV (UTF-8 with BOM) or xlsx.

What citizens typed must stay text: a name like `=HYPERLINK("http://…","Bấm")` or
`@SUM(…)` would otherwise run as a formula on the officer's computer (CSV
injection). CSV cells that start like a formula get a leading apostrophe; xlsx
cells are written as text, exactly as typed.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """VALUE, with a leading apostrophe if a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(path: Path, header: list[str], rows: list[dict[str, Any]]) -> None:
    # The BOM makes Excel read the file as UTF-8, so Vietnamese shows correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_safe(column) for column in header])
        writer.writerows([[csv_safe(row.get(column, "")) for column in header] for row in rows])


def write_xlsx(path: Path, header: list[str], rows: list[dict[str, Any]], title: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(column, "") for column in header])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text as typed, never a formula
    for index, column in enumerate(header, 1):
        width = max([len(str(column))] + [len(str(r.get(column, ""))) for r in rows])
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width + 2, 50)
    sheet.freeze_panes = "A2"
    book.save(path)
