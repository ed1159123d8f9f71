//! Every contract method, once: its name, who may call it, the gas a client
//! attaches and the deposit it requires. Access-key method lists for each role
//! are derived from this table, never typed a second time.

use crate::constants::{Gas, ONE_YOCTO};

/// Who signs a call.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Role {
    /// The contract account itself (deploy-time and upgrade methods).
    Contract,
    /// A node, signing with a function-call access key of its operator's account.
    Node,
    /// The operator, signing with a full-access key (proved by a 1 yoctoNEAR deposit).
    Operator,
    /// Anyone (views).
    Anyone,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    View,
    Change,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Method {
    pub name: &'static str,
    pub kind: Kind,
    pub role: Role,
    /// Gas a client attaches (views: none).
    pub gas: Gas,
    /// Yocto a client attaches: 0 for node methods, at least 1 for operator methods.
    pub deposit: u128,
}

macro_rules! methods {
    ($($ident:ident = $name:literal, $kind:ident, $role:ident, $tgas:expr, $deposit:expr;)*) => {
        $(pub const $ident: &str = $name;)*
        /// The contract's whole public surface.
        pub const ALL: &[Method] = &[
            $(Method { name: $name, kind: Kind::$kind, role: Role::$role, gas: Gas::from_tgas($tgas), deposit: $deposit },)*
        ];
    };
}

methods! {
    INIT = "init", Change, Contract, 30, 0;
    INIT_RUNNING = "init_running", Change, Contract, 100, 0;
    VOTE_PK = "vote_pk", Change, Node, 30, 0;
    VOTE_NEW_PARAMETERS = "vote_new_parameters", Change, Node, 100, 0;
    VOTE_RESHARED = "vote_reshared", Change, Node, 150, 0;
    VOTE_CANCEL_RESHARING = "vote_cancel_resharing", Change, Node, 30, 0;
    SUBMIT_PARTICIPANT_INFO = "submit_participant_info", Change, Node, 30, 0;
    STATE = "state", View, Anyone, 0, 0;
    PARTICIPANTS = "participants", View, Anyone, 0, 0;
    CANDIDATES = "candidates", View, Anyone, 0, 0;
    VERSION = "version", View, Anyone, 0, 0;
}

/// A method by name.
pub fn by_name(name: &str) -> Option<&'static Method> {
    ALL.iter().find(|m| m.name == name)
}

/// The methods a function-call access key for `role` must allow, in table order.
pub fn change_methods_for(role: Role) -> Vec<&'static str> {
    ALL.iter()
        .filter(|m| m.kind == Kind::Change && m.role == role)
        .map(|m| m.name)
        .collect()
}

/// Deposit that proves a full-access key (function-call keys cannot attach one).
pub const OPERATOR_DEPOSIT: u128 = ONE_YOCTO;

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
    fn method_table__should_require_deposit_exactly_for_operator_methods() {
        for m in ALL {
            match m.role {
                Role::Operator => assert!(m.deposit >= 1, "{} needs a deposit", m.name),
                _ => assert_eq!(
                    m.deposit, 0,
                    "{} must work from a function-call key",
                    m.name
                ),
            }
            if m.kind == Kind::View {
                assert_eq!(m.gas.as_gas(), 0, "{} is a view", m.name);
            }
        }
    }

    #[test]
    fn node_methods__should_be_the_node_change_methods() {
        let node = change_methods_for(Role::Node);
        assert!(node.contains(&VOTE_PK));
        assert!(!node.contains(&INIT));
        assert!(!node.contains(&STATE));
    }
}
