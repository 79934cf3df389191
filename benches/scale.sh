#!/usr/bin/env bash
# Scaling benchmark: collecting values and running `each:` must take time linear in their size.
# For each N it times `golden new --dry-run` of
#   params: a template with N required string parameters on one page, all given by a --values file
#   each:   a debug:log step with `each: ${{ parameters.items }}` over N objects
# and prints seconds per N and the ratio to the previous N (about 2 when linear, 4 when quadratic).
#
# usage: benches/scale.sh [N ...]        (default: 1000 2000 4000 8000)
# env:   GOLDEN  the binary (default target/release/golden, built when missing)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NS=("$@")
[ ${#NS[@]} -eq 0 ] && NS=(1000 2000 4000 8000)
GOLDEN=${GOLDEN:-$ROOT/target/release/golden}
if [ ! -x "$GOLDEN" ]; then
  (cd "$ROOT" && cargo build --release --locked --quiet)
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" "${NS[@]}" <<'PY'
import json, os, sys
work, ns = sys.argv[1], [int(n) for n in sys.argv[2:]]
for n in ns:
    d = os.path.join(work, f"params-{n}")
    os.makedirs(d)
    props = {f"p{i}": {"type": "string", "title": f"P{i}"} for i in range(n)}
    json.dump({"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
               "metadata": {"name": "params"},
               "spec": {"type": "service",
                        "parameters": [{"title": "All", "required": list(props), "properties": props}],
                        "steps": [{"id": "log", "action": "debug:log", "input": {"message": "hi"}}]}},
              open(os.path.join(d, "template.yaml"), "w"))
    json.dump({k: f"v-{k}" for k in props}, open(os.path.join(d, "values.json"), "w"))
    d = os.path.join(work, f"each-{n}")
    os.makedirs(d)
    json.dump({"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
               "metadata": {"name": "each"},
               "spec": {"type": "service",
                        "parameters": [{"properties": {"items": {"type": "array"}}}],
                        "steps": [{"id": "log", "action": "debug:log",
                                   "each": "${{ parameters.items }}",
                                   "input": {"message": "${{ each.key }}: ${{ each.value.name }}"}}]}},
              open(os.path.join(d, "template.yaml"), "w"))
    json.dump({"items": [{"name": f"n{i}", "x": i} for i in range(n)]},
              open(os.path.join(d, "values.json"), "w"))
PY

time_one() { # kind n -> seconds
  local dir=$WORK/$1-$2 start end
  rm -rf "$WORK/out"
  start=$(date +%s.%N)
  "$GOLDEN" new "$dir" --values "$dir/values.json" --dry-run --quiet --output "$WORK/out" >/dev/null
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.3f}')"
}

for kind in params each; do
  prev=""
  printf '%-7s %8s %9s %7s\n' "$kind" N seconds ratio
  for n in "${NS[@]}"; do
    s=$(time_one "$kind" "$n")
    ratio=$([ -n "$prev" ] && python3 -c "print(f'{$s / max($prev, 1e-9):.2f}')" || echo -)
    printf '%-7s %8s %9s %7s\n' "" "$n" "$s" "$ratio"
    prev=$s
  done
done
