//! `register`: the two near-cli-rs commands the operator runs with a
//! full-access key of its account.
//!
//! Grammar checked against near-cli-rs (repository near/near-cli-rs), whose
//! `js_command_match` module translates old-CLI commands into the new grammar:
//! - `src/js_command_match/keys/add.rs`: `account add-key <account>
//!   grant-function-call-access --allowance <'N NEAR'|unlimited>
//!   --contract-account-id <contract> --function-names <a,b>
//!   use-manually-provided-public-key <pk> network-config <net>
//!   sign-with-keychain send`;
//! - `src/js_command_match/contract/call.rs`: `contract call-function
//!   as-transaction <contract> <method> json-args <json> prepaid-gas '<N> Tgas'
//!   attached-deposit <amount> sign-as <account> network-config <net>
//!   sign-with-keychain send`. Amounts are parsed by near-token, whose units
//!   are case-insensitive (`1 yoctoNEAR`), gas by near-gas (`30.0 Tgas`).

use mpc_interface::args::{ChangeArgs, RegisterBackupServiceArgs};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::launch::Attestation;
use mpc_interface::methods::{self, Role};
use mpc_interface::recovery::BackupServiceInfo;
use mpc_interface::AccountId;

/// What the operator's commands need.
#[derive(Clone, Debug)]
pub struct Registration {
    pub contract: AccountId,
    pub operator: AccountId,
    /// near-cli network name (`mainnet`, `testnet`, or a configured one).
    pub network: String,
    /// Gas allowance of the function-call key, as near-cli takes it (`1 NEAR`, `unlimited`).
    pub allowance: String,
    pub info: BackupServiceInfo,
    /// Hard mode: the service's attestation, sent with the registration.
    pub attestation: Option<Attestation>,
}

impl Registration {
    pub fn new(
        contract: AccountId,
        operator: AccountId,
        network: String,
        allowance: String,
        identity: Ed25519PublicKey,
        access_key: AccessPublicKey,
    ) -> Self {
        Self {
            contract,
            operator,
            network,
            allowance,
            info: BackupServiceInfo { public_key: identity, signer_public_key: access_key },
            attestation: None,
        }
    }

    /// Registers with `attestation` (required by a contract in Hard mode).
    pub fn with_attestation(mut self, attestation: Attestation) -> Self {
        self.attestation = Some(attestation);
        self
    }

    /// The near-cli-rs command adding the service's function-call key.
    pub fn add_key_command(&self) -> String {
        let methods = methods::change_methods_for(Role::BackupService).join(",");
        [
            "near account add-key",
            &quote(self.operator.as_str()),
            "grant-function-call-access --allowance",
            &quote(&self.allowance),
            "--contract-account-id",
            &quote(self.contract.as_str()),
            "--function-names",
            &quote(&methods),
            "use-manually-provided-public-key",
            &quote(&self.info.signer_public_key.to_string()),
            "network-config",
            &quote(&self.network),
            "sign-with-keychain send",
        ]
        .join(" ")
    }

    /// The near-cli-rs command registering the service on the contract.
    pub fn register_command(&self) -> String {
        let method = RegisterBackupServiceArgs::method();
        let args = RegisterBackupServiceArgs { info: self.info, attestation: self.attestation.clone() };
        let args = serde_json::to_string(&args).expect("JSON of the arguments");
        let deposit = match Role::Operator.deposit() {
            1 => "1 yoctoNEAR".to_owned(),
            n => format!("{n} yoctoNEAR"),
        };
        [
            "near contract call-function as-transaction",
            &quote(self.contract.as_str()),
            method.name,
            "json-args",
            &quote(&args),
            "prepaid-gas",
            &quote(&format!("{:.1} Tgas", method.gas.as_tgas_f64())),
            "attached-deposit",
            &quote(&deposit),
            "sign-as",
            &quote(self.operator.as_str()),
            "network-config",
            &quote(&self.network),
            "sign-with-keychain send",
        ]
        .join(" ")
    }

    /// Everything `register` prints.
    pub fn instructions(&self) -> String {
        format!(
            "# Run these with near-cli-rs, signing with a full-access key of {operator}.\n\
             #\n\
             # 1. Let the backup service sign its own calls: a function-call key on {operator},\n\
             #    valid only for {methods} on {contract}.\n\
             {add_key}\n\
             #\n\
             # 2. Register the service's identity ({identity}) and that key on the contract.\n\
             #    The 1 yoctoNEAR deposit proves a full-access key signed it.\n\
             {register}\n{attested}",
            operator = self.operator,
            contract = self.contract,
            methods = methods::change_methods_for(Role::BackupService).join(", "),
            identity = self.info.public_key,
            add_key = self.add_key_command(),
            register = self.register_command(),
            attested = match &self.attestation {
                None => String::new(),
                Some(_) => "#\n# The registration carries the service's attestation (Hard mode); \
                            `backup-service run` renews it before it expires.\n"
                    .to_owned(),
            },
        )
    }
}

/// Quotes `word` for a POSIX shell when it has anything but safe characters.
fn quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_.,:/@=+".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    fn registration() -> Registration {
        Registration::new(
            "v1.signer-prod.testnet".parse().unwrap(),
            "operator.testnet".parse().unwrap(),
            "testnet".into(),
            "1 NEAR".into(),
            Ed25519PublicKey([3; 32]),
            AccessPublicKey::Ed25519(Ed25519PublicKey([4; 32])),
        )
    }

    #[test]
    fn instructions__should_print_the_exact_near_cli_commands() {
        insta::assert_snapshot!(registration().instructions());
    }

    #[test]
    fn add_key_command__should_list_exactly_the_backup_service_methods() {
        let command = registration().add_key_command();
        let methods = methods::change_methods_for(Role::BackupService).join(",");
        assert!(command.contains(&format!("--function-names {methods} ")), "{command}");
        assert!(!command.contains(methods::REGISTER_BACKUP_SERVICE));
    }

    #[test]
    fn register_command__should_carry_args_that_parse_as_the_contract_expects() {
        let reg = registration();
        let command = reg.register_command();
        let json = command.split('\'').nth(1).unwrap();
        let args: serde_json::Value = serde_json::from_str(json).unwrap();
        let info: BackupServiceInfo = serde_json::from_value(args["info"].clone()).unwrap();
        assert_eq!(info, reg.info);
    }

    #[test]
    fn quote__should_leave_safe_words_and_quote_the_rest() {
        assert_eq!(quote("node0.near"), "node0.near");
        assert_eq!(quote("1 NEAR"), "'1 NEAR'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
