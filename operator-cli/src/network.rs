//! Which NEAR network a command goes to: near-cli-rs's `network-config` name.
//! `mainnet`, `testnet` and `localnet` are known; any other name must be a
//! connection in near-cli-rs's config (a custom RPC, added with
//! `near config add-connection`), so a typo such as `mainnnet` is refused
//! before anything is printed or sent.

use crate::error::InputError;
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Network {
    Mainnet,
    Testnet,
    Localnet,
    /// A connection configured in near-cli-rs (`[network_connection.<name>]`).
    Custom(String),
}

/// Environment variable naming near-cli-rs's config file, for a config kept elsewhere.
pub const CONFIG_ENV: &str = "MPC_OPERATOR_NEAR_CLI_CONFIG";

impl Network {
    pub fn name(&self) -> &str {
        match self {
            Self::Mainnet => "mainnet",
            Self::Testnet => "testnet",
            Self::Localnet => "localnet",
            Self::Custom(name) => name,
        }
    }

    /// Parses `name`, looking custom names up in near-cli-rs's config.
    pub fn parse(name: &str) -> Result<Self, InputError> {
        Self::parse_with_config(name, &config_path())
    }

    pub fn parse_with_config(name: &str, config: &std::path::Path) -> Result<Self, InputError> {
        let well_formed = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !well_formed {
            return Err(InputError::BadNetworkName { name: name.to_owned() });
        }
        match name {
            "mainnet" => return Ok(Self::Mainnet),
            "testnet" => return Ok(Self::Testnet),
            "localnet" => return Ok(Self::Localnet),
            _ => {}
        }
        let header = format!("[network_connection.{name}]");
        let configured =
            std::fs::read_to_string(config).map(|text| text.lines().any(|line| line.trim() == header)).unwrap_or(false);
        if configured {
            Ok(Self::Custom(name.to_owned()))
        } else {
            Err(InputError::UnknownNetwork { name: name.to_owned(), config: config.display().to_string() })
        }
    }
}

/// Where near-cli-rs keeps its config: `$XDG_CONFIG_HOME/near-cli/config.toml`
/// (or `~/.config/...`), unless `MPC_OPERATOR_NEAR_CLI_CONFIG` says otherwise.
pub fn config_path() -> PathBuf {
    if let Some(path) = std::env::var_os(CONFIG_ENV) {
        return PathBuf::from(path);
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .unwrap_or_else(|| PathBuf::from(".config"));
    base.join("near-cli").join("config.toml")
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn parse__should_refuse_a_misspelt_network() {
        let none = std::path::Path::new("/nonexistent/config.toml");
        assert!(matches!(Network::parse_with_config("mainnnet", none), Err(InputError::UnknownNetwork { .. })));
        assert!(matches!(Network::parse_with_config("Main Net", none), Err(InputError::BadNetworkName { .. })));
        assert!(matches!(Network::parse_with_config("", none), Err(InputError::BadNetworkName { .. })));
        assert_eq!(Network::parse_with_config("mainnet", none).unwrap(), Network::Mainnet);
    }

    #[test]
    fn parse__should_accept_a_connection_configured_in_near_cli() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            "[network_connection.my-rpc]\nnetwork_name = \"testnet\"\nrpc_url = \"https://rpc.example.org/\"\n",
        )
        .unwrap();
        assert_eq!(Network::parse_with_config("my-rpc", &config).unwrap(), Network::Custom("my-rpc".into()));
        assert!(Network::parse_with_config("other", &config).is_err());
    }
}
