#!/usr/bin/env bash
# One command for a new user: installs pnpm and the dependencies, builds, and runs what exists.
# Works on a machine that has only Node 20 and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 TURBO_NO_UPDATE_NOTIFIER=1
PNPM_VERSION=10.34.9
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  npm install -g "pnpm@$PNPM_VERSION" || {
    npm install --prefix "$HOME/.local/pnpm-$PNPM_VERSION" "pnpm@$PNPM_VERSION"
    export PATH="$HOME/.local/pnpm-$PNPM_VERSION/node_modules/.bin:$PATH"
  }
fi
pnpm install --frozen-lockfile
pnpm turbo build

if [ -f apps/node/dist/cli.js ]; then
  # The devnet: N local validator nodes with a live view; bounded when there is no TTY.
  if [ -t 1 ]; then
    exec node apps/node/dist/cli.js devnet "$@"
  else
    exec node apps/node/dist/cli.js devnet --duration 30 "$@"
  fi
fi

# Until the node app lands, run what exists: the wire protocol's encode/decode benchmark.
echo "apps/node is not built yet; running the @tc/wire benchmark instead"
exec pnpm --filter @tc/wire bench
