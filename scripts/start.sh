#!/usr/bin/env bash
# One command for a new user: installs pnpm and the dependencies, builds, and runs a local devnet.
# Works on a machine that has only Node 20 and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-pnpm.sh
pnpm install --frozen-lockfile
pnpm turbo build

# The devnet: 4 local validator nodes as child processes, with a live view (Ctrl-C stops
# them all cleanly). Without a TTY it runs for 30 s and prints a summary; exit 0 means the
# tips agreed. Extra arguments go to `tc-node devnet` (e.g. --nodes 6 --tx-rate 5).
if [ -t 1 ]; then
  exec node apps/node/dist/cli.js devnet "$@"
fi
exec node apps/node/dist/cli.js devnet --duration 30 "$@"
