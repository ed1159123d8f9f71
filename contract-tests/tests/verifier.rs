//! The TDX quote verifier contract (`tee_verifier.wasm`) under NEAR's VM, with real
//! Intel TDX quotes and collateral (dcap-qvl 0.7.1's samples) at block times inside
//! and outside the collateral's validity.
#![allow(non_snake_case)]

use contract_tests::tdx::{verifier_at, verify, verify_raw, Sample};
use contract_tests::wasm::verifier_wasm;
use contract_tests::{ContractCall, TGAS};
use mpc_interface::attestation::{TcbStatus, VerifiedQuote, VERIFY_QUOTE, VERIFY_QUOTE_GAS};
use serde_json::json;

/// Targets: a verification burns at most 130 Tgas; the wasm is at most 520 kB.
const MAX_TGAS: u64 = 130;
const MAX_WASM_BYTES: usize = 520_000;

/// Offsets in a TDX (v4) quote: a 48-byte header, the 584-byte TD report, the
/// 4-byte length of the signature data, then the 64-byte ECDSA signature.
const TD_REPORT: std::ops::Range<usize> = 48..632;
const QUOTE_SIGNATURE: std::ops::Range<usize> = 636..700;

#[test]
fn verify_quote__should_accept_the_sample_quote_inside_its_window() {
    let sample = Sample::up_to_date();
    let mut h = verifier_at(sample.valid_at);
    let out = verify(&mut h, sample.args_json());
    // The answer is borsh: what the MPC contract's callback reads.
    let report: VerifiedQuote = out.borsh();
    assert_eq!(report.tcb_status, TcbStatus::UpToDate);
    assert!(report.mrtd.to_string().starts_with("91eb2b44"), "MRTD {}", report.mrtd);
    let td = &sample.quote[TD_REPORT];
    // TDREPORT 1.0: MRTD at 136, RTMR0-3 at 328.., report data at 520.
    assert_eq!(report.mrtd.0, td[136..184]);
    assert_eq!([report.rtmr0.0, report.rtmr1.0, report.rtmr2.0, report.rtmr3.0].concat(), td[328..520]);
    assert_eq!(report.report_data.0, td[520..584]);
    assert_eq!(report.verified_at, sample.valid_at);
    assert_eq!(report.collateral_expires_at, sample.expires_at);
    assert_eq!(out.storage_usage, 0, "the verifier stores nothing");
}

/// Flips one bit of the quote at `index` and expects the quote's signature check to fail.
fn assert_flipped_byte_refused(index: usize) {
    let sample = Sample::up_to_date();
    let mut tampered = sample.clone();
    tampered.quote[index] ^= 0x01;
    verify(&mut verifier_at(sample.valid_at), tampered.args_json())
        .assert_err_contains("[AttestationRejected] the quote was refused: ISV enclave report signature is invalid");
}

#[test]
fn verify_quote__should_refuse_a_flipped_byte_in_the_td_report() {
    // One bit of the report data: what binds a service's keys.
    assert_flipped_byte_refused(TD_REPORT.start + 520);
}

#[test]
fn verify_quote__should_refuse_a_flipped_byte_in_the_signature() {
    assert_flipped_byte_refused(QUOTE_SIGNATURE.start + 10);
}

#[test]
fn verify_quote__should_refuse_collateral_from_its_expiry_on_with_a_typed_error() {
    let sample = Sample::up_to_date();
    let mut h = verifier_at(sample.expires_at - 1);
    verify(&mut h, sample.args_json()).assert_ok();
    for _ in 0..2 {
        h.advance_time_ns(1_000_000_000);
        let out = verify(&mut h, sample.args_json());
        out.assert_err_contains(&format!("[AttestationRejected] the collateral expired at {}", sample.expires_at));
        assert!(out.gas_burnt < 30 * TGAS, "refusing stale collateral burnt {} gas", out.gas_burnt);
    }
}

#[test]
fn verify_quote__should_refuse_collateral_before_it_was_issued() {
    let sample = Sample::up_to_date();
    let mut h = verifier_at(sample.valid_at - 30 * 24 * 3600);
    verify(&mut h, sample.args_json())
        .assert_err_contains("[AttestationRejected] the quote was refused: TCBInfo issue date is in the future");
}

#[test]
fn verify_quote__should_refuse_malformed_arguments_with_a_typed_error() {
    let sample = Sample::up_to_date();
    let mut h = verifier_at(sample.valid_at);
    let mut bad_base64 = sample.args_json();
    bad_base64["quote"] = json!("not base64!");
    let mut bad_hex = sample.args_json();
    bad_hex["collateral"]["pck_crl"] = json!("zz");
    let mut unknown_field = sample.args_json();
    unknown_field["policy"] = json!("lenient");
    let mut no_collateral = sample.args_json();
    no_collateral.as_object_mut().unwrap().remove("collateral");
    for (case, args) in [
        ("bad base64", bad_base64),
        ("bad hex", bad_hex),
        ("unknown field", unknown_field),
        ("no collateral", no_collateral),
    ] {
        let out = verify(&mut h, args);
        assert!(out.unwrap_err().starts_with("[InvalidArgument] the argument is not"), "{case}: {}", out.unwrap_err());
    }
    for input in [&b""[..], b"{", b"[1,2]"] {
        verify_raw(&mut h, input).assert_err_contains("[InvalidArgument]");
    }
}

#[test]
fn verify_quote__should_refuse_a_truncated_quote() {
    let sample = Sample::up_to_date();
    let mut h = verifier_at(sample.valid_at);
    let mut truncated = sample.clone();
    truncated.quote.truncate(600);
    verify(&mut h, truncated.args_json())
        .assert_err_contains("[AttestationRejected] the quote was refused: Failed to decode quote");
}

#[test]
fn verifier__should_stay_within_its_gas_and_size_targets() {
    let wasm = verifier_wasm();
    assert!(wasm.len() <= MAX_WASM_BYTES, "tee_verifier.wasm is {} bytes, over {MAX_WASM_BYTES}", wasm.len());
    let sample = Sample::up_to_date();
    let mut h = verifier_at(sample.valid_at);
    let out = h.call(ContractCall::new(VERIFY_QUOTE).args(sample.args_json()).tgas(300));
    out.assert_ok();
    assert!(
        out.gas_burnt <= MAX_TGAS * TGAS,
        "a verification burnt {:.3} Tgas, over {MAX_TGAS}",
        out.gas_burnt as f64 / TGAS as f64
    );
    assert!(VERIFY_QUOTE_GAS.as_gas() >= out.gas_burnt, "VERIFY_QUOTE_GAS is below what a verification burns");
}

#[test]
fn verify_quote__should_answer_a_view_call_too() {
    let sample = Sample::up_to_date();
    let h = verifier_at(sample.valid_at);
    let report: VerifiedQuote = h.view(VERIFY_QUOTE, sample.args_json()).borsh();
    assert_eq!(report.tcb_status, TcbStatus::UpToDate);
}
