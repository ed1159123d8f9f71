//! Gas, deposits and limits shared by the contract and its clients.

/// Gas in the runtime's unit (1 Tgas = 10^12 gas). A plain newtype so this
/// crate needs no NEAR runtime crate.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
pub struct Gas(u64);

impl Gas {
    pub const fn from_tgas(tgas: u64) -> Self {
        Self(tgas * 1_000_000_000_000)
    }
    pub const fn from_gas(gas: u64) -> Self {
        Self(gas)
    }
    pub const fn as_gas(self) -> u64 {
        self.0
    }
    pub fn as_tgas_f64(self) -> f64 {
        self.0 as f64 / 1e12
    }
}

pub const ONE_YOCTO: u128 = 1;

/// NEP-297 standard name and version of the contract's events.
pub const EVENT_STANDARD: &str = "mpc";
pub const EVENT_VERSION: &str = "1.0.0";

/// Participants a proposal may name. Chosen so the largest proposal still
/// parses, validates and is voted well inside a function call's gas.
pub const MAX_PARTICIPANTS: usize = 128;
/// Domains a network may have.
pub const MAX_DOMAINS: usize = 16;
