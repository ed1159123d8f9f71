//! The hard launch: backup services attested inside an Intel TDX trust domain.
//!
//! In [`LaunchMode::Hard`] a backup service registers (and later re-attests)
//! with an [`Attestation`]. The MPC contract has the TEE verifier contract check
//! a TDX quote, then accepts the verified report only if
//! - its TCB status is accepted ([`TcbStatus::is_accepted`]),
//! - its [`Measurements`] are among those the participants voted and did not retire,
//! - its report data is [`report_data_v1`] of the service's identity key and
//!   NEAR signer key,
//!
//! and stores an [`AttestationRecord`] that is valid until the collateral expires.
//! A service without a valid attestation cannot publish session keys or confirm
//! deliveries; [`BackupAttestationView`] says why.

use crate::attestation::{
    BytesParseError, HexArray, Measurement, ReportData, TcbStatus, VerifiedQuote, VerifyQuoteArgs,
};
use crate::keys::{AccessPublicKey, Ed25519PublicKey};
use crate::recovery::BackupServiceInfo;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use near_account_id::AccountId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `Soft`: backup services need no attestation (the behaviour before the hard
/// launch, and the default). `Hard`: they need a valid one.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Default,
    Hash,
    Serialize,
    JsonSchema,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
)]
pub enum LaunchMode {
    #[default]
    Soft,
    Hard,
}

/// Read by hand from its name, as the derive would: serde's derived enum parser costs the wasm about 1.5 kB.
impl<'de> Deserialize<'de> for LaunchMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <String as Deserialize>::deserialize(d)?;
        match name.as_str() {
            "Soft" => Ok(Self::Soft),
            "Hard" => Ok(Self::Hard),
            other => Err(serde::de::Error::unknown_variant(other, &["Soft", "Hard"])),
        }
    }
}

/// The one argument of `vote_launch`, externally tagged: `{"Mode": "Hard"}`, `{"AllowMeasurements": "<hex>"}`
/// or `{"RetireMeasurements": "<hex>"}` ([`Measurements`]' hex). Each kind has its own ballot round and events.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize)]
pub enum LaunchVote {
    Mode(LaunchMode),
    AllowMeasurements(Measurements),
    RetireMeasurements(Measurements),
}

/// The measurements of a backup-service image, as voted by participants: the
/// TD's firmware (MRTD) and its four runtime measurement registers. A quote
/// matches an allowed record when all five are equal.
///
/// JSON: one string, the hex of the 240 bytes MRTD || RTMR0 || RTMR1 || RTMR2
/// || RTMR3 (a record is compared whole, and one string keeps the contract's
/// wasm free of another struct parser).
#[derive(Clone, Copy, PartialEq, Eq, Hash, BorshSerialize, BorshSchema)]
pub struct Measurements {
    pub mrtd: Measurement,
    pub rtmr0: Measurement,
    pub rtmr1: Measurement,
    pub rtmr2: Measurement,
    pub rtmr3: Measurement,
}

impl Measurements {
    /// The measurements a verified quote reports.
    pub fn of(report: &VerifiedQuote) -> Self {
        Self { mrtd: report.mrtd, rtmr0: report.rtmr0, rtmr1: report.rtmr1, rtmr2: report.rtmr2, rtmr3: report.rtmr3 }
    }

    /// MRTD || RTMR0 || RTMR1 || RTMR2 || RTMR3.
    pub fn to_bytes(&self) -> [u8; 240] {
        let mut bytes = [0u8; 240];
        for (chunk, register) in bytes.chunks_mut(48).zip([self.mrtd, self.rtmr0, self.rtmr1, self.rtmr2, self.rtmr3]) {
            chunk.copy_from_slice(&register.0);
        }
        bytes
    }

    pub fn from_bytes(bytes: &[u8; 240]) -> Self {
        let register = |i: usize| HexArray(bytes[i * 48..(i + 1) * 48].try_into().expect("48 bytes"));
        Self { mrtd: register(0), rtmr0: register(1), rtmr1: register(2), rtmr2: register(3), rtmr3: register(4) }
    }
}

