//! The hard launch: launch-mode and measurement votes (`vote_launch`), backup-service
//! attestations (verified by the TEE verifier contract, then checked in a
//! private callback) and the views that say whether a service is attested.

use super::guards::{block_seconds, node_caller, node_voter, participant_or_candidate, verifier_answer, StorageMeter};
use crate::errors::{Error, LaunchError};
use crate::state::launch::{self, Report};
use crate::{MpcContract, MpcContractExt};
use mpc_interface::attestation::{VERIFY_QUOTE, VERIFY_QUOTE_GAS};
use mpc_interface::launch::{
    Attestation, BackupAttestationView, LaunchMode, LaunchVote, Measurements, PendingAttestation,
    ATTESTATION_CALLBACK_TGAS,
};
use mpc_interface::methods::{ON_ATTESTATION_VERIFIED, REATTEST_BACKUP_SERVICE, VOTE_LAUNCH};
use near_sdk::{env, near, AccountId, Gas, NearToken, PromiseIndex};
use serde::{Deserialize, Serialize};

/// A TDX attestation's `{"quote": ..., "collateral": ...}` object
/// (`VerifyQuoteArgs`), skipped by the argument parser and forwarded to the
/// verifier unread, as the caller's own bytes (`crate::forwarded` finds them in
/// the call's input): the verifier parses and checks it, and the MPC
/// contract's wasm carries no parser for the collateral.
pub struct ForwardedQuote;

impl<'de> Deserialize<'de> for ForwardedQuote {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| ForwardedQuote)
    }
}

/// near-sdk's generated cross-contract helpers need it; nothing is kept to write.
impl Serialize for ForwardedQuote {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("a forwarded quote is not kept: build the arguments from VerifyQuoteArgs"))
    }
}

/// The attestation argument as the contract reads it.
pub type AttestationArg = Attestation<ForwardedQuote>;

#[cfg(not(target_arch = "wasm32"))]
impl near_sdk::schemars::JsonSchema for ForwardedQuote {
    fn schema_name() -> String {
        <mpc_interface::attestation::VerifyQuoteArgs as near_sdk::schemars::JsonSchema>::schema_name()
    }
    fn json_schema(gen: &mut near_sdk::schemars::gen::SchemaGenerator) -> near_sdk::schemars::schema::Schema {
        <mpc_interface::attestation::VerifyQuoteArgs as near_sdk::schemars::JsonSchema>::json_schema(gen)
    }
}

#[near]
impl MpcContract {
    /// A participant's node votes the launch mode (`{"Mode": "Hard"}`), or to
    /// allow (`{"AllowMeasurements": "<hex>"}`) or retire
    /// (`{"RetireMeasurements": "<hex>"}`) a backup-service image's
    /// measurements; each kind has its own ballot round, and the threshold decides.
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn vote_launch(&mut self, vote: LaunchVote) -> Result<(), Error> {
        let voter = node_voter(&self.registry, VOTE_LAUNCH)?;
        let (launch, registry) = (&mut self.launch, &mut self.registry);
        let step = match vote {
            LaunchVote::Mode(mode) => launch::vote_mode(launch, registry, &voter, mode)?,
            LaunchVote::AllowMeasurements(m) => launch::vote_measurements(launch, registry, &voter, m, true)?,
            LaunchVote::RetireMeasurements(m) => launch::vote_measurements(launch, registry, &voter, m, false)?,
        };
        self.apply(step);
        Ok(())
    }

    /// The registered backup service renews its attestation, signing with its
    /// own function-call key (before the stored one expires).
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn reattest_backup_service(&mut self, attestation: AttestationArg) -> Result<Forward, Error> {
        let caller = node_caller(REATTEST_BACKUP_SERVICE)?;
        let pending = launch::reattesting(&self.services, &caller)?;
        self.attest(pending, attestation)
    }

