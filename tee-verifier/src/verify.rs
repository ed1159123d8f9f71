//! Quote verification as plain Rust: no `env::`, the block time comes in as an argument.

use crate::errors::VerifierError;
use dcap_qvl::configs::RustCryptoConfig;
use dcap_qvl::verify::QuoteVerifier;
use dcap_qvl::{QuoteCollateralV3, QuotePolicy};
use mpc_interface::attestation::{HexArray, QuoteCollateral, TcbStatus, VerifiedQuote, VerifyQuoteArgs};
use x509_cert::certificate::Rfc5280;
use x509_cert::crl::CertificateList;
use x509_cert::der::Decode;

/// Parses `args` (JSON [`VerifyQuoteArgs`]) and verifies the quote at `now_secs`.
pub fn verify_quote_json(args: &[u8], now_secs: u64) -> Result<VerifiedQuote, VerifierError> {
    let args: VerifyQuoteArgs = serde_json::from_slice(args).map_err(|e| VerifierError::Arguments(e.to_string()))?;
    verify_quote(&args.quote.0, args.collateral, now_secs)
}

/// Verifies a raw TDX quote with its collateral at `now_secs` (Unix seconds).
pub fn verify_quote(quote: &[u8], collateral: QuoteCollateral, now_secs: u64) -> Result<VerifiedQuote, VerifierError> {
    // dcap-qvl finds an expired CRL only after the costly signature checks (about
    // 138 Tgas, more than a caller attaches); refusing it first costs a few Tgas.
    let expired_at = crl_next_update("root_ca_crl", &collateral.root_ca_crl.0)?
        .min(crl_next_update("pck_crl", &collateral.pck_crl.0)?);
    if now_secs >= expired_at {
        return Err(VerifierError::CollateralExpired { expired_at, now: now_secs });
    }
    // `claims_only`: every quote that verifies is reported; the caller applies its own
    // policy to the status and measurements (dcap-qvl refuses `Revoked` on its own).
    let claims = QuoteVerifier::new_prod()
        .with_config::<RustCryptoConfig>()
        .verify_with_policy(quote, to_dcap(collateral), now_secs, &QuotePolicy::claims_only(now_secs))
        .map_err(|e| VerifierError::Rejected(format!("{e:#}")))?;
    let td = claims.report.as_td10().ok_or(VerifierError::NotTdx)?;
    Ok(VerifiedQuote {
        tcb_status: tcb_status(claims.tcb.status)?,
        advisory_ids: claims.tcb.advisory_ids,
        mrtd: HexArray(td.mr_td),
        rtmr0: HexArray(td.rt_mr0),
        rtmr1: HexArray(td.rt_mr1),
        rtmr2: HexArray(td.rt_mr2),
        rtmr3: HexArray(td.rt_mr3),
        report_data: HexArray(td.report_data),
        verified_at: now_secs,
        collateral_expires_at: claims.earliest_expiration_date,
    })
}

fn to_dcap(c: QuoteCollateral) -> QuoteCollateralV3 {
    QuoteCollateralV3 {
        pck_crl_issuer_chain: c.pck_crl_issuer_chain,
        root_ca_crl: c.root_ca_crl.0,
        pck_crl: c.pck_crl.0,
        tcb_info_issuer_chain: c.tcb_info_issuer_chain,
        tcb_info: c.tcb_info,
        tcb_info_signature: c.tcb_info_signature.0,
        qe_identity_issuer_chain: c.qe_identity_issuer_chain,
        qe_identity: c.qe_identity,
        qe_identity_signature: c.qe_identity_signature.0,
        pck_certificate_chain: c.pck_certificate_chain,
    }
}

fn tcb_status(status: dcap_qvl::TcbStatus) -> Result<TcbStatus, VerifierError> {
    use dcap_qvl::TcbStatus as Intel;
    Ok(match status {
        Intel::UpToDate => TcbStatus::UpToDate,
        Intel::SWHardeningNeeded => TcbStatus::SWHardeningNeeded,
        Intel::ConfigurationNeeded => TcbStatus::ConfigurationNeeded,
        Intel::ConfigurationAndSWHardeningNeeded => TcbStatus::ConfigurationAndSWHardeningNeeded,
        Intel::OutOfDate => TcbStatus::OutOfDate,
        Intel::OutOfDateConfigurationNeeded => TcbStatus::OutOfDateConfigurationNeeded,
        Intel::TDRelaunchAdvised => TcbStatus::TDRelaunchAdvised,
        Intel::TDRelaunchAdvisedConfigurationNeeded => TcbStatus::TDRelaunchAdvisedConfigurationNeeded,
        Intel::Revoked => return Err(VerifierError::Rejected("TCB status is Revoked".into())),
    })
}

/// A CRL's `nextUpdate` (Unix seconds): from then on the CRL, and the collateral, is stale.
fn crl_next_update(field: &str, der: &[u8]) -> Result<u64, VerifierError> {
    let crl = CertificateList::<Rfc5280>::from_der(der)
        .map_err(|e| VerifierError::Rejected(format!("collateral.{field} is not a DER CRL: {e}")))?;
    let next_update = crl
        .tbs_cert_list
        .next_update
        .ok_or_else(|| VerifierError::Rejected(format!("collateral.{field} has no nextUpdate")))?;
    Ok(next_update.to_unix_duration().as_secs())
}
