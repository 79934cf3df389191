#!/usr/bin/env bash
# Rendering benchmark: `golden new TEMPLATE --dry-run --output DIR` against `cp -r` of the same
# files, in the same run, on synthetic skeletons (gen_skeleton.py: source-like text files with
# 3-6 substitutions and an if-block each, ~5% binaries, templated file and directory names).
#
# usage: benches/render.sh [--install] [--no-verify] [--no-startup|--startup] [N ...]
#                                                                 (default N: 1000 10000 100000)
#
#   --install     apt-get install hyperfine and GNU time first
#   --no-verify   skip the check that golden's output equals the expected tree (plain/)
#   --no-startup  skip the start-up measurement
#   --startup     only the start-up measurement (no N)
#
# Start-up (before the sizes): `golden --version` and `golden new` of a template with one
# skeleton file (--dry-run, same flags as below) against `cp` of that one file, with hyperfine
# (STARTUP_RUNS runs, default 30); mean wall, user and system milliseconds of each.
#
# env:
#   GOLDEN    the binary to measure (default: target/release/golden, built with
#             `cargo build --release --locked` when missing)
#   RUNS      timed runs per command (default 10 at N <= 1000, 5 above)
#   RSS_RUNS  runs of /usr/bin/time for golden's peak RSS (default 3; the median is reported)
#   OUTROOT   where outputs are written (default /dev/shm/golden-bench: tmpfs, so the figures do
#             not measure the disk; ext4 adds noise of its own, see benches/RESULTS.md)
#   WORK      where skeletons and results are kept (default target/bench)
#
# Needs python3 and GNU time (/usr/bin/time); hyperfine when available (else an alternating loop
# timed by python3). Figures: median wall seconds, mean cpu seconds (user+sys), golden / cp -r
# ratios of both, golden's peak RSS, and golden's user cpu per file (microseconds; the issue's
# "5 us per typical file"). On a shared machine compare the ratios, not the seconds.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
INSTALL=0 VERIFY=1 STARTUP=1 NS=()
for a in "$@"; do
  case $a in
    --install) INSTALL=1;;
    --no-verify) VERIFY=0;;
    --no-startup) STARTUP=0;;
    --startup) STARTUP=only;;
    -h|--help) awk 'NR>1 && /^#/ {sub(/^# ?/, ""); print; next} NR>1 {exit}' "$0"; exit 0;;
    -*) echo "unknown option $a (see --help)" >&2; exit 2;;
    *) NS+=("$a");;
  esac
