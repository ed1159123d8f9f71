use super::guards::{
    ephemeral_key_publisher, node_caller, operator_caller, page, participant, participant_or_candidate, StorageMeter,
};
use crate::errors::Error;
use crate::state::{backup, ProtocolState};
use crate::{MpcContract, MpcContractExt};
use mpc_interface::keys::X25519PublicKey;
use mpc_interface::methods::{PUBLISH_BACKUP_EPHEMERAL_KEY, REGISTER_BACKUP_SERVICE};
use mpc_interface::recovery::{BackupServiceInfo, EphemeralKeys, Session};
use near_sdk::{near, AccountId};

#[near]
impl MpcContract {
    /// The operator (1 yoctoNEAR, full-access key) registers its backup
    /// service; a candidate's registration is paid from its storage balance.
    #[payable]
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn register_backup_service(&mut self, info: BackupServiceInfo) -> Result<(), Error> {
        let caller = operator_caller(REGISTER_BACKUP_SERVICE)?;
        if let ProtocolState::NotInitialized = self.protocol {
            return Err(self.protocol.wrong(REGISTER_BACKUP_SERVICE, "an initialized contract"));
        }
        participant_or_candidate(&self.registry, &caller.account_id)?;
        let meter = StorageMeter::start();
        let step = backup::register(&mut self.services, &caller, info)?;
        self.charge_storage(&caller.account_id, &meter, None)?;
        self.apply(step);
        Ok(())
    }

    /// A node or backup service publishes its X25519 key for one session.
    #[payable]
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn publish_backup_ephemeral_key(&mut self, session: Session, public_key: X25519PublicKey) -> Result<(), Error> {
        let caller = node_caller(PUBLISH_BACKUP_EPHEMERAL_KEY)?;
        participant(&self.registry, &caller.account_id)?;
        let recovery = backup::session_scope(&self.protocol, &caller.account_id, &session)?;
        let by_backup_service = ephemeral_key_publisher(&self.registry, &self.services, &caller, recovery)?;
        let step = backup::publish(&mut self.services, &caller.account_id, session, public_key, by_backup_service)?;
        self.apply(step);
        Ok(())
    }

    #[deny_unknown_arguments]
    pub fn backup_service(&self, account_id: AccountId) -> Option<BackupServiceInfo> {
        self.services.backup_services.get(&account_id)
    }

    /// Registered backup services in registration order, `limit` (at most
    /// `MAX_PAGE_LIMIT`, the default) from `from_index` (default 0).
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn backup_services(
        &self,
        from_index: Option<u32>,
        limit: Option<u32>,
    ) -> Result<Vec<(AccountId, BackupServiceInfo)>, Error> {
        page(&self.services.backup_services, from_index, limit)
    }

    /// The keys `account_id`'s node and backup service published for their sessions.
    #[deny_unknown_arguments]
    pub fn ephemeral_keys(&self, account_id: AccountId) -> EphemeralKeys {
        self.services.ephemeral_keys.get(&account_id).unwrap_or_default()
    }
}
