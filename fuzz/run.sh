#!/usr/bin/env bash
# Fuzzes golden's renderer and template parser with cargo-fuzz (libFuzzer) for a bounded time per
# target, one process at a time.
#
# usage: fuzz/run.sh [SECONDS] [TARGET ...]   (default: 300 seconds each; targets: render template)
#
# Needs a nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz
# The corpus of each target lives in fuzz/corpus/TARGET/, seeded on the first run from the
# conformance cases (template.yaml files; skeleton files and step inputs) and templates/.
# A crash, a timeout (a single input running over 10 s) or an input needing more than 2 GB is
# written to fuzz/artifacts/TARGET/ and makes the script exit non-zero; reproduce one with
#   cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/FILE
# Each target ends with libFuzzer's final stats (stat::number_of_executed_units is the number of
# executions). FUZZ_FLAGS adds libFuzzer flags (e.g. FUZZ_FLAGS=-seed=1).
# FUZZ_SANITIZER picks cargo-fuzz's sanitizer: `none` by default, since golden's code is safe Rust
# and what fuzzing finds in it (panics, stack overflows, hangs, unbounded memory) libFuzzer
# catches without one; `address` adds AddressSanitizer for the unsafe code of the dependencies, at
# about twice the build time.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SECS=${1:-300}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(render template)
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "error: needs cargo-fuzz on the nightly toolchain:" \
    "rustup toolchain install nightly && cargo install cargo-fuzz" >&2
  exit 2
fi
cd "$ROOT"

# Seeds: whole template.yaml files for `template`; skeleton files and templated step inputs for
# `render`. Only on the first run: later runs go on from the grown corpus.
seed() {
  local dir=$HERE/corpus/$1
  mkdir -p "$dir"
  [ -z "$(ls -A "$dir")" ] || return 0
  case $1 in
    template)
      find tests/conformance/cases templates -name template.yaml -type f |
        while read -r f; do cp "$f" "$dir/$(printf '%s' "$f" | sha1sum | cut -c1-16)"; done ;;
    render)
      find tests/conformance/cases templates -path '*skeleton*' -type f -size -8k |
        while read -r f; do cp "$f" "$dir/$(printf '%s' "$f" | sha1sum | cut -c1-16)"; done
      # every `${{ … }}` expression of the templates, one per file
      find tests/conformance/cases templates -name template.yaml -type f -exec \
        grep -ohE '\$\{\{[^}]*\}\}' {} + | sort -u | while IFS= read -r e; do
        printf '%s' "$e" >"$dir/expr-$(printf '%s' "$e" | sha1sum | cut -c1-16)"
      done ;;
  esac
}

status=0
for t in "${TARGETS[@]}"; do
  seed "$t"
  echo "== $t: ${SECS}s"
  # One process (libFuzzer's default, no -jobs/-fork): the machine may be shared.
  nice -n 10 cargo +nightly fuzz run --sanitizer "${FUZZ_SANITIZER:-none}" "$t" -- \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 ${FUZZ_FLAGS:-} || status=$?
done
exit $status
