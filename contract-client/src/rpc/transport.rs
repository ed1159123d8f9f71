//! The HTTP side of the adapter: near-jsonrpc-client over a reqwest client
//! (rustls with ring; Mozilla's roots or roots the caller gives), the
//! endpoint checked before use, and every failure that is not the node's own
//! answer turned into a sentence that says how far the request got.

use near_jsonrpc_client::errors::{
    JsonRpcError, JsonRpcServerError, JsonRpcServerResponseStatusError, JsonRpcTransportHandlerResponseError,
    JsonRpcTransportRecvError, JsonRpcTransportSendError, RpcTransportError,
};
use near_jsonrpc_client::JsonRpcClient;
use near_jsonrpc_primitives::errors::RpcRequestValidationErrorKind;
use near_jsonrpc_primitives::message::Broken;
use std::time::Duration;

/// Which certificate authorities an HTTPS endpoint may be signed by.
#[derive(Clone, Debug, Default)]
pub enum TlsRoots {
    /// Mozilla's root store (`webpki-roots`), as a browser would trust.
    #[default]
    WebPki,
    /// Only these (DER) certificates, e.g. a private RPC's own CA.
    Only(Vec<Vec<u8>>),
}

/// How far a failed request got: a failure to connect means nothing was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    Connect,
    Exchange,
}

/// A request that got no usable answer.
#[derive(Debug)]
pub(crate) struct HttpFailure {
    pub stage: Stage,
    pub reason: String,
}

/// Checks the endpoint and builds the client; returns it with the endpoint
/// as `scheme://host:port` (the path and query are left out of messages
/// because providers put API keys there).
pub(crate) fn connect(
    url: &str,
    roots: &TlsRoots,
    connect_timeout: Duration,
) -> Result<(JsonRpcClient, String), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("`{}` is not a URL: {e}", display(url)))?;
    match parsed.scheme() {
        "http" | "https" => {}
        other => return Err(format!("unsupported scheme `{other}` (use http:// or https://)")),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("credentials in the endpoint URL are not supported".into());
    }
    let host = parsed.host_str().ok_or_else(|| format!("`{}` has no host", display(url)))?;
    let shown = match parsed.port() {
        Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
        None => format!("{}://{host}", parsed.scheme()),
    };
    let mut builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .user_agent(concat!("mpc-contract-client/", env!("CARGO_PKG_VERSION")));
    if let TlsRoots::Only(ders) = roots {
        builder = builder.tls_built_in_root_certs(false);
        for der in ders {
            let cert = reqwest::Certificate::from_der(der)
                .map_err(|e| format!("a configured root certificate is unusable: {e}"))?;
            builder = builder.add_root_certificate(cert);
        }
    }
    let http = builder.build().map_err(|e| format!("HTTP client setup: {}", chain(&e.without_url())))?;
    Ok((JsonRpcClient::with(http).connect(url), shown))
}

/// `scheme://host` of a URL-ish string, for messages.
fn display(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    url[start..].find(['/', '?']).map_or(url, |end| &url[..start + end])
}

/// An error and its sources, `: `-separated.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// One call within `timeout`; the node's own error (`E`) is handed back,
/// everything else is an [`HttpFailure`].
pub(crate) async fn call<M>(
    client: &JsonRpcClient,
    request: M,
    timeout: Duration,
) -> Result<Result<M::Response, Handled<M::Error>>, HttpFailure>
where
    M: near_jsonrpc_client::methods::RpcMethod,
    M::Error: std::fmt::Debug,
{
    let name = request.method_name().to_owned();
    let answer = tokio::time::timeout(timeout, client.call(request)).await.map_err(|_| HttpFailure {
        stage: Stage::Exchange,
        reason: format!("`{name}`: no answer within {timeout:?}"),
    })?;
    match answer {
        Ok(response) => Ok(Ok(response)),
        Err(JsonRpcError::ServerError(JsonRpcServerError::HandlerError(e))) => Ok(Err(Handled::Node(e))),
        Err(JsonRpcError::ServerError(JsonRpcServerError::RequestValidationError(
            RpcRequestValidationErrorKind::MethodNotFound { .. },
        ))) => Ok(Err(Handled::MethodNotFound)),
        Err(JsonRpcError::ServerError(JsonRpcServerError::NonContextualError(e))) => {
            let data = e.data.as_deref().and_then(|d| d.as_str()).map(str::to_owned);
            match data {
                Some(text) => Ok(Err(Handled::Legacy(text))),
                None => Err(HttpFailure { stage: Stage::Exchange, reason: format!("`{name}` failed: {e}") }),
            }
        }
        Err(other) => Err(describe(&name, other)),
    }
}

