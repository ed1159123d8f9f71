//! Yielded promises (`promise_yield_create` / `promise_yield_resume`) and their callbacks.

use crate::call::{Call, PromiseResult};
use crate::config::runtime_config;
use crate::harness::Harness;
use crate::outcome::{ExecutionOutcome, YieldInfo};

impl Harness {
    /// How many blocks a yield waits for its resume before its callback runs with a timeout.
    pub fn yield_timeout(&self) -> u64 {
        runtime_config().wasm_config.limit_config.yield_timeout_length_in_blocks
    }

    /// Yields whose callback has not run yet, in creation order.
    pub fn pending_yields(&self) -> Vec<YieldInfo> {
        self.yields.values().map(|y| y.info.clone()).collect()
    }

    /// Whether the contract resumed the yield with this data id (its callback has not run yet).
    pub fn yield_resumed(&self, data_id: [u8; 32]) -> bool {
        self.yields.values().any(|y| y.info.data_id == data_id && y.resumed_with.is_some())
    }

    /// Runs a yield's callback as the runtime would: as a call by the contract itself with one
    /// promise result, the resume payload if the contract resumed it, or a failure if it timed
    /// out (its timeout has passed: see [`Harness::advance_blocks`]). Panics if it is neither
    /// resumed nor timed out yet, or unknown.
    pub fn run_yield_callback(&mut self, data_id: [u8; 32]) -> ExecutionOutcome {
        let (seq, y) = self
            .yields
            .iter()
            .find(|(_, y)| y.info.data_id == data_id)
            .map(|(s, y)| (*s, y.clone()))
            .unwrap_or_else(|| panic!("no pending yield with data id {}", hex::encode(data_id)));
        let result = match &y.resumed_with {
            Some(data) => PromiseResult::Successful(data.clone()),
            None if self.block_height >= y.info.created_at_height + self.yield_timeout() => PromiseResult::Failed,
            None => panic!(
                "yield {} is neither resumed nor timed out (created at height {}, now {}, \
                 timeout {} blocks)",
                hex::encode(data_id),
                y.info.created_at_height,
                self.block_height,
                self.yield_timeout()
            ),
        };
        self.yields.remove(&seq);
        let gas =
            if y.info.callback_gas_weight > 0 { y.info.callback_gas + y.leftover_gas } else { y.info.callback_gas };
        let account = self.account.to_string();
        self.call(
            Call::new(&y.info.callback_method)
                .args_raw(y.info.callback_args.clone())
                .by(&account)
                .signer(&y.signer)
                .signer_pk(&y.signer_pk)
                .gas(gas)
                .promise_results(vec![result]),
        )
    }

    /// Runs the callbacks of every yield that was resumed or has timed out, in creation order.
    pub fn run_ready_yield_callbacks(&mut self) -> Vec<(YieldInfo, ExecutionOutcome)> {
        let timeout = self.yield_timeout();
        let ready: Vec<YieldInfo> = self
            .yields
            .values()
            .filter(|y| y.resumed_with.is_some() || self.block_height >= y.info.created_at_height + timeout)
            .map(|y| y.info.clone())
            .collect();
        ready
            .into_iter()
            .map(|info| {
                let outcome = self.run_yield_callback(info.data_id);
                (info, outcome)
            })
            .collect()
    }
}
