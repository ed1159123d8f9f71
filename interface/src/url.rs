//! The URL a participant publishes: `http(s)://host:port[/path]`, checked the
//! same way by the contract and by anyone who builds one. No parser crate:
//! the contract wasm must stay small, and the accepted form is narrow.

/// Longest URL a participant may register; keeps records (and gas) bounded.
pub const MAX_URL_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("must be 1 to {max} bytes, not {len}")]
    Length { len: usize, max: usize },
    #[error("must start with `http://` or `https://`")]
    Scheme,
    #[error("must not carry credentials (`user@`)")]
    Credentials,
    #[error("has no valid host (a DNS name, an IPv4 address or a bracketed IPv6 address)")]
    Host,
    #[error("needs an explicit port from 1 to 65535 (`host:port`)")]
    Port,
    #[error("has a path with characters outside printable ASCII, or a query or fragment")]
    Path,
}

/// Checks `url` is `http(s)://host:port` with an optional path.
pub fn check_url(url: &str) -> Result<(), UrlError> {
    if url.is_empty() || url.len() > MAX_URL_LEN {
        return Err(UrlError::Length { len: url.len(), max: MAX_URL_LEN });
    }
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).ok_or(UrlError::Scheme)?;
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(UrlError::Credentials);
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or(UrlError::Host)?;
        let ok = !host.is_empty() && host.contains(':') && host.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
        if !ok {
            return Err(UrlError::Host);
        }
        (host, after.strip_prefix(':').ok_or(UrlError::Port)?)
    } else {
        let (host, port) = authority.rsplit_once(':').ok_or(UrlError::Port)?;
        if !is_dns_name(host) {
            return Err(UrlError::Host);
        }
        (host, port)
    };
    debug_assert!(!host.is_empty());
    let port_ok = !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
    match port.parse::<u32>() {
        Ok(p) if port_ok && (1..=65535).contains(&p) => {}
        _ => return Err(UrlError::Port),
    }
    if !path.bytes().all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#') {
        return Err(UrlError::Path);
    }
    Ok(())
}

/// Letters, digits and hyphens in dot-separated labels of 1 to 63 bytes, no
/// label starting or ending with a hyphen (IPv4 addresses fit this too).
fn is_dns_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn check_url__should_accept_http_and_https_with_host_and_port() {
        for url in ["https://node0.near:3000", "http://127.0.0.1:1/x/y", "https://[::1]:65535", "https://a-b.c:80/"] {
            assert_eq!(check_url(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn check_url__should_refuse_each_malformed_part() {
        let long = format!("https://a.b:1/{}", "x".repeat(MAX_URL_LEN));
        let cases = [
            ("", UrlError::Length { len: 0, max: MAX_URL_LEN }),
            (long.as_str(), UrlError::Length { len: long.len(), max: MAX_URL_LEN }),
            ("ftp://a.b:1", UrlError::Scheme),
            ("node0.near:3000", UrlError::Scheme),
            ("https://u@a.b:1", UrlError::Credentials),
            ("https://:1", UrlError::Host),
            ("https://-a.b:1", UrlError::Host),
            ("https://a..b:1", UrlError::Host),
            ("https://a b:1", UrlError::Host),
            ("https://[zz]:1", UrlError::Host),
            ("https://a.b", UrlError::Port),
            ("https://a.b:0", UrlError::Port),
            ("https://a.b:65536", UrlError::Port),
            ("https://a.b:+80", UrlError::Port),
            ("https://[::1]", UrlError::Port),
            ("https://a.b:1/x?y", UrlError::Path),
            ("https://a.b:1/x y", UrlError::Path),
        ];
        for (url, expected) in cases {
            assert_eq!(check_url(url), Err(expected), "{url}");
        }
    }
}
