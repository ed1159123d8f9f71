#!/usr/bin/env bash
# The main job: a whole disaster recovery, locally. Builds what it needs (the
# contract wasm, the drill), then runs it; flags go to the drill:
#   --nodes N             participants, each with a node machine and a backup service (2 to 64; default 4)
#   --threshold T         signing threshold (default: 60% of N rounded up, at least 2)
#   --lose K              machines lost one after another, K distinct ones spread over the set (default 1)
#   --transport mtls|web  how shares move (default mtls)
#   --workdir DIR         where the machines keep their state; must be empty or new (default: a temporary directory)
#   --operator-enters     the operator enters each recovery (approved at once)
#   --hard                Hard launch mode: backup services attested (development attestations on a
#                         contract initialised with allow_dev_attestation); the first lost account's
#                         attestation expires and is refused until its service re-attests
#   --chaos               instead: every fault at every step of a recovery (3 nodes, threshold 2);
#                         prints the matrix and `N passed, M failed` (default transport: both)
# Exit code 0 only if the recovery truly happened (checked from the
# contract's views and the shares themselves); 1 if it did not; 2 on bad flags.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
for arg in "$@"; do
    case "$arg" in
        -h | --help | help)
            sed -n '2,/^source/{/^source/d;s/^# \{0,1\}//;p}' "$0"
            exit 0 ;;
    esac
done
scripts/build-contract.sh
say "building the drill"
cargo build --quiet -p drill
"$CARGO_TARGET_DIR/debug/drill" "$@"
