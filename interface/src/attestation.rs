//! Wire types of the TEE verifier contract (`tee-verifier`): the argument of
//! `verify_quote` and the report it returns. The MPC contract forwards the
//! argument unchanged and reads the report in its callback, so both live here.
//!
//! Encoding: `{"quote": "<base64 of the raw quote>", "collateral": {...}}`. The
//! collateral object is the JSON that `dcap-qvl` and Phala's/Intel's PCCS tools
//! write (`QuoteCollateralV3`): PEM chains and JSON documents as strings, CRLs and
//! signatures as lowercase hex. About 23 kB for a TDX quote. Unknown fields are
//! refused, so a misspelt field never goes unnoticed. The answer, a
//! [`VerifiedQuote`], is borsh (its layout is in the README).

use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

use crate::constants::Gas;

/// The verifier's one method.
pub const VERIFY_QUOTE: &str = "verify_quote";
/// Gas a caller attaches to `verify_quote`: the target for one verification. A
/// verification burns about 117 Tgas (`scripts/bench.sh` prints the figure, and a
/// wasm-tier test fails if it exceeds this).
pub const VERIFY_QUOTE_GAS: Gas = Gas::from_tgas(130);

/// Bytes carried as lowercase hex text in JSON (upper case is accepted too).
#[derive(Clone, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct HexBytes(pub Vec<u8>);

/// Bytes of a fixed length carried as hex text (a measurement, report data).
#[derive(Clone, Copy, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct HexArray<const N: usize>(pub [u8; N]);

/// Raw bytes carried as standard base64 (with padding) in JSON: the quote.
#[derive(Clone, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct Base64Bytes(pub Vec<u8>);

/// A 48-byte TDX measurement register (MRTD, RTMR0-3).
pub type Measurement = HexArray<48>;
/// The 64 bytes a TD puts in its report, bound by the quote's signature.
pub type ReportData = HexArray<64>;

/// `verify_quote`'s argument.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuoteArgs {
    /// The raw DCAP quote (TDX, version 4 or 5), base64.
    pub quote: Base64Bytes,
    pub collateral: QuoteCollateral,
}

/// Intel's collateral for a quote (dcap-qvl's `QuoteCollateralV3` in its JSON form).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteCollateral {
    /// PEM chain of the PCK CRL's issuer.
    pub pck_crl_issuer_chain: String,
    /// DER of Intel's root CA CRL, hex.
    pub root_ca_crl: HexBytes,
    /// DER of the PCK CRL, hex.
    pub pck_crl: HexBytes,
    /// PEM chain of the TCB info's signer.
    pub tcb_info_issuer_chain: String,
    /// The TCB info JSON document, as signed.
    pub tcb_info: String,
    /// Raw ECDSA P-256 signature (r || s) over `tcb_info`, hex.
    pub tcb_info_signature: HexBytes,
    /// PEM chain of the QE identity's signer.
    pub qe_identity_issuer_chain: String,
    /// The QE identity JSON document, as signed.
    pub qe_identity: String,
    /// Raw ECDSA P-256 signature over `qe_identity`, hex.
    pub qe_identity_signature: HexBytes,
    /// PEM chain of the PCK certificate, when the quote does not carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pck_certificate_chain: Option<String>,
}

/// Intel's TCB status of the platform and quoting enclave, converged as Intel's
/// QVL does. `Revoked` never appears: the verifier refuses such a quote.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize, BorshSchema,
)]
pub enum TcbStatus {
    UpToDate,
    SWHardeningNeeded,
    ConfigurationNeeded,
    ConfigurationAndSWHardeningNeeded,
    OutOfDate,
    OutOfDateConfigurationNeeded,
    TDRelaunchAdvised,
    TDRelaunchAdvisedConfigurationNeeded,
}

