#!/usr/bin/env bash
# Prints gas burnt per method at 4, 16 and 64 participants, storage bytes and
# the wasm size, measured by executing the contract wasm under NEAR's VM, and the
# TDX quote verifier's gas per verification and wasm size.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
scripts/build-contract.sh
cargo run --quiet -p contract-tests --bin bench
