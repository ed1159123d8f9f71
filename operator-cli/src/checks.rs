//! Checks of what an operator types, each refusing with a message that says
//! what was wrong. Nothing here prints or sends anything.

use crate::error::InputError;
use mpc_interface::constants::{MAX_DOMAINS, MAX_PARTICIPANTS};
use mpc_interface::primitives::{DomainConfig, Keyset, ThresholdParameters, MAX_URL_LEN};
use mpc_interface::state::ProtocolStateView;
use near_token::NearToken;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::path::Path;

/// A node's participant URL: `http(s)://host:port[/path]`, with the explicit
/// port the share-transfer endpoint listens on.
pub fn participant_url(url: &str) -> Result<String, InputError> {
    let bad = |reason: &str| InputError::BadUrl { what: "participant URL", url: url.to_owned(), reason: reason.into() };
    if url.len() > MAX_URL_LEN {
        return Err(bad(&format!("it is longer than {MAX_URL_LEN} bytes")));
    }
    let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("it must not carry credentials"));
    }
    // `Url` hides a port equal to the scheme's default; the endpoint needs it written.
    let authority = url.split_once("://").map_or("", |(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""));
    let explicit_port = authority.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty() && !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) && !port.ends_with(']')
    });
    if !explicit_port {
        return Err(bad("it needs an explicit port (`https://host:port`): the share-transfer endpoint listens there"));
    }
    Ok(url.to_owned())
}

/// An amount as near-cli-rs takes it (`0.1 NEAR`, `1 yoctoNEAR`), more than zero.
pub fn amount(what: &'static str, text: &str) -> Result<u128, InputError> {
    let token: NearToken = text.parse().map_err(|e: near_token::NearTokenError| InputError::BadAmount {
        what,
        value: text.to_owned(),
        reason: e.to_string(),
    })?;
    match token.as_yoctonear() {
        0 => Err(InputError::ZeroAmount { what }),
        yocto => Ok(yocto),
    }
}

/// A function-call key's allowance: an amount, or `unlimited`.
pub fn allowance(text: &str) -> Result<String, InputError> {
    if text == "unlimited" {
        return Ok(text.to_owned());
    }
    amount("--allowance", text).map(crate::near_cli::amount_text)
}

/// JSON given inline, or `@PATH` to read it from a file.
pub fn json_arg<T: DeserializeOwned>(what: &'static str, value: &str) -> Result<T, InputError> {
    let text = arg_text(what, value)?;
    serde_json::from_str(&text).map_err(|e| InputError::BadJson { what, reason: e.to_string() })
}

/// `value`, or the file it names as `@PATH`.
fn arg_text(what: &'static str, value: &str) -> Result<String, InputError> {
    match value.strip_prefix('@') {
        Some(path) => read(what, Path::new(path)),
        None => Ok(value.to_owned()),
    }
}

pub fn read(what: &'static str, path: &Path) -> Result<String, InputError> {
    std::fs::read_to_string(path).map_err(|e| InputError::Unreadable { what, path: path.into(), reason: e.to_string() })
}

/// The keyset to conclude with: a keyset, or the saved output of `state`
/// (its running keyset, the one a recovery keeps). Lines before the JSON
/// (near-cli-rs may print a header) are skipped.
pub fn keyset(value: &str) -> Result<Keyset, InputError> {
    let text = arg_text("--keyset", value)?;
    let start = text
        .lines()
        .position(|l| l.starts_with(['{', '"']))
        .map_or(0, |skip| text.split_inclusive('\n').take(skip).map(str::len).sum());
    let json: serde_json::Value = serde_json::Deserializer::from_str(&text[start..])
        .into_iter()
        .next()
        .unwrap_or_else(|| Err(serde::de::Error::custom("no JSON found")))
        .map_err(|e: serde_json::Error| InputError::BadJson { what: "--keyset", reason: e.to_string() })?;
    if let Ok(keyset) = serde_json::from_value::<Keyset>(json.clone()) {
        return Ok(keyset);
    }
    let state: ProtocolStateView = serde_json::from_value(json).map_err(|e| InputError::BadJson {
        what: "--keyset",
        reason: format!("neither a keyset nor the output of `mpc-operator state`: {e}"),
    })?;
    match state {
        ProtocolStateView::Running(running) => Ok(running.keyset),
        ProtocolStateView::Recovery(recovery) => Ok(recovery.previous.keyset),
        other => Err(InputError::Invalid {
            what: "--keyset",
            reason: format!("the state is {}, which has no keyset to conclude a recovery with", other.name()),
        }),
    }
}

