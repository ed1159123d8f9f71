//! What can go wrong, each with a message that says what to do. Bad input
//! (exit 2) is found before anything is printed; the rest (exit 1) happens
//! while running near-cli-rs.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(
        "unknown network `{name}`: use mainnet, testnet or localnet, or the name of a connection in \
         near-cli-rs's config ({config}); add one for a custom RPC with `near config add-connection`"
    )]
    UnknownNetwork { name: String, config: String },
    #[error("network name `{name}` may only hold lowercase letters, digits, `-` and `_` (at most 64)")]
    BadNetworkName { name: String },
    #[error(
        "--allow-dev-attestation is refused on mainnet: a development attestation proves nothing about the machine"
    )]
    DevAttestationOnMainnet,
    #[error("{what} `{url}` is not a valid URL: {reason}")]
    BadUrl { what: &'static str, url: String, reason: String },
    #[error("{what}: `{value}` is not an amount near-cli-rs takes ({reason}); write e.g. `0.1 NEAR` or `1 yoctoNEAR`")]
    BadAmount { what: &'static str, value: String, reason: String },
    #[error("{what} must be more than zero")]
    ZeroAmount { what: &'static str },
    #[error("{what}: cannot read {}: {reason}", path.display())]
    Unreadable { what: &'static str, path: PathBuf, reason: String },
    #[error("{what}: {reason}")]
    BadJson { what: &'static str, reason: String },
    #[error("{what}: {reason}")]
    Invalid { what: &'static str, reason: String },
    #[error("the method table gives `{method}` no entry; this build of mpc-operator does not match the contract")]
    UnknownMethod { method: &'static str },
    #[error("the method list of a {role} key is empty; on NEAR an empty list allows every method, so nothing is sent")]
    EmptyMethodList { role: &'static str },
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "near-cli-rs (`near`) is not on PATH. Install it with \
         `apt-get install libudev-dev pkg-config && cargo install near-cli-rs --locked` \
         (about 50 minutes on 2 cores), or add --dry-run to only print the commands"
    )]
    NearMissing,
    #[error("cannot start `near`: {0}")]
    Spawn(std::io::Error),
    #[error("`near` failed ({status}); nothing after this command was run")]
    NearFailed { status: std::process::ExitStatus },
}