/// The derive's layout (the five registers in order), read as one array: the
/// derive reads five and costs the MPC contract's wasm about 0.5 kB more.
impl BorshDeserialize for Measurements {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        <[u8; 240]>::deserialize_reader(reader).map(|bytes| Self::from_bytes(&bytes))
    }
}

impl std::fmt::Display for Measurements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&HexArray(self.to_bytes()), f)
    }
}

impl std::fmt::Debug for Measurements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Measurements(mrtd {}, ..)", self.mrtd)
    }
}

impl std::str::FromStr for Measurements {
    type Err = BytesParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<HexArray<240>>().map(|bytes| Self::from_bytes(&bytes.0))
    }
}

impl Serialize for Measurements {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Measurements {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <HexArray<240> as Deserialize>::deserialize(d).map(|bytes| Self::from_bytes(&bytes.0))
    }
}

impl JsonSchema for Measurements {
    fn schema_name() -> String {
        "Measurements".to_owned()
    }
    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        crate::keys::string_schema("hex of the 240 bytes MRTD || RTMR0 || RTMR1 || RTMR2 || RTMR3")
    }
}

/// How many measurement records may be allowed at once (a vote to add one more is refused).
pub const MAX_ALLOWED_MEASUREMENTS: usize = 16;

impl TcbStatus {
    /// The contract's TCB policy: `UpToDate` and `SWHardeningNeeded` (the
    /// platform is current; the software mitigations Intel advises apply to the
    /// TD itself) are accepted. Every status that needs a configuration change,
    /// an update or a relaunch of the TD is refused.
    pub fn is_accepted(self) -> bool {
        matches!(self, TcbStatus::UpToDate | TcbStatus::SWHardeningNeeded)
    }
}

/// What a backup service submits with `register_backup_service` (in `Hard`
/// mode) and `reattest_backup_service`. JSON: `{"Tdx": {"quote": ..., "collateral": ...}}`
/// or `{"Dev": {"measurements": ..., "report_data": ...}}`.
///
/// `Q` is how the TDX payload is held: parsed ([`VerifyQuoteArgs`], the
/// default, for clients) or as the raw JSON the contract forwards to the
/// verifier unread (the verifier parses and checks it; the MPC contract's wasm
/// is spared a parser for the collateral).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize)]
#[allow(clippy::large_enum_variant)] // built once per call, never stored
pub enum Attestation<Q = VerifyQuoteArgs> {
    /// A TDX quote and its collateral, checked by the verifier contract.
    Tdx(Q),
    /// A development attestation: accepted only by a contract initialised with
    /// `allow_dev_attestation: true`. It goes through the same checks as a TDX
    /// quote except the quote's signature (nothing is signed): its measurements
    /// must be allowed and its report data must bind the service's keys. It
    /// expires [`DEV_ATTESTATION_TTL_SECONDS`] after the block it was accepted in.
    Dev(DevAttestation),
}

#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize, BorshSchema,
)]
#[serde(deny_unknown_fields)]
pub struct DevAttestation {
    pub measurements: Measurements,
    pub report_data: ReportData,
}

/// Lifetime of an accepted development attestation: one day.
pub const DEV_ATTESTATION_TTL_SECONDS: u64 = 24 * 60 * 60;

/// Version byte of the report-data layout [`report_data_v1`].
pub const REPORT_DATA_VERSION_1: u8 = 1;
/// Domain separation tag hashed first by [`report_data_v1`].
pub const REPORT_DATA_V1_TAG: &[u8] = b"near-mpc/backup-service/report-data/v1";

/// The bytes [`report_data_v1`] hashes: the tag, the 32 bytes of the identity
/// key, then the signer key in its borsh (runtime) form: one curve byte (0 for
/// Ed25519, 1 for secp256k1) and the key's 32 or 64 bytes.
pub fn report_data_v1_preimage(identity_key: &Ed25519PublicKey, signer_key: &AccessPublicKey) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(REPORT_DATA_V1_TAG.len() + 32 + 65);
    bytes.extend_from_slice(REPORT_DATA_V1_TAG);
    bytes.extend_from_slice(identity_key.as_bytes());
    match signer_key {
        AccessPublicKey::Ed25519(k) => {
            bytes.push(0);
            bytes.extend_from_slice(k.as_bytes());
        }
        AccessPublicKey::Secp256k1(k) => {
            bytes.push(1);
            bytes.extend_from_slice(k.as_bytes());
        }
    }
    bytes
}

