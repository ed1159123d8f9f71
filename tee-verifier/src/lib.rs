//! A stateless contract with one method, `verify_quote`: it verifies an Intel
//! TDX DCAP quote with the collateral the caller brings, at the block's time,
//! and returns what the quote vouches for ([`VerifiedQuote`], in borsh) or fails
//! with a `[Code] message` error. Nothing is stored; the caller pays the gas
//! (about 117 Tgas; attach [`mpc_interface::attestation::VERIFY_QUOTE_GAS`]).
//!
//! The argument is JSON, [`mpc_interface::attestation::VerifyQuoteArgs`]; it is
//! read by hand (not by near-sdk) so that malformed arguments fail with a typed
//! `[InvalidArgument]` error rather than near-sdk's generic message. The answer
//! is borsh so that the MPC contract's callback reads it with borsh, which its
//! wasm carries anyway, rather than with a JSON parser for this struct.

pub mod errors;
pub mod verify;

use mpc_interface::attestation::VerifiedQuote;
use near_sdk::{env, near};

pub use errors::VerifierError;

/// No state: every method is static, so a call never reads or writes storage.
#[near(contract_state)]
#[derive(Default)]
pub struct TeeVerifier {}

#[near]
impl TeeVerifier {
    /// Verifies `{"quote": base64, "collateral": {...}}` (see `VerifyQuoteArgs`) at
    /// the block's timestamp: Intel's signatures over the collateral, the PCK
    /// chain and CRLs, the quoting enclave's identity, the quote's signature, the
    /// TCB level the platform matches. Refuses SGX quotes, debug TDs, revoked
    /// platforms and collateral outside its validity window. Returns the borsh
    /// of a `VerifiedQuote` (layout: `mpc_interface::attestation`).
    #[handle_result]
    #[result_serializer(borsh)]
    pub fn verify_quote() -> Result<VerifiedQuote, VerifierError> {
        let now_secs = env::block_timestamp() / 1_000_000_000;
        verify::verify_quote_json(&env::input().unwrap_or_default(), now_secs)
    }
}
