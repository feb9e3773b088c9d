"""openpyxl baseline of scripts/bench-report.sh.

The order lines of a CSV file (as psql \\copy ... CSV writes them: date,
order id, customer id, SKU, product name, qty, amount in won) written as the
cells of xlcfi-report's detail sheet, with openpyxl in write-only mode
(Workbook(write_only=True), rows appended one by one): the same header,
column widths, frozen header row, autofilter, date and money formats, and a
new sheet every 1,048,575 lines. The date is a datetime.date in a cell with
a date format (openpyxl turns it into Excel's serial number), the amount a
number in a cell with a money format; the plain cells are plain values.

usage: /usr/bin/python3 xlsx_openpyxl.py IN.csv OUT.xlsx
"""
import csv
import datetime
import sys

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

HEAD = ("Date", "Order", "Customer", "SKU", "Product", "Qty", "Amount")
WIDTHS = (12, 12, 12, 16, 32, 6, 14)
MAX_ROWS = 1048575  # Excel's 1,048,576 rows less the header


def main(src, dst):
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="D9E1F2")
    bottom = Border(bottom=Side(style="thin"))
    days = {}
    sheets = []
    ws = None
    row = 0

    def new_sheet(number):
        s = wb.create_sheet("Detail" if number == 1 else "Detail %d" % number)
        for c, w in enumerate(WIDTHS, 1):
            s.column_dimensions[get_column_letter(c)].width = w
        s.freeze_panes = "A2"
        head = []
        for h in HEAD:
            cell = WriteOnlyCell(s, value=h)
            cell.font, cell.fill, cell.border = bold, fill, bottom
            head.append(cell)
        s.append(head)
        sheets.append(s)
        return s

    def finish(s, rows):
        s.auto_filter.ref = "A1:G%d" % (rows + 1)

    with open(src, newline="", encoding="utf-8") as f:
        for day, order_id, user_id, sku, name, qty, amount in csv.reader(f):
            if ws is None or row == MAX_ROWS:
                if ws is not None:
                    finish(ws, row)
                ws = new_sheet(len(sheets) + 1)
                row = 0
            row += 1
            d = days.get(day)
            if d is None:
                d = days[day] = datetime.date.fromisoformat(day)
            date_cell = WriteOnlyCell(ws, value=d)
            date_cell.number_format = "yyyy-mm-dd"
            amount_cell = WriteOnlyCell(ws, value=int(amount))
            amount_cell.number_format = "\u20a9#,##0"
            ws.append([date_cell, int(order_id), int(user_id), sku or None, name or None, int(qty),
                       amount_cell])
    if ws is None:
        ws = new_sheet(1)
    finish(ws, row)
    wb.save(dst)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: xlsx_openpyxl.py IN.csv OUT.xlsx")
    main(sys.argv[1], sys.argv[2])
