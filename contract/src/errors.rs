//! Typed errors, one enum per area. Every message says what was wrong and is
//! prefixed with its `ErrorCode`, so clients can branch on it.

use mpc_interface::attestation::{Measurement, ReportData, TcbStatus};
use mpc_interface::errors::ErrorCode;
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::launch::{AttestationStatus, LaunchMode};
use mpc_interface::primitives::{DomainId, EpochId, KeyEventId, ParticipantId, SignatureScheme};
use mpc_interface::recovery::Session;
use mpc_interface::url::UrlError;
use near_sdk::{AccountId, FunctionError};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("`{method}` is not allowed while the contract is {actual}; it needs {expected}")]
    WrongState { method: &'static str, actual: &'static str, expected: &'static str },
    #[error("key event {given:?} is not the one being voted on ({current:?})")]
    WrongKeyEvent { given: KeyEventId, current: KeyEventId },
    #[error("proposals now are for epoch {expected}, not {given}")]
    WrongEpoch { given: EpochId, expected: EpochId },
}

#[derive(Debug, thiserror::Error)]
pub enum CallerError {
    #[error("calls must come straight from the signer: predecessor {predecessor} differs from signer {signer}")]
    Forwarded { predecessor: AccountId, signer: AccountId },
    #[error("{account_id} is not a participant")]
    NotParticipant { account_id: AccountId },
    #[error("{account_id} is neither a current participant nor part of the proposal")]
    NotVoter { account_id: AccountId },
    #[error(
        "{account_id} is new to the network and may vote only after {threshold} current participants voted for \
         this proposal ({votes} so far)"
    )]
    NewParticipantTooEarly { account_id: AccountId, threshold: u64, votes: u32 },
    #[error("{account_id} is not part of the participant set being reshared to")]
    NotInProposal { account_id: AccountId },
    #[error("`{method}` needs at least 1 yoctoNEAR attached (proof of a full-access key)")]
    DepositRequired { method: &'static str },
    #[error("`{method}` takes no deposit, but {attached} yoctoNEAR were attached")]
    DepositNotAccepted { method: &'static str, attached: u128 },
    #[error("`{method}` needs exactly 1 yoctoNEAR attached (NEP-145), not {attached}")]
    ExactlyOneYocto { method: &'static str, attached: u128 },
    #[error("`{method}` from {account_id} must be signed by its node key {expected}, not {actual}")]
    WrongNodeKey { method: &'static str, account_id: AccountId, expected: AccessPublicKey, actual: AccessPublicKey },
    #[error(
        "`{method}`: {account_id} has no node key recorded yet; its node records its key with \
         `submit_participant_info`"
    )]
    NoNodeKey { method: &'static str, account_id: AccountId },
}

#[derive(Debug, thiserror::Error)]
pub enum ParametersError {
    #[error("a participant set needs between 2 and {max} participants, not {actual}")]
    ParticipantCount { actual: usize, max: usize },
    #[error("threshold {threshold} is outside [{min}, {max}] for {n} participants (at least 60%, rounded up)")]
    Threshold { threshold: u64, min: u64, max: u64, n: usize },
    #[error("{account_id} appears more than once")]
    DuplicateAccount { account_id: AccountId },
    #[error("participant id {id} is used more than once")]
    DuplicateId { id: ParticipantId },
    #[error("TLS key {key} is used by more than one participant")]
    DuplicateTlsKey { key: Ed25519PublicKey },
    #[error("url of {account_id} {reason}")]
    BadUrl { account_id: AccountId, reason: UrlError },
    #[error("{account_id} has participant id {current}; a proposal cannot change it to {proposed}")]
    IdChanged { account_id: AccountId, current: ParticipantId, proposed: ParticipantId },
    #[error("new participant {account_id} must get a fresh id (at least {next}), not {proposed}")]
    IdReused { account_id: AccountId, proposed: ParticipantId, next: ParticipantId },
    #[error(
        "the proposal keeps {kept} current participants; resharing needs at least the current threshold {threshold}"
    )]
    TooFewKept { kept: u64, threshold: u64 },
    #[error("a network needs between 1 and {max} domains, not {actual}")]
    DomainCount { actual: usize, max: usize },
    #[error("domain ids must be strictly increasing; {id} is out of order")]
    DomainOrder { id: DomainId },
    #[error("the keyset must have exactly one key per domain, in domain order")]
    KeysetDomains,
    #[error("domain {domain_id} uses {expected:?}; a {actual:?} key does not fit it")]
    SchemeMismatch { domain_id: DomainId, expected: SignatureScheme, actual: SignatureScheme },
}

