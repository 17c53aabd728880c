#!/usr/bin/env python3
"""Whole-process scan of a 64 MiB code-free chat log: `aadsts-bot scan FILE`
against a Python process running re.finditer(r'AADSTS\\d+', text, re.I) on
the same file. Prints both (median of N runs) and the ratio.

Usage: cargo build --release && python3 benches/scan_vs_python.py [--runs 5] [--mib 64]
Stdlib only; everything stays on this machine.
"""
import argparse, os, random, statistics, subprocess, sys, tempfile, time

WORDS = ("the user cannot sign in to Teams after password reset admin said check Conditional "
         "Access policy AADB2C90118 ADSTS aad sts tenant consent redirect "
         "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=abc {\"error\":\"x\"} "
         "MSIS7012 CAA20004 0x80070005 Azure AD Entra token expired again thanks! did you restart "
         "the VPN? DSTS sts.windows.net hmm ok works now").split()

PY_SCAN = ("import re,sys\n"
           "text=open(sys.argv[1],encoding='utf-8',errors='replace').read()\n"
           "n=sum(1 for _ in re.finditer(r'AADSTS\\d+', text, re.I))\n"
           "print(n)\n")


def make_log(path, size):
    rnd = random.Random(7)
    with open(path, "w", encoding="utf-8") as f:
        written = 0
        while written < size:
            line = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 24))) + "\n"
            f.write(line)
            written += len(line.encode())


def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "aadsts-bot"))
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        sys.exit(f"{a.bin} not found: run `cargo build --release` first")
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "chat.log")
        make_log(log, a.mib << 20)
        env = dict(os.environ, KNOWLEDGE_DIR=os.path.join(os.path.dirname(__file__), "..", "knowledge"))
        # One warm-up each so both read the file from the page cache.
        subprocess.run([a.bin, "scan", log, "--format", "json"], check=True, stdout=subprocess.DEVNULL, env=env)
        subprocess.run([sys.executable, "-c", PY_SCAN, log], check=True, stdout=subprocess.DEVNULL)
        ours = statistics.median(timed([a.bin, "scan", log, "--format", "json"]) for _ in range(a.runs))
        py = statistics.median(timed([sys.executable, "-c", PY_SCAN, log]) for _ in range(a.runs))
    size = a.mib << 20
    print(f"file: {a.mib} MiB code-free chat log, median of {a.runs} runs")
    print(f"aadsts-bot scan : {ours*1000:8.1f} ms  ({size/ours/1e9:6.2f} GB/s)")
    print(f"python re.I     : {py*1000:8.1f} ms  ({size/py/1e9:6.2f} GB/s)")
    print(f"ratio           : {py/ours:8.1f}x")


if __name__ == "__main__":
    main()
