#![allow(non_snake_case)]
//! The JSON-RPC adapter against a mock NEAR RPC server on a real loopback
//! socket, answering what `near-jsonrpc-client` sends with what a nearcore
//! node answers. The server decodes each submitted transaction with its own
//! borsh reader (written here from nearcore's layout, independent of
//! near-primitives) and checks the signature as a validator would.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use contract_client::{
    ClientError, ContractClient, Credentials, CredentialsError, MpcContractApi, RpcClient, RpcConfig, TlsRoots,
};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use mpc_interface::args::Encoded;
use mpc_interface::constants::Gas;
use mpc_interface::errors::ErrorCode;
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::AccountId;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

const CONTRACT: &str = "mpc.test.near";
const SIGNER: &str = "operator.test.near";
const CHAIN_NONCE: u64 = 41;
const FINAL_BLOCK: [u8; 32] = [0x33; 32];

// ---------------------------------------------------------------------------
// An independent borsh reader for signed transactions.

#[derive(Debug)]
struct DecodedCall {
    method_name: String,
    args: Vec<u8>,
    gas: u64,
    deposit: u128,
}

#[derive(Debug)]
struct DecodedTx {
    signer_id: String,
    key_curve: u8,
    key: Vec<u8>,
    nonce: u64,
    receiver_id: String,
    block_hash: [u8; 32],
    actions: Vec<DecodedCall>,
    /// The transaction's own bytes (what is hashed and signed).
    tx_bytes: Vec<u8>,
    signature_curve: u8,
    signature: [u8; 64],
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len()).ok_or("truncated")?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    fn u128(&mut self) -> Result<u128, String> {
        Ok(u128::from_le_bytes(self.take(16)?.try_into().unwrap()))
    }
    fn vec(&mut self) -> Result<Vec<u8>, String> {
        let len = self.u32()? as usize;
        Ok(self.take(len)?.to_vec())
    }
    fn string(&mut self) -> Result<String, String> {
        String::from_utf8(self.vec()?).map_err(|_| "a string is not UTF-8".to_owned())
    }
}

fn decode_signed(bytes: &[u8]) -> Result<DecodedTx, String> {
    let mut r = Reader { bytes, at: 0 };
    let signer_id = r.string()?;
    let key_curve = r.u8()?;
    let key = match key_curve {
        0 => r.take(32)?.to_vec(),
        1 => r.take(64)?.to_vec(),
        other => return Err(format!("unknown key curve {other}")),
    };
    let nonce = r.u64()?;
    let receiver_id = r.string()?;
    let block_hash: [u8; 32] = r.take(32)?.try_into().unwrap();
    let count = r.u32()?;
    let mut actions = Vec::new();
    for _ in 0..count {
        let tag = r.u8()?;
        if tag != 2 {
            return Err(format!("action tag {tag} is not FunctionCall (2)"));
        }
        actions.push(DecodedCall { method_name: r.string()?, args: r.vec()?, gas: r.u64()?, deposit: r.u128()? });
    }
    let tx_bytes = bytes[..r.at].to_vec();
    let signature_curve = r.u8()?;
    let signature: [u8; 64] = r.take(64)?.try_into().unwrap();
    if r.at != bytes.len() {
        return Err(format!("{} trailing bytes", bytes.len() - r.at));
    }
    Ok(DecodedTx {
        signer_id,
        key_curve,
        key,
        nonce,
        receiver_id,
        block_hash,
        actions,
        tx_bytes,
        signature_curve,
        signature,
    })
}

fn tx_hash58(tx_bytes: &[u8]) -> String {
    bs58::encode(Sha256::digest(tx_bytes)).into_string()
}

// ---------------------------------------------------------------------------
// The mock RPC server.

enum Answer {
    Result(Value),
    Error(Value),
    /// Status and body as given (garbage, proxies' error pages).
    Raw(u16, String),
}

type Responder = Arc<dyn Fn(&Value) -> Answer + Send + Sync>;

#[derive(Clone)]
struct MockState {
    requests: Arc<Mutex<Vec<Value>>>,
    respond: Responder,
}

