//! Receipts: a transaction's own receipt, the promises its contract call creates, and their
//! callbacks, which get the real result of what they wait for.

use std::collections::HashMap;

use near_vm_runner::logic::mocks::mock_external::MockAction;

use crate::access::AccessKey;
use crate::call::{Call, PromiseResult};
use crate::chain::{Account, LocalChain};
use crate::errors::ActionError;
use crate::harness::Harness;
use crate::keys::SignerPk;
use crate::outcome::{CreatedReceipt, ExecutionOutcome, ReceiptOutcome, TransactionOutcome};
use crate::transaction::Action;

/// A receipt waiting to run.
#[derive(Clone, Debug)]
pub(crate) struct ReceiptToRun {
    pub(crate) predecessor_id: String,
    pub(crate) receiver_id: String,
    pub(crate) signer_id: String,
    pub(crate) signer_pk: SignerPk,
    pub(crate) actions: Vec<Action>,
    /// For a callback: the results of the receipts it waited for.
    pub(crate) promise_results: Vec<PromiseResult>,
}

/// A receipt's result as a callback sees it, with the reason when it failed.
struct Resolved {
    result: PromiseResult,
    error: Option<String>,
}

impl LocalChain {
    pub(crate) fn run_transaction(&mut self, receipt: ReceiptToRun) -> TransactionOutcome {
        let mut receipts = Vec::new();
        let resolved = self.run_receipt(receipt, &mut receipts);
        let status = match resolved.result {
            PromiseResult::Successful(value) => Ok(value),
            PromiseResult::Failed => Err(resolved.error.unwrap_or_else(|| "the promise failed".to_owned())),
        };
        TransactionOutcome { receipts, status }
    }

    /// Runs `receipt` and everything it creates, depth first; returns its final result.
    fn run_receipt(&mut self, receipt: ReceiptToRun, out: &mut Vec<ReceiptOutcome>) -> Resolved {
        let (calls, error) = self.apply_actions(&receipt);
        let record = ReceiptOutcome {
            predecessor_id: receipt.predecessor_id.clone(),
            receiver_id: receipt.receiver_id.clone(),
            actions: receipt.actions.clone(),
            promise_results: receipt.promise_results.clone(),
            calls: calls.clone(),
            error: error.clone(),
        };
        out.push(record);
        if let Some(error) = error {
            return Resolved { result: PromiseResult::Failed, error: Some(error.to_string()) };
        }
        let mut results: HashMap<u64, Resolved> = HashMap::new();
        for (call, gas) in calls.iter().zip(prepaid_gas(&receipt.actions)) {
            let shares = weighted_gas(call, gas);
            for created in &call.receipts {
                let next = self.created_receipt(&receipt, created, &shares, &results);
                let resolved = self.run_receipt(next, out);
                results.insert(created.index, resolved);
            }
        }
        let last = calls.last();
        match last.and_then(|c| c.returned_receipt) {
            Some(index) if last.and_then(|c| c.returned_yield).is_none() => {
                results.remove(&index).expect("a returned promise is one the call created")
            }
            _ => Resolved {
                result: PromiseResult::Successful(last.and_then(|c| c.result.clone().ok()).unwrap_or_default()),
                error: None,
            },
        }
    }

    /// A promise `parent`'s contract created, with its callback inputs resolved.
    fn created_receipt(
        &self,
        parent: &ReceiptToRun,
        created: &CreatedReceipt,
        gas_shares: &HashMap<(u64, usize), u64>,
        results: &HashMap<u64, Resolved>,
    ) -> ReceiptToRun {
        let promise_results = created
            .depends_on
            .iter()
            .map(|i| {
                results
                    .get(i)
                    .unwrap_or_else(|| panic!("local-chain does not model receipts waiting on a yield ({i})"))
                    .result
                    .clone()
            })
            .collect();
        let actions = created
            .actions
            .iter()
            .enumerate()
            .map(|(n, action)| match action {
                MockAction::FunctionCallWeight { method_name, args, attached_deposit, prepaid_gas, .. } => {
                    Action::FunctionCall {
                        method: String::from_utf8_lossy(method_name).into_owned(),
                        args: args.clone(),
                        gas: prepaid_gas.as_gas() + gas_shares.get(&(created.index, n)).copied().unwrap_or(0),
                        deposit: attached_deposit.as_yoctonear(),
                    }
                }
                MockAction::Transfer { deposit, .. } => Action::Transfer { deposit: deposit.as_yoctonear() },
                other => Action::Unsupported(mock_action_name(other)),
            })
            .collect();
        ReceiptToRun {
            predecessor_id: parent.receiver_id.clone(),
            receiver_id: created.receiver_id.clone(),
            signer_id: parent.signer_id.clone(),
            signer_pk: parent.signer_pk.clone(),
            actions,
            promise_results,
        }
    }

