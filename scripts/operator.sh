#!/usr/bin/env bash
# Kept for old habits: every operator step is `mpc-operator` (crate
# operator-cli); this only calls it. `mpc-operator --help` lists the commands.
# It never compiles anything at run time: install the binary once with
#   cargo install --locked --path operator-cli
# (or `cargo build --release -p operator-cli` in this checkout).
source "$(dirname "$0")/lib.sh"

if command -v mpc-operator >/dev/null 2>&1; then
    exec mpc-operator "$@"
fi
for bin in "$CARGO_TARGET_DIR/release/mpc-operator" "$CARGO_TARGET_DIR/debug/mpc-operator"; do
    [ -x "$bin" ] && exec "$bin" "$@"
done
die "mpc-operator is not installed: cargo install --locked --path $ROOT/operator-cli"
