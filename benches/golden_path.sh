#!/usr/bin/env bash
# The "60 seconds" of the golden paths, measured: for each built-in template, the time of
#
#   golden new NAME --local --no-input --values VALUES --checkout DIR
#
# (render, publish to golden's local forge, register in the local catalog, clone), then the time
# of the generated project's own checks in the clone (go-microservice: `go vet ./... && go test
# ./...`; node-service: `npm ci && npm test && npm run lint`), and the sum. golden's cpu time
# (user + sys) is shown beside its wall time: on a busy machine the wall time is mostly waiting.
#
# usage: benches/golden_path.sh [RUNS]        (default RUNS: 5; the median of each figure is shown)
#
# env:
#   GOLDEN       the binary to measure (default: target/release/golden, built with
#                `cargo build --release --locked` when missing)
#   GOLDEN_GO    a Go 1.22+ toolchain (default: `go` on PATH, else /usr/lib/go-1.N/bin/go)
#   GOLDEN_NODE  a Node.js 22 binary (default: `node` on PATH if it is 22+, else the one .ci/run
#                installs in target/tools/node22)
#   NPM_OFFLINE  1 (default): `npm ci --offline`, from the npm cache .ci/run fills; 0: the registry
#
# Each run uses a fresh GOLDEN_HOME (forge and catalog) in a temporary folder. A path whose
# toolchain is missing is reported as skipped; one that fails is reported, and the exit status is 1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${1:-5}
case $RUNS in ''|*[!0-9]*|0) echo "RUNS must be a positive integer" >&2; exit 2;; esac
GOLDEN=${GOLDEN:-$ROOT/target/release/golden}
if [ ! -x "$GOLDEN" ]; then
  (cd "$ROOT" && cargo build --release --locked)
fi

go_minor() { GOTOOLCHAIN=local "$1" version 2>/dev/null | sed -n 's/.*go1\.\([0-9][0-9]*\).*/\1/p'; }
GO=""
for g in "${GOLDEN_GO:-}" "$(command -v go || true)" $(ls -d /usr/lib/go-1.*/bin/go 2>/dev/null | sort -t. -k2 -n -r); do
  [ -n "$g" ] && [ -x "$g" ] || continue
  m=$(go_minor "$g"); if [ -n "$m" ] && [ "$m" -ge 22 ]; then GO=$g; break; fi
done
node_major() { "$1" --version 2>/dev/null | sed -n 's/^v\([0-9][0-9]*\)\..*/\1/p'; }
NODE=""
for n in "${GOLDEN_NODE:-}" "$(command -v node || true)" "$ROOT"/target/tools/node22/node_modules/node-linux-*/bin/node; do
  [ -n "$n" ] && [ -x "$n" ] || continue
  m=$(node_major "$n"); if [ -n "$m" ] && [ "$m" -ge 22 ]; then NODE=$n; break; fi
done
NPM_FLAGS="--no-audit --no-fund"
[ "${NPM_OFFLINE:-1}" = 1 ] && NPM_FLAGS="$NPM_FLAGS --offline"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/golden-path-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }

checks() { # NAME DIR
  case $1 in
    go-microservice) (cd "$2" && GOTOOLCHAIN=local GOPROXY=off "$GO" vet ./... && GOTOOLCHAIN=local GOPROXY=off "$GO" test ./...) ;;
    node-service) (cd "$2" && export PATH="$(dirname "$NODE"):$PATH" && npm ci $NPM_FLAGS && npm test && npm run lint) ;;
  esac
}

failed=0
TIMEFORMAT='%R %U %S'
printf '%-16s %5s %12s %16s %14s %10s\n' template runs "golden (s)" "golden cpu (s)" "project (s)" "total (s)"
for name in go-microservice node-service; do
  case $name in
    go-microservice) tool=$GO; what="Go 1.22+";;
    node-service) tool=$NODE; what="Node.js 22";;
  esac
  if [ -z "$tool" ]; then
    printf '%-16s skipped: no %s (set %s)\n' "$name" "$what" "$([ $name = node-service ] && echo GOLDEN_NODE || echo GOLDEN_GO)"
    continue
  fi
  : >"$WORK/$name.golden"; : >"$WORK/$name.cpu"; : >"$WORK/$name.project"; : >"$WORK/$name.total"
  for i in $(seq "$RUNS"); do
    run=$WORK/$name-$i
    mkdir -p "$run"
    t0=$(now)
    if ! { time GOLDEN_HOME=$run/home "$GOLDEN" new "$name" --local --no-input --quiet \
      --set name=bench --set owner=group:default/team-a --set description=Benchmark \
      --set 'repoUrl=github.com?owner=acme&repo=bench' --checkout "$run/bench" </dev/null 2>"$run/golden.err"; } 2>"$run/golden.time"; then
      cat "$run/golden.err" >&2
      printf '%-16s failed: golden new (above)\n' "$name"; failed=1; continue 2
    fi
    t1=$(now)
    awk '{print $2 + $3}' "$run/golden.time" >>"$WORK/$name.cpu"
    if ! checks "$name" "$run/bench" >"$run/checks.log" 2>&1; then
      tail -n 40 "$run/checks.log" >&2
      printf '%-16s failed: the project'"'"'s checks (above)\n' "$name"; failed=1; continue 2
    fi
    t2=$(now)
    awk "BEGIN {print $t1 - $t0}" >>"$WORK/$name.golden"
    awk "BEGIN {print $t2 - $t1}" >>"$WORK/$name.project"
    awk "BEGIN {print $t2 - $t0}" >>"$WORK/$name.total"
    rm -rf "$run"
  done
  printf '%-16s %5s %12.3f %16.3f %14.3f %10.3f\n' "$name" "$RUNS" "$(median <"$WORK/$name.golden")" \
    "$(median <"$WORK/$name.cpu")" "$(median <"$WORK/$name.project")" "$(median <"$WORK/$name.total")"
done
exit $failed
