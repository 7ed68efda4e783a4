"""Tables as files staff open in Excel: CSV (UTF-8 with BOM) or xlsx, for the CLI and
the console alike.

What citizens typed must stay text: a name like `=HYPERLINK("http://…","Bấm")` or
`@SUM(…)` would otherwise run as a formula on the officer's computer (CSV
injection). CSV cells that start like a formula get a leading apostrophe; xlsx
cells are written as text, exactly as typed.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """VALUE, with a leading apostrophe if a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(table: list[list[Any]]) -> bytes:
    """TABLE (header first) as CSV; the BOM makes Excel read Vietnamese as UTF-8."""
    out = io.StringIO()
    csv.writer(out).writerows([[csv_safe(cell) for cell in row] for row in table])
    return ("\ufeff" + out.getvalue()).encode()


def xlsx_bytes(table: list[list[Any]], title: str) -> bytes:
    """TABLE (header first, in bold) as an xlsx workbook of one sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in table:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text as typed, never a formula
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index in range(1, len(table[0]) + 1 if table else 1):
        width = max(len(str(row[index - 1])) for row in table if len(row) >= index)
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width + 2, 50)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _table(header: list[str], rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [list(header), *[[row.get(column, "") for column in header] for row in rows]]


def write_csv(path: Path, header: list[str], rows: list[dict[str, Any]]) -> None:
    path.write_bytes(csv_bytes(_table(header, rows)))


def write_xlsx(path: Path, header: list[str], rows: list[dict[str, Any]], title: str) -> None:
    path.write_bytes(xlsx_bytes(_table(header, rows), title))
