#!/usr/bin/env bash
# Operator commands for the MPC contract, as near-cli-rs (`near`) invocations.
# Each prints the exact command before running it; DRY_RUN=1 (or --dry-run)
# prints without running. Method lists and gas come from the contract's
# method table (`mpc-methods`), never typed here.
#
#   scripts/operator.sh [--dry-run] [--network NET] COMMAND ARGS...
#
#   deploy CONTRACT WASM PARAMETERS_JSON DOMAINS_JSON   deploy and call init
#   upgrade CONTRACT WASM                               deploy and call migrate (one transaction)
#   add-node-key ACCOUNT CONTRACT PUBLIC_KEY            function-call key limited to the node methods
#   add-backup-key ACCOUNT CONTRACT PUBLIC_KEY          function-call key limited to the backup-service methods
#   register-backup ACCOUNT CONTRACT IDENTITY_KEY SIGNER_KEY   register_backup_service (1 yoctoNEAR)
#   enter-recovery ACCOUNT CONTRACT URL TLS_KEY NODE_KEY   submit_participant_recovery_info as the operator
#                                                       (approved at once; NODE_KEY: the new node's access key)
#   approve-recovery ACCOUNT CONTRACT TLS_KEY           approve_recovery of the machine with TLS_KEY (1 yoctoNEAR)
#   cancel-recovery ACCOUNT CONTRACT                    cancel_recovery (1 yoctoNEAR)
#   state CONTRACT | recovery CONTRACT                  read the views
source "$(dirname "$0")/lib.sh"

NETWORK="${NEAR_NETWORK:-testnet}"
DRY_RUN="${DRY_RUN:-0}"
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1; shift ;;
        --network) NETWORK="${2:?--network needs a value}"; shift 2 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || die "no command given (see the header of $0)"
command_name="$1"; shift

methods() {
    cargo run --quiet --manifest-path "$ROOT/Cargo.toml" -p mpc-interface --bin mpc-methods -- "$@"
}

# Prints the command (shell-quoted, so it can be pasted) and runs it unless dry-run.
run_near() {
    printf '+ near'; printf ' %q' "$@"; printf '\n'
    [ "$DRY_RUN" = "1" ] && return 0
    command -v near >/dev/null || die "near-cli-rs is not installed (cargo install near-cli-rs --locked)"
    near "$@"
}

need() { [ "$1" -ge "$2" ] || die "$command_name needs $2 arguments: $3"; }

call_as() { # ACCOUNT CONTRACT METHOD ARGS DEPOSIT
    run_near contract call-function as-transaction "$2" "$3" json-args "$4" \
        prepaid-gas "$(methods gas "$3") Tgas" attached-deposit "$5" \
        sign-as "$1" network-config "$NETWORK" sign-with-keychain send
}

case "$command_name" in
    deploy)
        need $# 4 "CONTRACT WASM PARAMETERS_JSON DOMAINS_JSON"
        [ -f "$2" ] || die "no wasm at $2"
        args=$(printf '{"parameters":%s,"domains":%s}' "$(cat "$3")" "$(cat "$4")")
        run_near contract deploy "$1" use-file "$2" with-init-call init json-args "$args" \
            prepaid-gas "$(methods gas init) Tgas" attached-deposit '0 NEAR' \
            network-config "$NETWORK" sign-with-keychain send ;;
    upgrade)
        need $# 2 "CONTRACT WASM"
        [ -f "$2" ] || die "no wasm at $2"
        run_near contract deploy "$1" use-file "$2" with-init-call migrate json-args '{}' \
            prepaid-gas "$(methods gas migrate) Tgas" attached-deposit '0 NEAR' \
            network-config "$NETWORK" sign-with-keychain send ;;
    add-node-key | add-backup-key)
        need $# 3 "ACCOUNT CONTRACT PUBLIC_KEY"
        role=node; [ "$command_name" = add-backup-key ] && role=backup-service
        run_near account add-key "$1" grant-function-call-access --allowance '1 NEAR' \
            --contract-account-id "$2" --function-names "$(methods keys "$role")" \
            use-manually-provided-public-key "$3" network-config "$NETWORK" sign-with-keychain send ;;
    register-backup)
        need $# 4 "ACCOUNT CONTRACT IDENTITY_KEY SIGNER_KEY"
        call_as "$1" "$2" register_backup_service \
            "$(printf '{"info":{"public_key":"%s","signer_public_key":"%s"}}' "$3" "$4")" '1 yoctonear' ;;
    enter-recovery)
        need $# 5 "ACCOUNT CONTRACT URL TLS_KEY NODE_KEY"
        call_as "$1" "$2" submit_participant_recovery_info \
            "$(printf '{"info":{"url":"%s","tls_public_key":"%s"},"node_public_key":"%s"}' "$3" "$4" "$5")" \
            '1 yoctonear' ;;
    approve-recovery)
        need $# 3 "ACCOUNT CONTRACT TLS_KEY"
        call_as "$1" "$2" approve_recovery "$(printf '{"tls_public_key":"%s"}' "$3")" '1 yoctonear' ;;
    cancel-recovery) need $# 2 "ACCOUNT CONTRACT"; call_as "$1" "$2" cancel_recovery '{}' '1 yoctonear' ;;
    state | recovery)
        need $# 1 "CONTRACT"
        run_near contract call-function as-read-only "$1" "$command_name" json-args '{}' \
            network-config "$NETWORK" now ;;
    *) die "unknown command '$command_name' (see the header of $0)" ;;
esac
