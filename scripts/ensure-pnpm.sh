# Sourced by .ci/run and scripts/start.sh: makes the pinned pnpm available with plain npm
# (corepack fails on the machines tc targets). Needs only Node and npm.
PNPM_VERSION=10.34.9
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 TURBO_NO_UPDATE_NOTIFIER=1
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  if ! npm install -g "pnpm@$PNPM_VERSION"; then
    # No write access to the global prefix: install under the user's home instead.
    npm install --prefix "$HOME/.local/pnpm-$PNPM_VERSION" "pnpm@$PNPM_VERSION"
    export PATH="$HOME/.local/pnpm-$PNPM_VERSION/node_modules/.bin:$PATH"
  fi
fi
