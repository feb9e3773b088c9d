"""XlsxWriter baseline of scripts/bench-report.sh.

The order lines of a CSV file (as psql \\copy ... CSV writes them: date,
order id, customer id, SKU, product name, qty, amount in won) written as the
cells of xlcfi-report's detail sheet, with XlsxWriter in constant_memory
mode: the same header, column widths, frozen header row, autofilter, date
and money formats, and a new sheet every 1,048,575 lines. Written as a
careful Python programmer would: the csv module, typed write_number and
write_string calls (not the generic write), each day's Excel serial number
worked out once.

usage: /usr/bin/python3 xlsx_xlsxwriter.py IN.csv OUT.xlsx
"""
import csv
import datetime
import sys

import xlsxwriter

HEAD = ("Date", "Order", "Customer", "SKU", "Product", "Qty", "Amount")
WIDTHS = (12, 12, 12, 16, 32, 6, 14)
MAX_ROWS = 1048575  # Excel's 1,048,576 rows less the header
EXCEL_DAY0 = datetime.date(1899, 12, 30)


def main(src, dst):
    wb = xlsxwriter.Workbook(dst, {"constant_memory": True})
    header = wb.add_format({"bold": True, "bottom": 1, "bg_color": "#D9E1F2"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    money_fmt = wb.add_format({"num_format": "\u20a9#,##0"})
    serials = {}
    ws = None
    nsheets = 0
    row = 0

    def new_sheet(number):
        s = wb.add_worksheet("Detail" if number == 1 else "Detail %d" % number)
        for c, (h, w) in enumerate(zip(HEAD, WIDTHS)):
            s.write_string(0, c, h, header)
            s.set_column(c, c, w)
        return s

    def finish(s, rows):
        s.freeze_panes(1, 0)
        s.autofilter(0, 0, rows, len(HEAD) - 1)

    with open(src, newline="", encoding="utf-8") as f:
        for day, order_id, user_id, sku, name, qty, amount in csv.reader(f):
            if ws is None or row == MAX_ROWS:
                if ws is not None:
                    finish(ws, row)
                nsheets += 1
                ws = new_sheet(nsheets)
                row = 0
            row += 1
            serial = serials.get(day)
            if serial is None:
                serial = (datetime.date.fromisoformat(day) - EXCEL_DAY0).days
                serials[day] = serial
            ws.write_number(row, 0, serial, date_fmt)
            ws.write_number(row, 1, int(order_id))
            ws.write_number(row, 2, int(user_id))
            if sku:
                ws.write_string(row, 3, sku)
            if name:
                ws.write_string(row, 4, name)
            ws.write_number(row, 5, int(qty))
            ws.write_number(row, 6, int(amount), money_fmt)
    if ws is None:
        ws = new_sheet(1)
    finish(ws, row)
    wb.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: xlsx_xlsxwriter.py IN.csv OUT.xlsx")
    main(sys.argv[1], sys.argv[2])
