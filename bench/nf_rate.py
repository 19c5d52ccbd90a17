#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Rates from bench/tel_watch.py's samples (bench/dr_bench.sh --new-flows).

usage: nf_rate.py newflow FILE FRAMES [--slice S]
       nf_rate.py steady FILE [--slice S]

newflow: vipd watched through its first pass over a pcap of FRAMES flows
(/vipd/stats and /vipd/services every few ms). The window runs from the first
sample with at least 10 % of FRAMES sessions to the last with at most 90 %:
every packet in it is a new flow (the replay has not wrapped). Prints the
session count's slope over the window (new_per_s), the median of its slopes
over consecutive slices of at least S seconds (default 0.025: new_per_s_med),
the per-service conns, rx and tx slopes, the drops in the window, and
old_flow_pkts = rx - new sessions - drops (0 give or take a burst).

steady: testpmd watched the same way for its measured window; prints the
null port's (all /ethdev/stats,N opackets) mean rate (eth_pps) and the
median of its slice rates (eth_pps_med).

The slice medians are what the ratio uses, for both programs alike: vipd's
first pass lasts ~0.2 s, and on a shared CPU a 20 ms preemption in it would
otherwise count ten times what it counts in testpmd's 10 s.
"""
import argparse
import json
import statistics
import sys


def load(path):
    rows, end = [], {}
    for line in open(path):
        d = json.loads(line)
        if "t" in d:
            rows.append(d)
        else:
            end = d
    return rows, end


def slice_rates(rows, get, span):
    rates, a = [], None
    for r in rows:
        if a is None:
            a = r
            continue
        if r["t"] - a["t"] >= span:
            rates.append((get(r) - get(a)) / (r["t"] - a["t"]))
            a = r
    return rates


def fmt(out):
    return " ".join("%s=%s" % (k, (round(v, 4) if isinstance(v, float) else v))
                    for k, v in out.items())


def newflow(rows, end, n, span):
    if not rows:
        return "error=no-samples(%s)" % end.get("error", "?")
    st = lambda r, k: r["r"]["/vipd/stats"][k]
    conns = lambda r: sum(v["conns"] for v in r["r"]["/vipd/services"].values())
    lo, hi = 0.10 * n, 0.90 * n
    inside = [r for r in rows if lo <= st(r, "sessions") <= hi]
    final = max(st(r, "sessions") for r in rows)
    if len(inside) < 3 or inside[-1]["t"] <= inside[0]["t"]:
        return ("error=first-pass-not-seen samples=%d inside=%d final_sessions=%d "
                "first_sample_sessions=%d" % (len(rows), len(inside), final,
                                              st(rows[0], "sessions")))
    a, b = inside[0], inside[-1]
    e = b["t"] - a["t"]
    ds = st(b, "sessions") - st(a, "sessions")
    drx = st(b, "rx_pkts") - st(a, "rx_pkts")
    dd = st(b, "drop_total") - st(a, "drop_total")
    sl = slice_rates(inside, lambda r: st(r, "sessions"), span)
    out = {
        "new_per_s_med": statistics.median(sl) if sl else ds / e,
        "new_per_s": ds / e,
        "slices": len(sl),
        "conns_per_s": (conns(b) - conns(a)) / e,
        "rx_pps": drx / e,
        "tx_pps": (st(b, "tx_pkts") - st(a, "tx_pkts")) / e,
        "window": e,
        "samples": len(inside),
        "window_sessions": ds,
        "old_flow_pkts": drx - ds - dd,
        "final_sessions": final,
        "first_sample_sessions": st(rows[0], "sessions"),
        "drops": dd,
        "drop_reasons": ",".join(
            "%s=%d" % (k[5:], st(b, k) - st(a, k)) for k in sorted(b["r"]["/vipd/stats"])
            if k.startswith("drop_") and k != "drop_total" and st(b, k) != st(a, k)) or "-",
    }
    return fmt(out)


def steady(rows, end, span):
    if len(rows) < 3:
        return "error=no-samples(%s)" % end.get("error", "?")
    sent = lambda r: sum(v["opackets"] for k, v in r["r"].items()
                         if k.startswith("/ethdev/stats"))
    a, b = rows[0], rows[-1]
    sl = slice_rates(rows, sent, span)
    out = {
        "eth_pps_med": statistics.median(sl) if sl else 0.0,
        "eth_pps": (sent(b) - sent(a)) / (b["t"] - a["t"]),
        "slices": len(sl),
        "elapsed": b["t"] - a["t"],
    }
    return fmt(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("newflow", "steady"))
    ap.add_argument("file")
    ap.add_argument("frames", nargs="?", type=int, default=0)
    ap.add_argument("--slice", type=float, default=0.025)
    a = ap.parse_args()
    rows, end = load(a.file)
    if a.what == "newflow":
        if a.frames <= 0:
            ap.error("newflow needs FRAMES")
        print(newflow(rows, end, a.frames, a.slice))
    else:
        print(steady(rows, end, a.slice))
    return 0


if __name__ == "__main__":
    sys.exit(main())
