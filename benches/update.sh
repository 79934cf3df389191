#!/usr/bin/env bash
# `golden update` / `golden check` benchmark (not a timed test): a template in a git repository,
# a project made from it, then one template commit and one project commit, and the time golden
# takes to check and to merge the update (each timed run starts from a fresh copy of the project).
#
# usage: benches/update.sh [N ...]      (default: go-microservice and a 10000-file skeleton)
#
#   go           the built-in go-microservice template (published to the local forge)
#   N (a number) a synthetic N-file skeleton (gen_skeleton.py, backstage flavour), linked with
#                `golden link`; the template commit edits 1% of the files, the project 1% others
#
# env:
#   GOLDEN  the binary to measure (default: target/release/golden, else target/debug/golden)
#   RUNS    timed runs per command (default 5)
#   WORK    scratch folder (default target/bench-update)
# Needs git and python3; hyperfine when available (else a python3 loop).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CASES=("$@")
[ ${#CASES[@]} -eq 0 ] && CASES=(go 10000)
RUNS=${RUNS:-5}
WORK=${WORK:-$ROOT/target/bench-update}
if [ -z "${GOLDEN:-}" ]; then
  GOLDEN=$ROOT/target/release/golden
  [ -x "$GOLDEN" ] || GOLDEN=$ROOT/target/debug/golden
fi
[ -x "$GOLDEN" ] || { echo "error: no golden binary; run cargo build (--release)" >&2; exit 2; }
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export GIT_CONFIG_NOSYSTEM=1 GOLDEN_CONFIG=/dev/null
echo "golden: $GOLDEN ($("$GOLDEN" --version)); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

time_it() { # name command...
  local name=$1; shift
  if command -v hyperfine >/dev/null; then
    hyperfine -N --runs "$RUNS" --prepare "bash -c 'rm -rf $D/p && cp -a $D/p0 $D/p'" \
      -i --export-json "$D/$name.json" "$*" 2>&1 | grep -E 'Time|Range' | sed "s/^/  $name: /"
  else
    python3 - "$D" "$RUNS" "$@" <<'EOF'
import subprocess, sys, time, shutil, statistics
d, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ts = []
for _ in range(runs):
    shutil.rmtree(d + "/p", ignore_errors=True)
    subprocess.run(["cp", "-a", d + "/p0", d + "/p"], check=True)
    t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); ts.append(time.perf_counter() - t)
print("  median %.3f s (min %.3f, max %.3f) over %d runs" % (statistics.median(ts), min(ts), max(ts), runs))
EOF
  fi
}

for c in "${CASES[@]}"; do
  D=$WORK/$c
  rm -rf "$D" && mkdir -p "$D"
  export GOLDEN_HOME=$D/home
  cd "$D"
  git init -q -b main tpl
  if [ "$c" = go ]; then
    cp -r "$ROOT/templates/go-microservice" tpl/t
    git -C tpl add -A && git -C tpl commit -qm v1
    "$GOLDEN" -q new "file://$D/tpl//t" --local --no-input --values "$ROOT/examples/go-microservice.yaml" --checkout p0
    echo "Maintained by the platform team." >> tpl/t/skeleton/README.md
    echo "// template change" >> "tpl/t/skeleton/internal/server/server.go"
    echo "## Our notes" >> p0/docs/index.md
  else
    python3 "$ROOT/benches/gen_skeleton.py" -n "$c" -o gen --flavours backstage >/dev/null
    mv gen/backstage tpl/t
    git -C tpl add -A && git -C tpl commit -qm v1
    "$GOLDEN" -q new "file://$D/tpl//t" --no-input --dry-run --output p0
    git -C p0 init -q -b main
    "$GOLDEN" -q link "file://$D/tpl//t" p0 --no-input --ref "$(git -C tpl rev-parse HEAD)"
    # 1% of the text files change in the template (a line appended), 1% others in the project
    mapfile -t files < <(cd tpl/t/skeleton && git ls-files | grep -Ev '\.(png|ico|woff2|bin)$' | sort)
    n=${#files[@]}; step=100
    for ((i=0; i<n; i+=step)); do echo "template change" >> "tpl/t/skeleton/${files[$i]}"; done
    mapfile -t mine < <(cd p0 && find . -type f ! -name .golden.yaml ! -path './.git/*' | grep -Ev '\.(png|ico|woff2|bin)$' | sort)
    for ((i=50; i<${#mine[@]}; i+=step)); do echo "project change" >> "p0/${mine[$i]}"; done
  fi
  git -C tpl commit -qam v2
  git -C p0 add -A && git -C p0 commit -qm "project edits"
  files=$(git -C p0 ls-files | wc -l)
  echo "$c: $files files in the project"
  cp -a p0 p
  "$GOLDEN" check p >/dev/null && { echo "error: check saw no update" >&2; exit 1; } || true
  "$GOLDEN" update p >"$D/update.out" 2>&1 || true
  tail -n +1 "$D/update.out" | head -1 | sed 's/^/  /'
  time_it check "$GOLDEN" check "$D/p"
  time_it update "$GOLDEN" update "$D/p"
  cd "$ROOT"
done
