#!/usr/bin/env bash
# Runs the Backstage catalog backend in the foreground on 127.0.0.1:PORT (default 7007) until
# killed. Callers need the static token GOLDEN_BACKSTAGE_TOKEN (default `golden-test-token`):
#   curl -H "Authorization: Bearer golden-test-token" http://127.0.0.1:7007/api/catalog/entities
# Ready when the log says "Plugin initialization complete". Install first with ./setup.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
port="${1:-7007}"
[ -d node_modules/@backstage/plugin-catalog-backend ] || { echo "the harness is not installed: run tests/backstage/setup.sh" >&2; exit 3; }
source ./env.sh
export GOLDEN_BACKSTAGE_TOKEN="${GOLDEN_BACKSTAGE_TOKEN:-golden-test-token}"
# Backstage reads APP_CONFIG_<path> variables as config (values parsed as JSON).
export APP_CONFIG_backend_listen_port="$port" APP_CONFIG_backend_baseUrl="http://127.0.0.1:$port"
exec node --no-node-snapshot index.mjs --config app-config.yaml