    /// The verifier's answer to a TDX attestation: checked, then stored.
    #[private]
    #[handle_result]
    pub fn on_attestation_verified(&mut self, #[serializer(borsh)] pending: PendingAttestation) -> Result<(), Error> {
        let report = Report::verified(&verifier_answer()?)?;
        let now = block_seconds();
        let record = launch::check_report(&self.launch, &pending.service, &report, now)?;
        // Checked again: the account may have left the candidates while the
        // verifier ran (`register_backup_service` checked it at the call).
        if pending.registers {
            participant_or_candidate(&self.registry, &pending.account_id)?;
        }
        self.store_attestation(&pending, record)
    }

    pub fn launch_mode(&self) -> LaunchMode {
        self.launch.mode
    }

    /// The allowed measurement records, in the order they were voted in.
    pub fn allowed_measurements(&self) -> Vec<Measurements> {
        self.launch.allowed()
    }

    /// Whether `account_id`'s backup service may take part in share transfers
    /// now, and its stored attestation.
    #[deny_unknown_arguments]
    pub fn backup_attestation(&self, account_id: AccountId) -> BackupAttestationView {
        launch::view(&self.launch, &self.services, &account_id, block_seconds())
    }
}

impl MpcContract {
    /// Checks a development attestation at once; sends a TDX quote to the
    /// verifier, with `on_attestation_verified` to finish.
    pub(crate) fn attest(
        &mut self,
        pending: PendingAttestation,
        attestation: AttestationArg,
    ) -> Result<Forward, Error> {
        match attestation {
            Attestation::Dev(dev) => {
                if !self.launch.allow_dev_attestation {
                    return Err(LaunchError::DevAttestationRefused.into());
                }
                let now = block_seconds();
                let record = launch::check_report(&self.launch, &pending.service, &Report::dev(&dev, now), now)?;
                self.store_attestation(&pending, record)?;
                Ok(Forward(None))
            }
            Attestation::Tdx(ForwardedQuote) => {
                let verifier = self.launch.tee_verifier.clone().ok_or(LaunchError::NoVerifier)?;
                let input = env::input().unwrap_or_default();
                let quote = crate::forwarded::tdx_quote(&input).ok_or(LaunchError::QuoteNotFound)?;
                Ok(Forward(Some(verify_then_callback(verifier, quote, &pending))))
            }
        }
    }

    fn store_attestation(
        &mut self,
        pending: &PendingAttestation,
        record: mpc_interface::launch::AttestationRecord,
    ) -> Result<(), Error> {
        let meter = StorageMeter::start();
        let step = launch::accept(&mut self.launch, &mut self.services, pending, record)?;
        self.charge_storage(&pending.account_id, &meter, None)?;
        self.apply(step);
        Ok(())
    }
}

/// The call's result: nothing, or the callback's (`Some` promise). near-sdk
/// writes the method's value with `value_return` first and drops it after:
/// the drop makes the promise the call's result, the order near-sdk's own
/// `Promise` relies on (the last of the two host calls wins). Host functions
/// directly: near-sdk's `Promise` costs kilobytes of wasm.
pub struct Forward(pub(crate) Option<PromiseIndex>);

impl Serialize for Forward {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        if let Some(promise) = self.0.take() {
            env::promise_return(promise);
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl near_sdk::schemars::JsonSchema for Forward {
    fn schema_name() -> String {
        "Null".to_owned()
    }
    fn json_schema(gen: &mut near_sdk::schemars::gen::SchemaGenerator) -> near_sdk::schemars::schema::Schema {
        <() as near_sdk::schemars::JsonSchema>::json_schema(gen)
    }
}

/// `verify_quote` on the verifier with `VERIFY_QUOTE_GAS`, then this
/// contract's `on_attestation_verified`: returns the callback's promise.
fn verify_then_callback(verifier: AccountId, args: &[u8], pending: &PendingAttestation) -> PromiseIndex {
    let none = NearToken::from_yoctonear(0);
    let verify = env::promise_create(verifier, VERIFY_QUOTE, args, none, Gas::from_gas(VERIFY_QUOTE_GAS.as_gas()));
    let pending = borsh::to_vec(pending).expect("borsh of a pending attestation");
    let callback_gas = Gas::from_tgas(ATTESTATION_CALLBACK_TGAS);
    env::promise_then(verify, env::current_account_id(), ON_ATTESTATION_VERIFIED, &pending, none, callback_gas)
}
