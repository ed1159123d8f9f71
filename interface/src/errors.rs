//! Error codes. Every contract error message starts with `[<code>] `, so a
//! client can branch on the code and show the rest to a person.

use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum ErrorCode {
    /// The method is not allowed in the contract's current protocol state.
    WrongState,
    /// The caller (predecessor, signer or key) is not allowed to do this.
    Unauthorized,
    /// The attached deposit is not what the method requires.
    WrongDeposit,
    /// An argument is malformed or inconsistent with the contract.
    InvalidArgument,
    /// The request conflicts with data already recorded (e.g. a TLS key in use).
    Conflict,
    /// The stored state could not be read or migrated.
    Storage,
    /// A TEE attestation (quote, collateral or the report they vouch for) was refused.
    AttestationRejected,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 7] = [
        Self::WrongState,
        Self::Unauthorized,
        Self::WrongDeposit,
        Self::InvalidArgument,
        Self::Conflict,
        Self::Storage,
        Self::AttestationRejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::WrongState => "WrongState",
            Self::Unauthorized => "Unauthorized",
            Self::WrongDeposit => "WrongDeposit",
            Self::InvalidArgument => "InvalidArgument",
            Self::Conflict => "Conflict",
            Self::Storage => "Storage",
            Self::AttestationRejected => "AttestationRejected",
        }
    }

    /// Finds the code in a failure message, wherever the runtime embedded it.
    pub fn find_in(message: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| message.contains(&format!("[{}] ", code.as_str())))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn find_in__should_recover_the_code_from_a_runtime_message() {
        let msg = "Smart contract panicked: [WrongState] vote_pk is allowed only in Initializing";
        assert_eq!(ErrorCode::find_in(msg), Some(ErrorCode::WrongState));
        assert_eq!(ErrorCode::find_in("plain failure"), None);
    }
}