/// Report-data layout v1, with the SHA-256 implementation given (the contract
/// passes the runtime's host function): byte 0 is [`REPORT_DATA_VERSION_1`],
/// bytes 1..33 are SHA-256 of [`report_data_v1_preimage`], bytes 33..64 are zero.
pub fn report_data_v1_with(
    identity_key: &Ed25519PublicKey,
    signer_key: &AccessPublicKey,
    sha256: impl FnOnce(&[u8]) -> [u8; 32],
) -> ReportData {
    let digest = sha256(&report_data_v1_preimage(identity_key, signer_key));
    let mut data = [0u8; 64];
    data[0] = REPORT_DATA_VERSION_1;
    data[1..33].copy_from_slice(&digest);
    crate::attestation::HexArray(data)
}

/// The report data a backup service puts in its TDX report, binding its
/// identity key (TLS, request signatures) and the NEAR access key it signs its
/// own calls with. See [`report_data_v1_with`] for the layout.
pub fn report_data_v1(identity_key: &Ed25519PublicKey, signer_key: &AccessPublicKey) -> ReportData {
    use sha2::Digest;
    report_data_v1_with(identity_key, signer_key, |bytes| sha2::Sha256::digest(bytes).into())
}

/// Gas the contract attaches to its callback `on_attestation_verified` (the
/// method table's gas for it).
pub const ATTESTATION_CALLBACK_TGAS: u64 = 20;

/// The borsh argument of `on_attestation_verified`: what the contract asked the
/// verifier about. The callback reads the verifier's answer as its promise result.
#[derive(Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct PendingAttestation {
    pub account_id: AccountId,
    pub service: BackupServiceInfo,
    /// `register_backup_service` (the service is registered with the
    /// attestation) rather than `reattest_backup_service` (the service must
    /// still be the registered one).
    pub registers: bool,
}

#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize, BorshSchema,
)]
pub enum AttestationKind {
    Tdx,
    Dev,
}

/// An accepted attestation, as the contract stores and shows it. It vouches
/// for the backup service registered when it was accepted; registering other
/// keys drops it.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize, BorshSchema,
)]
#[serde(deny_unknown_fields)]
pub struct AttestationRecord {
    pub kind: AttestationKind,
    pub measurements: Measurements,
    /// Intel's TCB status of the platform (`None` for a development attestation).
    pub tcb_status: Option<TcbStatus>,
    /// Block time it was accepted at (Unix seconds).
    pub attested_at: u64,
    /// From this second on it no longer counts (the collateral's expiry for a
    /// TDX quote; acceptance + [`DEV_ATTESTATION_TTL_SECONDS`] for a dev one).
    pub expires_at: u64,
}

/// Whether an account's backup service may take part in share transfers now.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize, BorshSchema,
)]
pub enum AttestationStatus {
    /// `Soft` mode: no attestation is needed.
    NotRequired,
    /// Valid until `expires_at` (Unix seconds, exclusive).
    Valid { expires_at: u64 },
    /// The account has no backup service registered.
    NoBackupService,
    /// The backup service has no accepted attestation.
    Missing,
    /// The attestation expired at `at` (Unix seconds); the service must re-attest.
    Expired { at: u64 },
    /// Participants retired the attested measurements.
    MeasurementsRetired,
}

impl AttestationStatus {
    /// True when the service may publish session keys and confirm deliveries.
    pub fn allows_transfers(self) -> bool {
        matches!(self, Self::NotRequired | Self::Valid { .. })
    }
}

/// What `backup_attestation` returns for an account.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize, BorshSchema,
)]
#[serde(deny_unknown_fields)]
pub struct BackupAttestationView {
    pub mode: LaunchMode,
    /// Judged at the block time of the view.
    pub status: AttestationStatus,
    pub attestation: Option<AttestationRecord>,
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use crate::keys::Secp256k1PublicKey;

