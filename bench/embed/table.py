#!/usr/bin/env python3
"""table.py - formats the JSON lines run.sh collects ("SET MODE {json}") as a table."""
import json
import sys

print(f"{'set':<7} {'runtime':<27} {'texts':>6} {'tokens':>7} {'nodes/s':>9} {'tokens/s':>9} {'1-text p50/p99 ms':>18} {'cpu/wall':>8}")
for line in sys.stdin:
    if not line.strip():
        continue
    subset, mode, js = line.split(" ", 2)
    r = json.loads(js)
    if r["runtime"] == "plait-c":
        name = "plait C, 1 worker + 2 BLAS" if mode == "blas2" else f"plait C, {r['threads']} worker(s)"
        lat = f"{r['single_p50_ms']:.2f}/{r['single_p99_ms']:.2f}"
    else:
        name, lat = "TF.js 4.22 tfjs-backend-cpu", "-"
    par = f"{r['cpu_seconds'] / r['seconds']:.2f}" if "cpu_seconds" in r else "-"
    print(f"{subset:<7} {name:<27} {r['texts']:>6} {r['tokens']:>7} {r['nodes_per_s']:>9.1f} "
          f"{r['tokens_per_s']:>9.1f} {lat:>18} {par:>8}")
