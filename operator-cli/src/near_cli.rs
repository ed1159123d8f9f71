//! near-cli-rs commands: built as argument vectors (run without a shell) and
//! printed shell-quoted, so a printed line can be pasted as it is.
//!
//! Grammar (near-cli-rs 0.30; its `js_command_match` module maps the old CLI's
//! commands onto it):
//! - `contract call-function as-transaction <contract> <method> json-args <json>
//!   prepaid-gas '<N> Tgas' attached-deposit '<amount>' sign-as <account>`, or
//!   `base64-args <base64>` in place of `json-args <json>` for a method whose
//!   row of the table says borsh (printed under a comment line with the
//!   arguments as JSON, so the operator reads what is sent)
//! - `contract call-function as-read-only <contract> <method> json-args <json>` ... `now`
//! - `contract deploy <contract> use-file <wasm> with-init-call <method> json-args <json>
//!   prepaid-gas ... attached-deposit ...`
//! - `account add-key <account> grant-function-call-access --allowance <amount>
//!   --contract-account-id <contract> --function-names <a,b> use-manually-provided-public-key <key>`
//! - `account delete-keys <account> public-keys <key>`
//!
//! then `network-config <network>` and how to sign: `sign-with-keychain send`,
//! `sign-with-access-key-file <file> send`, or `now` for a view.

use crate::error::InputError;
use crate::network::Network;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use mpc_interface::args::{encode_json, Encoded};
use mpc_interface::methods::{self, Kind, Method, Role};
use near_token::NearToken;
use std::fmt;
use std::path::PathBuf;

/// How near-cli-rs signs a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signing {
    /// A key of the account in near-cli's keychain (`~/.near-credentials`).
    Keychain,
    /// A near-cli credentials file (the node's function-call key, for instance).
    KeyFile(PathBuf),
    /// A view: no signature, read at the latest block.
    View,
}

/// One near-cli-rs invocation: `near <body> network-config <network> <signing tail>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearCommand {
    pub body: Vec<String>,
    pub network: String,
    pub signing: Signing,
    /// Printed as a `# ` line above the command (never passed to near-cli-rs).
    pub comment: Option<String>,
}

impl NearCommand {
    /// `near <body> network-config <network> <signing tail>`, without a comment.
    fn new(network: &Network, body: &[&str], signing: Signing) -> Self {
        Self { body: owned(body), network: network.name().to_owned(), signing, comment: None }
    }

    /// Arguments after `near`.
    pub fn args(&self) -> Vec<String> {
        let mut args = self.body.clone();
        args.extend(["network-config".to_owned(), self.network.clone()]);
        match &self.signing {
            Signing::Keychain => args.extend(["sign-with-keychain".into(), "send".into()]),
            Signing::KeyFile(path) => {
                args.extend(["sign-with-access-key-file".into(), path.display().to_string(), "send".into()])
            }
            Signing::View => args.push("now".into()),
        }
        args
    }
}

impl fmt::Display for NearCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<String> = std::iter::once("near".to_owned()).chain(self.args()).collect();
        // Every word is a valid UTF-8 string without NUL (checked inputs), so quoting cannot fail.
        let line = shlex::try_join(words.iter().map(String::as_str)).map_err(|_| fmt::Error)?;
        if let Some(comment) = &self.comment {
            writeln!(f, "# {comment}")?;
        }
        f.write_str(&line)
    }
}

/// A table entry by name; a missing one means this build does not match the contract.
pub fn method(name: &'static str) -> Result<&'static Method, InputError> {
    methods::by_name(name).ok_or(InputError::UnknownMethod { method: name })
}

/// Gas as near-cli-rs (near-gas) takes it.
pub fn gas_text(method: &Method) -> String {
    let gas = method.gas.as_gas();
    if gas.is_multiple_of(1_000_000_000_000) {
        format!("{} Tgas", gas / 1_000_000_000_000)
    } else {
        format!("{gas} gas")
    }
}

/// A deposit as near-cli-rs (near-token) takes it.
pub fn amount_text(yocto: u128) -> String {
    NearToken::from_yoctonear(yocto).exact_amount_display()
}

/// A change call: `method` with `args`, signed by `signer` in `role`.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    pub contract: &'a str,
    pub signer: &'a str,
    pub method: &'static str,
    pub args: serde_json::Value,
    pub role: Role,
    /// Overrides the role's deposit (`storage_deposit` attaches an amount).
    pub deposit: Option<u128>,
    pub signing: Signing,
}

