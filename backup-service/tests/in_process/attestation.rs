//! Where the service's attestation comes from (quote file, quote command,
//! development attestation), checked before anything is sent; and the
//! re-attestation before expiry against the contract wasm in Hard mode.

use backup_service::attest::{
    quote_report_data, report_data, AttestError, DevQuote, QuoteCommand, QuoteFile, QuoteSource, DEV_MEASUREMENTS,
    REPORT_DATA_ENV,
};
use contract_tests::tdx::Sample;
use mpc_interface::attestation::{Base64Bytes, HexArray, ReportData, VerifyQuoteArgs};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::launch::{Attestation, DevAttestation};
use std::path::Path;

fn our_report_data() -> ReportData {
    report_data(&Ed25519PublicKey([7; 32]), &AccessPublicKey::Ed25519(Ed25519PublicKey([8; 32])))
}

/// The sample quote's report data, read independently: bytes 568..632 of the
/// version 4 quote (python3: `open('tdx_quote','rb').read()[568:632].hex()`).
const SAMPLE_REPORT_DATA: &str = concat!(
    "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9",
    "eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20"
);

/// The sample quote with its report data replaced (its signature no longer
/// holds, which only the verifier contract checks).
fn quote_for(report_data: &ReportData) -> VerifyQuoteArgs {
    let mut args = Sample::up_to_date().args();
    args.quote.0[568..632].copy_from_slice(&report_data.0);
    args
}

fn write_json(path: &Path, args: &VerifyQuoteArgs) {
    std::fs::write(path, serde_json::to_vec(args).unwrap()).unwrap();
}

#[test]
fn quote_report_data__should_read_the_report_data_of_the_sample_tdx_quote() {
    let sample = Sample::up_to_date();
    assert_eq!(quote_report_data(&sample.quote).unwrap().to_string(), SAMPLE_REPORT_DATA);
    let err = quote_report_data(&sample.quote[..600]).unwrap_err();
    assert!(err.contains("600 bytes are too short"), "{err}");
    let mut v3 = sample.quote.clone();
    v3[0] = 3;
    assert!(quote_report_data(&v3).unwrap_err().contains("quote version 3"));
}

#[test]
fn quote_file__should_refuse_a_quote_made_for_other_keys_naming_both_report_datas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quote.json");
    write_json(&path, &Sample::up_to_date().args());
    let err = QuoteFile(path).attestation(&our_report_data()).unwrap_err();
    match &err {
        AttestError::ReportDataMismatch { expected, found, .. } => {
            assert_eq!(*expected, our_report_data());
            assert_eq!(found.to_string(), SAMPLE_REPORT_DATA);
        }
        other => panic!("expected a report-data mismatch, got {other:?}"),
    }
    assert!(err.to_string().contains(SAMPLE_REPORT_DATA), "{err}");
}

#[test]
fn quote_file__should_give_the_quote_and_collateral_when_the_report_data_binds_our_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quote.json");
    let args = quote_for(&our_report_data());
    write_json(&path, &args);
    assert_eq!(QuoteFile(path).attestation(&our_report_data()).unwrap(), Attestation::Tdx(args));
}

#[test]
fn quote_file__should_say_what_is_wrong_with_a_missing_or_malformed_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = QuoteFile(dir.path().join("nope.json")).attestation(&our_report_data()).unwrap_err();
    assert!(matches!(missing, AttestError::ReadFile { .. }), "{missing:?}");
    let path = dir.path().join("quote.json");
    std::fs::write(&path, br#"{"quote": "AAAA"}"#).unwrap();
    let malformed = QuoteFile(path).attestation(&our_report_data()).unwrap_err();
    assert!(matches!(&malformed, AttestError::Parse { reason, .. } if reason.contains("collateral")), "{malformed}");
}

#[test]
fn quote_command__should_get_the_report_data_in_its_env_and_first_argument() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    write_json(&dir.path().join("quote.json"), &quote_for(&our_report_data()));
    let command = format!("printf %s \"$1\" > {d}/arg; printf %s \"${REPORT_DATA_ENV}\" > {d}/env; cat {d}/quote.json");
    let attestation = QuoteCommand(command).attestation(&our_report_data()).unwrap();
    assert_eq!(attestation, Attestation::Tdx(quote_for(&our_report_data())));
    let hex = our_report_data().to_string();
    assert_eq!(std::fs::read_to_string(dir.path().join("arg")).unwrap(), hex);
    assert_eq!(std::fs::read_to_string(dir.path().join("env")).unwrap(), hex);
}