struct Mock {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl Mock {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }
    fn methods(&self) -> Vec<String> {
        self.requests().iter().map(|r| r["method"].as_str().unwrap().to_owned()).collect()
    }
}

async fn handle(State(state): State<MockState>, body: axum::body::Bytes) -> Response {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return (StatusCode::BAD_REQUEST, "not JSON").into_response(),
    };
    state.requests.lock().unwrap().push(request.clone());
    let id = request["id"].clone();
    let (status, body) = match (state.respond)(&request) {
        Answer::Result(result) => (200, json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()),
        Answer::Error(error) => (200, json!({"jsonrpc": "2.0", "id": id, "error": error}).to_string()),
        Answer::Raw(status, body) => (status, body),
    };
    (StatusCode::from_u16(status).unwrap(), [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn mock(respond: impl Fn(&Value) -> Answer + Send + Sync + 'static) -> Mock {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let state = MockState { requests: requests.clone(), respond: Arc::new(respond) };
    let app = Router::new().route("/", post(handle)).with_state(state);
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Mock { addr, requests }
}

// ---------------------------------------------------------------------------
// Canned answers.

fn view_bytes(json: Value) -> Answer {
    let bytes: Vec<Value> = json.to_string().into_bytes().into_iter().map(Value::from).collect();
    Answer::Result(
        json!({"result": bytes, "logs": [], "block_height": 100, "block_hash": bs58::encode(FINAL_BLOCK).into_string()}),
    )
}

fn access_key(nonce: u64) -> Answer {
    Answer::Result(
        json!({"nonce": nonce, "permission": "FullAccess", "block_height": 100, "block_hash": bs58::encode(FINAL_BLOCK).into_string()}),
    )
}

fn hash58(seed: u8) -> String {
    bs58::encode([seed; 32]).into_string()
}

/// One execution outcome as nearcore's `ExecutionOutcomeWithIdView` prints it.
fn execution(id: &str, executor: &str, logs: &[&str], gas_burnt: u64, status: Value) -> Value {
    json!({"proof": [], "block_hash": hash58(0x44), "id": id, "outcome": {
        "logs": logs, "receipt_ids": [], "gas_burnt": gas_burnt, "tokens_burnt": "0",
        "executor_id": executor, "status": status, "metadata": {"version": 1, "gas_profile": null}}})
}

/// The final outcome of the transaction in `request` with `status` as the
/// status of both the receipt and the whole transaction.
fn outcome_for(request: &Value, status: Value, logs: &[&str]) -> Value {
    let encoded = request["params"]["signed_tx_base64"].as_str().or(request["params"][0].as_str()).unwrap();
    let tx = decode_signed(&BASE64.decode(encoded).unwrap()).unwrap();
    let hash = tx_hash58(&tx.tx_bytes);
    json!({
        "final_execution_status": "FINAL",
        "status": status,
        "transaction": {"hash": hash, "signer_id": tx.signer_id, "receiver_id": tx.receiver_id, "nonce": tx.nonce,
            "public_key": format!("ed25519:{}", bs58::encode(&tx.key).into_string()), "actions": [],
            "signature": format!("ed25519:{}", bs58::encode(tx.signature).into_string()), "priority_fee": 0},
        "transaction_outcome": execution(&hash, SIGNER, &[], 2_428_000_000_000, json!({"SuccessReceiptId": hash58(0x51)})),
        "receipts_outcome": [
            execution(&hash58(0x51), CONTRACT, logs, 3_000_000_000_000, status),
            execution(&hash58(0x52), SIGNER, &[], 223_000_000_000, json!({"SuccessValue": ""})),
        ]
    })
}

/// A chain where views, nonces and blocks answer normally and `send_tx` is up to `send`.
fn chain(send: impl Fn(&Value) -> Answer + Send + Sync + 'static) -> impl Fn(&Value) -> Answer + Send + Sync + 'static {
    move |request| match (request["method"].as_str().unwrap(), request["params"]["request_type"].as_str()) {
        ("query", Some("view_access_key")) => access_key(CHAIN_NONCE),
        ("query", Some("call_function")) => view_bytes(json!({"echo": request["params"]["method_name"]})),
        _ => send(request),
    }
}

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn credentials() -> Credentials {
    let pair = near_crypto::ED25519SecretKey(signing_key().to_keypair_bytes());
    Credentials::new(SIGNER.parse().unwrap(), near_crypto::SecretKey::ED25519(pair))
}

fn config(url: String) -> RpcConfig {
    RpcConfig {
        request_timeout: Duration::from_secs(5),
        send_timeout: Duration::from_secs(5),
        outcome_polls: 2,
        poll_interval: Duration::from_millis(10),
        ..RpcConfig::new(url, CONTRACT.parse().unwrap())
    }
}

fn client(mock: &Mock) -> RpcClient {
    RpcClient::new(config(mock.url()), credentials()).unwrap()
}

fn sent_transactions(mock: &Mock) -> Vec<DecodedTx> {
    mock.requests()
        .iter()
        .filter(|r| matches!(r["method"].as_str(), Some("send_tx" | "broadcast_tx_commit")))
        .map(|r| {
            let encoded = r["params"]["signed_tx_base64"].as_str().or(r["params"][0].as_str()).unwrap();
            decode_signed(&BASE64.decode(encoded).unwrap()).unwrap()
        })
        .collect()
}

fn assert_transport(e: &ClientError, fragment: &str) {
    assert!(matches!(e, ClientError::Rpc { .. }), "expected a transport error, got {e:?}");
    assert!(e.is_retryable());
    assert!(e.to_string().contains(fragment), "expected {fragment:?} in: {e}");
}

// ---------------------------------------------------------------------------
// (a) views

#[tokio::test]
async fn view__should_send_a_final_call_function_query_and_decode_the_bytes() {
    let mock = mock(chain(|_| Answer::Raw(500, "unexpected".into()))).await;
    let client = client(&mock);
    let bytes = client.view_raw("version", json!({"x": 1})).await.unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), json!({"echo": "version"}));
    let request = &mock.requests()[0];
    assert_eq!(request["jsonrpc"], "2.0");
    assert_eq!(request["method"], "query");
    let params = &request["params"];
    assert_eq!(params["request_type"], "call_function");
    assert_eq!(params["finality"], "final");
    assert_eq!(params["account_id"], CONTRACT);
    assert_eq!(params["method_name"], "version");
    let args = BASE64.decode(params["args_base64"].as_str().unwrap()).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&args).unwrap(), json!({"x": 1}));
}