#[derive(Debug, thiserror::Error)]
pub enum ParticipantsError {
    #[error("TLS key {key} already belongs to {owner}")]
    TlsKeyInUse { key: Ed25519PublicKey, owner: AccountId },
    #[error(
        "{account_id} is a participant with another TLS key; a new machine must call \
         `submit_participant_recovery_info` instead"
    )]
    UseRecovery { account_id: AccountId },
    #[error("{account_id} is not a candidate: there is no candidacy to withdraw")]
    NotCandidate { account_id: AccountId },
}

/// NEP-145 storage balances and the views over open-ended sets.
#[derive(Debug, thiserror::Error)]
pub enum StorageDepositError {
    #[error(
        "{account_id} has no storage balance and this call stores {bytes} bytes; deposit at least {needed} \
         yoctoNEAR with `storage_deposit` (full-access key) first"
    )]
    NotRegistered { account_id: AccountId, bytes: i64, needed: u128 },
    #[error(
        "this call stores {bytes} more bytes for {account_id}; its storage balance is {needed} yoctoNEAR short: \
         deposit at least that with `storage_deposit`"
    )]
    Insufficient { account_id: AccountId, bytes: i64, needed: u128 },
    #[error("a first `storage_deposit` for {account_id} needs at least {min} yoctoNEAR, not {attached}")]
    BelowMinimum { account_id: AccountId, attached: u128, min: u128 },
    #[error("{account_id} has no storage balance")]
    NotRegisteredAccount { account_id: AccountId },
    #[error("cannot withdraw {requested} yoctoNEAR: {available} are available")]
    WithdrawTooMuch { requested: u128, available: u128 },
    #[error(
        "{account_id} still holds a candidacy paid from its storage balance; call `withdraw_candidate_info` \
         first, or `storage_unregister` with `force: true`"
    )]
    InUse { account_id: AccountId },
    #[error("`limit` must be from 1 to {max}, not {limit}")]
    PageLimit { limit: u32, max: u32 },
    #[error("`{method}` takes no arguments; pass `{{}}` or nothing, not {bytes} bytes of arguments")]
    UnexpectedArguments { method: &'static str, bytes: usize },
}

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    #[error("{account_id} is recovering already; a second recovery cannot open until this one ends")]
    AlreadyOpen { account_id: AccountId },
    #[error("{account_id} already runs with TLS key {key}; a recovery needs a new machine's key")]
    SameTlsKey { account_id: AccountId, key: Ed25519PublicKey },
    #[error("the open recovery is {recovering}'s; {caller} cannot {action} it")]
    NotRecoveringAccount { recovering: AccountId, caller: AccountId, action: &'static str },
    #[error("`{method}` must be signed by {expected}, not {actual}")]
    WrongSignerKey { method: &'static str, expected: AccessPublicKey, actual: AccessPublicKey },
    #[error(
        "`submit_participant_recovery_info` with a deposit (the operator's full-access key) must name the new \
         node's access key in `node_public_key`"
    )]
    NodeKeyRequired,
    #[error(
        "`node_public_key` {given} differs from the signing key {signer}: a node enters with its own key; only the \
         operator (1 yoctoNEAR) names another"
    )]
    NodeKeyNotSigner { given: AccessPublicKey, signer: AccessPublicKey },
    #[error("the open recovery of {account_id} is for TLS key {open}, not {given}; nothing was approved")]
    OtherMachine { account_id: AccountId, open: Ed25519PublicKey, given: Ed25519PublicKey },
    #[error("the recovery of {account_id} is approved already")]
    AlreadyApproved { account_id: AccountId },
    #[error("the recovery of {account_id} awaits its operator's approval (`approve_recovery` with 1 yoctoNEAR)")]
    NotApproved { account_id: AccountId },
    #[error("the backup service of {account_id} has not confirmed delivery yet (`confirm_recovery_delivery`)")]
    NotDelivered { account_id: AccountId },
    #[error(
        "the keyset given is not the current one (epoch {current}); shares of another keyset cannot recover this node"
    )]
    StaleKeyset { current: EpochId },
    #[error("{account_id} has no registered backup service")]
    NoBackupService { account_id: AccountId },
    #[error("the signer key {actual} is not the registered backup service key of {account_id}")]
    NotBackupService { account_id: AccountId, actual: AccessPublicKey },
    #[error("session {given:?} is not newer than the published {published:?}")]
    StaleSession { given: Session, published: Session },
    #[error("session epoch {given} is not the current epoch {current}")]
    SessionEpoch { given: EpochId, current: EpochId },
    #[error("a recovery session needs an approved recovery of {account_id}")]
    NoApprovedRecovery { account_id: AccountId },
    #[error("{account_id} is neither a participant nor a candidate")]
    NotParticipantOrCandidate { account_id: AccountId },
    #[error("the signer's public key could not be read")]
    UnreadableSignerKey,
}

