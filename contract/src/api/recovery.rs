use super::guards::{
    block_seconds, caller, no_arguments, node_caller, operator_caller, recovery_approver, recovery_backup_service,
    recovery_canceller, recovery_entrant, recovery_new_node,
};
use crate::errors::{Error, RecoveryError};
use crate::state::{recovery, ProtocolState};
use crate::{MpcContract, MpcContractExt};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::methods::{
    APPROVE_RECOVERY, CANCEL_RECOVERY, CONCLUDE_RECOVERY, CONFIRM_RECOVERY_DELIVERY, RECOVERY,
    SUBMIT_PARTICIPANT_RECOVERY_INFO,
};
use mpc_interface::primitives::{Keyset, ParticipantInfo};
use mpc_interface::recovery::RecoveryView;
use near_sdk::near;

#[near]
impl MpcContract {
    /// A participant's new machine asks to take its place: moves Running to
    /// Recovery. With 1 yoctoNEAR (the operator's full-access key) the recovery
    /// is approved at once and `node_public_key` (required) names the new
    /// node's access key; without, the signing node key is the new node's
    /// (`node_public_key` may repeat it) and the recovery waits for approval.
    #[payable]
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn submit_participant_recovery_info(
        &mut self,
        info: ParticipantInfo,
        node_public_key: Option<AccessPublicKey>,
    ) -> Result<(), Error> {
        let caller = caller()?;
        let step = match &self.protocol {
            ProtocolState::Running(running) => {
                let entrant = recovery_entrant(&self.registry, &caller, node_public_key)?;
                recovery::enter(running, &mut self.registry, entrant, info)?
            }
            ProtocolState::Recovery(open) => {
                return Err(RecoveryError::AlreadyOpen { account_id: open.account_id.clone() }.into())
            }
            other => return Err(other.wrong(SUBMIT_PARTICIPANT_RECOVERY_INFO, "Running")),
        };
        self.apply(step);
        Ok(())
    }

    /// The recovering account's operator approves the pending recovery to the
    /// machine with `tls_public_key`.
    #[payable]
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn approve_recovery(&mut self, tls_public_key: Ed25519PublicKey) -> Result<(), Error> {
        let caller = operator_caller(APPROVE_RECOVERY)?;
        let recovery = self.recovery_mut(APPROVE_RECOVERY)?;
        recovery_approver(recovery, &caller)?;
        let step = recovery.approve(&tls_public_key)?;
        self.apply(step);
        Ok(())
    }

    /// The backup service confirms it delivered the shares of `keyset`.
    #[payable]
    #[handle_result]
    pub fn confirm_recovery_delivery(&mut self, #[serializer(borsh)] keyset: Keyset) -> Result<(), Error> {
        let caller = node_caller(CONFIRM_RECOVERY_DELIVERY)?;
        crate::state::launch::require_attested(&self.launch, &self.services, &caller, block_seconds())?;
        let services = &self.services;
        let step = match &mut self.protocol {
            ProtocolState::Recovery(r) => {
                recovery_backup_service(r, services, &caller)?;
                r.confirm_delivery(&keyset)?
            }
            other => return Err(other.wrong(CONFIRM_RECOVERY_DELIVERY, "Recovery")),
        };
        self.apply(step);
        Ok(())
    }

    /// The new node, holding the shares of `keyset`, takes its place.
    #[payable]
    #[handle_result]
    pub fn conclude_recovery(&mut self, #[serializer(borsh)] keyset: Keyset) -> Result<(), Error> {
        let caller = node_caller(CONCLUDE_RECOVERY)?;
        let step = match &mut self.protocol {
            ProtocolState::Recovery(r) => {
                recovery_new_node(r, &caller)?;
                r.conclude(&mut self.registry, &mut self.services, &keyset)?
            }
            other => return Err(other.wrong(CONCLUDE_RECOVERY, "Recovery")),
        };
        self.apply(step);
        Ok(())
    }

    /// Abandons the open recovery: at once from the recovering operator (1
    /// yoctoNEAR), or as a vote of the other participants.
    #[payable]
    #[handle_result]
    pub fn cancel_recovery(&mut self) -> Result<(), Error> {
        no_arguments(CANCEL_RECOVERY)?;
        let caller = caller()?;
        let step = match &mut self.protocol {
            ProtocolState::Recovery(r) => {
                let canceller = recovery_canceller(&self.registry, &caller, &r.account_id)?;
                r.cancel(&mut self.registry, &mut self.services, canceller)?
            }
            other => return Err(other.wrong(CANCEL_RECOVERY, "Recovery")),
        };
        self.apply(step);
        Ok(())
    }

    /// The open recovery, or null outside Recovery.
    #[handle_result]
    pub fn recovery(&self) -> Result<Option<RecoveryView>, Error> {
        no_arguments(RECOVERY)?;
        Ok(match &self.protocol {
            ProtocolState::Recovery(r) => Some(r.recovery_view(&self.registry)),
            _ => None,
        })
    }
}

impl MpcContract {
    fn recovery_mut(&mut self, method: &'static str) -> Result<&mut crate::state::RecoveryState, Error> {
        match &mut self.protocol {
            ProtocolState::Recovery(r) => Ok(r),
            other => Err(other.wrong(method, "Recovery")),
        }
    }
}
