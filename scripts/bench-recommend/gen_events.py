#!/usr/bin/python3
"""A deterministic synthetic interaction log for the recommender benchmark,
one NDJSON record a line: {"user":123,"item":"SKU-00042","ts":1735689600}
(weight 2 on one line in ten, absent, i.e. 1, otherwise).

USERS users and ITEMS items; item popularity is Zipf-like (weight
1 / (rank + 10)), user activity log-normal; every user and item belongs to
one of CLUSTERS taste clusters, and 3 events in 4 pick an item of the
user's cluster (by popularity within it), the rest any item by overall
popularity. Times are spread over 2025, and the lines come in time order.
The same arguments give the same bytes (numpy's PCG64, fixed seed).

usage: gen_events.py [events [users [items]]]   (default 1000000 20000 5000)
"""
import io
import sys

import numpy as np

CLUSTERS = 25
SEED = 20260601
T0, T1 = 1735689600, 1767225600  # 2025-01-01 .. 2026-01-01 UTC


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    items = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    rng = np.random.default_rng(SEED)
    pop = 1.0 / (rng.permutation(items) + 10.0)
    item_cluster = rng.integers(0, CLUSTERS, items)
    user_cluster = rng.integers(0, CLUSTERS, users)
    activity = rng.lognormal(0.0, 1.0, users)
    user = np.repeat(np.arange(users), rng.multinomial(n, activity / activity.sum()))
    rng.shuffle(user)
    item = rng.choice(items, size=n, p=pop / pop.sum())
    local = rng.random(n) < 0.75
    for c in range(CLUSTERS):
        pick = np.flatnonzero(local & (user_cluster[user] == c))
        mine = np.flatnonzero(item_cluster == c)
        item[pick] = rng.choice(mine, size=len(pick), p=pop[mine] / pop[mine].sum())
    ts = np.sort(rng.integers(T0, T1, n))
    heavy = rng.random(n) < 0.1
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="ascii", newline="\n")
    for u, i, t, h in zip(user.tolist(), item.tolist(), ts.tolist(), heavy.tolist()):
        if h:
            out.write('{"user":%d,"item":"SKU-%05d","ts":%d,"weight":2}\n' % (u, i, t))
        else:
            out.write('{"user":%d,"item":"SKU-%05d","ts":%d}\n' % (u, i, t))
    out.flush()


if __name__ == "__main__":
    main()
