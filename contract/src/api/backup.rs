use super::guards::{
    block_seconds, ephemeral_key_publisher, node_caller, operator_caller, page, participant, participant_or_candidate,
    StorageMeter,
};
use super::launch::{AttestationArg, Forward};
use crate::errors::Error;
use crate::state::{backup, launch, ProtocolState};
use crate::{MpcContract, MpcContractExt};
use mpc_interface::keys::X25519PublicKey;
use mpc_interface::launch::PendingAttestation;
use mpc_interface::methods::{PUBLISH_BACKUP_EPHEMERAL_KEY, REGISTER_BACKUP_SERVICE};
use mpc_interface::recovery::{BackupServiceInfo, EphemeralKeys, Session};
use near_sdk::{near, AccountId};

#[near]
impl MpcContract {
    /// The operator (1 yoctoNEAR, full-access key) registers its backup
    /// service; a candidate's registration is paid from its storage balance.
    /// In Hard mode it carries the service's `attestation`, and a TDX one is
    /// registered only once the verifier and the callback accepted it (the
    /// call's result is the callback's). In Soft mode an attestation is optional.
    #[payable]
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn register_backup_service(
        &mut self,
        info: BackupServiceInfo,
        attestation: Option<AttestationArg>,
    ) -> Result<Forward, Error> {
        let caller = operator_caller(REGISTER_BACKUP_SERVICE)?;
        if let ProtocolState::NotInitialized = self.protocol {
            return Err(self.protocol.wrong(REGISTER_BACKUP_SERVICE, "an initialized contract"));
        }
        let account_id = caller.account_id;
        participant_or_candidate(&self.registry, &account_id)?;
        if let Some(attestation) = attestation {
            return self.attest(PendingAttestation { account_id, service: info, registers: true }, attestation);
        }
        let meter = StorageMeter::start();
        let step = launch::register(&mut self.launch, &mut self.services, &account_id, info, None)?;
        self.charge_storage(&account_id, &meter, None)?;
        self.apply(step);
        Ok(Forward(None))
    }

    /// A node or backup service publishes its X25519 key for one session.
    #[payable]
    #[handle_result]
    pub fn publish_backup_ephemeral_key(
        &mut self,
        #[serializer(borsh)] session: Session,
        #[serializer(borsh)] public_key: X25519PublicKey,
    ) -> Result<(), Error> {
        let caller = node_caller(PUBLISH_BACKUP_EPHEMERAL_KEY)?;
        launch::require_attested(&self.launch, &self.services, &caller, block_seconds())?;
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
