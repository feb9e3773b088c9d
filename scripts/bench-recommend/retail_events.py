#!/usr/bin/python3
"""Online Retail (gzip CSV) to recommender events, one NDJSON record a line:
{"user":"17850","item":"85123A","ts":1291191960,"weight":1}.

Kept: lines with a CustomerID, Quantity > 0, UnitPrice > 0 and an
InvoiceNo not starting with 'C' (cancellations). The customer id is printed
as a float in the file ("17850.0"); the event carries its integer form.
InvoiceDate ("2010-12-01 08:26:00") is taken as UTC. Every kept line is one
event of weight 1, so the strength of a user-item pair is the number of
lines, as xlcfi-recommend and als_numpy.py both sum them.

usage: retail_events.py online_retail.csv.gz > events.ndjson
"""
import calendar
import csv
import gzip
import io
import sys
import time


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: retail_events.py online_retail.csv.gz")
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    kept = 0
    with gzip.open(sys.argv[1], "rt", encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        head = next(rows)
        col = {name: i for i, name in enumerate(head)}
        inv, code, qty, date, price, cust = (col[c] for c in (
            "InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"))
        for r in rows:
            if not r[cust] or r[inv].startswith("C"):
                continue
            if float(r[qty]) <= 0 or float(r[price]) <= 0:
                continue
            user = str(int(float(r[cust])))
            ts = calendar.timegm(time.strptime(r[date], "%Y-%m-%d %H:%M:%S"))
            # StockCodes are plain ASCII, but quote them as JSON would.
            item = r[code].replace("\\", "\\\\").replace('"', '\\"')
            out.write('{"user":"%s","item":"%s","ts":%d,"weight":1}\n' % (user, item, ts))
            kept += 1
    out.flush()
    print("retail_events: %d events" % kept, file=sys.stderr)


if __name__ == "__main__":
    main()
