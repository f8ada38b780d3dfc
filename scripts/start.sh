#!/usr/bin/env bash
# One command for a new user: installs pnpm and the dependencies, builds, and runs a local devnet.
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

# The devnet: 4 local validator nodes as child processes, with a live view (Ctrl-C stops
# them all cleanly). Without a TTY it runs for 30 s and prints a summary; exit 0 means the
# tips agreed. Extra arguments go to `tc-node devnet` (e.g. --nodes 6 --tx-rate 5).
if [ -t 1 ]; then
  exec node apps/node/dist/cli.js devnet "$@"
fi
exec node apps/node/dist/cli.js devnet --duration 30 "$@"