/// The hard launch: its votes, and attestations refused or missing.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("the launch mode is {mode:?} already")]
    AlreadyInMode { mode: LaunchMode },
    #[error(
        "Hard mode needs a TEE verifier (`tee_verifier` at `init`) or development attestations \
         (`allow_dev_attestation` at `init`); this contract has neither"
    )]
    NoWayToAttest,
    #[error("measurements with MRTD {mrtd} are allowed already")]
    AlreadyAllowed { mrtd: Measurement },
    #[error("measurements with MRTD {mrtd} are not among the allowed ones")]
    NotAllowed { mrtd: Measurement },
    #[error("{max} measurement records are allowed already; retire one first")]
    TooManyMeasurements { max: usize },
    #[error("in Hard mode `register_backup_service` needs an `attestation`")]
    AttestationRequired,
    #[error("this contract takes no TDX attestation: it was initialised without a `tee_verifier`")]
    NoVerifier,
    #[error(
        "the TDX attestation was not found in the arguments: write the keys `attestation` and `Tdx` without escapes"
    )]
    QuoteNotFound,
    #[error("development attestations are refused: this contract was not initialised with `allow_dev_attestation`")]
    DevAttestationRefused,
    #[error("the verifier refused the quote (its receipt's failure says why)")]
    VerifierFailed,
    #[error("the verifier's answer is not a verified report: {reason}")]
    UnreadableReport { reason: &'static str },
    #[error("TCB status {status:?} is refused; accepted: UpToDate, SWHardeningNeeded")]
    TcbStatusRefused { status: TcbStatus },
    #[error("the quote's measurements (MRTD {mrtd}) are not among those participants allowed")]
    MeasurementsNotAllowed { mrtd: Measurement },
    #[error(
        "the report data {actual} does not bind this backup service's keys: report_data_v1 of its identity key and \
         signer key is {expected}"
    )]
    ReportDataMismatch { expected: ReportData, actual: ReportData },
    #[error("the attestation expired at {expires_at} (now {now}, Unix seconds)")]
    Expired { expires_at: u64, now: u64 },
    #[error("the backup service of {account_id} changed while its attestation was verified; attest again")]
    ServiceChanged { account_id: AccountId },
    #[error("in Hard mode the backup service of {account_id} needs a valid attestation; its status is {status:?}")]
    NotAttested { account_id: AccountId, status: AttestationStatus },
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("there is no contract state to migrate")]
    NoState,
    #[error("the stored state is neither the pre-recovery layout nor the current one: {reason}")]
    UnknownLayout { reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Caller(#[from] CallerError),
    #[error(transparent)]
    Parameters(#[from] ParametersError),
    #[error(transparent)]
    Participants(#[from] ParticipantsError),
    #[error(transparent)]
    Recovery(#[from] RecoveryError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Deposit(#[from] StorageDepositError),
    #[error(transparent)]
    Launch(#[from] LaunchError),
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::State(_) => ErrorCode::WrongState,
            Error::Caller(
                CallerError::DepositRequired { .. }
                | CallerError::DepositNotAccepted { .. }
                | CallerError::ExactlyOneYocto { .. },
            ) => ErrorCode::WrongDeposit,
            Error::Caller(_) => ErrorCode::Unauthorized,
            Error::Parameters(_) => ErrorCode::InvalidArgument,
            Error::Participants(_) => ErrorCode::Conflict,
            Error::Recovery(e) => match e {
                RecoveryError::AlreadyOpen { .. }
                | RecoveryError::AlreadyApproved { .. }
                | RecoveryError::NotApproved { .. }
                | RecoveryError::NotDelivered { .. }
                | RecoveryError::NoApprovedRecovery { .. } => ErrorCode::WrongState,
                RecoveryError::SameTlsKey { .. }
                | RecoveryError::StaleKeyset { .. }
                | RecoveryError::StaleSession { .. }
                | RecoveryError::SessionEpoch { .. }
                | RecoveryError::NodeKeyRequired
                | RecoveryError::NodeKeyNotSigner { .. } => ErrorCode::InvalidArgument,
                RecoveryError::OtherMachine { .. } => ErrorCode::Conflict,
                RecoveryError::NotRecoveringAccount { .. }
                | RecoveryError::WrongSignerKey { .. }
                | RecoveryError::NoBackupService { .. }
                | RecoveryError::NotBackupService { .. }
                | RecoveryError::NotParticipantOrCandidate { .. }
                | RecoveryError::UnreadableSignerKey => ErrorCode::Unauthorized,
            },
            Error::Storage(_) => ErrorCode::Storage,
            Error::Deposit(e) => match e {
                StorageDepositError::NotRegistered { .. }
                | StorageDepositError::Insufficient { .. }
                | StorageDepositError::BelowMinimum { .. } => ErrorCode::WrongDeposit,
                StorageDepositError::NotRegisteredAccount { .. } | StorageDepositError::InUse { .. } => {
                    ErrorCode::Conflict
                }
                StorageDepositError::WithdrawTooMuch { .. }
                | StorageDepositError::PageLimit { .. }
                | StorageDepositError::UnexpectedArguments { .. } => ErrorCode::InvalidArgument,
            },
            Error::Launch(e) => match e {
                LaunchError::AlreadyInMode { .. }
                | LaunchError::AlreadyAllowed { .. }
                | LaunchError::NotAllowed { .. }
                | LaunchError::TooManyMeasurements { .. }
                | LaunchError::AttestationRequired
                | LaunchError::QuoteNotFound => ErrorCode::InvalidArgument,
                LaunchError::NoWayToAttest | LaunchError::NoVerifier => ErrorCode::WrongState,
                LaunchError::ServiceChanged { .. } => ErrorCode::Conflict,
                LaunchError::NotAttested { .. } => ErrorCode::Unauthorized,
                LaunchError::DevAttestationRefused
                | LaunchError::VerifierFailed
                | LaunchError::UnreadableReport { .. }
                | LaunchError::TcbStatusRefused { .. }
                | LaunchError::MeasurementsNotAllowed { .. }
                | LaunchError::ReportDataMismatch { .. }
                | LaunchError::Expired { .. } => ErrorCode::AttestationRejected,
            },
        }
    }

    /// The text a failed call reports: `[Code] message`.
    pub fn message(&self) -> String {
        format!("[{}] {}", self.code(), self)
    }
}

impl FunctionError for Error {
    fn panic(&self) -> ! {
        near_sdk::env::panic_str(&self.message())
    }
}
