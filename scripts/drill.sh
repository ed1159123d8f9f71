#!/usr/bin/env bash
# The main job: a whole disaster recovery, locally. Builds what it needs (the
# contract wasm, the drill), then runs it; flags go to the drill:
#   --nodes N  --threshold T  --lose K  --transport mtls|web  --workdir DIR
#   --chaos    (instead: every fault at every step of a recovery; prints the
#               matrix and `N passed, M failed`)
# Exit code 0 only if the recovery truly happened (checked from the
# contract's views and the shares themselves).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
scripts/build-contract.sh
say "building the drill"
cargo build --quiet -p drill
"$CARGO_TARGET_DIR/debug/drill" "$@"
