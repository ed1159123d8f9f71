//! Real Intel TDX quotes with their collateral, from dcap-qvl 0.7.1's `sample/` folder
//! (copied to `tee-verifier/tests/fixtures/`, checksums pinned there), and the
//! `verify_quote` arguments built from them.

use crate::wasm::{verifier_wasm, workspace_root};
use local_chain::{Call, ExecutionOutcome, Harness};
use mpc_interface::attestation::{Base64Bytes, QuoteCollateral, VerifyQuoteArgs, VERIFY_QUOTE, VERIFY_QUOTE_GAS};
use std::fs;
use std::path::PathBuf;

/// A quote and the collateral Intel's PCS served for it.
#[derive(Clone, Debug)]
pub struct Sample {
    pub quote: Vec<u8>,
    pub collateral: QuoteCollateral,
    /// A Unix time (seconds) inside the collateral's validity.
    pub valid_at: u64,
    /// The earliest expiry over the collateral (Unix seconds); one second later it is refused.
    pub expires_at: u64,
}

/// `<workspace>/tee-verifier/tests/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("tee-verifier/tests/fixtures")
}

fn read(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

impl Sample {
    fn load(quote: &str, collateral: &str, valid_at: u64, expires_at: u64) -> Sample {
        let collateral = serde_json::from_slice(&read(collateral))
            .unwrap_or_else(|e| panic!("{collateral} is not dcap-qvl's collateral JSON: {e}"));
        Sample { quote: read(quote), collateral, valid_at, expires_at }
    }

    /// `tdx_quote`: TCB `UpToDate`, MRTD `91eb2b44…`; collateral valid from
    /// 2025-06-19T10:32:27Z to 2025-07-19T10:00:35Z.
    pub fn up_to_date() -> Sample {
        Sample::load("tdx_quote", "tdx_quote_collateral.json", 1_750_766_400, 1_752_919_235)
    }

    /// `verify_quote`'s argument for this sample.
    pub fn args(&self) -> VerifyQuoteArgs {
        VerifyQuoteArgs { quote: Base64Bytes(self.quote.clone()), collateral: self.collateral.clone() }
    }

    /// The argument as JSON.
    pub fn args_json(&self) -> serde_json::Value {
        serde_json::to_value(self.args()).expect("the arguments serialise")
    }
}

/// The account the verifier is deployed to in tests.
pub const VERIFIER_ACCOUNT: &str = "verifier.near";

/// The verifier contract, deployed with its clock at `unix_secs`.
pub fn verifier_at(unix_secs: u64) -> Harness {
    let mut h = Harness::new(verifier_wasm(), VERIFIER_ACCOUNT);
    h.advance_time_ns(unix_secs * 1_000_000_000 - h.block_timestamp());
    h
}

/// `verify_quote` with raw argument bytes and `VERIFY_QUOTE_GAS` attached.
pub fn verify_raw(h: &mut Harness, input: &[u8]) -> ExecutionOutcome {
    h.call(Call::new(VERIFY_QUOTE).args_raw(input.to_vec()).gas(VERIFY_QUOTE_GAS.as_gas()))
}

/// `verify_quote` with JSON arguments and `VERIFY_QUOTE_GAS` attached.
pub fn verify(h: &mut Harness, args: serde_json::Value) -> ExecutionOutcome {
    verify_raw(h, &serde_json::to_vec(&args).expect("JSON serialises"))
}
