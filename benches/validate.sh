#!/usr/bin/env bash
# Benchmark: `golden validate` on 1,000 generated templates (release build).
# Each template has two parameter pages, four steps (fetch:template with a five-file skeleton,
# fetch:plain, debug:log, an each step) and output links, so every check runs. Part of every
# template's expressions and skeleton files is unique to it (golden analyses a repeated text once).
# Usage: benches/validate.sh [COUNT]   (default 1000). Prints the best of 5 runs (wall and CPU).
# GOLDEN=path/to/golden measures that binary instead of building target/release/golden (e.g. the
# `profiling` profile's, which is the release build with debug symbols).
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-1000}"
if [ -n "${GOLDEN:-}" ]; then
  bin=$(cd "$(dirname "$GOLDEN")" && pwd)/$(basename "$GOLDEN")
else
  cargo build --release --quiet
  bin="$PWD/target/release/golden"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

proto="$work/proto"
mkdir -p "$proto/skeleton/src" "$proto/skeleton/.github/workflows" "$proto/static"
cat > "$proto/template.yaml" <<'YAML'
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: NAME
  title: Benchmark service NAME
  description: A generated template for the validate benchmark
  tags: [benchmark, go]
spec:
  owner: group:default/platform
  type: service
  parameters:
    - title: Service
      required: [name, owner]
      properties:
        name:
          title: Name
          type: string
          pattern: '^[a-z][a-z0-9-]{2,40}$'
          ui:field: EntityNamePicker
        owner:
          title: Owner
          type: string
          ui:field: OwnerPicker
          ui:options:
            catalogFilter: { kind: Group }
        tier:
          type: string
          enum: [gold, silver, bronze]
          default: silver
    - title: Repository
      required: [repoUrl]
      properties:
        repoUrl:
          type: string
          ui:field: RepoUrlPicker
          ui:options: { allowedHosts: [github.com] }
        topics:
          type: array
          items: { type: string }
          default: [service]
  steps:
    - id: fetch
      name: Fetch skeleton
      action: fetch:template
      input:
        url: ./skeleton
        copyWithoutTemplating: [.github/workflows/*]
        values:
          name: ${{ parameters.name }}
          owner: ${{ parameters.owner }}
          tier: ${{ parameters.tier | default('silver') }}-NAME
          repo: ${{ parameters.repoUrl | parseRepoUrl }}
    - id: static
      action: fetch:plain
      input:
        url: ./static
        targetPath: static
    - id: topics
      action: debug:log
      each: ${{ parameters.topics }}
      input:
        message: topic ${{ each.value | upper }} for NAME/${{ parameters.name }}
    - id: done
      action: debug:log
      if: ${{ parameters.tier == 'gold' }}
      input:
        message: "${{ parameters.name }} (NAME) owned by ${{ parameters.owner | parseEntityRef | pick('name') }}"
  output:
    links:
      - title: Repository
        url: https://github.com/${{ parameters.repoUrl | projectSlug }}
    text:
      - title: Next steps
        content: Run `make NAME` in ${{ parameters.name }}
YAML
cat > "$proto/skeleton/README.md" <<'MD'
# ${{ values.name }} (NAME)

Owned by ${{ values.owner }} (tier: ${{ values.tier | title }}).
{% for t in ['build', 'test', 'lint'] %}
- make ${{ t }}{% if loop.last %} (last){% endif %}
{% endfor %}
MD
cat > "$proto/skeleton/catalog-info.yaml" <<'Y'
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${{ values.name | dump }}
  title: NAME ${{ values.tier }}
  annotations:
    github.com/project-slug: ${{ values.repo.owner }}/${{ values.repo.repo }}
spec:
  type: service
  lifecycle: experimental
  owner: ${{ values.owner }}
Y
printf 'package main\n\n// NAME\nfunc main() { println("${{ values.name | replace("-", "_") }}") }\n' > "$proto/skeleton/src/main.go"
printf 'module github.com/acme/${{ values.name }}\n\ngo 1.22\n' > "$proto/skeleton/go.mod"
printf 'on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.sha }}\n' > "$proto/skeleton/.github/workflows/ci.yml"
printf 'plain file\n' > "$proto/static/notes.txt"

mkdir -p "$work/templates"
for i in $(seq 1 "$count"); do
  cp -r "$proto" "$work/templates/t$i"
  # every template has its own strings, so nothing is validated once for all
  grep -rl NAME "$work/templates/t$i" | xargs sed -i "s/NAME/service-$i/g"
done

"$bin" validate "$work/templates" --format json > "$work/report.json" || true
python3 - "$work/report.json" "$count" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["files"] == int(sys.argv[2]), r["files"]
print(f"validated {r['files']} templates: {r['errors']} errors, {r['warnings']} warnings")
PY

# Wall-clock time depends on what else runs on the machine; CPU time (user + sys) does not, so
# both are printed, with the load average the runs saw.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
best=""
for run in 1 2 3 4 5; do
  out=$( { /usr/bin/time -f "%e %U %S" "$bin" validate "$work/templates" --format json > /dev/null; } 2>&1 | tail -1 ) || true
  read -r wall user sys <<< "$out"
  cpu=$(echo "$user + $sys" | bc)
  echo "run $run: wall ${wall}s, cpu ${cpu}s (user ${user}s, sys ${sys}s)"
  if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc)" = 1 ]; then best=$wall; best_cpu=$cpu; fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "best of 5: wall ${best}s (cpu ${best_cpu}s) for $count templates on $(nproc) cores"
