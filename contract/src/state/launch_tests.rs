//! The hard launch's transitions as plain Rust (storage in near-sdk's mocked
//! blockchain).
#![allow(non_snake_case)]

use super::*;
use mpc_interface::attestation::HexArray;
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::primitives::{Participant, ParticipantId, ParticipantInfo, ThresholdParameters};
use mpc_interface::recovery::BackupServiceInfo;

fn id(name: &str) -> AccountId {
    name.parse().unwrap()
}

/// Participants p0..p3, threshold 3.
fn registry() -> Registry {
    let mut registry = Registry::new();
    let participants = (0..4u8)
        .map(|i| Participant {
            account_id: id(&format!("p{i}.near")),
            id: ParticipantId(i.into()),
            info: ParticipantInfo { url: format!("https://p{i}.near:3000"), tls_public_key: Ed25519PublicKey([i; 32]) },
        })
        .collect();
    registry.install_participants(&ThresholdParameters { participants, threshold: 3 });
    registry
}

fn image(seed: u8) -> Measurements {
    Measurements::from_bytes(&[seed; 240])
}

fn service() -> BackupServiceInfo {
    BackupServiceInfo {
        public_key: Ed25519PublicKey([7; 32]),
        signer_public_key: AccessPublicKey::Ed25519(Ed25519PublicKey([8; 32])),
    }
}

fn bound_report(measurements: Measurements, expires_at: u64) -> Report {
    let service = service();
    Report {
        kind: AttestationKind::Tdx,
        tcb_status: Some(TcbStatus::UpToDate),
        measurements,
        report_data: mpc_interface::launch::report_data_v1(&service.public_key, &service.signer_public_key),
        expires_at,
    }
}

#[test]
fn vote_mode__should_switch_only_at_the_threshold_and_only_with_a_way_to_attest() {
    let mut registry = registry();
    let mut none = LaunchSettings::new(None, false);
    let err = vote_mode(&mut none, &mut registry, &id("p0.near"), LaunchMode::Hard).unwrap_err();
    assert!(matches!(err, Error::Launch(LaunchError::NoWayToAttest)));
    let mut launch = LaunchSettings::new(Some(id("verifier.near")), false);
    for voter in ["p0.near", "p1.near", "p1.near"] {
        let step = vote_mode(&mut launch, &mut registry, &id(voter), LaunchMode::Hard).unwrap();
        assert!(step.events.is_empty(), "a repeated vote counts once");
    }
    let step = vote_mode(&mut launch, &mut registry, &id("p2.near"), LaunchMode::Hard).unwrap();
    assert_eq!(step.events, vec![Event::LaunchModeChanged { mode: LaunchMode::Hard }]);
    assert_eq!(launch.mode, LaunchMode::Hard);
    let stranger = vote_mode(&mut launch, &mut registry, &id("x.near"), LaunchMode::Soft).unwrap_err();
    assert!(matches!(stranger, Error::Caller(CallerError::NotParticipant { .. })));
}

#[test]
fn measurement_votes__should_keep_add_and_retire_tallies_apart() {
    let mut registry = registry();
    let mut launch = LaunchSettings::new(None, true);
    for voter in ["p0.near", "p1.near", "p2.near"] {
        vote_measurements(&mut launch, &mut registry, &id(voter), image(1), true).unwrap();
    }
    assert_eq!(launch.allowed(), vec![image(1)]);
    // Two retire votes and one more add vote for another image: neither passes.
    vote_measurements(&mut launch, &mut registry, &id("p0.near"), image(1), false).unwrap();
    vote_measurements(&mut launch, &mut registry, &id("p1.near"), image(1), false).unwrap();
    vote_measurements(&mut launch, &mut registry, &id("p2.near"), image(2), true).unwrap();
    assert_eq!(launch.allowed(), vec![image(1)]);
    let step = vote_measurements(&mut launch, &mut registry, &id("p3.near"), image(1), false).unwrap();
    assert_eq!(step.events, vec![Event::MeasurementsRetired { measurements: image(1) }]);
    assert!(launch.allowed().is_empty());
}

#[test]
fn vote_add__should_refuse_more_than_the_maximum() {
    let mut registry = registry();
    let mut launch = LaunchSettings::new(None, true);
    launch.set_allowed((0..MAX_ALLOWED_MEASUREMENTS as u8).map(image).collect());
    let err = vote_measurements(&mut launch, &mut registry, &id("p0.near"), image(200), true).unwrap_err();
    assert!(matches!(err, Error::Launch(LaunchError::TooManyMeasurements { .. })));
}

#[test]
fn check_report__should_check_tcb_then_measurements_then_binding_then_expiry() {
    let mut launch = LaunchSettings::new(None, true);
    let good = bound_report(image(1), 100);
    let refused = |launch: &LaunchSettings, report: Report| check_report(launch, &service(), &report, 50).unwrap_err();
    let stale_tcb = Report { tcb_status: Some(TcbStatus::OutOfDate), report_data: HexArray([0; 64]), ..good };
    assert!(matches!(refused(&launch, stale_tcb), Error::Launch(LaunchError::TcbStatusRefused { .. })));
    let unbound = Report { report_data: HexArray([0; 64]), ..good };
    assert!(matches!(refused(&launch, unbound), Error::Launch(LaunchError::MeasurementsNotAllowed { .. })));
    launch.set_allowed(vec![image(1)]);
    assert!(matches!(refused(&launch, unbound), Error::Launch(LaunchError::ReportDataMismatch { .. })));
    let expired = Report { expires_at: 50, ..good };
    assert!(matches!(refused(&launch, expired), Error::Launch(LaunchError::Expired { .. })));
    let record = check_report(&launch, &service(), &good, 50).unwrap();
    assert_eq!((record.attested_at, record.expires_at, record.measurements), (50, 100, image(1)));
    let dev = Report::dev(&DevAttestation { measurements: image(1), report_data: good.report_data }, 50);
    assert_eq!(check_report(&launch, &service(), &dev, 50).unwrap().expires_at, 50 + DEV_ATTESTATION_TTL_SECONDS);
}