    #[test]
    fn launch_mode__should_read_its_names_and_refuse_others() {
        assert_eq!(serde_json::from_str::<LaunchMode>(r#""Hard""#).unwrap(), LaunchMode::Hard);
        assert_eq!(serde_json::from_str::<LaunchMode>(r#""Soft""#).unwrap(), LaunchMode::Soft);
        let error = serde_json::from_str::<LaunchMode>(r#""hard""#).unwrap_err().to_string();
        assert!(error.contains("unknown variant `hard`, expected `Soft` or `Hard`"), "{error}");
        assert!(serde_json::from_str::<LaunchMode>("1").is_err());
    }

    #[test]
    fn report_data_v1__should_match_the_documented_test_vector() {
        let identity = Ed25519PublicKey([1; 32]);
        let signer = AccessPublicKey::Ed25519(Ed25519PublicKey([2; 32]));
        let data = report_data_v1(&identity, &signer);
        assert_eq!(
            data.to_string(),
            concat!(
                "01",
                "939961aef1229c7cf98b362f6d9fcb20dab228e9543ac1fa3e579105c4f40720",
                "00000000000000000000000000000000000000000000000000000000000000"
            ),
            "independently computed: python3 hashlib.sha256(tag + [1]*32 + [0] + [2]*32)"
        );
    }

    #[test]
    fn report_data_v1__should_change_with_either_key_and_the_signer_curve() {
        let identity = Ed25519PublicKey([1; 32]);
        let signer = AccessPublicKey::Ed25519(Ed25519PublicKey([2; 32]));
        let base = report_data_v1(&identity, &signer);
        assert_ne!(report_data_v1(&Ed25519PublicKey([3; 32]), &signer), base);
        assert_ne!(report_data_v1(&identity, &AccessPublicKey::Ed25519(Ed25519PublicKey([3; 32]))), base);
        let secp = AccessPublicKey::Secp256k1(Secp256k1PublicKey([2; 64]));
        assert_ne!(report_data_v1(&identity, &secp), base);
        assert_eq!(report_data_v1_preimage(&identity, &secp).len(), REPORT_DATA_V1_TAG.len() + 32 + 65);
    }

    #[test]
    fn report_data_v1_preimage__should_use_the_runtime_borsh_form_of_the_signer_key() {
        let identity = Ed25519PublicKey([1; 32]);
        let signer = AccessPublicKey::Ed25519(Ed25519PublicKey([2; 32]));
        let preimage = report_data_v1_preimage(&identity, &signer);
        let tail = &preimage[REPORT_DATA_V1_TAG.len() + 32..];
        assert_eq!(tail, borsh::to_vec(&signer).unwrap().as_slice());
    }

    #[test]
    fn tcb_policy__should_accept_only_up_to_date_and_sw_hardening_needed() {
        use TcbStatus::*;
        let accepted: Vec<_> = TcbStatus::NAMES.map(|(s, _)| s).into_iter().filter(|s| s.is_accepted()).collect();
        assert_eq!(accepted, vec![UpToDate, SWHardeningNeeded]);
    }

    #[test]
    fn attestation__should_read_the_externally_tagged_json_form() {
        let dev = DevAttestation {
            measurements: Measurements {
                mrtd: HexArray([1; 48]),
                rtmr0: HexArray([2; 48]),
                rtmr1: HexArray([3; 48]),
                rtmr2: HexArray([4; 48]),
                rtmr3: HexArray([5; 48]),
            },
            report_data: HexArray([6; 64]),
        };
        let json = serde_json::to_value(Attestation::<VerifyQuoteArgs>::Dev(dev)).unwrap();
        let registers = ["01", "02", "03", "04", "05"].map(|b| b.repeat(48)).concat();
        assert_eq!(json["Dev"]["measurements"], registers);
        assert_eq!(serde_json::from_value::<Attestation>(json).unwrap(), Attestation::Dev(dev));
        let status = serde_json::to_value(AttestationStatus::Expired { at: 5 }).unwrap();
        assert_eq!(status, serde_json::json!({"Expired": {"at": 5}}));
        assert!(!AttestationStatus::Expired { at: 5 }.allows_transfers());
        assert!(AttestationStatus::NotRequired.allows_transfers());
    }
}