done
[ ${#NS[@]} -eq 0 ] && [ $STARTUP != only ] && NS=(1000 10000 100000)
WORK=${WORK:-$ROOT/target/bench}
OUTROOT=${OUTROOT:-/dev/shm/golden-bench}
RSS_RUNS=${RSS_RUNS:-3}
RES=$WORK/results
mkdir -p "$WORK/skeletons" "$RES"

if [ $INSTALL = 1 ]; then
  command -v hyperfine >/dev/null && [ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq hyperfine time; }
fi
[ -x /usr/bin/time ] || { echo "error: GNU time (/usr/bin/time) is needed for peak RSS: apt-get install time (or --install)" >&2; exit 2; }

if [ -z "${GOLDEN:-}" ]; then
  GOLDEN=$ROOT/target/release/golden
  [ -x "$GOLDEN" ] || (cd "$ROOT" && cargo build --release --locked)
fi
GOLDEN=$(cd "$(dirname "$GOLDEN")" && pwd)/$(basename "$GOLDEN")

{
  echo "date: $(date -u +%FT%TZ)  host: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "golden: $GOLDEN ($("$GOLDEN" --version))"
  echo "cp: $(cp --version | head -1)"
  echo "timer: $(command -v hyperfine >/dev/null && hyperfine --version || echo 'python3 alternating loop')"
  echo "output: $OUTROOT ($(df -T "$(dirname "$OUTROOT")" 2>/dev/null | awk 'NR==2{print $2}'))"
} | tee "$RES/versions.txt"

golden_cmd() { # N OUT -> argv of golden's render (plain words, no shell syntax)
  echo "$GOLDEN new $WORK/skeletons/$1/backstage --dry-run --no-input --quiet --output $2"
}

# ------------------------------------------------------------------ start-up
if [ $STARTUP != 0 ]; then
  command -v hyperfine >/dev/null || { echo "error: the start-up measurement needs hyperfine (--install, or --no-startup)" >&2; exit 2; }
  S=$WORK/skeletons/startup
  if [ ! -f "$S/backstage/template.yaml" ]; then
    mkdir -p "$S/backstage/skeleton" "$S/plain"
    cat >"$S/backstage/template.yaml" <<'YAML'
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: startup
  title: One file
spec:
  owner: group:default/team-platform
  type: service
  parameters:
    - properties:
        name:
          type: string
          default: demo
  steps:
    - id: fetch
      name: Fetch
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{ parameters.name }}
YAML
    printf '# ${{ values.name }}\n' >"$S/backstage/skeleton/README.md"
    printf '# demo\n' >"$S/plain/README.md"
  fi
  W=$OUTROOT/startup
  rm -rf "$W"; mkdir -p "$W"
  $GOLDEN new "$S/backstage" --dry-run --no-input --quiet --output "$W/check" >/dev/null
  cmp -s "$W/check/README.md" "$S/plain/README.md" || { echo "error: golden's one-file render differs from $S/plain/README.md" >&2; exit 1; }
  rm -rf "$W/check"
  echo "### start-up: ${STARTUP_RUNS:-30} runs each"
  hyperfine -N --warmup 3 --runs "${STARTUP_RUNS:-30}" --style basic --export-json "$RES/times_startup.json" \
    --prepare "rm -f $W/cp" --prepare true --prepare "rm -rf $W/golden" \
    -n "cp (one file)" "cp $S/plain/README.md $W/cp" \
    -n "golden --version" "$GOLDEN --version" \
    -n "golden new (one file)" "$GOLDEN new $S/backstage --dry-run --no-input --quiet --output $W/golden"
  rm -rf "$W"
  RES=$RES python3 - <<'PY' | tee "$RES/startup.md"
import json, os
d = json.load(open(os.environ["RES"] + "/times_startup.json"))["results"]
print("| command | mean wall ms | user ms | system ms |")
print("|---|---:|---:|---:|")
for r in d:
    print(f"| {r['command']} | {r['mean'] * 1e3:.2f} | {r['user'] * 1e3:.2f} | {r['system'] * 1e3:.2f} |")
PY
fi
[ ${#NS[@]} -eq 0 ] && exit 0

# ------------------------------------------------------------------ skeletons
for n in "${NS[@]}"; do
  [ -f "$WORK/skeletons/$n/skeleton-summary.json" ] ||
    python3 "$ROOT/benches/gen_skeleton.py" -n "$n" -o "$WORK/skeletons/$n" --flavours backstage,plain >/dev/null
done

# ------------------------------------------------------------------ verify: same tree as plain/
if [ $VERIFY = 1 ]; then
  for n in "${NS[@]}"; do
    V=$OUTROOT/verify
    rm -rf "$V"; mkdir -p "$OUTROOT"
    $(golden_cmd "$n" "$V") >/dev/null 2>"$RES/verify_$n.log" || {
      echo "error: golden failed on the N=$n skeleton:" >&2; cat "$RES/verify_$n.log" >&2; exit 1; }
    ref=$WORK/skeletons/$n/plain
    if ! diff -r -q "$V" "$ref" >"$RES/verify_$n.diff" 2>&1; then
      echo "error: golden's output for N=$n differs from the expected tree (first lines of $RES/verify_$n.diff):" >&2
      head -5 "$RES/verify_$n.diff" >&2; exit 1
    fi
    gx=$(cd "$V" && find . -type f -perm -u+x | sort | md5sum); rx=$(cd "$ref" && find . -type f -perm -u+x | sort | md5sum)
    [ "$gx" = "$rx" ] || { echo "error: N=$n: executable bits differ from the expected tree" >&2; exit 1; }
    echo "verify N=$n: golden's output is identical to the expected tree ($(find "$V" -type f | wc -l) files, exec bits equal)"
    rm -rf "$V"
  done
fi

# ------------------------------------------------------------------ timing
for n in "${NS[@]}"; do
  case $n in 1|10|100|1000) r=10;; 100000) r=3;; *) r=5;; esac
  r=${RUNS:-$r}
  W=$OUTROOT/hf
  rm -rf "$W"; mkdir -p "$W"
  echo "### N=$n: $r runs each"
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 1 --runs "$r" --style basic --export-json "$RES/times_$n.json" \
      --prepare "rm -rf $W/cp" -n cp "cp -r $WORK/skeletons/$n/plain $W/cp" \
      --prepare "rm -rf $W/golden" -n golden "$(golden_cmd "$n" "$W/golden")" || {
      # hyperfine hides the commands' output: run both once more where the error can be seen
      echo "error: a timed command failed (N=$n); running both once with their output:" >&2
      rm -rf "$W/cp" "$W/golden"
      cp -r "$WORK/skeletons/$n/plain" "$W/cp" || true
      $(golden_cmd "$n" "$W/golden") || true
      exit 1
    }
  else
    # hyperfine's JSON shape, from an alternating loop (cp, golden, cp, golden, ...)
    python3 - "$r" "$RES/times_$n.json" "cp -r $WORK/skeletons/$n/plain $W/cp" "$(golden_cmd "$n" "$W/golden")" "$W" <<'PY'
