//! Which of the two transports a deployment uses; the node and its backup
//! service must agree on it.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Mutual TLS with both parties' Ed25519 keys pinned to the contract.
    Mtls,
    /// The node's web endpoints, payloads sealed under per-session X25519 keys.
    Web,
}

impl FromStr for Transport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mtls" => Ok(Transport::Mtls),
            "web" => Ok(Transport::Web),
            other => Err(format!("unknown transport `{other}`: expected `mtls` or `web`")),
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Mtls => "mtls",
            Transport::Web => "web",
        })
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn transport__should_round_trip_its_name_and_refuse_others() {
        for t in [Transport::Mtls, Transport::Web] {
            assert_eq!(t.to_string().parse::<Transport>(), Ok(t));
        }
        assert!("tls".parse::<Transport>().unwrap_err().contains("expected `mtls` or `web`"));
    }
}
