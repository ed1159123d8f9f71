//! NEP-145 storage balances: what each non-participant deposited and how many
//! bytes the contract keeps for it. Byte counts are measured by the entry
//! points (`env::storage_usage()` before and after); this module keeps the
//! books and takes the price per byte as an argument.

use crate::errors::StorageDepositError;
use crate::storage_keys::StorageKey;
use mpc_interface::primitives::EpochId;
use near_sdk::{env, near, AccountId};

/// One account's storage balance.
#[near(serializers = [borsh])]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageAccount {
    /// yoctoNEAR deposited and not withdrawn.
    pub deposit: u128,
    /// Bytes of this record itself, measured when it was created.
    pub record_bytes: u64,
    /// Bytes of the account's candidacy and backup-service records.
    pub bytes: u64,
    /// The epoch the account's candidacy was submitted in (when `candidate`);
    /// a resharing that completes after it without the account leaves the
    /// candidacy stale. Not an `Option`: the record keeps one size, so
    /// rewriting it never changes the bytes it was measured at.
    pub candidacy_epoch: EpochId,
    pub candidate: bool,
}

impl StorageAccount {
    /// Bytes the deposit must still cover: its own record, plus the
    /// candidacy's records while they are `live` (a stale candidacy, or one
    /// that became a seat, is released).
    pub fn held_bytes(&self, live: bool) -> u64 {
        self.record_bytes + if live { self.bytes } else { 0 }
    }

    pub fn available(&self, live: bool, price: u128) -> u128 {
        self.deposit.saturating_sub(u128::from(self.held_bytes(live)) * price)
    }
}

/// Records under `prefix ++ borsh(account_id)`, read and written at once
/// (no cache to flush, and no second cached-map type in the wasm).
#[near(serializers = [borsh])]
pub struct StorageLedger {
    prefix: Vec<u8>,
}

impl StorageLedger {
    pub fn new() -> Self {
        Self { prefix: borsh::to_vec(&StorageKey::StorageAccounts).expect("borsh of a prefix") }
    }

    fn key(&self, account_id: &AccountId) -> Vec<u8> {
        let mut key = self.prefix.clone();
        key.extend_from_slice(&borsh::to_vec(account_id).expect("borsh of an account id"));
        key
    }

    pub fn get(&self, account_id: &AccountId) -> Option<StorageAccount> {
        env::storage_read(&self.key(account_id)).and_then(|bytes| borsh::from_slice(&bytes).ok())
    }

    pub fn set(&mut self, account_id: &AccountId, account: StorageAccount) {
        env::storage_write(&self.key(account_id), &borsh::to_vec(&account).expect("borsh of a record"));
    }

    pub fn remove(&mut self, account_id: &AccountId) {
        env::storage_remove(&self.key(account_id));
    }

    /// Books `bytes` more (or fewer, if negative) for `account_id`'s records,
    /// refusing when its deposit does not cover them. `candidacy` stamps the
    /// epoch of a (re)submitted candidacy.
    pub fn charge(
        &mut self,
        account_id: &AccountId,
        bytes: i64,
        price: u128,
        candidacy: Option<EpochId>,
        registration_bytes: u64,
    ) -> Result<(), StorageDepositError> {
        let Some(mut account) = self.get(account_id) else {
            if bytes <= 0 {
                return Ok(());
            }
            let needed = u128::from(bytes as u64 + registration_bytes) * price;
            return Err(StorageDepositError::NotRegistered { account_id: account_id.clone(), bytes, needed });
        };
        account.bytes = account.bytes.saturating_add_signed(bytes);
        if let Some(epoch) = candidacy {
            account.candidacy_epoch = epoch;
            account.candidate = true;
        }
        let held = u128::from(account.held_bytes(true)) * price;
        if held > account.deposit {
            return Err(StorageDepositError::Insufficient {
                account_id: account_id.clone(),
                bytes,
                needed: held - account.deposit,
            });
        }
        self.set(account_id, account);
        Ok(())
    }

    /// The account's records are gone or no longer its to pay for.
    pub fn release(&mut self, account_id: &AccountId) {
        if let Some(mut account) = self.get(account_id) {
            if account.bytes != 0 || account.candidate {
                account.bytes = 0;
                account.candidate = false;
                self.set(account_id, account);
            }
        }
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    const PRICE: u128 = 10_000_000_000_000_000_000;

    fn alice() -> AccountId {
        "alice.near".parse().unwrap()
    }

    fn ledger_with(deposit: u128) -> StorageLedger {
        let mut ledger = StorageLedger::new();
        ledger.set(&alice(), StorageAccount { deposit, record_bytes: 100, ..Default::default() });
        ledger
    }

    #[test]
    fn charge__should_refuse_an_unregistered_account_and_name_the_deposit() {
        let mut ledger = StorageLedger::new();
        let err = ledger.charge(&alice(), 50, PRICE, None, 100).unwrap_err();
        assert!(matches!(err, StorageDepositError::NotRegistered { needed, .. } if needed == 150 * PRICE));
        assert_eq!(ledger.charge(&alice(), 0, PRICE, None, 100).ok(), Some(()), "storing nothing is free");
    }

    #[test]
    fn charge__should_refuse_bytes_the_deposit_does_not_cover_and_keep_the_books() {
        let mut ledger = ledger_with(200 * PRICE);
        ledger.charge(&alice(), 60, PRICE, Some(EpochId(3)), 0).unwrap();
        let err = ledger.charge(&alice(), 41, PRICE, None, 0).unwrap_err();
        assert!(matches!(err, StorageDepositError::Insufficient { needed, .. } if needed == PRICE));
        let account = ledger.get(&alice()).unwrap();
        assert_eq!((account.bytes, account.candidacy_epoch, account.candidate), (60, EpochId(3), true));
        assert_eq!(account.available(true, PRICE), 40 * PRICE);
        assert_eq!(account.available(false, PRICE), 100 * PRICE);
        ledger.charge(&alice(), -60, PRICE, None, 0).unwrap();
        assert_eq!(ledger.get(&alice()).unwrap().bytes, 0);
    }

    #[test]
    fn release__should_free_every_byte_but_the_record() {
        let mut ledger = ledger_with(200 * PRICE);
        ledger.charge(&alice(), 80, PRICE, Some(EpochId(0)), 0).unwrap();
        ledger.release(&alice());
        let account = ledger.get(&alice()).unwrap();
        assert_eq!((account.bytes, account.candidate), (0, false));
        assert_eq!(account.available(true, PRICE), 100 * PRICE);
    }
}
