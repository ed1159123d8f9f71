#!/usr/bin/env bash
# Runs every test tier that can run on this machine, installing what it needs
# (the wasm32 target or Debian's fallback toolchain, binaryen). A tier that
# cannot run says `NOT RUN: <why>` and is never counted as passed.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

locked=()
[ "${CI:-}" = "true" ] && locked=(--locked)

say "building the contract wasm"
scripts/build-contract.sh

say "unit, wasm (near-vm-runner) and snapshot tests"
# Snapshots are checked, never rewritten, by the test command.
CI=true cargo test --workspace "${locked[@]}"

say "chaos run: every fault at every step of a recovery, both transports"
scripts/drill.sh --chaos

if [ -n "${NEAR_SANDBOX_BIN_PATH:-}" ] && [ -x "${NEAR_SANDBOX_BIN_PATH}" ]; then
    say "sandbox tier: neard at $NEAR_SANDBOX_BIN_PATH"
    cargo test -p sandbox-tests --features sandbox "${locked[@]}"
elif [ "${MPC_SANDBOX_DOWNLOAD:-}" = "1" ]; then
    say "sandbox tier: letting near-workspaces download a neard sandbox"
    cargo test -p sandbox-tests --features download "${locked[@]}"
else
    echo "sandbox tier: NOT RUN (NEAR_SANDBOX_BIN_PATH does not name a neard sandbox binary and none can be downloaded here; set it, or MPC_SANDBOX_DOWNLOAD=1 where a download works)"
fi

# docs/alerts.yml is checked by backup-service/tests/alerts.rs when promtool is installed.
if command -v promtool >/dev/null 2>&1; then
    say "promtool tier: docs/alerts.yml checked by promtool (in the workspace tests above)"
else
    echo "promtool tier: NOT RUN (promtool is not on PATH; Debian: apt-get install prometheus)"
fi

say "all tiers that can run here passed"
