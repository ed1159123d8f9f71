//! What a holder's shares are checked against at every hand-off.

use mpc_interface::primitives::Keyset;
use mpc_interface::verifying::ParticipantVerifyingShares;

/// What a holder's shares must match, both read from the contract: the
/// keyset in force and the holder's verifying shares of it (`share x G` per
/// domain). `verifying` is `None` only for a keyset agreed before the
/// contract recorded verifying shares (see [`crate::SharesPayload::check_against`]).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Expected {
    pub keyset: Keyset,
    pub verifying: Option<ParticipantVerifyingShares>,
}

impl Expected {
    pub fn new(keyset: Keyset, verifying: Option<ParticipantVerifyingShares>) -> Self {
        Self { keyset, verifying }
    }
}

/// A keyset alone: a keyset with no verifying shares on the contract.
impl From<Keyset> for Expected {
    fn from(keyset: Keyset) -> Self {
        Self { keyset, verifying: None }
    }
}

impl From<&Keyset> for Expected {
    fn from(keyset: &Keyset) -> Self {
        keyset.clone().into()
    }
}

impl From<&Expected> for Expected {
    fn from(expected: &Expected) -> Self {
        expected.clone()
    }
}
