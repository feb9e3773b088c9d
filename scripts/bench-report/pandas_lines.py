"""pandas baseline of scripts/bench-report.sh, part 3.

What `xlcfi-analyze sales --by week --from-stdin` computes, done the way an
analyst would with pandas: the order_lines records that
`xlcfi-etl export --table order_lines` writes, read whole with
pandas.read_json(lines=True), then grouped by the Asia/Seoul ISO week of
occurred_at and the currency. The rules are xlcfi-analyze(1)'s: gross is
the sold lines and shipping fees, refunds always count (as positive
amounts), net = gross - refunds, orders and buyers are the distinct orders
and buyers with sold lines, units their quantities, AOV gross / orders
rounded half up; every week from the first to the last is written, a week
without facts as zeros. One NDJSON record per week and currency, in the
same shape as xlcfi-analyze's, so the two outputs can be compared byte for
byte.

usage: /usr/bin/python3 pandas_lines.py LINES.ndjson
"""
import json
import sys

import pandas as pd


def main(path):
    df = pd.read_json(path, lines=True)
    t = pd.to_datetime(df["occurred_at"], utc=True).dt.tz_convert("Asia/Seoul")
    day = t.dt.tz_localize(None).dt.normalize()
    df["week"] = day - pd.to_timedelta(day.dt.weekday, unit="D")  # the week's Monday

    sold = df["sold"].astype(bool)
    keys = ["week", "currency"]
    gross = df[sold & df["kind"].isin(["line", "shipping"])].groupby(keys)["amount_minor"].sum()
    refunds = -df[df["kind"] == "refund"].groupby(keys)["amount_minor"].sum()
    lines = df[sold & (df["kind"] == "line")].groupby(keys).agg(
        orders=("order_id", "nunique"), units=("qty", "sum"), buyers=("user_id", "nunique"))
    w = pd.concat([gross.rename("gross"), refunds.rename("refunds"), lines], axis=1).fillna(0)

    if len(w):
        weeks = pd.date_range(w.index.get_level_values(0).min(), w.index.get_level_values(0).max(),
                              freq="7D")
        currencies = sorted(w.index.get_level_values(1).unique())
        w = w.reindex(pd.MultiIndex.from_product([weeks, currencies], names=keys), fill_value=0)
    out = sys.stdout
    for (monday, currency), r in w.sort_index().iterrows():
        gross_minor, orders = int(r["gross"]), int(r["orders"])
        iso = monday.isocalendar()
        rec = {
            "period": "%04d-W%02d" % (iso[0], iso[1]),
            "from": monday.strftime("%Y-%m-%d"),
            "to": (monday + pd.Timedelta(days=6)).strftime("%Y-%m-%d"),
            "currency": currency,
            "gross_minor": gross_minor,
            "refunds_minor": int(r["refunds"]),
            "net_minor": gross_minor - int(r["refunds"]),
            "orders": orders,
            "units": int(r["units"]),
            "aov_minor": (2 * gross_minor + orders) // (2 * orders) if orders else 0,
            "buyers": int(r["buyers"]),
        }
        out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: pandas_lines.py LINES.ndjson")
    main(sys.argv[1])
