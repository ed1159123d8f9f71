//! One method run under near-vm-runner, and what the VM reports turned into an
//! [`ExecutionOutcome`].

use std::collections::HashMap;
use std::sync::Arc;

use near_parameters::RuntimeFeesConfig;
use near_primitives_core::hash::CryptoHash;
use near_primitives_core::types::AccountId;
use near_vm_runner::logic::errors::{FunctionCallError, HostError, MethodResolveError};
use near_vm_runner::logic::mocks::mock_external::{MockAction, MockedExternal};
use near_vm_runner::logic::{ReturnData, VMContext, VMOutcome};
use near_vm_runner::{Contract, ContractCode};

use crate::config::{compiled_cache, runtime_config};
use crate::outcome::{CreatedReceipt, ExecutionOutcome, Failure, YieldInfo};

/// The contract code the VM asks for (by hash first; the bytes only on a cache miss).
pub(crate) struct Code(Arc<ContractCode>);

impl Contract for Code {
    fn hash(&self) -> CryptoHash {
        *self.0.hash()
    }
    fn get_code(&self) -> Option<Arc<ContractCode>> {
        Some(Arc::clone(&self.0))
    }
}

pub(crate) fn failure_from_vm(err: &FunctionCallError, method: &str) -> Failure {
    match err {
        FunctionCallError::HostError(HostError::GuestPanic { panic_msg }) => Failure::Panic(panic_msg.clone()),
        FunctionCallError::HostError(HostError::GasExceeded) => Failure::GasExceeded,
        FunctionCallError::HostError(HostError::GasLimitExceeded) => Failure::GasLimitExceeded,
        FunctionCallError::HostError(HostError::ProhibitedInView { method_name }) => {
            Failure::ProhibitedInView(method_name.clone())
        }
        FunctionCallError::MethodResolveError(kind) => Failure::MethodNotFound(match kind {
            MethodResolveError::MethodInvalidSignature => {
                format!("the contract exports `{method}` but not as a `() -> ()` function")
            }
            MethodResolveError::MethodEmptyName => "empty method name".to_string(),
            MethodResolveError::MethodNotFound => {
                format!("the contract has no exported method `{method}`")
            }
        }),
        FunctionCallError::WasmTrap(trap) => Failure::WasmTrap(trap.to_string()),
        FunctionCallError::CompilationError(e) => Failure::Other(format!("CompilationError: {e}")),
        FunctionCallError::LinkError { msg } => Failure::Other(format!("LinkError: {msg}")),
        FunctionCallError::LoadingError { msg } => Failure::Other(format!("LoadingError: {msg}")),
        FunctionCallError::HostError(e) => {
            let kind: &'static str = e.into();
            Failure::Other(format!("HostError({kind}): {e}"))
        }
    }
}

pub(crate) fn parse_account(account: &str) -> AccountId {
    account.parse().unwrap_or_else(|e| panic!("invalid NEAR account id {account:?}: {e}"))
}

fn fees() -> Arc<RuntimeFeesConfig> {
    Arc::clone(&runtime_config().fees)
}

/// Runs one method under the VM. A `VMRunnerError` means the VM itself (not the contract)
/// failed, e.g. a corrupt cache; that is a harness problem, so it panics.
pub(crate) fn execute(
    code: &Arc<ContractCode>,
    ext: &mut MockedExternal,
    context: &VMContext,
    method: &str,
) -> VMOutcome {
    let config = Arc::clone(&runtime_config().wasm_config);
    let gas_counter = context.make_gas_counter(&config);
    let contract = Code(Arc::clone(code));
    let prepared = near_vm_runner::prepare(&contract, config, Some(compiled_cache()), gas_counter, method);
    near_vm_runner::run(prepared, ext, context, fees())
        .unwrap_or_else(|e| panic!("near-vm-runner failed (not a contract failure): {e:?}"))
}

fn receipt_index_of(action: &MockAction) -> Option<u64> {
    // Every variant but the receipt-creating ones carries a `receipt_index`; reading it through
    // serde keeps this independent of the variant list.
    let value = serde_json::to_value(action).ok()?;
    let (_, fields) = value.as_object()?.iter().next()?;
    fields.get("receipt_index")?.as_u64()
}

/// `actions` is the call's slice of the mock's action log, starting at absolute index `base`.
pub(crate) fn outcome_from_vm(vm: &VMOutcome, method: &str, actions: Vec<MockAction>, base: u64) -> ExecutionOutcome {
    let failure = vm.aborted.as_ref().map(|e| failure_from_vm(e, method));
    let result = match &failure {
        Some(f) => Err(f.message()),
        None => Ok(match &vm.return_data {
            ReturnData::Value(v) => v.clone(),
            ReturnData::ReceiptIndex(_) | ReturnData::None => Vec::new(),
        }),
    };
    let returned_receipt = match (&failure, &vm.return_data) {
        (None, ReturnData::ReceiptIndex(i)) => Some(*i),
        _ => None,
    };

    let mut by_receipt: HashMap<u64, Vec<MockAction>> = HashMap::new();
    for action in &actions {
        if let Some(i) = receipt_index_of(action) {
            by_receipt.entry(i).or_default().push(action.clone());
        }
    }
    let mut receipts = Vec::new();
    let mut yields = Vec::new();
    let mut resumed = Vec::new();
    let mut returned_yield = None;
    for (offset, action) in actions.iter().enumerate() {
        let index = base + offset as u64;
        match action {
            MockAction::CreateReceipt { receipt_indices, receiver_id } => receipts.push(CreatedReceipt {
                receiver_id: receiver_id.to_string(),
                actions: by_receipt.remove(&index).unwrap_or_default(),
                depends_on: receipt_indices.clone(),
                index,
            }),
            MockAction::YieldCreate { data_id, .. } => {
                let callback = by_receipt.remove(&index).unwrap_or_default();
                let (callback_method, callback_args, callback_gas, callback_gas_weight) = callback
                    .iter()
                    .find_map(|a| match a {
                        MockAction::FunctionCallWeight { method_name, args, prepaid_gas, gas_weight, .. } => Some((
                            String::from_utf8_lossy(method_name).into_owned(),
                            args.clone(),
                            prepaid_gas.as_gas(),
                            gas_weight.0,
                        )),
                        _ => None,
                    })
                    .unwrap_or_default();
                if returned_receipt == Some(index) {
                    returned_yield = Some(data_id.0);
                }
                yields.push(YieldInfo {
                    data_id: data_id.0,
                    callback_method,
                    callback_args,
                    callback_gas,
                    callback_gas_weight,
                    created_at_height: 0,
                });
            }
            MockAction::YieldResume { data_id, .. } => resumed.push(data_id.0),
            _ => {}
        }
    }

    ExecutionOutcome {
        result,
        failure,
        logs: vm.logs.clone(),
        gas_burnt: vm.burnt_gas.as_gas(),
        gas_used: vm.used_gas.as_gas(),
        receipts,
        yields,
        resumed,
        actions,
        returned_receipt,
        returned_yield,
        storage_usage: 0,
    }
}