#[test]
fn quote_command__should_fail_with_its_exit_status_and_stderr() {
    let err =
        QuoteCommand("echo 'no TDX guest device' >&2; exit 3".into()).attestation(&our_report_data()).unwrap_err();
    match &err {
        AttestError::CommandFailed { status, stderr, .. } => {
            assert!(status.contains('3'), "{status}");
            assert_eq!(stderr, "no TDX guest device");
        }
        other => panic!("expected a failed command, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("quote command") && message.contains("no TDX guest device"), "{message}");
}

#[test]
fn quote_command__should_refuse_output_that_is_not_a_quote() {
    let err = QuoteCommand("echo hello".into()).attestation(&our_report_data()).unwrap_err();
    assert!(matches!(&err, AttestError::Parse { origin, .. } if origin.contains("echo hello")), "{err:?}");
    let mut foreign = Sample::up_to_date().args();
    foreign.quote = Base64Bytes(vec![4, 0, 1, 2]);
    let dir = tempfile::tempdir().unwrap();
    write_json(&dir.path().join("q.json"), &foreign);
    let command = format!("cat {}/q.json", dir.path().display());
    let err = QuoteCommand(command).attestation(&our_report_data()).unwrap_err();
    assert!(matches!(err, AttestError::Quote { .. }), "{err:?}");
}

#[test]
fn dev_attestation__should_claim_the_dev_measurements_and_our_report_data() {
    let attestation = DevQuote.attestation(&our_report_data()).unwrap();
    let expected = DevAttestation { measurements: DEV_MEASUREMENTS, report_data: our_report_data() };
    assert_eq!(attestation, Attestation::Dev(expected));
    assert_ne!(DEV_MEASUREMENTS.mrtd, HexArray([0; 48]));
}

mod status_and_renewal {
    use super::*;
    use backup_service::metrics::Metrics;
    use backup_service::reattest::{AttestationConfig, Attester};
    use backup_service::status::{ContractView, ExpiryWarning, RegistrationCheck, StatusReport, StoredCopy, Verdict};
    use mpc_interface::launch::{AttestationStatus, BackupAttestationView, LaunchMode};
    use mpc_interface::primitives::EpochId;
    use mpc_interface::recovery::BackupServiceInfo;
    use std::sync::Arc;
    use std::time::Duration;

    const NOW: u64 = 1_800_000_000;

    fn report(attestation: AttestationStatus) -> StatusReport {
        let ours = BackupServiceInfo {
            public_key: Ed25519PublicKey([7; 32]),
            signer_public_key: AccessPublicKey::Ed25519(Ed25519PublicKey([8; 32])),
        };
        StatusReport {
            account: "node1.near".parse().unwrap(),
            ours,
            stored: vec![StoredCopy { epoch: EpochId(2), domains: Ok(vec![]) }],
            contract: Ok(ContractView {
                state: "Running",
                keyset_epoch: Some(EpochId(2)),
                registration: RegistrationCheck::Matches,
                recovery: None,
                attestation,
            }),
            expiry_warning: ExpiryWarning { now: NOW, margin: 3600 },
        }
    }

    #[test]
    fn status__should_exit_6_when_the_contract_does_not_let_the_service_deliver() {
        for status in [
            AttestationStatus::Missing,
            AttestationStatus::Expired { at: NOW - 5 },
            AttestationStatus::MeasurementsRetired,
        ] {
            let report = report(status);
            assert!(matches!(report.verdict(), Verdict::NotAttested { .. }), "{status:?}: {report}");
            assert_eq!(report.verdict().exit_code(), 6);
        }
        let text = report(AttestationStatus::Expired { at: NOW - 5 }).to_string();
        assert!(text.contains(&format!("expired at {}", NOW - 5)) && text.contains("NOT ATTESTED (exit 6)"), "{text}");
    }

    #[test]
    fn status__should_exit_7_when_the_attestation_expires_within_the_margin() {
        let soon = report(AttestationStatus::Valid { expires_at: NOW + 3599 });
        assert_eq!(soon.verdict(), Verdict::AttestationExpiresSoon { epoch: EpochId(2), expires_at: NOW + 3599 });
        assert_eq!(soon.verdict().exit_code(), 7);
        let later = report(AttestationStatus::Valid { expires_at: NOW + 3601 });
        assert_eq!(later.verdict(), Verdict::Current { epoch: EpochId(2) });
        assert_eq!(report(AttestationStatus::NotRequired).verdict(), Verdict::Current { epoch: EpochId(2) });
    }

    fn attester(margin: Duration) -> Attester {
        let mut config = AttestationConfig::new(Arc::new(DevQuote), margin);
        config.clock = Arc::new(|| NOW);
        Attester::new(config, "node1.near".parse().unwrap(), our_report_data())
    }

    fn view(status: AttestationStatus) -> BackupAttestationView {
        BackupAttestationView { mode: LaunchMode::Hard, status, attestation: None }
    }

    #[test]
    fn attester__should_be_due_within_the_margin_and_when_not_valid_but_never_in_soft_mode() {
        let a = attester(Duration::from_secs(600));
        assert!(!a.due(&view(AttestationStatus::Valid { expires_at: NOW + 601 }), NOW));
        assert!(a.due(&view(AttestationStatus::Valid { expires_at: NOW + 600 }), NOW));
        assert!(a.due(&view(AttestationStatus::Missing), NOW));
        assert!(a.due(&view(AttestationStatus::Expired { at: NOW }), NOW));
        assert!(a.due(&view(AttestationStatus::MeasurementsRetired), NOW));
        assert!(!a.due(&view(AttestationStatus::NoBackupService), NOW));
        assert!(!a.due(&view(AttestationStatus::NotRequired), NOW));
    }

    #[test]
    fn metrics__should_show_whether_the_service_may_deliver_and_when_its_attestation_expires() {
        let m = Metrics::default();
        assert_eq!((m.attestation_valid(), m.attestation_expires_at()), (-1, 0), "unknown until read");
        m.attestation(&AttestationStatus::Valid { expires_at: NOW });
        assert_eq!((m.attestation_valid(), m.attestation_expires_at()), (1, NOW as i64));
        m.attestation(&AttestationStatus::Expired { at: NOW });
        assert_eq!((m.attestation_valid(), m.attestation_expires_at()), (0, NOW as i64));
        m.attestation(&AttestationStatus::NotRequired);
        assert_eq!((m.attestation_valid(), m.attestation_expires_at()), (1, 0));
        let text = m.render();
        assert!(text.contains("backup_service_attestation_valid 1"), "{text}");
        assert!(text.contains("backup_service_attestation_expires_timestamp_seconds 0"), "{text}");
    }
}

/// Against the contract wasm in Hard mode: `node1.near`'s service registered
/// with a development attestation, renewed through `reattest_backup_service`.
mod renewal_on_chain {
    use super::*;
    use backup_service::metrics::Metrics;
    use backup_service::reattest::{AttestationConfig, Attester, ReattestError, Renewal};
    use contract_client::AttestationContract;
    use contract_tests::hard_mode::{dev_attestation, dev_attesting_network, switch_to_hard};
    use contract_tests::in_process::InProcessContract;
    use contract_tests::scenario::{account, backup_key, OutcomeExt};
    use mpc_interface::launch::{AttestationStatus, DEV_ATTESTATION_TTL_SECONDS};
    use mpc_interface::methods::REGISTER_BACKUP_SERVICE;
    use mpc_interface::recovery::BackupServiceInfo;
    use std::sync::Arc;
    use std::time::Duration;

    const MARGIN: Duration = Duration::from_secs(3600);

    /// The development attestations the contract-tests network allows.
    struct TestImage;
    impl QuoteSource for TestImage {
        fn attestation(&self, report_data: &ReportData) -> Result<Attestation, AttestError> {
            let Attestation::Dev(mut dev) = dev_attestation(&info()) else { unreachable!() };
            dev.report_data = *report_data;
            Ok(Attestation::Dev(dev))
        }
        fn describe(&self) -> String {
            "test image".into()
        }
    }

    fn info() -> BackupServiceInfo {
        BackupServiceInfo { public_key: Ed25519PublicKey([7; 32]), signer_public_key: backup_key(&account(1)) }
    }

    fn registered() -> InProcessContract {
        let mut net = dev_attesting_network(4);
        switch_to_hard(net.harness_mut(), 4);
        let args = serde_json::json!({"info": info(), "attestation": dev_attestation(&info())});
        net.operator_call(&account(1), REGISTER_BACKUP_SERVICE, args).expect_ok();
        net.into_contract()
    }

    fn attester(contract: &InProcessContract, source: Arc<dyn QuoteSource>) -> Attester {
        let mut config = AttestationConfig::new(source, MARGIN);
        let chain = contract.clone();
        config.clock = Arc::new(move || chain.with_harness(|h| h.block_timestamp() / 1_000_000_000));
        let info = info();
        Attester::new(config, account(1).parse().unwrap(), report_data(&info.public_key, &info.signer_public_key))
    }

    fn expires_at(status: AttestationStatus) -> u64 {
        match status {
            AttestationStatus::Valid { expires_at } => expires_at,
            other => panic!("expected a valid attestation, got {other:?}"),
        }
    }

    /// Moves the chain's clock to `seconds` before `deadline`.
    fn advance_to_before(contract: &InProcessContract, deadline: u64, seconds: u64) {
        contract.with_harness(|h| {
            let target_ns = (deadline - seconds) * 1_000_000_000;
            h.advance_time_ns(target_ns.saturating_sub(h.block_timestamp()));
        });
    }

    #[tokio::test]
    async fn attester__should_reattest_once_less_than_the_margin_is_left_and_not_before() {
        let contract = registered();
        let client = contract.client(&account(1), backup_key(&account(1)));
        let metrics = Metrics::default();
        let attester = attester(&contract, Arc::new(TestImage));
        let first = match attester.renew_if_due(&client, &metrics).await.unwrap() {
            Renewal::Valid { expires_at } => expires_at,
            other => panic!("a fresh attestation is not renewed: {other:?}"),
        };
        assert_eq!(metrics.attestation_valid(), 1);

        advance_to_before(&contract, first, MARGIN.as_secs() + 10);
        assert_eq!(attester.renew_if_due(&client, &metrics).await.unwrap(), Renewal::Valid { expires_at: first });

        advance_to_before(&contract, first, MARGIN.as_secs() - 10);
        let renewed = match attester.renew_if_due(&client, &metrics).await.unwrap() {
            Renewal::Renewed { status } => expires_at(status),
            other => panic!("expected a renewal within the margin, got {other:?}"),
        };
        assert!(renewed >= first - MARGIN.as_secs() + DEV_ATTESTATION_TTL_SECONDS, "{renewed} vs {first}");
        assert_eq!(expires_at(client.backup_attestation(&account(1).parse().unwrap()).await.unwrap().status), renewed);
        assert_eq!(metrics.attestation_expires_at(), renewed as i64);
    }

    #[tokio::test]
    async fn attester__should_report_a_failing_quote_command_and_leave_the_contract_unchanged() {
        let contract = registered();
        let client = contract.client(&account(1), backup_key(&account(1)));
        let metrics = Metrics::default();
        let id = account(1).parse().unwrap();
        let before = client.backup_attestation(&id).await.unwrap();
        advance_to_before(&contract, expires_at(before.status), 60);
        let failing = attester(&contract, Arc::new(QuoteCommand("echo 'TDX quote tool missing' >&2; exit 7".into())));

        let err = failing.renew_if_due(&client, &metrics).await.unwrap_err();

        assert!(matches!(&err, ReattestError::Source(AttestError::CommandFailed { .. })), "{err:?}");
        assert!(err.to_string().contains("TDX quote tool missing"), "{err}");
        assert_eq!(client.backup_attestation(&id).await.unwrap().attestation, before.attestation, "nothing changed");
    }
}