/// A participant set the contract would accept: threshold within bounds,
/// accounts and ids unique, URLs well formed.
pub fn parameters(what: &'static str, parameters: &ThresholdParameters) -> Result<(), InputError> {
    let invalid = |reason: String| InputError::Invalid { what, reason };
    let n = parameters.participants.len();
    if !(2..=MAX_PARTICIPANTS).contains(&n) {
        return Err(invalid(format!("{n} participants; a set has from 2 to {MAX_PARTICIPANTS}")));
    }
    let min = ThresholdParameters::min_threshold(n as u64);
    if parameters.threshold < min || parameters.threshold > n as u64 {
        return Err(invalid(format!(
            "threshold {} for {n} participants; it must be from {min} to {n}",
            parameters.threshold
        )));
    }
    let mut accounts = HashSet::new();
    let mut ids = HashSet::new();
    let mut tls_keys = HashSet::new();
    for p in &parameters.participants {
        if !accounts.insert(&p.account_id) {
            return Err(invalid(format!("{} is named twice", p.account_id)));
        }
        if !ids.insert(p.id) {
            return Err(invalid(format!("participant id {} is given twice", p.id)));
        }
        if !tls_keys.insert(p.info.tls_public_key) {
            return Err(invalid(format!("TLS key {} is given twice", p.info.tls_public_key)));
        }
        participant_url(&p.info.url)?;
    }
    Ok(())
}

/// The domains to generate keys for: from 1 to the maximum, ids unique.
pub fn domains(domains: &[DomainConfig]) -> Result<(), InputError> {
    let invalid = |reason: String| InputError::Invalid { what: "--domains", reason };
    if domains.is_empty() || domains.len() > MAX_DOMAINS {
        return Err(invalid(format!("{} domains; give from 1 to {MAX_DOMAINS}", domains.len())));
    }
    let mut ids = HashSet::new();
    if let Some(d) = domains.iter().find(|d| !ids.insert(d.id)) {
        return Err(invalid(format!("domain id {} is given twice", d.id)));
    }
    Ok(())
}

/// A wasm file that exists and starts with the wasm magic number.
pub fn wasm(path: &Path) -> Result<String, InputError> {
    let bytes = std::fs::read(path).map_err(|e| InputError::Unreadable {
        what: "--wasm",
        path: path.into(),
        reason: e.to_string(),
    })?;
    if !bytes.starts_with(b"\0asm") {
        return Err(InputError::Invalid { what: "--wasm", reason: format!("{} is not a wasm module", path.display()) });
    }
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| InputError::Invalid { what: "--wasm", reason: "the path is not UTF-8".into() })
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn participant_url__should_need_scheme_host_and_explicit_port() {
        assert!(participant_url("https://node.example.org:4101").is_ok());
        assert!(participant_url("http://10.0.0.5:443/mpc").is_ok());
        assert!(participant_url("https://[::1]:9").is_ok());
        for bad in [
            "node.example.org:4101",
            "https://node.example.org",
            "ftp://h:1",
            "https://u:p@h:1",
            "https://:1",
            "https://h:x",
        ] {
            assert!(participant_url(bad).is_err(), "{bad} passed");
        }
        assert!(participant_url(&format!("https://h:1/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }

    #[test]
    fn amount__should_take_near_cli_amounts_and_refuse_zero_and_junk() {
        assert_eq!(amount("x", "1 yoctoNEAR").unwrap(), 1);
        assert_eq!(amount("x", "0.1 NEAR").unwrap(), 10u128.pow(23));
        assert!(matches!(amount("x", "0 NEAR"), Err(InputError::ZeroAmount { .. })));
        assert!(matches!(amount("x", "lots"), Err(InputError::BadAmount { .. })));
        assert!(matches!(amount("x", "1"), Err(InputError::BadAmount { .. })));
        assert_eq!(allowance("unlimited").unwrap(), "unlimited");
        assert_eq!(allowance("0.25 near").unwrap(), "0.25 NEAR");
    }

    #[test]
    fn keyset__should_take_a_keyset_or_a_running_state() {
        let keyset =
            r#"{"epoch_id":3,"domains":[{"domain_id":0,"public_key":"ed25519:11111111111111111111111111111111"}]}"#;
        assert_eq!(super::keyset(keyset).unwrap().epoch_id.0, 3);
        assert!(matches!(super::keyset("\"NotInitialized\""), Err(InputError::Invalid { .. })));
        assert!(matches!(super::keyset("{\"epoch\":1}"), Err(InputError::BadJson { .. })));
        assert!(matches!(super::keyset("@/nonexistent/state.json"), Err(InputError::Unreadable { .. })));
        let saved = format!("Function execution return value:\n{keyset}\n");
        assert_eq!(super::keyset(&saved).unwrap().epoch_id.0, 3);
    }
}
