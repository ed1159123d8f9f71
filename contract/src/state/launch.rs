//! The hard launch as plain Rust: the launch-mode and measurement votes, the
//! checks an attested report must pass, and whether a backup service may take
//! part in share transfers now. Times are Unix seconds of the block.

use super::{backup, Caller, Step};
use crate::errors::{CallerError, Error, LaunchError};
use crate::events::Event;
use crate::storage::launch::LaunchSettings;
use crate::storage::registry::Registry;
use crate::storage::services::ServiceRegistry;
use crate::storage::votes::{BallotKind, VoteBook, Weight};
use mpc_interface::attestation::{ReportData, TcbStatus, VerifiedQuote};
use mpc_interface::launch::{
    report_data_v1_with, AttestationKind, AttestationRecord, AttestationStatus, BackupAttestationView, DevAttestation,
    LaunchMode, Measurements, PendingAttestation, DEV_ATTESTATION_TTL_SECONDS, MAX_ALLOWED_MEASUREMENTS,
};
use near_sdk::AccountId;

/// One participant's ballot in a threshold vote of `kind`: true (and the
/// round closed) once the threshold of participants voted for `content`.
fn threshold_vote(
    registry: &mut Registry,
    round: &mut u64,
    kind: BallotKind,
    voter: &AccountId,
    content: &[u8],
) -> Result<bool, Error> {
    if !registry.participants.contains(voter) {
        return Err(CallerError::NotParticipant { account_id: voter.clone() }.into());
    }
    // The kind is part of the choice, so adding and retiring the same record never share a tally.
    let mut tagged = vec![kind as u8];
    tagged.extend_from_slice(content);
    let choice = VoteBook::choice(*round, &tagged);
    let cast = registry.votes.cast(kind, voter, *round, choice, Weight::PARTICIPANT);
    if u64::from(cast.tally.current) < registry.participants.threshold() {
        return Ok(false);
    }
    *round = registry.votes.close_round(kind);
    Ok(true)
}

fn borsh_of(value: &impl borsh::BorshSerialize) -> Vec<u8> {
    borsh::to_vec(value).expect("borsh of a vote")
}

/// `vote_launch` with `Mode`: `Hard` needs a way to attest (a verifier or dev attestations).
pub fn vote_mode(
    launch: &mut LaunchSettings,
    registry: &mut Registry,
    voter: &AccountId,
    mode: LaunchMode,
) -> Result<Step, Error> {
    if mode == launch.mode {
        return Err(LaunchError::AlreadyInMode { mode }.into());
    }
    if mode == LaunchMode::Hard && launch.tee_verifier.is_none() && !launch.allow_dev_attestation {
        return Err(LaunchError::NoWayToAttest.into());
    }
    if !threshold_vote(registry, &mut launch.mode_round, BallotKind::LaunchMode, voter, &borsh_of(&mode))? {
        return Ok(Step::stay(Vec::new()));
    }
    launch.mode = mode;
    Ok(Step::stay(vec![Event::LaunchModeChanged { mode }]))
}

/// `vote_launch` with `AllowMeasurements` (`allow`) or `RetireMeasurements`: a record
/// joins the allowed ones, or leaves them (its attestations stop counting at once).
pub fn vote_measurements(
    launch: &mut LaunchSettings,
    registry: &mut Registry,
    voter: &AccountId,
    measurements: Measurements,
    allow: bool,
) -> Result<Step, Error> {
    let mut allowed = launch.allowed();
    let mrtd = measurements.mrtd;
    match (allow, allowed.contains(&measurements)) {
        (true, true) => return Err(LaunchError::AlreadyAllowed { mrtd }.into()),
        (true, false) if allowed.len() >= MAX_ALLOWED_MEASUREMENTS => {
            return Err(LaunchError::TooManyMeasurements { max: MAX_ALLOWED_MEASUREMENTS }.into())
        }
        (false, false) => return Err(LaunchError::NotAllowed { mrtd }.into()),
        _ => {}
    }
    let (round, kind) = match allow {
        true => (&mut launch.add_round, BallotKind::AddMeasurements),
        false => (&mut launch.retire_round, BallotKind::RetireMeasurements),
    };
    if !threshold_vote(registry, round, kind, voter, &borsh_of(&measurements))? {
        return Ok(Step::stay(Vec::new()));
    }
    let event = if allow {
        allowed.push(measurements);
        Event::MeasurementsAllowed { measurements }
    } else {
        allowed.retain(|m| m != &measurements);
        Event::MeasurementsRetired { measurements }
    };
    launch.set_allowed(allowed);
    Ok(Step::stay(vec![event]))
}

/// What an attestation vouches for, however it was verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    pub kind: AttestationKind,
    pub tcb_status: Option<TcbStatus>,
    pub measurements: Measurements,
    pub report_data: ReportData,
    pub expires_at: u64,
}

impl Report {
    /// A development attestation accepted at `now`: no TCB status, a fixed lifetime.
    pub fn dev(dev: &DevAttestation, now: u64) -> Self {
        Report {
            kind: AttestationKind::Dev,
            tcb_status: None,
            measurements: dev.measurements,
            report_data: dev.report_data,
            expires_at: now.saturating_add(DEV_ATTESTATION_TTL_SECONDS),
        }
    }