impl TcbStatus {
    /// Every status with its JSON name (for readers that do without serde).
    pub const NAMES: [(TcbStatus, &'static str); 8] = [
        (Self::UpToDate, "UpToDate"),
        (Self::SWHardeningNeeded, "SWHardeningNeeded"),
        (Self::ConfigurationNeeded, "ConfigurationNeeded"),
        (Self::ConfigurationAndSWHardeningNeeded, "ConfigurationAndSWHardeningNeeded"),
        (Self::OutOfDate, "OutOfDate"),
        (Self::OutOfDateConfigurationNeeded, "OutOfDateConfigurationNeeded"),
        (Self::TDRelaunchAdvised, "TDRelaunchAdvised"),
        (Self::TDRelaunchAdvisedConfigurationNeeded, "TDRelaunchAdvisedConfigurationNeeded"),
    ];
}

/// What `verify_quote` returns for a quote it accepted, in borsh: the TD's
/// measurements and report data, and how far Intel's collateral vouches for them.
/// (The serde forms serve clients that show it as JSON.)
#[derive(
    Clone, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize, BorshSchema,
)]
#[serde(deny_unknown_fields)]
pub struct VerifiedQuote {
    pub tcb_status: TcbStatus,
    /// Intel security advisories that apply (e.g. `INTEL-SA-00837`).
    pub advisory_ids: Vec<String>,
    /// Measurement of the TD's initial contents (firmware).
    pub mrtd: Measurement,
    pub rtmr0: Measurement,
    pub rtmr1: Measurement,
    pub rtmr2: Measurement,
    pub rtmr3: Measurement,
    pub report_data: ReportData,
    /// The block time the quote was verified at (Unix seconds).
    pub verified_at: u64,
    /// The earliest `nextUpdate`/`notAfter` over the collateral (TCB info, QE
    /// identity, CRLs, certificates), Unix seconds: from this second on the same
    /// quote and collateral are refused.
    pub collateral_expires_at: u64,
}

/// Why text is not valid hex or base64 of the right length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BytesParseError {
    #[error("not valid hex: {0}")]
    Hex(String),
    #[error("must be {expected} bytes, not {actual}")]
    Length { expected: usize, actual: usize },
    #[error("not valid base64 (standard alphabet, padded)")]
    Base64,
}

fn decode_hex(s: &str) -> Result<Vec<u8>, BytesParseError> {
    hex::decode(s).map_err(|e| BytesParseError::Hex(e.to_string()))
}

const BASE64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Standard base64 with padding; a few lines here instead of a crate in the contracts' wasm.
fn encode_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            let c = if i <= chunk.len() { BASE64_ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' };
            out.push(c);
        }
    }
    out
}

fn decode_base64(s: &str) -> Result<Vec<u8>, BytesParseError> {
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return Err(BytesParseError::Base64);
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let groups = bytes.len() / 4;
    for (g, chunk) in bytes.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && g + 1 != groups) {
            return Err(BytesParseError::Base64);
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | base64_value(c).ok_or(BytesParseError::Base64)?;
        }
        n <<= 6 * pad as u32;
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    Ok(out)
}

impl std::str::FromStr for HexBytes {
    type Err = BytesParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        decode_hex(s).map(Self)
    }
}

impl<const N: usize> std::str::FromStr for HexArray<N> {
    type Err = BytesParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = decode_hex(s)?;
        let actual = bytes.len();
        bytes.try_into().map(Self).map_err(|_| BytesParseError::Length { expected: N, actual })
    }
}

impl std::str::FromStr for Base64Bytes {
    type Err = BytesParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        decode_base64(s).map(Self)
    }
}

impl fmt::Display for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl<const N: usize> fmt::Display for HexArray<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Display for Base64Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_base64(&self.0))
    }
}

/// Text form in JSON (`Display`/`FromStr`), `Debug` as the text, and a string schema.
macro_rules! text_bytes {
    ($name:ty, $description:literal $(, $generic:tt)?) => {
        impl$(<const $generic: usize>)? fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
        impl$(<const $generic: usize>)? Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de $(, const $generic: usize)?> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
        impl$(<const $generic: usize>)? JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).replace(' ', "")
            }
            fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
                crate::keys::string_schema($description)
            }
        }
    };
}