import json, os, resource, shutil, subprocess, sys, time
runs, out, cmds, w = int(sys.argv[1]), sys.argv[2], {"cp": sys.argv[3], "golden": sys.argv[4]}, sys.argv[5]
res = {k: {"command": k, "times": [], "user": 0.0, "system": 0.0} for k in cmds}
for i in range(runs + 1):  # the first round is the warm-up
    for k, c in cmds.items():
        shutil.rmtree(os.path.join(w, k), ignore_errors=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(c.split(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i:
            res[k]["times"].append(dt)
            res[k]["user"] += (after.ru_utime - before.ru_utime) / runs
            res[k]["system"] += (after.ru_stime - before.ru_stime) / runs
json.dump({"results": list(res.values())}, open(out, "w"))
PY
  fi
  rm -f "$RES/rss_$n.txt"
  for i in $(seq "$RSS_RUNS"); do
    rm -rf "$W/golden"
    /usr/bin/time -f '%M' -o "$OUTROOT/rss" $(golden_cmd "$n" "$W/golden") >/dev/null 2>&1
    tail -1 "$OUTROOT/rss" >> "$RES/rss_$n.txt"
  done
  rm -rf "$W" "$OUTROOT/rss"
done
rmdir "$OUTROOT" 2>/dev/null || true

# ------------------------------------------------------------------ summary
RES=$RES python3 - "${NS[@]}" <<'PY' | tee "$RES/summary.md"
import json, os, statistics, sys
res = os.environ["RES"]
print("| N files | cp -r median wall s | golden median wall s | golden / cp -r (wall) | cp -r cpu s | golden cpu s | golden / cp -r (cpu) | golden peak RSS MiB | golden user us/file |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in sys.argv[1:]:
    d = {r["command"]: r for r in json.load(open(f"{res}/times_{n}.json"))["results"]}
    wall = {k: statistics.median(r["times"]) for k, r in d.items()}
    cpu = {k: r["user"] + r["system"] for k, r in d.items()}
    rss = statistics.median(int(x) for x in open(f"{res}/rss_{n}.txt").read().split()) / 1024
    print(f"| {int(n):,} | {wall['cp']:.4f} | {wall['golden']:.4f} | {wall['golden'] / wall['cp']:.2f} | "
          f"{cpu['cp']:.4f} | {cpu['golden']:.4f} | {cpu['golden'] / cpu['cp']:.2f} | {rss:.1f} | "
          f"{d['golden']['user'] / int(n) * 1e6:.1f} |")
PY
