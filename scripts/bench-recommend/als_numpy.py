#!/usr/bin/python3
"""Implicit ALS with conjugate gradient in numpy/scipy: the baseline that
xlcfi-recommend is measured against (scripts/bench-recommend.sh). The same
algorithm as lib/xl_als.c, written as fast as numpy allows:

  * confidence c = 1 + alpha * r, r the summed weights of a user-item pair,
    preference 1 where r > 0 (Hu, Koren and Volinsky 2008);
  * a start of 0.01 * uniform[0, 1) for every factor, float32 throughout;
  * per half-sweep, G = Y^T Y + reg I once (BLAS), then for every row
    CG_STEPS (3) conjugate-gradient steps on (G + Y^T (C - I) Y) x = Y^T C p,
    warm-started from the previous x (Takacs et al. 2011, as in
    benfred/implicit and xl_als.c).

The rows are solved in blocks of about BLOCK_FLOATS / factors interactions,
the blocks spread over one thread per CPU. A block's rows run the CG in
lockstep (per-row step sizes; rows whose residual vanished or whose
curvature is not positive stop, as the C code breaks out). The sparse
products are scipy's csr @ dense and a gathered row-wise dot (einsum) for
the sampled x_u . y_i; the gathered factors of a block are reused by all
its CG steps.

usage: als_numpy.py train --factors F [--reg R] [--alpha A] [--iterations N] [--seed S] [--threads T] < events.ndjson
       als_numpy.py eval --split-date 2011-10-01T00:00:00Z [-k 10] [train options] < events.ndjson

train prints one JSON record like xlcfi-recommend train's ("seconds" is the
time of the iterations, without reading the input); eval prints
{"model":"als","precision@10":...,"users":...} with the protocol of
xlcfi-recommend eval: train on the events before the split, test on the
later items of users seen in training, items they had before excluded from
candidates and truth, test items unknown to training dropped;
precision@K = total hits / sum over users of min(K, |test items|).
"""
import argparse
import datetime
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

# BLAS on one thread inside a block, the blocks on one Python thread per
# CPU (numpy and scipy let go of the GIL in the heavy calls): as xl_als.c
# does, and faster on 2 cores than one thread of blocks over 2 BLAS threads
# (which only help the small per-block products). Set before numpy loads
# OpenBLAS.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

CG_STEPS = 3
# A block's gathered factors (BLOCK_FLOATS floats, 2 MiB) stay in cache
# across its CG steps; larger blocks were slower on the 2-core machine
# (Online Retail and the generated log, 32 to 128 factors), smaller
# ones pay more Python per row.
BLOCK_FLOATS = 1 << 19


def parse_ts(v):
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return int(v)
    return int(datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp())


def read_events(f):
    """Users and items (strings) numbered in first-seen order; arrays u, i, w, ts."""
    users, items = {}, {}
    u, i, w, ts = [], [], [], []
    loads = json.loads
    for line in f:
        rec = loads(line)
        us, it = str(rec["user"]), str(rec["item"])
        u.append(users.setdefault(us, len(users)))
        i.append(items.setdefault(it, len(items)))
        w.append(rec.get("weight", 1))
        t = parse_ts(rec.get("ts"))
        ts.append(-1 if t is None else t)
    return (len(users), len(items), np.array(u, np.int64), np.array(i, np.int64),
            np.array(w, np.float32), np.array(ts, np.int64))


def matrix(nu, ni, u, i, w):
    m = sp.coo_matrix((w, (u, i)), shape=(nu, ni), dtype=np.float32).tocsr()
    m.sum_duplicates()
    m.eliminate_zeros()
    return m


class Half:
    """The rows of one side (csr R, rows x other), cut into blocks once."""

    def __init__(self, r, alpha, block_nnz):
        self.ncols = r.shape[1]
        self.blocks = []
        indptr = r.indptr.astype(np.int64)
        n = r.shape[0]
        r0 = 0
        while r0 < n:
            # Rows up to about block_nnz interactions (at least one row).
            r1 = int(np.searchsorted(indptr, indptr[r0] + block_nnz, side="right")) - 1
            r1 = min(max(r1, r0 + 1), n)
            a0, a1 = indptr[r0], indptr[r1]
            cols = r.indices[a0:a1]
            w = (alpha * r.data[a0:a1]).astype(np.float32)
            sub = (indptr[r0:r1 + 1] - a0).astype(np.int32)
            counts = np.diff(sub)
            # One csr per block, its data overwritten by each product (a
            # block is solved by one thread).
            m = sp.csr_matrix((np.empty_like(w), cols, sub), shape=(r1 - r0, self.ncols))
            self.blocks.append((r0, r1, cols, w, counts, m))
            r0 = r1

    def solve(self, x, y, reg, steps, pool):
        k = y.shape[1]
        g = y.T @ y
        g[np.diag_indices(k)] += np.float32(reg)
        if pool is None:
            for blk in self.blocks:
                solve_block(blk, x, y, g, steps)
        else:
            list(pool.map(lambda blk: solve_block(blk, x, y, g, steps), self.blocks))