text_bytes!(HexBytes, "bytes as hex");
text_bytes!(HexArray<N>, "fixed-length bytes as hex", N);
text_bytes!(Base64Bytes, "bytes as standard base64 with padding");

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn base64__should_round_trip_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let text = Base64Bytes(bytes.clone()).to_string();
            prop_assert_eq!(text.parse::<Base64Bytes>().unwrap().0, bytes);
        }
    }

    #[test]
    fn base64__should_match_the_standard_alphabet_and_padding() {
        assert_eq!(Base64Bytes(b"any carnal pleas".to_vec()).to_string(), "YW55IGNhcm5hbCBwbGVhcw==");
        assert_eq!(Base64Bytes(b"any carnal pleasu".to_vec()).to_string(), "YW55IGNhcm5hbCBwbGVhc3U=");
        assert_eq!("YW55IGNhcm5hbCBwbGVhc3Vy".parse::<Base64Bytes>().unwrap().0, b"any carnal pleasur");
    }

    #[test]
    fn base64__should_refuse_bad_text() {
        for bad in ["YW5", "YW5=YW55", "YW5!", "Y===", "-_55"] {
            assert_eq!(bad.parse::<Base64Bytes>(), Err(BytesParseError::Base64), "{bad}");
        }
    }

    #[test]
    fn hex_array__should_refuse_the_wrong_length() {
        let err = "00ff".parse::<Measurement>().unwrap_err();
        assert_eq!(err, BytesParseError::Length { expected: 48, actual: 2 });
        assert!(matches!("zz".parse::<HexBytes>(), Err(BytesParseError::Hex(_))));
    }

    #[test]
    fn tcb_status_names__should_be_the_json_names() {
        for (status, name) in TcbStatus::NAMES {
            assert_eq!(serde_json::to_value(status).unwrap(), name);
        }
    }

    #[test]
    fn verify_quote_args__should_refuse_unknown_fields() {
        let err = serde_json::from_str::<VerifyQuoteArgs>(r#"{"quote":"","extra":1}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `extra`"), "{err}");
    }

    fn verified_quote() -> VerifiedQuote {
        VerifiedQuote {
            tcb_status: TcbStatus::SWHardeningNeeded,
            advisory_ids: vec!["INTEL-SA-00837".into()],
            mrtd: HexArray([0x91; 48]),
            rtmr0: HexArray([0; 48]),
            rtmr1: HexArray([1; 48]),
            rtmr2: HexArray([2; 48]),
            rtmr3: HexArray([3; 48]),
            report_data: HexArray([0xab; 64]),
            verified_at: 1_750_000_000,
            collateral_expires_at: 1_752_919_235,
        }
    }

    /// The layout the README documents for readers without borsh.
    #[test]
    fn verified_quote__should_have_the_documented_borsh_layout() {
        let bytes = borsh::to_vec(&verified_quote()).unwrap();
        let mut expected = vec![1u8];
        expected.extend_from_slice(&1u32.to_le_bytes());
        expected.extend_from_slice(&14u32.to_le_bytes());
        expected.extend_from_slice(b"INTEL-SA-00837");
        for register in [0x91, 0, 1, 2, 3] {
            expected.extend_from_slice(&[register; 48]);
        }
        expected.extend_from_slice(&[0xab; 64]);
        expected.extend_from_slice(&1_750_000_000u64.to_le_bytes());
        expected.extend_from_slice(&1_752_919_235u64.to_le_bytes());
        assert_eq!(bytes, expected);
        for (tag, (status, _)) in TcbStatus::NAMES.into_iter().enumerate() {
            assert_eq!(borsh::to_vec(&status).unwrap(), [tag as u8], "{status:?}");
        }
    }

    #[test]
    fn verified_quote__should_write_measurements_as_hex() {
        let view = verified_quote();
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["tcb_status"], "SWHardeningNeeded");
        assert_eq!(json["mrtd"], "91".repeat(48));
        assert_eq!(json["report_data"], "ab".repeat(64));
        assert_eq!(serde_json::from_value::<VerifiedQuote>(json).unwrap(), view);
    }
}
