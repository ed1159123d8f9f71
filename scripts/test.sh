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

# promtool (Debian's `prometheus`) checks docs/alerts.yml; without it that tier says NOT RUN.
apt_install prometheus || warn "could not install Debian's prometheus; the promtool tier will not run"

say "unit, wasm (near-vm-runner) and snapshot tests"
# Snapshots are checked, never rewritten, by the test command.
CI=true cargo test --workspace "${locked[@]}"

say "chaos run: every fault at every step of a recovery, both transports"
scripts/drill.sh --chaos

# The mTLS hard drill runs in the workspace tests (drill/tests/hard.rs); this is the web one.
say "hard drill: a recovery in Hard launch mode with development attestations (web transport)"
scripts/drill.sh --hard --nodes 3 --transport web

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

if command -v near >/dev/null 2>&1; then
    say "near-cli tier: $(command -v near)"
    cargo test -p operator-cli --test near_cli_tier "${locked[@]}" -- --nocapture
else
    echo "near-cli tier: NOT RUN (near-cli-rs not on PATH; install: apt-get install libudev-dev pkg-config && cargo install near-cli-rs --locked, ~50 min on 2 cores)"
fi

say "all tiers that can run here passed"