#[tokio::test]
async fn typed_view__should_decode_the_contract_type() {
    let info = json!({
        "public_key": Ed25519PublicKey([4; 32]),
        "signer_public_key": AccessPublicKey::Ed25519(Ed25519PublicKey([5; 32])),
    });
    let answer = info.clone();
    let mock = mock(move |_| view_bytes(answer.clone())).await;
    let account: AccountId = "node0.near".parse().unwrap();
    let got = client(&mock).backup_service(&account).await.unwrap().unwrap();
    assert_eq!(got.public_key, Ed25519PublicKey([4; 32]));
    let args = BASE64.decode(mock.requests()[0]["params"]["args_base64"].as_str().unwrap()).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&args).unwrap(), json!({"account_id": "node0.near"}));
}

#[tokio::test]
async fn view__should_report_a_contract_error_in_the_result_with_its_code() {
    let mock = mock(|_| {
        Answer::Result(json!({
            "error": "wasm execution failed with error: FunctionCallError(ExecutionError(\"Smart contract panicked: [InvalidArgument] account_id is malformed\"))",
            "logs": [], "block_height": 1, "block_hash": "11111111111111111111111111111111"
        }))
    })
    .await;
    let err = client(&mock).view_raw("backup_service", json!({})).await.unwrap_err();
    match &err {
        ClientError::Contract { method, code, message } => {
            assert_eq!(method, "backup_service");
            assert_eq!(*code, Some(ErrorCode::InvalidArgument));
            assert!(message.contains("account_id is malformed"));
        }
        other => panic!("expected a contract error, got {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn view__should_report_a_structured_contract_execution_error_as_contract() {
    let mock = mock(|_| {
        Answer::Error(json!({
            "name": "HANDLER_ERROR", "code": -32000, "message": "Server error",
            "cause": {"name": "CONTRACT_EXECUTION_ERROR", "info": {"vm_error": "Smart contract panicked: [WrongState] no recovery is open",
                "error": {"ExecutionError": "Smart contract panicked: [WrongState] no recovery is open"}, "block_height": 1, "block_hash": hash58(1)}}
        }))
    })
    .await;
    let err = client(&mock).view_raw("recovery", json!({})).await.unwrap_err();
    assert!(matches!(err, ClientError::Contract { code: Some(ErrorCode::WrongState), .. }), "{err:?}");
}

#[tokio::test]
async fn view__should_report_a_missing_contract_as_contract_not_transport() {
    let mock = mock(|_| {
        Answer::Error(json!({"name": "HANDLER_ERROR", "code": -32000, "message": "Server error",
            "cause": {"name": "NO_CONTRACT_CODE", "info": {"contract_account_id": CONTRACT, "block_height": 1, "block_hash": hash58(1)}}}))
    })
    .await;
    let err = client(&mock).view_raw("state", json!({})).await.unwrap_err();
    assert!(matches!(err, ClientError::Contract { .. }), "{err:?}");
    assert!(err.to_string().contains(CONTRACT));
}

// ---------------------------------------------------------------------------
// (b) calls

#[tokio::test]
async fn call__should_submit_a_transaction_signed_over_sha256_of_its_borsh() {
    let event = r#"EVENT_JSON:{"standard":"mpc","version":"1.0.0","event":"backup_service_registered","data":{}}"#;
    let mock = mock(chain(move |request| {
        Answer::Result(outcome_for(request, json!({"SuccessValue": BASE64.encode(b"\"ok\"")}), &[event]))
    }))
    .await;
    let client = client(&mock);
    let args = json!({"info": {"public_key": Ed25519PublicKey([4; 32])}});
    let outcome =
        client.call_raw("register_backup_service", Encoded::Json(args.clone()), 1, Gas::from_tgas(30)).await.unwrap();

    // One query gives the nonce and the reference block: no `block` request.
    assert_eq!(mock.methods(), ["query", "send_tx"]);
    let requests = mock.requests();
    assert_eq!(requests[0]["params"]["request_type"], "view_access_key");
    assert_eq!(requests[0]["params"]["finality"], "final");
    assert_eq!(requests[0]["params"]["account_id"], SIGNER);
    assert_eq!(requests[0]["params"]["public_key"], client.signer().public_key.to_string());
    assert_eq!(requests[1]["params"]["wait_until"], "FINAL");

    let txs = sent_transactions(&mock);
    let tx = &txs[0];
    assert_eq!(tx.signer_id, SIGNER);
    assert_eq!(tx.key_curve, 0);
    assert_eq!(tx.key, signing_key().verifying_key().to_bytes());
    assert_eq!(tx.nonce, CHAIN_NONCE + 1);
    assert_eq!(tx.receiver_id, CONTRACT);
    assert_eq!(tx.block_hash, FINAL_BLOCK);
    assert_eq!(tx.actions.len(), 1);
    let call = &tx.actions[0];
    assert_eq!(call.method_name, "register_backup_service");
    assert_eq!(serde_json::from_slice::<Value>(&call.args).unwrap(), args);
    assert_eq!(call.gas, 30_000_000_000_000);
    assert_eq!(call.deposit, 1);
    // What a validator checks: the signature over sha256(borsh(transaction)).
    assert_eq!(tx.signature_curve, 0);
    let key = VerifyingKey::from_bytes(&tx.key.clone().try_into().unwrap()).unwrap();
    key.verify_strict(&Sha256::digest(&tx.tx_bytes), &Signature::from_bytes(&tx.signature)).unwrap();

    assert_eq!(outcome.value, b"\"ok\"");
    assert_eq!(outcome.logs, vec![event.to_owned()]);
    assert_eq!(outcome.events()[0]["event"], "backup_service_registered");
    assert_eq!(outcome.gas_burnt, 2_428_000_000_000 + 3_000_000_000_000 + 223_000_000_000);
    assert_eq!(outcome.transaction, Some(tx_hash58(&tx.tx_bytes)));
}

#[tokio::test]
async fn call__should_never_reuse_a_nonce_the_chain_has_not_counted_yet() {
    // The chain's nonce stays at 41 (as if the first transaction were still
    // in flight): the second call must not sign with 42 again.
    let mock = mock(chain(|request| Answer::Result(outcome_for(request, json!({"SuccessValue": ""}), &[])))).await;
    let client = client(&mock);
    client.call_raw("vote_pk", Encoded::Json(json!({})), 0, Gas::from_tgas(30)).await.unwrap();
    client.call_raw("vote_pk", Encoded::Json(json!({})), 0, Gas::from_tgas(30)).await.unwrap();
    let nonces: Vec<u64> = sent_transactions(&mock).iter().map(|t| t.nonce).collect();
    assert_eq!(nonces, [CHAIN_NONCE + 1, CHAIN_NONCE + 2]);
}

#[tokio::test]
async fn call__should_fall_back_to_broadcast_tx_commit_when_send_tx_is_unknown() {
    let mock = mock(chain(|request| match request["method"].as_str().unwrap() {
        "send_tx" => {
            Answer::Error(json!({"name": "REQUEST_VALIDATION_ERROR", "code": -32601, "message": "Method not found",
            "cause": {"name": "METHOD_NOT_FOUND", "info": {"method_name": "send_tx"}}}))
        }
        _ => Answer::Result(outcome_for(request, json!({"SuccessValue": BASE64.encode(b"1")}), &[])),
    }))
    .await;
    let outcome = client(&mock).call_raw("vote_pk", Encoded::Json(json!({})), 0, Gas::from_tgas(30)).await.unwrap();
    assert_eq!(outcome.value, b"1");
    assert_eq!(mock.methods(), ["query", "send_tx", "broadcast_tx_commit"]);
    let txs = sent_transactions(&mock);
    assert_eq!(txs[0].tx_bytes, txs[1].tx_bytes, "the same signed transaction is re-sent");
}

#[tokio::test]
async fn call__should_look_the_transaction_up_by_hash_after_a_timeout_instead_of_resending() {
    let sent: Arc<Mutex<Option<Value>>> = Arc::default();
    let remember = sent.clone();
    let mock = mock(chain(move |request| match request["method"].as_str().unwrap() {
        "send_tx" => {
            *remember.lock().unwrap() = Some(request.clone());
            Answer::Error(json!({"name": "HANDLER_ERROR", "code": -32000, "message": "Server error",
                "cause": {"name": "TIMEOUT_ERROR", "info": {}}}))
        }
        "tx" => {
            let original = remember.lock().unwrap().clone().unwrap();
            Answer::Result(outcome_for(&original, json!({"SuccessValue": ""}), &[]))
        }
        _ => Answer::Raw(500, "unexpected".into()),
    }))
    .await;
    let client = client(&mock);
    let outcome = client.call_raw("vote_pk", Encoded::Json(json!({})), 0, Gas::from_tgas(30)).await.unwrap();
    assert_eq!(mock.methods(), ["query", "send_tx", "tx"]);
    let lookup = &mock.requests()[2]["params"];
    assert_eq!(lookup["tx_hash"].as_str(), outcome.transaction.as_deref());
    assert_eq!(lookup["sender_account_id"], SIGNER);
    assert_eq!(lookup["wait_until"], "FINAL");
}

// ---------------------------------------------------------------------------
// (c) failures

fn panicked(message: &str) -> Value {
    json!({"Failure": {"ActionError": {"index": 0, "kind": {"FunctionCallError": {"ExecutionError": format!("Smart contract panicked: {message}")}}}}})
}

#[tokio::test]
async fn call__should_map_a_failed_transaction_to_a_contract_error_with_its_code() {
    let mock = mock(chain(|request| {
        Answer::Result(outcome_for(request, panicked("[WrongState] approve_recovery is allowed only in Recovery"), &[]))
    }))
    .await;
    let err =
        client(&mock).call_raw("approve_recovery", Encoded::Json(json!({})), 1, Gas::from_tgas(30)).await.unwrap_err();
    match &err {
        ClientError::Contract { method, code, message } => {
            assert_eq!(method, "approve_recovery");
            assert_eq!(*code, Some(ErrorCode::WrongState));
            assert!(message.contains("approve_recovery is allowed only in Recovery"), "{message}");
            assert!(message.contains(&tx_hash58(&sent_transactions(&mock)[0].tx_bytes)), "names the transaction");
        }
        other => panic!("expected a contract error, got {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn call__should_fail_when_any_receipt_failed_even_if_the_final_status_is_success() {
    let mock = mock(chain(|request| {
        let mut outcome = outcome_for(request, json!({"SuccessValue": ""}), &[]);
        outcome["receipts_outcome"][1]["outcome"]["status"] = panicked("[Storage] callback failed");
        Answer::Result(outcome)
    }))
    .await;
    let err = client(&mock).call_raw("vote_pk", Encoded::Json(json!({})), 0, Gas::from_tgas(30)).await.unwrap_err();
    assert!(matches!(err, ClientError::Contract { code: Some(ErrorCode::Storage), .. }), "{err:?}");
}

#[tokio::test]
async fn call__should_not_report_success_for_an_outcome_that_is_not_final() {
    let mock = mock(chain(|request| {
        let mut outcome = outcome_for(request, json!({"SuccessValue": ""}), &[]);
        outcome["status"] = json!("Started");
        Answer::Result(outcome)
    }))
    .await;
    let err = client(&mock).call_raw("vote_pk", Encoded::Json(json!({})), 0, Gas::from_tgas(30)).await.unwrap_err();
    assert_transport(&err, "not final");
}

#[tokio::test]
async fn call__should_refuse_an_outcome_for_another_transaction() {
    let mock = mock(chain(|request| {
        let mut outcome = outcome_for(request, json!({"SuccessValue": ""}), &[]);
        outcome["transaction"]["hash"] = json!("9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin");
        Answer::Result(outcome)
    }))
    .await;
    let err = client(&mock).call_raw("vote_pk", Encoded::Json(json!({})), 0, Gas::from_tgas(30)).await.unwrap_err();
    assert_transport(&err, "not ");
}

#[tokio::test]
async fn call__should_map_a_stale_nonce_to_a_retryable_error() {
    let mock = mock(chain(|_| {
        Answer::Error(json!({"name": "HANDLER_ERROR", "code": -32000, "message": "Server error",
            "cause": {"name": "INVALID_TRANSACTION", "info": {}},
            "data": {"TxExecutionError": {"InvalidTxError": {"InvalidNonce": {"tx_nonce": 42, "ak_nonce": 50}}}}}))
    }))
    .await;
    let err = client(&mock).call_raw("vote_pk", Encoded::Json(json!({})), 0, Gas::from_tgas(30)).await.unwrap_err();
    assert_transport(&err, "InvalidNonce");
}

#[tokio::test]
async fn call__should_map_a_refused_access_key_to_a_key_error() {
    let mock = mock(chain(|_| {
        Answer::Error(json!({"name": "HANDLER_ERROR", "code": -32000, "message": "Server error",
            "cause": {"name": "INVALID_TRANSACTION", "info": {}},
            "data": {"TxExecutionError": {"InvalidTxError": {"InvalidAccessKeyError": {"MethodNameMismatch": {"method_name": "approve_recovery"}}}}}}))
    }))
    .await;
    let err =
        client(&mock).call_raw("approve_recovery", Encoded::Json(json!({})), 0, Gas::from_tgas(30)).await.unwrap_err();
    assert!(matches!(&err, ClientError::Key(m) if m.contains("MethodNameMismatch")), "{err:?}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn call__should_report_an_unknown_access_key_as_a_key_error_before_signing() {
    let mock = mock(|_| {
        Answer::Error(json!({"name": "HANDLER_ERROR", "code": -32000, "message": "Server error",
            "cause": {"name": "UNKNOWN_ACCESS_KEY", "info": {"public_key": format!("ed25519:{}", hash58(9)), "block_height": 1, "block_hash": hash58(1)}}}))
    })
    .await;
    let err = client(&mock).call_raw("vote_pk", Encoded::Json(json!({})), 0, Gas::from_tgas(30)).await.unwrap_err();
    assert!(matches!(&err, ClientError::Key(m) if m.contains(SIGNER)), "{err:?}");
    assert_eq!(mock.methods(), ["query"]);
}

// ---------------------------------------------------------------------------
// (d) transport failures

#[tokio::test]
async fn view_and_call__should_be_retryable_transport_errors_when_the_server_is_down() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = RpcClient::new(config(format!("http://{addr}")), credentials()).unwrap();
    assert_transport(&client.view_raw("state", json!({})).await.unwrap_err(), "cannot connect");
    assert_transport(
        &client.call_raw("vote_pk", Encoded::Json(json!({})), 0, Gas::from_tgas(30)).await.unwrap_err(),
        "cannot connect",
    );
}

#[tokio::test]
async fn view__should_be_a_transport_error_when_the_answer_is_garbage() {
    for (status, body, fragment) in [
        (200, "<html>bad gateway</html>", "not JSON"),
        (502, "upstream unavailable", "HTTP 502"),
        (200, "[1, 2, 3]", "not a JSON-RPC object"),
        (200, r#"{"jsonrpc": "2.0"}"#, "with a result or an error"),
        (200, r#"{"jsonrpc": "2.0", "id": "dontcare", "result": {}}"#, "does not parse"),
    ] {
        let mock = mock(move |_| Answer::Raw(status, body.to_owned())).await;
        let err = client(&mock).view_raw("state", json!({})).await.unwrap_err();
        assert_transport(&err, fragment);
    }
    let mock = mock(|_| Answer::Result(json!({"result": "not bytes"}))).await;
    assert_transport(&client(&mock).view_raw("state", json!({})).await.unwrap_err(), "does not parse");
}

#[tokio::test]
async fn call__should_be_a_transport_error_when_send_tx_answers_garbage_and_the_lookup_fails() {
    let mock = mock(chain(|_| Answer::Raw(200, "garbage".into()))).await;
    let err = client(&mock).call_raw("vote_pk", Encoded::Json(json!({})), 0, Gas::from_tgas(30)).await.unwrap_err();
    assert_transport(&err, "may still execute");
    assert_eq!(mock.methods(), ["query", "send_tx", "tx", "tx"]);
}

#[tokio::test]
async fn view__should_time_out_as_a_transport_error_when_the_server_never_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(socket);
    });
    let config = RpcConfig { request_timeout: Duration::from_millis(200), ..config(format!("http://{addr}")) };
    let client = RpcClient::new(config, credentials()).unwrap();
    let started = std::time::Instant::now();
    assert_transport(&client.view_raw("state", json!({})).await.unwrap_err(), "no answer within");
    assert!(started.elapsed() < Duration::from_secs(2));
    held.abort();
}

#[tokio::test]
async fn new__should_refuse_an_unusable_endpoint() {
    for url in ["ftp://rpc.example", "rpc.example:3030", "http://user:pw@rpc.example"] {
        let err = RpcClient::new(config(url.to_owned()), credentials()).unwrap_err();
        assert!(matches!(err, ClientError::Rpc { .. }), "{url}: {err:?}");
    }
}

#[tokio::test]
async fn errors__should_not_name_the_endpoint_path_where_providers_put_api_keys() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = RpcClient::new(config(format!("http://{addr}/v1/secret-api-key")), credentials()).unwrap();
    let err = client.view_raw("state", json!({})).await.unwrap_err();
    assert!(!err.to_string().contains("secret-api-key"), "{err}");
    assert_eq!(client.endpoint(), format!("http://{addr}"));
}

// ---------------------------------------------------------------------------
// https

/// A one-shot HTTPS JSON-RPC server that answers every request with `result`.
async fn tls_server(result: Value) -> (SocketAddr, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_der = certified.cert.der().to_vec();
    let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone().into()], key_der)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for _ in 0..2 {
            let (tcp, _) = listener.accept().await.unwrap();
            let Ok(mut tls) = acceptor.accept(tcp).await else { continue };
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            let body = loop {
                let n = tls.read(&mut chunk).await.unwrap();
                buffer.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buffer).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap();
                    if body.len() >= len {
                        break body.to_owned();
                    }
                }
            };
            let request: Value = serde_json::from_str(&body).unwrap();
            let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": result}).to_string();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
            tls.write_all(response.as_bytes()).await.unwrap();
            tls.shutdown().await.ok();
        }
    });
    (addr, cert_der)
}

