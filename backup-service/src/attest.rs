//! Where the service's attestation comes from (Hard mode): a quote file, a
//! quote command (a real TEE's quote tool), or a development attestation.
//!
//! The report data the quote must carry is [`report_data_v1`] of the service's
//! identity key and NEAR signer key: 64 bytes, hex in
//! [`REPORT_DATA_ENV`] and as the command's first argument.
//!
//! The quote file, and what the quote command prints on stdout, is the JSON the
//! verifier contract takes:
//!
//! ```json
//! {"quote": "<base64 of the raw TDX quote>", "collateral": { ...dcap-qvl's QuoteCollateralV3 JSON... }}
//! ```
//!
//! (`mpc_interface::attestation::VerifyQuoteArgs`; the collateral as Intel's
//! PCCS or `dcap-qvl` write it). Before anything is sent, the quote's report
//! data is checked against this service's keys, so a quote made for other keys
//! is refused here with both values named, not on chain.

use mpc_interface::attestation::{ReportData, VerifyQuoteArgs};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::launch::{report_data_v1, Attestation, DevAttestation, Measurements};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable a quote command finds the report data in (hex).
pub const REPORT_DATA_ENV: &str = "BACKUP_SERVICE_REPORT_DATA";
/// How long a quote command may run.
pub const QUOTE_COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The measurements a development attestation claims (participants vote them
/// in on a contract initialised with `allow_dev_attestation`; never on mainnet).
pub const DEV_MEASUREMENTS: Measurements = Measurements {
    mrtd: mpc_interface::attestation::HexArray([0xde; 48]),
    rtmr0: mpc_interface::attestation::HexArray([0x00; 48]),
    rtmr1: mpc_interface::attestation::HexArray([0x01; 48]),
    rtmr2: mpc_interface::attestation::HexArray([0x02; 48]),
    rtmr3: mpc_interface::attestation::HexArray([0x03; 48]),
};

#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    #[error("cannot read the quote file {path}: {source}")]
    ReadFile { path: PathBuf, source: std::io::Error },
    #[error("{origin} is not `{{\"quote\": <base64>, \"collateral\": {{...}}}}`: {reason}")]
    Parse { origin: String, reason: String },
    #[error("cannot run the quote command `{command}`: {source}")]
    Spawn { command: String, source: std::io::Error },
    #[error("the quote command `{command}` failed ({status}): {stderr}")]
    CommandFailed { command: String, status: String, stderr: String },
    #[error("the quote command `{command}` did not finish within {}s", timeout.as_secs())]
    CommandTimedOut { command: String, timeout: Duration },
    #[error("the quote from {origin} is not a TDX quote this service can read: {reason}")]
    Quote { origin: String, reason: String },
    #[error(
        "the quote from {origin} carries report data {found}, but this service's keys need {expected} \
         (report_data_v1 of its identity key and NEAR signer key)"
    )]
    ReportDataMismatch { origin: String, expected: ReportData, found: ReportData },
}

/// Produces an attestation for the given report data.
pub trait QuoteSource: Send + Sync {
    fn attestation(&self, report_data: &ReportData) -> Result<Attestation, AttestError>;
    /// For logs: where the attestation comes from.
    fn describe(&self) -> String;
}

/// `--quote-file PATH`: a quote made for this service's keys, with its collateral.
pub struct QuoteFile(pub PathBuf);

/// `--quote-command CMD`: run with `sh -c`, the report data (hex) in
/// [`REPORT_DATA_ENV`] and as `$1`; prints the quote JSON on stdout.
pub struct QuoteCommand(pub String);

/// `--dev-attestation`: [`DEV_MEASUREMENTS`] and the report data, unsigned.
pub struct DevQuote;

impl QuoteSource for QuoteFile {
    fn attestation(&self, report_data: &ReportData) -> Result<Attestation, AttestError> {
        let path = &self.0;
        let text = std::fs::read(path).map_err(|source| AttestError::ReadFile { path: path.clone(), source })?;
        tdx(&format!("the quote file {}", path.display()), &text, report_data)
    }
    fn describe(&self) -> String {
        format!("quote file {}", self.0.display())
    }
}

impl QuoteSource for QuoteCommand {
    fn attestation(&self, report_data: &ReportData) -> Result<Attestation, AttestError> {
        let stdout = run_command(&self.0, report_data, QUOTE_COMMAND_TIMEOUT)?;
        tdx(&format!("the output of `{}`", self.0), &stdout, report_data)
    }
    fn describe(&self) -> String {
        format!("quote command `{}`", self.0)
    }
}

impl QuoteSource for DevQuote {
    fn attestation(&self, report_data: &ReportData) -> Result<Attestation, AttestError> {
        Ok(Attestation::Dev(DevAttestation { measurements: DEV_MEASUREMENTS, report_data: *report_data }))
    }
    fn describe(&self) -> String {
        "development attestation".to_owned()
    }
}

/// The report data this service's quotes must carry.
pub fn report_data(identity: &Ed25519PublicKey, signer: &AccessPublicKey) -> ReportData {
    report_data_v1(identity, signer)
}

fn tdx(origin: &str, json: &[u8], expected: &ReportData) -> Result<Attestation, AttestError> {
    let args: VerifyQuoteArgs = serde_json::from_slice(json)
        .map_err(|e| AttestError::Parse { origin: origin.to_owned(), reason: e.to_string() })?;
    let found =
        quote_report_data(&args.quote.0).map_err(|reason| AttestError::Quote { origin: origin.to_owned(), reason })?;
    if found != *expected {
        return Err(AttestError::ReportDataMismatch { origin: origin.to_owned(), expected: *expected, found });
    }
    Ok(Attestation::Tdx(args))
}

/// Intel's quote layout: a 48-byte header (version first, little-endian u16),
/// then for version 4 the TD report, for version 5 a body type (u16) and size
/// (u32) before it; the report data is the last 64 bytes of the TD 1.0 report
/// (offset 520 in it).
pub fn quote_report_data(quote: &[u8]) -> Result<ReportData, String> {
    const HEADER: usize = 48;
    const REPORT_DATA_IN_BODY: usize = 520;
    let version = u16::from_le_bytes(*quote.first_chunk::<2>().ok_or("the quote is empty")?);
    let body = match version {
        4 => HEADER,
        5 => HEADER + 6,
        other => return Err(format!("quote version {other} (expected 4 or 5)")),
    };
    let start = body + REPORT_DATA_IN_BODY;
    let bytes = quote
        .get(start..start + 64)
        .ok_or_else(|| format!("{} bytes are too short for a version {version} TDX quote", quote.len()))?;
    Ok(mpc_interface::attestation::HexArray(bytes.try_into().expect("64 bytes")))
}

/// Runs `command` with a deadline; its stdout if it exits 0.
fn run_command(command: &str, report_data: &ReportData, timeout: Duration) -> Result<Vec<u8>, AttestError> {
    let hex = report_data.to_string();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .arg("quote-command")
        .arg(&hex)
        .env(REPORT_DATA_ENV, &hex)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| AttestError::Spawn { command: command.to_owned(), source })?;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = pipe.read_to_end(&mut out);
            out
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(AttestError::CommandTimedOut { command: command.to_owned(), timeout });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(source) => return Err(AttestError::Spawn { command: command.to_owned(), source }),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr);
        let tail: String = stderr.trim().chars().rev().take(500).collect::<Vec<_>>().into_iter().rev().collect();
        return Err(AttestError::CommandFailed {
            command: command.to_owned(),
            status: status.to_string(),
            stderr: tail,
        });
    }
    Ok(stdout)
}
