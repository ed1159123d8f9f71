//! The performance targets this project holds itself to, and the figures of
//! the production contract (near/mpc 3.14.1, same VM) they derive from. The
//! benchmark prints them; `tests/targets.rs` fails when one is missed (gas is
//! deterministic, so these are exact checks, not timings).

/// Participant counts every figure is taken at.
pub const SIZES: [usize; 3] = [4, 16, 64];

/// Tgas burnt per call by near/mpc 3.14.1 under the same VM (n = 4, 16, 64).
pub fn production(method: &str) -> Option<[f64; 3]> {
    Some(match method {
        "init_running" => [3.844, 7.171, 20.505],
        "state" => [2.076, 2.539, 4.396],
        "vote_new_parameters (mean)" => [3.469, 8.200, 32.614],
        "register_backup_service" => [2.293, 2.415, 2.897],
        "submit_participant_recovery_info" => [2.430, 2.552, 3.033],
        "conclude_recovery" => [3.571, 3.691, 4.164],
        _ => return None,
    })
}

/// Recovery methods: each at most half of its production counterpart at
/// every n, and growing at most [`MAX_RECOVERY_GROWTH`] from n = 4 to 64.
pub const RECOVERY_METHODS: [&str; 3] =
    ["register_backup_service", "submit_participant_recovery_info", "conclude_recovery"];
pub const MAX_RECOVERY_GROWTH: f64 = 0.10;
/// `state()` at n = 64, in Running and in Recovery.
pub const MAX_STATE_TGAS_AT_64: f64 = 2.0;
/// Mean `vote_new_parameters` at n = 64.
pub const MAX_VOTE_TGAS_AT_64: f64 = 8.0;
/// The contract wasm after `wasm-opt`.
pub const MAX_WASM_BYTES: usize = 300_000;