#[tokio::test]
async fn https__should_verify_the_server_against_the_configured_roots() {
    let bytes: Vec<Value> = b"\"v1\"".iter().map(|b| Value::from(*b)).collect();
    let (addr, cert) =
        tls_server(json!({"result": bytes, "logs": [], "block_height": 1, "block_hash": hash58(1)})).await;
    let url = format!("https://localhost:{}", addr.port());

    let trusted =
        RpcClient::new(RpcConfig { tls_roots: TlsRoots::Only(vec![cert]), ..config(url.clone()) }, credentials())
            .unwrap();
    assert_eq!(trusted.view_raw("version", json!({})).await.unwrap(), b"\"v1\"");

    // The public roots do not know a self-signed certificate.
    let public = RpcClient::new(config(url), credentials()).unwrap();
    assert_transport(&public.view_raw("version", json!({})).await.unwrap_err(), "invalid peer certificate");
}

// ---------------------------------------------------------------------------
// (e) credentials files

#[cfg(unix)]
fn write_file(dir: &std::path::Path, name: &str, text: &str, mode: u32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn credentials_json(secret: &SigningKey, declared: &SigningKey) -> String {
    json!({
        "account_id": SIGNER,
        "public_key": format!("ed25519:{}", bs58::encode(declared.verifying_key().to_bytes()).into_string()),
        "private_key": format!("ed25519:{}", bs58::encode(secret.to_keypair_bytes()).into_string()),
    })
    .to_string()
}

#[cfg(unix)]
#[test]
fn credentials_file__should_refuse_a_file_readable_by_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "open.json", &credentials_json(&signing_key(), &signing_key()), 0o644);
    let err = Credentials::from_near_cli_file(&path).unwrap_err();
    assert!(matches!(err, CredentialsError::TooOpen { mode: 0o644, .. }), "{err:?}");
    assert!(err.to_string().contains("chmod 600"), "{err}");
    let group = write_file(dir.path(), "group.json", &credentials_json(&signing_key(), &signing_key()), 0o640);
    assert!(matches!(Credentials::from_near_cli_file(group), Err(CredentialsError::TooOpen { .. })));
}