/// An answer from the node that is not a result.
pub(crate) enum Handled<E> {
    /// The method's own error, parsed.
    Node(E),
    /// The node does not know the method (`send_tx` on old nodes).
    MethodNotFound,
    /// An error without a structured cause; its `data` text.
    Legacy(String),
}

fn describe<E: std::fmt::Debug>(method: &str, e: JsonRpcError<E>) -> HttpFailure {
    use JsonRpcServerResponseStatusError as Status;
    let exchange = |reason: String| HttpFailure { stage: Stage::Exchange, reason: format!("`{method}`: {reason}") };
    match e {
        JsonRpcError::TransportError(RpcTransportError::SendError(JsonRpcTransportSendError::PayloadSendError(e))) => {
            let e = e.without_url();
            if e.is_connect() {
                HttpFailure { stage: Stage::Connect, reason: format!("cannot connect: {}", chain(&e)) }
            } else {
                exchange(format!("request failed: {}", chain(&e)))
            }
        }
        JsonRpcError::TransportError(RpcTransportError::SendError(e)) => {
            HttpFailure { stage: Stage::Connect, reason: format!("`{method}`: {e}") }
        }
        JsonRpcError::TransportError(RpcTransportError::RecvError(e)) => exchange(match e {
            JsonRpcTransportRecvError::PayloadRecvError(e) => {
                format!("cannot read the answer: {}", chain(&e.without_url()))
            }
            JsonRpcTransportRecvError::PayloadParseError(Broken::SyntaxError(why)) => {
                format!("the answer is not JSON ({why})")
            }
            JsonRpcTransportRecvError::PayloadParseError(Broken::Unmatched(value)) => format!(
                "the answer is not a JSON-RPC object with a result or an error: {}",
                snippet(&value.to_string())
            ),
            JsonRpcTransportRecvError::UnexpectedServerResponse(message) => {
                format!(
                    "the answer is not a JSON-RPC object answering the request: {}",
                    snippet(&format!("{message:?}"))
                )
            }
            JsonRpcTransportRecvError::ResponseParseError(JsonRpcTransportHandlerResponseError::ResultParseError(
                e,
            )) => {
                format!("the result does not parse: {e}")
            }
            JsonRpcTransportRecvError::ResponseParseError(
                JsonRpcTransportHandlerResponseError::ErrorMessageParseError(e),
            ) => format!("the error answer does not parse: {e}"),
        }),
        JsonRpcError::ServerError(JsonRpcServerError::ResponseStatusError(status)) => exchange(match status {
            Status::Unexpected { status } => format!("HTTP {}", status.as_u16()),
            Status::Unauthorized => "HTTP 401: unauthorized".into(),
            Status::TooManyRequests => "HTTP 429: rate limited".into(),
            Status::BadRequest => "HTTP 400: bad request".into(),
            Status::TimeoutError => "HTTP 408: timeout".into(),
            Status::ServiceUnavailable => "HTTP 503: service unavailable".into(),
        }),
        JsonRpcError::ServerError(JsonRpcServerError::InternalError { info }) => {
            exchange(format!("internal server error: {}", info.unwrap_or_default()))
        }
        JsonRpcError::ServerError(other) => exchange(snippet(&format!("{other:?}"))),
    }
}

/// At most 200 characters of an answer, for messages.
pub(crate) fn snippet(text: &str) -> String {
    let mut out: String = text.chars().take(200).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}
