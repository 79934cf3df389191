#!/usr/bin/env bash
# Fuzzes golden's renderer and template parser with libFuzzer and AddressSanitizer, for a
# bounded time per target (what cargo-fuzz does, without needing cargo-fuzz installed).
#
# usage: fuzz/run.sh [SECONDS] [TARGET ...]      (default: 300 seconds; targets render template)
#
# Needs a nightly toolchain (`rustup toolchain install nightly`). Crashes and hangs are written
# to fuzz/artifacts/TARGET/; the corpus grows in fuzz/corpus/TARGET/ (seeded from the
# conformance cases). Exits non-zero when a target finds a crash, a leak or a timeout.
# Each target prints libFuzzer's final stats (executions, executions per second, peak memory).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SECS=${1:-300}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(render template)
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Zsanitizer=address \
-Cdebug-assertions -Coverflow-checks"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
cargo +nightly build --release --target "$TRIPLE" --manifest-path "$HERE/Cargo.toml" --bins
BIN=$HERE/target/$TRIPLE/release

# Seeds: the conformance templates and their skeleton files.
mkdir -p "$HERE/corpus/render" "$HERE/corpus/template"
if [ -z "$(ls -A "$HERE/corpus/template")" ]; then
  i=0
  for f in "$HERE"/../tests/conformance/cases/*/template.yaml; do
    cp "$f" "$HERE/corpus/template/seed-$i.yaml"; i=$((i + 1))
  done
fi
if [ -z "$(ls -A "$HERE/corpus/render")" ]; then
  i=0
  find "$HERE/../tests/conformance/cases" -path '*skeleton*' -type f -size -8k | head -300 |
    while read -r f; do cp "$f" "$HERE/corpus/render/seed-$i"; i=$((i + 1)); done
fi

status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "$HERE/artifacts/$t"
  echo "== $t: ${SECS}s"
  "$BIN/$t" "$HERE/corpus/$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$HERE/artifacts/$t/" || status=$?
done
exit $status
