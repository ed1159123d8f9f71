//! The verifier's errors: each message starts with its `[Code]`.

use mpc_interface::errors::ErrorCode;
use near_sdk::FunctionError;

#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    /// The argument is not `{"quote": base64, "collateral": {...}}`.
    #[error("the argument is not {{\"quote\": <base64>, \"collateral\": {{...}}}}: {0}")]
    Arguments(String),
    /// dcap-qvl refused the quote or its collateral (signature, chain, CRL, expiry, TCB).
    #[error("the quote was refused: {0}")]
    Rejected(String),
    /// A CRL in the collateral is past its `nextUpdate` at the block's time.
    #[error("the collateral expired at {expired_at} (Unix seconds; the block time is {now}): fetch fresh collateral")]
    CollateralExpired { expired_at: u64, now: u64 },
    /// The quote verified but is not a TDX quote (an SGX enclave's, for instance).
    #[error("the quote is not a TDX quote")]
    NotTdx,
}

impl VerifierError {
    pub fn code(&self) -> ErrorCode {
        match self {
            VerifierError::Arguments(_) => ErrorCode::InvalidArgument,
            VerifierError::Rejected(_) | VerifierError::CollateralExpired { .. } | VerifierError::NotTdx => {
                ErrorCode::AttestationRejected
            }
        }
    }

    /// The text a failed call reports: `[Code] message`.
    pub fn message(&self) -> String {
        format!("[{}] {}", self.code(), self)
    }
}

impl FunctionError for VerifierError {
    fn panic(&self) -> ! {
        near_sdk::env::panic_str(&self.message())
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn message__should_start_with_a_code_a_client_can_find() {
        let cases = [
            (VerifierError::Arguments("EOF".into()), ErrorCode::InvalidArgument),
            (VerifierError::Rejected("bad signature".into()), ErrorCode::AttestationRejected),
            (VerifierError::CollateralExpired { expired_at: 10, now: 11 }, ErrorCode::AttestationRejected),
            (VerifierError::NotTdx, ErrorCode::AttestationRejected),
        ];
        for (error, code) in cases {
            assert_eq!(ErrorCode::find_in(&error.message()), Some(code), "{}", error.message());
            assert!(error.message().starts_with(&format!("[{code}] ")));
        }
    }
}
