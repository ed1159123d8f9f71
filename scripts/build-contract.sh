#!/usr/bin/env bash
# Builds the contracts to target/near/: mpc_contract.wasm (the MPC contract)
# and tee_verifier.wasm (the TDX quote verifier). Each is compiled for
# wasm32-unknown-unknown with `--cfg near` (.cargo/config.toml), the release
# profile tuned for size, then `wasm-opt -Oz`. Fails if a result is larger
# than a NEAR transaction can carry, or than its own budget.
# `scripts/build-contract.sh tee-verifier` builds only the packages named.
#
# Toolchain: rustup's wasm32 target when it can be had within a time limit,
# otherwise Debian's rustc-web with -Zbuild-std (needs only Debian's archive).
# Environment: CARGO_TARGET_DIR (default target/), MPC_WASM_TOOLCHAIN=debian.
source "$(dirname "$0")/lib.sh"

MAX_BYTES=1572864
OUT_DIR="$CARGO_TARGET_DIR/near"
# package, and the most bytes its optimised wasm may have.
declare -A BUDGET=([mpc-contract]=300000 [tee-verifier]=520000)
PACKAGES=("$@")
[ ${#PACKAGES[@]} -gt 0 ] || PACKAGES=(mpc-contract tee-verifier)
for package in "${PACKAGES[@]}"; do
    [ -n "${BUDGET[$package]:-}" ] || die "unknown contract package: $package (known: ${!BUDGET[*]})"
done

have_rustup_target() {
    command -v rustup >/dev/null || return 1
    rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown && return 0
    say "adding the wasm32-unknown-unknown target (rustup)"
    timeout 120 rustup target add wasm32-unknown-unknown >/dev/null 2>&1
}

# One cargo invocation per package: built together, cargo would unify their
# dependencies' features (dcap-qvl's serde_json `preserve_order`, for one) and
# change the MPC contract's wasm.
build_with_rustup() {
    for package in "${PACKAGES[@]}"; do
        cargo build -p "$package" --release --locked --target wasm32-unknown-unknown || return 1
    done
}

build_with_debian() {
    say "falling back to Debian's rustc-web with -Zbuild-std"
    apt_install rustc-web cargo-web rust-web-src rust-web-llvm
    # /usr/bin/rust-lld points into an lld package that rustc-web does not pull in.
    if [ ! -e "$(readlink -f /usr/bin/rust-lld)" ]; then
        local llvm_version
        llvm_version=$(readlink -f /usr/bin/rust-lld | grep -oE '(lld|llvm)-[0-9]+' | grep -oE '[0-9]+' | head -n 1)
        [ -n "$llvm_version" ] || die "cannot tell which lld package /usr/bin/rust-lld needs"
        apt_install "lld-$llvm_version"
    fi
    for package in "${PACKAGES[@]}"; do
        RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo build -p "$package" --release --locked \
            --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort || return 1
    done
}

# Panic messages carry their source file: drop the registry's directory from
# those paths (kilobytes of wasm, and no build machine's paths in the
# contract). `--cfg near` is repeated: this variable may replace the value of
# .cargo/config.toml rather than add to it.
rustflags=(--cfg near)
for registry in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
    [ -d "$registry" ] && rustflags+=("--remap-path-prefix=$registry=")
done
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${rustflags[*]}"

# A compile error is reported as it is; only a missing target sends us to
# Debian. MPC_WASM_TOOLCHAIN=debian forces the fallback (to check it works).
if [ "${MPC_WASM_TOOLCHAIN:-}" != "debian" ] && have_rustup_target; then
    build_with_rustup || die "the contract does not compile for wasm32 (see above)"
else
    build_with_debian || die "could not build the contract with Debian's rustc-web"
fi

mkdir -p "$OUT_DIR"
# Rust 1.95's wasm output uses these features; NEAR accepts them from protocol 84.
WASM_FEATURES=(--enable-bulk-memory --enable-sign-ext --enable-mutable-globals
    --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types)

# `<f64 as Display>::fmt` made to write nothing (about 18 kB of the MPC
# contract's wasm: core's Grisu and Dragon formatters). The contract formats no
# float; the function is linked only because serde's `Unexpected` Display has a
# `Float` arm, and serde_json, the one deserializer in the contract, formats a
# float it did not expect with its own code before that arm is reached. At worst
# an error message would read "floating point ``". Prints the stubbed text
# module on stdout; fails if the function is not found (another toolchain's
# mangling: then update the pattern rather than lose the saving unnoticed).
stub_float_display() {
    wasm-dis "$1" | awk '
        /^ \(func \$_RNvXs[0-9a-zA-Z]*_NtNtCs[0-9a-zA-Z]+_4core3fmt5floatdNtB[0-9a-zA-Z]+_7Display3fmt / {
            print; print "  (i32.const 0)"; print " )"; skipping = 1; found = 1; next
        }
        skipping && /^ \(/ { skipping = 0 }
        !skipping { print }
        END { if (!found) exit 3 }'
}

optimise() {
    local raw="$1" out="$2" package="$3" extra_passes=()
    [ "$raw" -nt "$out" ] || [ ! -f "$out" ] || return 0
    command -v wasm-opt >/dev/null || apt_install binaryen || true
    if command -v wasm-opt >/dev/null; then
        if [ "$package" = mpc-contract ]; then
            stub_float_display "$raw" > "$out.wat" || die "<f64 as Display>::fmt not found in $raw (see stub_float_display)"
            wasm-as "${WASM_FEATURES[@]}" "$out.wat" -o "$out.stubbed.wasm"
            rm "$out.wat"
            raw="$out.stubbed.wasm"
            # --flatten --rereloop, then -Oz again: binaryen rebuilds the control
            # flow of every function from scratch and shrinks it anew (about 6.8 kB
            # less, measured with binaryen 108; the contract's gas went slightly
            # down). Not for the verifier, whose gas is tuned and measured as built.
            extra_passes=(--flatten --rereloop -Oz -Oz)
        fi
        # --low-memory-unused (about 2 kB less): rustc links the stack first, from
        # 1 MiB down to 0, and data above it; the low 1 kB is only reached by a
        # stack overflow, which aborts the call anyway.
        wasm-opt -Oz --converge --low-memory-unused --strip-debug --strip-producers "${WASM_FEATURES[@]}" \
            "${extra_passes[@]}" "$raw" -o "$out.tmp"
        mv "$out.tmp" "$out"
        rm -f "$out.stubbed.wasm"
    else
        warn "wasm-opt (Debian: binaryen) is not available; the wasm is not size-optimised"
        cp "$raw" "$out"
    fi
}

for package in "${PACKAGES[@]}"; do
    name="${package//-/_}"
    RAW="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/$name.wasm"
    OUT="$OUT_DIR/$name.wasm"
    optimise "$RAW" "$OUT" "$package"
    size=$(stat -c %s "$OUT")
    say "contract: $OUT ($size bytes; before wasm-opt $(stat -c %s "$RAW"))"
    [ "$size" -le "$MAX_BYTES" ] || die "the contract is $size bytes, over the $MAX_BYTES-byte transaction limit"
    [ "$size" -le "${BUDGET[$package]}" ] || die "$name.wasm is $size bytes, over its ${BUDGET[$package]}-byte budget"
done