#[test]
fn view__should_say_why_a_service_may_not_transfer() {
    let mut services = ServiceRegistry::new();
    let mut launch = LaunchSettings::new(None, true);
    let account = id("p0.near");
    assert_eq!(view(&launch, &services, &account, 0).status, AttestationStatus::NotRequired);
    launch.mode = LaunchMode::Hard;
    assert_eq!(view(&launch, &services, &account, 0).status, AttestationStatus::NoBackupService);
    let missing = register(&mut launch, &mut services, &account, service(), None).unwrap_err();
    assert!(matches!(missing, Error::Launch(LaunchError::AttestationRequired)));
    launch.mode = LaunchMode::Soft;
    register(&mut launch, &mut services, &account, service(), None).unwrap();
    launch.mode = LaunchMode::Hard;
    assert_eq!(view(&launch, &services, &account, 0).status, AttestationStatus::Missing);
    launch.set_allowed(vec![image(1)]);
    let record = check_report(&launch, &service(), &bound_report(image(1), 100), 10).unwrap();
    let pending = PendingAttestation { account_id: account.clone(), service: service(), registers: false };
    accept(&mut launch, &mut services, &pending, record).unwrap();
    assert_eq!(view(&launch, &services, &account, 99).status, AttestationStatus::Valid { expires_at: 100 });
    assert_eq!(view(&launch, &services, &account, 100).status, AttestationStatus::Expired { at: 100 });
    launch.set_allowed(Vec::new());
    assert_eq!(view(&launch, &services, &account, 99).status, AttestationStatus::MeasurementsRetired);
}

#[test]
fn accept__should_refuse_a_reattestation_for_a_service_replaced_meanwhile() {
    let mut services = ServiceRegistry::new();
    let mut launch = LaunchSettings::new(None, true);
    let account = id("p0.near");
    register(&mut launch, &mut services, &account, service(), None).unwrap();
    let other = BackupServiceInfo { public_key: Ed25519PublicKey([9; 32]), ..service() };
    let pending = PendingAttestation { account_id: account, service: other, registers: false };
    let record = AttestationRecord {
        kind: AttestationKind::Dev,
        measurements: image(1),
        tcb_status: None,
        attested_at: 0,
        expires_at: 1,
    };
    let err = accept(&mut launch, &mut services, &pending, record).unwrap_err();
    assert!(matches!(err, Error::Launch(LaunchError::ServiceChanged { .. })));
}

/// A verifier's answer for `image(9)`, with advisories (strings in the borsh).
fn verified_quote() -> mpc_interface::attestation::VerifiedQuote {
    let Measurements { mrtd, rtmr0, rtmr1, rtmr2, rtmr3 } = image(9);
    let advisory_ids = vec!["INTEL-SA-00837".into(), "quote \" and \\ escaped".into()];
    let (report_data, verified_at, collateral_expires_at) = (HexArray([0xab; 64]), 1_750_000_000, 1_752_919_235);
    let tcb_status = TcbStatus::SWHardeningNeeded;
    mpc_interface::attestation::VerifiedQuote {
        tcb_status,
        advisory_ids,
        mrtd,
        rtmr0,
        rtmr1,
        rtmr2,
        rtmr3,
        report_data,
        verified_at,
        collateral_expires_at,
    }
}

#[test]
fn verified_report__should_read_the_borsh_the_verifier_returns() {
    let quote = verified_quote();
    let report = Report::verified(&borsh::to_vec(&quote).unwrap()).unwrap();
    assert_eq!(
        report,
        Report {
            kind: AttestationKind::Tdx,
            tcb_status: Some(TcbStatus::SWHardeningNeeded),
            measurements: image(9),
            report_data: HexArray([0xab; 64]),
            expires_at: 1_752_919_235,
        }
    );
}

#[test]
fn verified_report__should_refuse_json_truncated_padded_and_unknown_status_answers() {
    let borsh = borsh::to_vec(&verified_quote()).unwrap();
    let mut padded = borsh.clone();
    padded.push(0);
    let mut unknown_status = borsh.clone();
    unknown_status[0] = TcbStatus::NAMES.len() as u8;
    let not_borsh = "not the borsh of a VerifiedQuote";
    for (case, answer, reason) in [
        ("json", serde_json::to_vec(&verified_quote()).unwrap(), "JSON, from a verifier older than this contract"),
        ("truncated", borsh[..borsh.len() - 1].to_vec(), not_borsh),
        ("padded", padded, not_borsh),
        ("unknown status", unknown_status, not_borsh),
        ("empty", Vec::new(), not_borsh),
    ] {
        let err = Report::verified(&answer).unwrap_err();
        assert!(err.to_string().contains(reason), "{case}: {err}");
        assert!(matches!(err, LaunchError::UnreadableReport { .. }), "{case}");
    }
}