/// The transaction of `call`: gas from the method table, deposit from the
/// role unless the call overrides it, the arguments encoded as the table
/// says (`json-args`, or `base64-args` of the borsh encoding with the JSON in
/// a comment line).
pub fn call(network: &Network, call: Call) -> Result<NearCommand, InputError> {
    let method = method(call.method)?;
    if method.kind != Kind::Change || !method.allows(call.role) {
        return Err(InputError::Invalid {
            what: "method table",
            reason: format!("`{}` is not a {} call", call.method, role_name(call.role)),
        });
    }
    let shown = canonical_json(&call.args);
    let encoded = encode_json(call.method, call.args)
        .map_err(|e| InputError::Invalid { what: "arguments", reason: e.to_string() })?;
    let (kind, text, comment) = match encoded {
        Encoded::Json(_) => ("json-args", shown, None),
        Encoded::Borsh(bytes) => {
            let comment = format!("{} takes borsh arguments; base64-args encodes: {shown}", call.method);
            ("base64-args", BASE64.encode(bytes), Some(comment))
        }
    };
    let body = [
        "contract",
        "call-function",
        "as-transaction",
        call.contract,
        call.method,
        kind,
        &text,
        "prepaid-gas",
        &gas_text(method),
        "attached-deposit",
        &amount_text(call.deposit.unwrap_or(call.role.deposit())),
        "sign-as",
        call.signer,
    ];
    Ok(NearCommand { comment, ..NearCommand::new(network, &body, call.signing) })
}

/// JSON with every object's keys sorted, so a printed command is the same
/// whether or not some other crate in the build turns on serde_json's
/// `preserve_order` (nearcore's crates do, and features unify per build).
fn canonical_json(value: &serde_json::Value) -> String {
    fn sort(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.sort_keys();
                map.values_mut().for_each(sort);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(sort),
            _ => {}
        }
    }
    let mut value = value.clone();
    sort(&mut value);
    value.to_string()
}

/// A view of the contract.
pub fn view(
    network: &Network,
    contract: &str,
    name: &'static str,
    args: serde_json::Value,
) -> Result<NearCommand, InputError> {
    let method = method(name)?;
    if method.kind != Kind::View {
        return Err(InputError::Invalid { what: "method table", reason: format!("`{name}` is not a view") });
    }
    let body = ["contract", "call-function", "as-read-only", contract, name, "json-args", &canonical_json(&args)];
    Ok(NearCommand::new(network, &body, Signing::View))
}

/// Deploys `wasm` to `contract` and makes the `(method, args)` call in the same transaction.
pub fn deploy(
    network: &Network,
    contract: &str,
    wasm: &str,
    (init_method, args): (&'static str, serde_json::Value),
) -> Result<NearCommand, InputError> {
    let method = method(init_method)?;
    let body = [
        "contract",
        "deploy",
        contract,
        "use-file",
        wasm,
        "with-init-call",
        init_method,
        "json-args",
        &canonical_json(&args),
        "prepaid-gas",
        &gas_text(method),
        "attached-deposit",
        &amount_text(Role::Contract.deposit()),
    ];
    Ok(NearCommand::new(network, &body, Signing::Keychain))
}

/// A function-call access key for `role`, limited to exactly that role's methods.
pub fn add_key(
    network: &Network,
    account: &str,
    contract: &str,
    role: Role,
    public_key: &str,
    allowance: &str,
) -> Result<NearCommand, InputError> {
    let list = methods::change_methods_for(role);
    if list.is_empty() || list.iter().any(|m| m.is_empty()) {
        return Err(InputError::EmptyMethodList { role: role_name(role) });
    }
    let body = [
        "account",
        "add-key",
        account,
        "grant-function-call-access",
        "--allowance",
        allowance,
        "--contract-account-id",
        contract,
        "--function-names",
        &list.join(","),
        "use-manually-provided-public-key",
        public_key,
    ];
    Ok(NearCommand::new(network, &body, Signing::Keychain))
}

/// Removes an access key from `account`.
pub fn delete_key(network: &Network, account: &str, public_key: &str) -> NearCommand {
    let body = ["account", "delete-keys", account, "public-keys", public_key];
    NearCommand::new(network, &body, Signing::Keychain)
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Contract => "contract",
        Role::Node => "node",
        Role::BackupService => "backup-service",
        Role::Operator => "operator",
        Role::Anyone => "anyone",
    }
}

