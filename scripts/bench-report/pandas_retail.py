"""pandas baseline of scripts/bench-report.sh, part 2.

Weekly sales of the UCI Online Retail data the way an analyst would get
them with pandas, against `xlcfi-analyze sales --by week` on the imported
database: pd.read_csv of the gzip-compressed CSV as it is shipped
(online_retail.csv.gz; pandas decompresses it), InvoiceDate parsed as
Europe/London local time and converted to Asia/Seoul, grouped by ISO week
(label YYYY-Www): revenue (Quantity x UnitPrice), distinct invoices, units
and distinct customers, written as CSV.

The cleaning approximates what `xlcfi-etl import` refuses (xlcfi-etl(1),
"The Online Retail data set"): lines without a CustomerID, with a Quantity
below 1 (cancellations, adjustments), with a UnitPrice of 0 or less, or
with a StockCode holding a space (BANK CHARGES) are dropped. The import
differs in details that move a few hundred of the 397,792 lines: it keeps
lines priced 0, refuses prices that are not whole pence (0.001) and the
rest of an invoice with a refused line, and places each order at its
earliest line's time, where this groups every line by its own time.

usage: /usr/bin/python3 pandas_retail.py online_retail.csv.gz
"""
import sys

import pandas as pd


def main(path):
    df = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    df = df[df["CustomerID"].notna() & (df["Quantity"] > 0) & (df["UnitPrice"] > 0)
            & ~df["StockCode"].str.contains(" ", regex=False)]
    t = (pd.to_datetime(df["InvoiceDate"], format="%Y-%m-%d %H:%M:%S")
         .dt.tz_localize("Europe/London", ambiguous="NaT", nonexistent="shift_forward")
         .dt.tz_convert("Asia/Seoul"))
    iso = t.dt.isocalendar()
    df = df.assign(week=iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2),
                   amount=df["Quantity"] * df["UnitPrice"])
    weekly = df.groupby("week").agg(revenue=("amount", "sum"), invoices=("InvoiceNo", "nunique"),
                                    units=("Quantity", "sum"), customers=("CustomerID", "nunique"))
    weekly.to_csv(sys.stdout, float_format="%.2f")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: pandas_retail.py online_retail.csv.gz")
    main(sys.argv[1])
