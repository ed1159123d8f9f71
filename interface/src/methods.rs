//! Every contract method, once: its name, who may call it and the gas a client
//! attaches. The deposit follows from the role, and the method lists of each
//! kind of access key are derived from this table, never typed a second time.

use crate::constants::{Gas, ONE_YOCTO};

/// Who signs a call.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Role {
    /// The contract account itself (deploy-time and upgrade methods).
    Contract,
    /// A node, signing with a function-call access key of its operator's account.
    Node,
    /// A backup service, signing with its own function-call access key on the
    /// operator's account (registered with `register_backup_service`).
    BackupService,
    /// The operator, signing with a full-access key (proved by a 1 yoctoNEAR deposit).
    Operator,
    /// Anyone (views).
    Anyone,
}

impl Role {
    /// Yocto a caller in this role attaches: function-call keys cannot attach
    /// any, and operator methods require one to prove a full-access key.
    pub const fn deposit(self) -> u128 {
        match self {
            Role::Operator => ONE_YOCTO,
            _ => 0,
        }
    }

    /// Roles that sign with a function-call access key limited to a method list.
    pub const FUNCTION_CALL_KEYS: [Role; 2] = [Role::Node, Role::BackupService];
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    View,
    Change,
}

/// How a method's arguments are encoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Args {
    /// A JSON object, one field per parameter: every method a person reads or
    /// types the arguments of.
    Json,
    /// The parameters as a borsh tuple, in declaration order: calls only the
    /// node and backup-service software sends (near-sdk's JSON parser for
    /// each of them would cost the contract kilobytes of wasm).
    Borsh,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Method {
    pub name: &'static str,
    pub kind: Kind,
    pub roles: &'static [Role],
    /// Gas a client attaches (views: none).
    pub gas: Gas,
    /// How the arguments travel.
    pub args: Args,
}

impl Method {
    pub fn allows(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

macro_rules! methods {
    ($($ident:ident = $name:literal, $kind:ident, [$($role:ident),+], $tgas:expr $(, $args:ident)?;)*) => {
        $(pub const $ident: &str = $name;)*
        /// The contract's whole public surface.
        pub const ALL: &[Method] = &[
            $(Method {
                name: $name,
                kind: Kind::$kind,
                roles: &[$(Role::$role),+],
                gas: Gas::from_tgas($tgas),
                args: methods!(@args $($args)?),
            },)*
        ];
    };
    (@args) => { Args::Json };
    (@args Borsh) => { Args::Borsh };
}

methods! {
    INIT = "init", Change, [Contract], 30;
    INIT_RUNNING = "init_running", Change, [Contract], 100;
    MIGRATE = "migrate", Change, [Contract], 100;
    VOTE_PK = "vote_pk", Change, [Node], 30, Borsh;
    VOTE_NEW_PARAMETERS = "vote_new_parameters", Change, [Node], 100;
    VOTE_RESHARED = "vote_reshared", Change, [Node], 150, Borsh;
    VOTE_CANCEL_RESHARING = "vote_cancel_resharing", Change, [Node], 30;
    SUBMIT_PARTICIPANT_INFO = "submit_participant_info", Change, [Node], 30, Borsh;
    SUBMIT_PARTICIPANT_RECOVERY_INFO = "submit_participant_recovery_info", Change, [Node, Operator], 30;
    APPROVE_RECOVERY = "approve_recovery", Change, [Operator], 30;
    // In Hard mode: the call itself, VERIFY_QUOTE_GAS for the verifier and
    // the gas of ON_ATTESTATION_VERIFIED for the callback.
    REGISTER_BACKUP_SERVICE = "register_backup_service", Change, [Operator], 200;
    PUBLISH_BACKUP_EPHEMERAL_KEY = "publish_backup_ephemeral_key", Change, [Node, BackupService], 30, Borsh;
    CONFIRM_RECOVERY_DELIVERY = "confirm_recovery_delivery", Change, [BackupService], 30, Borsh;
    // The backup service renews its attestation with its own key, before it expires.
    REATTEST_BACKUP_SERVICE = "reattest_backup_service", Change, [BackupService], 200;
    // The verifier's answer to a TDX attestation (private: the contract calls itself).
    ON_ATTESTATION_VERIFIED = "on_attestation_verified", Change, [Contract], crate::launch::ATTESTATION_CALLBACK_TGAS, Borsh;
    // The launch mode and the allowed measurements: one method, one kind of vote each.
    VOTE_LAUNCH = "vote_launch", Change, [Node], 30;
    CONCLUDE_RECOVERY = "conclude_recovery", Change, [Node], 30, Borsh;
    CANCEL_RECOVERY = "cancel_recovery", Change, [Operator, Node], 30;
    WITHDRAW_CANDIDATE_INFO = "withdraw_candidate_info", Change, [Node, Operator], 30;
    STORAGE_DEPOSIT = "storage_deposit", Change, [Operator], 30;
    STORAGE_WITHDRAW = "storage_withdraw", Change, [Operator], 30;
    STORAGE_UNREGISTER = "storage_unregister", Change, [Operator], 30;
    STATE = "state", View, [Anyone], 0;
    PARTICIPANTS = "participants", View, [Anyone], 0;
    CANDIDATES = "candidates", View, [Anyone], 0;
    RECOVERY = "recovery", View, [Anyone], 0;
    BACKUP_SERVICE = "backup_service", View, [Anyone], 0;
    BACKUP_SERVICES = "backup_services", View, [Anyone], 0;
    EPHEMERAL_KEYS = "ephemeral_keys", View, [Anyone], 0;
    NODE_KEY = "node_key", View, [Anyone], 0;
    VERIFYING_SHARES = "verifying_shares", View, [Anyone], 0;
    VERSION = "version", View, [Anyone], 0;
    CANDIDATE = "candidate", View, [Anyone], 0;
    STORAGE_BALANCE_OF = "storage_balance_of", View, [Anyone], 0;
    STORAGE_BALANCE_BOUNDS = "storage_balance_bounds", View, [Anyone], 0;
    LAUNCH_MODE = "launch_mode", View, [Anyone], 0;
    ALLOWED_MEASUREMENTS = "allowed_measurements", View, [Anyone], 0;
    BACKUP_ATTESTATION = "backup_attestation", View, [Anyone], 0;
    // NEP-330 source metadata, exported by near-sdk itself.
    CONTRACT_SOURCE_METADATA = "contract_source_metadata", View, [Anyone], 0;
}

/// A method by name.
pub fn by_name(name: &str) -> Option<&'static Method> {
    ALL.iter().find(|m| m.name == name)
}

/// The methods a function-call access key for `role` must allow, in table order.
pub fn change_methods_for(role: Role) -> Vec<&'static str> {
    ALL.iter().filter(|m| m.kind == Kind::Change && m.allows(role)).map(|m| m.name).collect()
}