#[cfg(unix)]
#[test]
fn credentials_file__should_refuse_a_public_key_that_is_not_the_private_keys() {
    let dir = tempfile::tempdir().unwrap();
    let other = SigningKey::from_bytes(&[8; 32]);
    let path = write_file(dir.path(), "mismatch.json", &credentials_json(&signing_key(), &other), 0o600);
    let err = Credentials::from_near_cli_file(&path).unwrap_err();
    assert!(matches!(err, CredentialsError::KeyMismatch { .. }), "{err:?}");
    let as_client: ClientError = err.into();
    assert!(matches!(as_client, ClientError::Key(_)));
}

#[cfg(unix)]
#[test]
fn credentials_file__should_load_a_private_file_and_sign_as_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "good.json", &credentials_json(&signing_key(), &signing_key()), 0o600);
    let creds = Credentials::from_near_cli_file(&path).unwrap();
    assert_eq!(creds.account_id().as_str(), SIGNER);
    assert_eq!(
        creds.public_key(),
        &AccessPublicKey::Ed25519(Ed25519PublicKey(signing_key().verifying_key().to_bytes()))
    );
    let secret = bs58::encode(signing_key().to_keypair_bytes()).into_string();
    assert!(!format!("{creds:?}").contains(&secret));
    let client = RpcClient::new(config("http://127.0.0.1:1".into()), creds).unwrap();
    assert_eq!(client.signer().account_id.as_str(), SIGNER);
    assert!(!format!("{client:?}").contains(&secret));
}

#[test]
fn credentials_file__should_say_which_file_is_missing() {
    let err = Credentials::from_near_cli_file("/nonexistent/dir/key.json").unwrap_err();
    assert!(err.to_string().contains("/nonexistent/dir/key.json"), "{err}");
}