def solve_block(blk, x, y, g, steps):
    """CG_STEPS of CG for the rows of one block, in place in x."""
    r0, r1, cols, w, counts, m = blk
    yg = np.take(y, cols, axis=0)
    xb = x[r0:r1]

    def apply(v):
        # (G + Y^T (C - I) Y) v for every row at once.
        np.multiply(np.einsum("ij,ij->i", np.repeat(v, counts, axis=0), yg), w, out=m.data)
        return v @ g + m @ y

    np.add(w, 1, out=m.data)
    b = m @ y
    res = b - apply(xb)
    p = res.copy()
    rsold = np.einsum("ij,ij->i", res, res)
    active = np.ones(r1 - r0, bool)
    for _ in range(steps):
        active &= rsold >= 1e-20
        if not active.any():
            break
        ap = apply(p)
        pap = np.einsum("ij,ij->i", p, ap)
        active &= pap > 0
        step = np.zeros_like(rsold)
        np.divide(rsold, pap, out=step, where=active)
        xb += step[:, None] * p
        res -= step[:, None] * ap
        rsnew = np.einsum("ij,ij->i", res, res)
        beta = np.zeros_like(rsold)
        np.divide(rsnew, rsold, out=beta, where=active)
        p = res + beta[:, None] * p
        rsold = np.where(active, rsnew, rsold)


def train(r, factors, reg, alpha, iterations, seed, steps=CG_STEPS, threads=0):
    """User and item factors of the csr r; the seconds of each iteration."""
    rng = np.random.default_rng(seed)
    x = (rng.random((r.shape[0], factors), dtype=np.float32) * np.float32(0.01))
    y = (rng.random((r.shape[1], factors), dtype=np.float32) * np.float32(0.01))
    block_nnz = max(1024, BLOCK_FLOATS // factors)
    users = Half(r, alpha, block_nnz)
    items = Half(r.T.tocsr(), alpha, block_nnz)
    threads = threads or len(os.sched_getaffinity(0))
    pool = ThreadPoolExecutor(threads) if threads > 1 else None
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        users.solve(x, y, reg, steps, pool)
        items.solve(y, x, reg, steps, pool)
        times.append(time.perf_counter() - t0)
    if pool:
        pool.shutdown()
    return x, y, times


def evaluate(nu, ni, u, i, w, ts, split, k, a):
    before = ts < split
    # Training: users and items of the events before the split, numbered anew.
    tu, tu_inv = np.unique(u[before], return_inverse=True)
    ti, ti_inv = np.unique(i[before], return_inverse=True)
    r = matrix(len(tu), len(ti), tu_inv, ti_inv, w[before])
    x, y, _ = train(r, a.factors, a.reg, a.alpha, a.iterations, a.seed, threads=a.threads)
    user_row = np.full(nu, -1, np.int64)
    user_row[tu] = np.arange(len(tu))
    item_col = np.full(ni, -1, np.int64)
    item_col[ti] = np.arange(len(ti))
    # Truth: later items of training users, known to training, not had before.
    after = ~before
    tr, tc = user_row[u[after]], item_col[i[after]]
    keep = (tr >= 0) & (tc >= 0)
    truth = sp.csr_matrix((np.ones(keep.sum(), np.float32), (tr[keep], tc[keep])), shape=r.shape)
    truth.sum_duplicates()
    seen = r.copy()
    seen.data[:] = 1
    truth = truth - truth.multiply(seen)
    truth.eliminate_zeros()
    test_users = np.flatnonzero(np.diff(truth.indptr))
    hits = denom = 0
    for b0 in range(0, len(test_users), 1024):
        rows = test_users[b0:b0 + 1024]
        scores = x[rows] @ y.T
        s = r[rows]
        scores[np.repeat(np.arange(len(rows)), np.diff(s.indptr)), s.indices] = -np.inf
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        t = truth[rows]
        for j in range(len(rows)):
            want = t.indices[t.indptr[j]:t.indptr[j + 1]]
            hits += np.isin(top[j], want).sum()
            denom += min(k, len(want))
    return {"model": "als", "precision@%d" % k: hits / denom if denom else 0.0,
            "users": int(len(test_users)), "train_users": int(r.shape[0]),
            "train_items": int(r.shape[1]), "train_nnz": int(r.nnz)}


def main():
    ap = argparse.ArgumentParser(prog="als_numpy.py")
    ap.add_argument("mode", choices=("train", "eval"))
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--reg", type=float, default=1.0)
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=0, help="solver threads (default: one per CPU)")
    ap.add_argument("--split-date", default="2011-10-01T00:00:00Z")
    ap.add_argument("-k", type=int, default=10)
    a = ap.parse_args()
    nu, ni, u, i, w, ts = read_events(sys.stdin)
    if a.mode == "train":
        r = matrix(nu, ni, u, i, w)
        _, _, times = train(r, a.factors, a.reg, a.alpha, a.iterations, a.seed, threads=a.threads)
        out = {"iterations": len(times), "seconds": round(sum(times), 4),
               "seconds_per_iteration": round(sum(times) / len(times), 4),
               "users": nu, "items": ni, "nnz": int(r.nnz), "factors": a.factors}
    else:
        out = evaluate(nu, ni, u, i, w, ts, parse_ts(a.split_date), a.k, a)
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