    /// Applies the receipt's actions in order on its receiver; on the first failure undoes
    /// them all and refunds its deposits to the predecessor.
    fn apply_actions(&mut self, receipt: &ReceiptToRun) -> (Vec<ExecutionOutcome>, Option<ActionError>) {
        let (height, timestamp) = self.clock();
        let block = Block { height, timestamp, new_key_nonce: self.new_key_nonce() };
        let Some(account) = self.accounts.get(&receipt.receiver_id) else {
            self.refund(receipt);
            return (Vec::new(), Some(ActionError::AccountDoesNotExist(receipt.receiver_id.clone())));
        };
        // A single action changes nothing when it fails (a contract call rolls itself back), so
        // only a batch needs a copy of the account to undo the actions before the failing one.
        let snapshot = (receipt.actions.len() > 1).then(|| account.clone());
        let mut calls = Vec::new();
        let mut error = None;
        let mut deployed = false;
        for action in &receipt.actions {
            let account = self.accounts.get_mut(&receipt.receiver_id).expect("checked above");
            if let Err(e) = apply_action(account, receipt, action, &block, &mut calls, &mut deployed) {
                error = Some(e);
                break;
            }
        }
        if deployed && error.is_none() {
            self.contracts.insert(receipt.receiver_id.clone());
        }
        if error.is_some() {
            if let Some(snapshot) = snapshot {
                self.accounts.insert(receipt.receiver_id.clone(), snapshot);
            }
            self.refund(receipt);
        }
        (calls, error)
    }

    fn refund(&mut self, receipt: &ReceiptToRun) {
        let deposits: u128 = receipt.actions.iter().map(Action::deposit).sum();
        if let Some(predecessor) = self.accounts.get_mut(&receipt.predecessor_id) {
            predecessor.credit(deposits);
        }
    }
}

/// The block a receipt runs in.
struct Block {
    height: u64,
    timestamp: u64,
    new_key_nonce: u64,
}

fn apply_action(
    account: &mut Account,
    receipt: &ReceiptToRun,
    action: &Action,
    block: &Block,
    calls: &mut Vec<ExecutionOutcome>,
    deployed: &mut bool,
) -> Result<(), ActionError> {
    let own = |action: &'static str| {
        if receipt.predecessor_id == receipt.receiver_id {
            Ok(())
        } else {
            Err(ActionError::ActorNoPermission {
                actor: receipt.predecessor_id.clone(),
                account: receipt.receiver_id.clone(),
                action,
            })
        }
    };
    match action {
        Action::DeployContract { code } => {
            own("deploy a contract")?;
            match &mut account.contract {
                Some(h) => h.replace_code(code.clone()),
                None => {
                    let mut h = Harness::new(code.clone(), &receipt.receiver_id).with_balance(account.balance);
                    h.block_height = block.height;
                    h.block_timestamp = block.timestamp;
                    account.contract = Some(h);
                    *deployed = true;
                }
            }
        }
        Action::FunctionCall { method, args, gas, deposit } => {
            let Some(contract) = &mut account.contract else {
                return Err(ActionError::NoContract { account: receipt.receiver_id.clone(), method: method.clone() });
            };
            let outcome = contract.call(
                Call::new(method)
                    .args_raw(args.clone())
                    .by(&receipt.predecessor_id)
                    .signer(&receipt.signer_id)
                    .signer_pk(&receipt.signer_pk)
                    .deposit(*deposit)
                    .gas(*gas)
                    .promise_results(receipt.promise_results.clone()),
            );
            let failed = outcome.result.clone().err();
            calls.push(outcome);
            if let Some(message) = failed {
                return Err(ActionError::FunctionCall(message));
            }
        }
        Action::Transfer { deposit } => account.credit(*deposit),
        Action::AddKey { public_key, access_key } => {
            own("add a key")?;
            if account.keys.contains_key(public_key) {
                return Err(ActionError::AddKeyAlreadyExists {
                    account: receipt.receiver_id.clone(),
                    public_key: public_key.to_string(),
                });
            }
            let key = AccessKey { nonce: block.new_key_nonce, permission: access_key.permission.clone() };
            account.keys.insert(public_key.clone(), key);
        }
        Action::DeleteKey { public_key } => {
            own("delete a key")?;
            if account.keys.remove(public_key).is_none() {
                return Err(ActionError::DeleteKeyDoesNotExist {
                    account: receipt.receiver_id.clone(),
                    public_key: public_key.to_string(),
                });
            }
        }
        Action::Unsupported(kind) => return Err(ActionError::Unsupported(kind.clone())),
    }
    Ok(())
}

/// The prepaid gas of each function-call action, in order.
fn prepaid_gas(actions: &[Action]) -> Vec<u64> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::FunctionCall { gas, .. } => Some(*gas),
            _ => None,
        })
        .collect()
}

/// The call's unused gas shared out to its weighted function calls, as NEAR does: by weight,
/// the remainder to the last. Keyed by (receipt index, action position).
fn weighted_gas(call: &ExecutionOutcome, prepaid: u64) -> HashMap<(u64, usize), u64> {
    let weights: Vec<((u64, usize), u64)> = call
        .receipts
        .iter()
        .flat_map(|r| {
            r.actions.iter().enumerate().filter_map(move |(n, a)| match a {
                MockAction::FunctionCallWeight { gas_weight, .. } if gas_weight.0 > 0 => {
                    Some(((r.index, n), gas_weight.0))
                }
                _ => None,
            })
        })
        .collect();
    let total: u64 = weights.iter().map(|(_, w)| w).sum();
    let leftover = prepaid.saturating_sub(call.gas_used);
    let mut shares = HashMap::new();
    let mut given = 0;
    for (i, (key, weight)) in weights.iter().enumerate() {
        let share = if i + 1 == weights.len() {
            leftover - given
        } else {
            (u128::from(leftover) * u128::from(*weight) / u128::from(total)) as u64
        };
        given += share;
        shares.insert(*key, share);
    }
    shares
}

fn mock_action_name(action: &MockAction) -> String {
    serde_json::to_value(action)
        .ok()
        .and_then(|v| v.as_object().and_then(|o| o.keys().next().cloned()))
        .unwrap_or_else(|| "an unknown".to_owned())
}