    /// The TEE verifier's answer to a TDX quote: the borsh of a
    /// [`VerifiedQuote`], valid until the collateral expires.
    pub fn verified(answer: &[u8]) -> Result<Self, LaunchError> {
        // Borsh of a VerifiedQuote starts with the TCB status (0 to 7), never `{`.
        if answer.first() == Some(&b'{') {
            let reason = "JSON, from a verifier older than this contract (deploy the verifier of this release)";
            return Err(LaunchError::UnreadableReport { reason });
        }
        let quote: VerifiedQuote = borsh::from_slice(answer)
            .map_err(|_| LaunchError::UnreadableReport { reason: "not the borsh of a VerifiedQuote" })?;
        Ok(Report {
            kind: AttestationKind::Tdx,
            tcb_status: Some(quote.tcb_status),
            measurements: Measurements::of(&quote),
            report_data: quote.report_data,
            expires_at: quote.collateral_expires_at,
        })
    }
}

/// The checks every attestation passes, in this order: the TCB status is
/// accepted (`TcbStatus::is_accepted`), the measurements are allowed now, the
/// report data is `report_data_v1` of the service's keys, and it has not expired.
pub fn check_report(
    launch: &LaunchSettings,
    service: &mpc_interface::recovery::BackupServiceInfo,
    report: &Report,
    now: u64,
) -> Result<AttestationRecord, Error> {
    if let Some(status) = report.tcb_status.filter(|s| !s.is_accepted()) {
        return Err(LaunchError::TcbStatusRefused { status }.into());
    }
    if !launch.is_allowed(&report.measurements) {
        return Err(LaunchError::MeasurementsNotAllowed { mrtd: report.measurements.mrtd }.into());
    }
    let expected = report_data_v1_with(&service.public_key, &service.signer_public_key, VoteBook::digest);
    if report.report_data != expected {
        return Err(LaunchError::ReportDataMismatch { expected, actual: report.report_data }.into());
    }
    if now >= report.expires_at {
        return Err(LaunchError::Expired { expires_at: report.expires_at, now }.into());
    }
    Ok(AttestationRecord {
        kind: report.kind,
        measurements: report.measurements,
        tcb_status: report.tcb_status,
        attested_at: now,
        expires_at: report.expires_at,
    })
}

/// `register_backup_service`: registers the service, with its accepted
/// attestation (required in Hard mode). Registering other keys without one
/// drops the old attestation: it vouched for the old keys.
pub fn register(
    launch: &mut LaunchSettings,
    services: &mut ServiceRegistry,
    account_id: &AccountId,
    info: mpc_interface::recovery::BackupServiceInfo,
    record: Option<AttestationRecord>,
) -> Result<Step, Error> {
    if record.is_none() && launch.mode == LaunchMode::Hard {
        return Err(LaunchError::AttestationRequired.into());
    }
    let (mut step, previous) = backup::register(services, account_id, info)?;
    match record {
        Some(record) => step.events.push(store(launch, account_id, record)),
        // Only a replaced registration can have an attestation of other keys.
        None if previous.is_some_and(|previous| previous != info) => {
            launch.attestations.remove(account_id);
        }
        None => {}
    }
    Ok(step)
}

/// `reattest_backup_service`: the signer must be the account's registered
/// backup service; its attestation will vouch for exactly that service.
pub fn reattesting(services: &ServiceRegistry, caller: &Caller) -> Result<PendingAttestation, Error> {
    let service = services.signed_by(caller)?;
    Ok(PendingAttestation { account_id: caller.account_id.clone(), service, registers: false })
}

/// Stores an accepted attestation for `pending`: registers the service
/// (`register_backup_service`) or renews the registered one's attestation.
pub fn accept(
    launch: &mut LaunchSettings,
    services: &mut ServiceRegistry,
    pending: &PendingAttestation,
    record: AttestationRecord,
) -> Result<Step, Error> {
    let account_id = &pending.account_id;
    if pending.registers {
        return register(launch, services, account_id, pending.service, Some(record));
    }
    if services.backup_services.get(account_id) != Some(pending.service) {
        return Err(LaunchError::ServiceChanged { account_id: account_id.clone() }.into());
    }
    Ok(Step::stay(vec![store(launch, account_id, record)]))
}

fn store(launch: &mut LaunchSettings, account_id: &AccountId, record: AttestationRecord) -> Event {
    launch.attestations.insert(account_id.clone(), record);
    Event::BackupServiceAttested { account_id: account_id.clone(), kind: record.kind, expires_at: record.expires_at }
}

/// Whether `account_id`'s backup service may take part in share transfers at `now`.
pub fn view(
    launch: &LaunchSettings,
    services: &ServiceRegistry,
    account_id: &AccountId,
    now: u64,
) -> BackupAttestationView {
    let attestation = launch.attestations.get(account_id);
    let status = match attestation {
        _ if launch.mode == LaunchMode::Soft => AttestationStatus::NotRequired,
        _ if !services.backup_services.contains_key(account_id) => AttestationStatus::NoBackupService,
        None => AttestationStatus::Missing,
        Some(a) if now >= a.expires_at => AttestationStatus::Expired { at: a.expires_at },
        Some(a) if !launch.is_allowed(&a.measurements) => AttestationStatus::MeasurementsRetired,
        Some(a) => AttestationStatus::Valid { expires_at: a.expires_at },
    };
    BackupAttestationView { mode: launch.mode, status, attestation }
}

/// Refuses a call signed with a backup service's key when that service has no
/// valid attestation (Hard mode only); other keys are the caller's business.
pub fn require_attested(
    launch: &LaunchSettings,
    services: &ServiceRegistry,
    caller: &Caller,
    now: u64,
) -> Result<(), Error> {
    if launch.mode == LaunchMode::Soft {
        return Ok(());
    }
    if !services.is_service_key(caller) {
        return Ok(());
    }
    let account_id = &caller.account_id;
    let status = view(launch, services, account_id, now).status;
    if status.allows_transfers() {
        return Ok(());
    }
    Err(LaunchError::NotAttested { account_id: account_id.clone(), status }.into())
}

#[cfg(test)]
#[path = "launch_tests.rs"]
mod tests;
