//! Transactions: a signer account, the key that signs, a nonce, a receiver and actions.
//! Signatures are not modelled: a transaction names its public key, and the chain checks that
//! the signer holds that key and that the key may sign what the transaction does.

use crate::access::AccessKey;
use crate::keys::SignerPk;

/// One action of a transaction (or of a receipt).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Deploys (or replaces) the receiver's contract code.
    DeployContract {
        code: Vec<u8>,
    },
    FunctionCall {
        method: String,
        args: Vec<u8>,
        gas: u64,
        deposit: u128,
    },
    Transfer {
        deposit: u128,
    },
    AddKey {
        public_key: SignerPk,
        access_key: AccessKey,
    },
    DeleteKey {
        public_key: SignerPk,
    },
    /// An action a contract created that local-chain does not model (e.g. `Stake`); its
    /// receipt fails with [`ActionError::Unsupported`](crate::ActionError::Unsupported).
    Unsupported(String),
}

impl Action {
    /// A function call with JSON arguments.
    pub fn call(method: &str, args: &serde_json::Value, gas: u64, deposit: u128) -> Action {
        Action::FunctionCall {
            method: method.to_owned(),
            args: serde_json::to_vec(args).expect("JSON arguments serialise"),
            gas,
            deposit,
        }
    }

    /// The action's name as NEAR spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::DeployContract { .. } => "DeployContract",
            Action::FunctionCall { .. } => "FunctionCall",
            Action::Transfer { .. } => "Transfer",
            Action::AddKey { .. } => "AddKey",
            Action::DeleteKey { .. } => "DeleteKey",
            Action::Unsupported(_) => "Unsupported",
        }
    }

    /// yoctoNEAR the action moves to the receiver.
    pub fn deposit(&self) -> u128 {
        match self {
            Action::FunctionCall { deposit, .. } | Action::Transfer { deposit } => *deposit,
            _ => 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    pub signer_id: String,
    pub public_key: SignerPk,
    /// Must be above the key's nonce (and below `block height * 10^6`).
    pub nonce: u64,
    pub receiver_id: String,
    pub actions: Vec<Action>,
}

impl Transaction {
    /// A transaction with no actions yet; [`LocalChain::send`](crate::LocalChain::send) fills
    /// the nonce in, [`LocalChain::submit`](crate::LocalChain::submit) takes it as it is.
    pub fn new(signer_id: &str, public_key: impl Into<SignerPk>, receiver_id: &str) -> Transaction {
        Transaction {
            signer_id: signer_id.to_owned(),
            public_key: public_key.into(),
            nonce: 0,
            receiver_id: receiver_id.to_owned(),
            actions: Vec::new(),
        }
    }

    pub fn nonce(mut self, nonce: u64) -> Transaction {
        self.nonce = nonce;
        self
    }

    pub fn action(mut self, action: Action) -> Transaction {
        self.actions.push(action);
        self
    }

    /// Appends a function call with JSON arguments.
    pub fn call(self, method: &str, args: &serde_json::Value, gas: u64, deposit: u128) -> Transaction {
        self.action(Action::call(method, args, gas, deposit))
    }

    pub fn deploy(self, code: Vec<u8>) -> Transaction {
        self.action(Action::DeployContract { code })
    }

    pub fn add_key(self, public_key: impl Into<SignerPk>, access_key: AccessKey) -> Transaction {
        self.action(Action::AddKey { public_key: public_key.into(), access_key })
    }

    pub fn delete_key(self, public_key: impl Into<SignerPk>) -> Transaction {
        self.action(Action::DeleteKey { public_key: public_key.into() })
    }

    pub fn transfer(self, deposit: u128) -> Transaction {
        self.action(Action::Transfer { deposit })
    }
}