/// Deposit that proves a full-access key (function-call keys cannot attach one).
pub const OPERATOR_DEPOSIT: u128 = Role::Operator.deposit();

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn method_table__should_name_each_method_once() {
        let names: HashSet<_> = ALL.iter().map(|m| m.name).collect();
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn method_table__should_give_views_no_gas_and_changes_some() {
        for m in ALL {
            match m.kind {
                Kind::View => assert_eq!(m.gas.as_gas(), 0, "{} is a view", m.name),
                Kind::Change => assert!(m.gas.as_gas() > 0, "{} needs gas", m.name),
            }
        }
    }

    #[test]
    fn function_call_keys__should_never_allow_operator_only_methods() {
        for role in Role::FUNCTION_CALL_KEYS {
            for name in change_methods_for(role) {
                let m = by_name(name).unwrap();
                assert!(m.roles != [Role::Operator], "{name} is operator-only but on a {role:?} key");
            }
        }
        assert!(!change_methods_for(Role::Node).contains(&APPROVE_RECOVERY));
        assert!(!change_methods_for(Role::BackupService).contains(&REGISTER_BACKUP_SERVICE));
        assert_eq!(
            change_methods_for(Role::BackupService),
            vec![PUBLISH_BACKUP_EPHEMERAL_KEY, CONFIRM_RECOVERY_DELIVERY, REATTEST_BACKUP_SERVICE]
        );
        assert!(!change_methods_for(Role::BackupService).contains(&ON_ATTESTATION_VERIFIED));
        assert!(!change_methods_for(Role::Node).contains(&ON_ATTESTATION_VERIFIED));
    }

    #[test]
    fn attesting_methods__should_carry_gas_for_the_verifier_and_the_callback() {
        use crate::attestation::VERIFY_QUOTE_GAS;
        let callback = by_name(ON_ATTESTATION_VERIFIED).unwrap().gas;
        for name in [REGISTER_BACKUP_SERVICE, REATTEST_BACKUP_SERVICE] {
            let gas = by_name(name).unwrap().gas.as_gas();
            let forwarded = VERIFY_QUOTE_GAS.as_gas() + callback.as_gas();
            assert!(gas >= forwarded + Gas::from_tgas(20).as_gas(), "{name} leaves too little for itself");
            assert!(gas <= Gas::from_tgas(300).as_gas(), "{name} exceeds a transaction's 300 Tgas");
        }
    }
}
