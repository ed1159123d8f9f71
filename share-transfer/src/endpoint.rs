//! Where a node's share-transfer endpoint listens: the `host:port` of the URL
//! it publishes in its `ParticipantInfo` (the scheme and any path are
//! ignored: identity comes from keys, not from names or schemes).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("participant URL `{url}` has no host")]
    NoHost { url: String },
    #[error("participant URL `{url}` has no port; the share-transfer endpoint needs an explicit `host:port`")]
    NoPort { url: String },
    #[error("participant URL `{url}` has port `{port}`, which is not a number from 1 to 65535")]
    BadPort { url: String, port: String },
}

/// `https://127.0.0.1:4101/x` -> `127.0.0.1:4101`; `[::1]:9` stays `[::1]:9`.
pub fn transfer_address(url: &str) -> Result<String, EndpointError> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Credentials (`user@`) are no part of an address.
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or_else(|| EndpointError::NoHost { url: url.to_owned() })?;
        (format!("[{host}]"), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (authority.to_owned(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(EndpointError::NoHost { url: url.to_owned() });
    }
    let port = port.ok_or_else(|| EndpointError::NoPort { url: url.to_owned() })?;
    match port.parse::<u16>() {
        Ok(p) if p != 0 => Ok(format!("{host}:{p}")),
        _ => Err(EndpointError::BadPort { url: url.to_owned(), port: port.to_owned() }),
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn transfer_address__should_take_host_and_port_and_ignore_the_rest() {
        assert_eq!(transfer_address("https://127.0.0.1:4101").unwrap(), "127.0.0.1:4101");
        assert_eq!(transfer_address("http://node0.example:80/path?q#f").unwrap(), "node0.example:80");
        assert_eq!(transfer_address("127.0.0.1:9").unwrap(), "127.0.0.1:9");
        assert_eq!(transfer_address("https://[::1]:4101/").unwrap(), "[::1]:4101");
        assert_eq!(transfer_address("https://user@host:7").unwrap(), "host:7");
    }

    #[test]
    fn transfer_address__should_refuse_missing_host_or_port() {
        assert!(matches!(transfer_address("https://node0.example"), Err(EndpointError::NoPort { .. })));
        assert!(matches!(transfer_address("https://:4101"), Err(EndpointError::NoHost { .. })));
        assert!(matches!(transfer_address("https://h:0"), Err(EndpointError::BadPort { .. })));
        assert!(matches!(transfer_address("https://h:http"), Err(EndpointError::BadPort { .. })));
    }
}