fn owned(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    fn approve(args: serde_json::Value, role: Role) -> Call<'static> {
        Call {
            contract: "c.testnet",
            signer: "op.testnet",
            method: methods::APPROVE_RECOVERY,
            args,
            role,
            deposit: None,
            signing: Signing::Keychain,
        }
    }

    #[test]
    fn display__should_quote_json_and_amounts_for_a_shell() {
        let network = Network::Testnet;
        let command =
            call(&network, approve(serde_json::json!({"tls_public_key": "ed25519:abc"}), Role::Operator)).unwrap();
        assert_eq!(
            command.to_string(),
            "near contract call-function as-transaction c.testnet approve_recovery json-args \
             '{\"tls_public_key\":\"ed25519:abc\"}' prepaid-gas '30 Tgas' attached-deposit '1 yoctoNEAR' \
             sign-as op.testnet network-config testnet sign-with-keychain send"
        );
    }

    #[test]
    fn call__should_send_a_borsh_method_as_base64_args_under_its_json() {
        use mpc_interface::args::ConcludeRecoveryArgs;
        use mpc_interface::primitives::{EpochId, Keyset};
        let keyset = Keyset { epoch_id: EpochId(4), domains: vec![] };
        let conclude = Call {
            method: methods::CONCLUDE_RECOVERY,
            args: serde_json::json!({ "keyset": keyset }),
            role: Role::Node,
            ..approve(serde_json::Value::Null, Role::Operator)
        };
        let command = call(&Network::Testnet, conclude).unwrap();
        let args = command.args();
        assert_eq!(args[5], "base64-args", "{command}");
        let bytes = BASE64.decode(&args[6]).unwrap();
        assert_eq!(borsh::from_slice::<ConcludeRecoveryArgs>(&bytes).unwrap(), ConcludeRecoveryArgs { keyset });
        let printed = command.to_string();
        let (comment, line) = printed.split_once('\n').expect("a comment line above the command");
        assert_eq!(
            comment,
            r#"# conclude_recovery takes borsh arguments; base64-args encodes: {"keyset":{"domains":[],"epoch_id":4}}"#
        );
        assert!(line.starts_with("near contract call-function"), "{line}");
        assert!(!args.iter().any(|a| a.starts_with('#')), "the comment is never passed to near-cli-rs");
    }

    #[test]
    fn call__should_refuse_arguments_a_borsh_method_cannot_encode() {
        let conclude = Call {
            method: methods::CONCLUDE_RECOVERY,
            args: serde_json::json!({ "keyset": "none" }),
            role: Role::Node,
            ..approve(serde_json::Value::Null, Role::Operator)
        };
        let refused = call(&Network::Testnet, conclude);
        assert!(matches!(&refused, Err(InputError::Invalid { what: "arguments", .. })), "{refused:?}");
    }

    #[test]
    fn call__should_refuse_a_role_the_method_table_does_not_allow() {
        let refused = call(&Network::Testnet, approve(serde_json::json!({}), Role::Node));
        assert!(matches!(refused, Err(InputError::Invalid { .. })), "{refused:?}");
    }

    #[test]
    fn add_key__should_list_exactly_the_roles_change_methods() {
        let command = add_key(&Network::Testnet, "op.testnet", "c.testnet", Role::Node, "ed25519:k", "1 NEAR").unwrap();
        let args = command.args();
        let list = &args[args.iter().position(|a| a == "--function-names").unwrap() + 1];
        assert_eq!(list.split(',').collect::<Vec<_>>(), methods::change_methods_for(Role::Node));
        assert!(!list.is_empty());
    }

    #[test]
    fn amount_text__should_print_what_near_token_parses_back() {
        for yocto in [1, 10u128.pow(23), 10u128.pow(24), 0] {
            let text = amount_text(yocto);
            assert_eq!(text.parse::<NearToken>().unwrap().as_yoctonear(), yocto, "{text}");
        }
    }
}
