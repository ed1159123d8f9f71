//! The arguments of every change method, one type each, its fields named and
//! ordered as the contract's `#[near]` function names and orders its
//! parameters. [`ChangeArgs::METHOD`] ties each type to its row of the method
//! table, so a client takes name, gas, deposit and the encoding of the
//! arguments (a JSON object, or a borsh tuple: [`methods::Args`]) from there;
//! [`ChangeArgs::encode`] is the one place that encodes them.

use crate::keys::{AccessPublicKey, Ed25519PublicKey, X25519PublicKey};
use crate::launch::{Attestation, LaunchVote};
use crate::methods::{self, Args, Method};
use crate::primitives::{
    DomainConfig, DomainPublicKey, EpochId, KeyEventId, Keyset, ParticipantInfo, ThresholdParameters,
};
use crate::recovery::{BackupServiceInfo, Session};
use borsh::{BorshDeserialize, BorshSerialize};
use near_account_id::AccountId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The arguments of one change method.
pub trait ChangeArgs: Serialize + BorshSerialize {
    /// The method these arguments are for (a name of [`methods::ALL`]).
    const METHOD: &'static str;
    /// The fields, in declaration order: the order of a borsh encoding.
    const FIELDS: &'static [&'static str];

    /// The method's row in the table.
    fn method() -> &'static Method {
        methods::by_name(Self::METHOD).expect("every argument type names a method of the table")
    }

    /// These arguments encoded as the method's row of the table says.
    fn encode(&self) -> Encoded {
        match Self::method().args {
            Args::Json => Encoded::Json(serde_json::to_value(self).expect("argument types serialise to JSON")),
            Args::Borsh => Encoded::Borsh(borsh::to_vec(self).expect("argument types serialise to borsh")),
        }
    }
}

/// A call's arguments on their way to the contract, encoded.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Encoded {
    /// A JSON object (the method's row says [`Args::Json`]).
    Json(serde_json::Value),
    /// The parameters as a borsh tuple (the row says [`Args::Borsh`]).
    Borsh(Vec<u8>),
}

impl Encoded {
    /// The bytes a function call carries.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Encoded::Json(value) => serde_json::to_vec(value).expect("JSON of a JSON value"),
            Encoded::Borsh(bytes) => bytes.clone(),
        }
    }

    pub fn encoding(&self) -> Args {
        match self {
            Encoded::Json(_) => Args::Json,
            Encoded::Borsh(_) => Args::Borsh,
        }
    }
}

/// For logs: the JSON text, or the length of a borsh encoding (its bytes say
/// nothing to a reader).
impl fmt::Display for Encoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Encoded::Json(value) => write!(f, "{value}"),
            Encoded::Borsh(bytes) => write!(f, "borsh, {} bytes", bytes.len()),
        }
    }
}

macro_rules! change_args {
    ($($(#[$doc:meta])* $name:ident => $method:ident { $($(#[$attr:meta])* $field:ident: $ty:ty,)* })*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
            #[serde(deny_unknown_fields)]
            pub struct $name {
                $($(#[$attr])* pub $field: $ty,)*
            }

            impl ChangeArgs for $name {
                const METHOD: &'static str = methods::$method;
                const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
            }
        )*

        /// The JSON object of `method`'s arguments, encoded as the table says:
        /// a JSON method's object goes as it is (unchecked: tests send the
        /// contract what it must refuse), a borsh method's is read into its
        /// argument type, then borsh-encoded. Off the wasm target: linked
        /// into the contract (which never calls it), it cost 3.4 kB.
        #[cfg(not(target_arch = "wasm32"))]
        pub fn encode_json(method: &str, json: serde_json::Value) -> Result<Encoded, ArgsError> {
            let row = methods::by_name(method).ok_or_else(|| ArgsError::UnknownMethod(method.to_owned()))?;
            if row.args == Args::Json {
                return Ok(Encoded::Json(json));
            }
            let typed = |e: serde_json::Error| ArgsError::Json { method: row.name, reason: e.to_string() };
            match row.name {
                $(methods::$method => Ok(serde_json::from_value::<$name>(json).map_err(typed)?.encode()),)*
                _ => Err(ArgsError::NoArgumentType(row.name)),
            }
        }
    };
}

/// Arguments that cannot be encoded for their method.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArgsError {
    #[error("`{0}` is not a method of the contract")]
    UnknownMethod(String),
    #[error("`{0}` takes borsh arguments but has no argument type to encode them with")]
    NoArgumentType(&'static str),
    #[error("the arguments of `{method}` do not fit its argument type: {reason}")]
    Json { method: &'static str, reason: String },
}

change_args! {
    /// Deploy-time: key generation starts with these participants and domains.
    InitArgs => INIT {
        parameters: ThresholdParameters,
        domains: Vec<DomainConfig>,
        /// The TEE verifier contract a `Hard` launch sends TDX quotes to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tee_verifier: Option<AccountId>,
        /// Accept development attestations (never on mainnet).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        allow_dev_attestation: Option<bool>,
    }
    /// Deploy-time: the contract starts `Running` with an existing keyset.
    InitRunningArgs => INIT_RUNNING { parameters: ThresholdParameters, domains: Vec<DomainConfig>, keyset: Keyset, }
    /// After an upgrade: the stored state is brought to the current layout.
    MigrateArgs => MIGRATE {
        /// Sets (or replaces) the TEE verifier contract.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tee_verifier: Option<AccountId>,
    }
    /// A node's vote for a domain's public key and every participant's verifying share.
    VotePkArgs => VOTE_PK {
        key_event_id: KeyEventId,
        public_key: DomainPublicKey,
        verifying_shares: Vec<DomainPublicKey>,
    }
    /// A node's vote to reshare to `proposal` in `epoch_id`.
    VoteNewParametersArgs => VOTE_NEW_PARAMETERS { epoch_id: EpochId, proposal: ThresholdParameters, }
    /// A node's vote that a domain was reshared, with the new verifying shares.
    VoteResharedArgs => VOTE_RESHARED { key_event_id: KeyEventId, verifying_shares: Vec<DomainPublicKey>, }
    /// A node's vote to cancel the resharing.
    VoteCancelResharingArgs => VOTE_CANCEL_RESHARING {}
    /// A node announces itself (candidate) or confirms its TLS key (participant).
    SubmitParticipantInfoArgs => SUBMIT_PARTICIPANT_INFO { info: ParticipantInfo, }
    /// Enters a recovery onto the machine `info` describes; the operator names the new node's key.
    SubmitParticipantRecoveryInfoArgs => SUBMIT_PARTICIPANT_RECOVERY_INFO {
        info: ParticipantInfo,
        node_public_key: Option<AccessPublicKey>,
    }
    /// The operator approves the recovery to the machine with this TLS key.
    ApproveRecoveryArgs => APPROVE_RECOVERY { tls_public_key: Ed25519PublicKey, }
    /// The operator registers its backup service.
    RegisterBackupServiceArgs => REGISTER_BACKUP_SERVICE {
        info: BackupServiceInfo,
        /// Required in `Hard` mode.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attestation: Option<Attestation>,
    }
    /// The registered backup service renews its attestation with its own key.
    ReattestBackupServiceArgs => REATTEST_BACKUP_SERVICE { attestation: Attestation, }
    /// A node votes the launch mode, or to allow or retire measurements.
    VoteLaunchArgs => VOTE_LAUNCH { vote: LaunchVote, }
    /// A node or backup service publishes its X25519 key for one session.
    PublishBackupEphemeralKeyArgs => PUBLISH_BACKUP_EPHEMERAL_KEY { session: Session, public_key: X25519PublicKey, }
    /// The backup service confirms it delivered the shares of `keyset`.
    ConfirmRecoveryDeliveryArgs => CONFIRM_RECOVERY_DELIVERY { keyset: Keyset, }
    /// The new machine takes the seat, holding the shares of `keyset`.
    ConcludeRecoveryArgs => CONCLUDE_RECOVERY { keyset: Keyset, }
    /// The operator or a node cancels the open recovery.
    CancelRecoveryArgs => CANCEL_RECOVERY {}
    /// A candidate stops being one.
    WithdrawCandidateInfoArgs => WITHDRAW_CANDIDATE_INFO {}
    /// NEP-145: pays for `account_id`'s storage (the caller's when `None`).
    StorageDepositArgs => STORAGE_DEPOSIT {
        #[serde(default)]
        account_id: Option<AccountId>,
        #[serde(default)]
        registration_only: Option<bool>,
    }
    /// NEP-145: withdraws `amount` yoctoNEAR (everything available when `None`).
    StorageWithdrawArgs => STORAGE_WITHDRAW {
        #[serde(default, with = "crate::storage::option_u128_string")]
        amount: Option<u128>,
    }
    /// NEP-145: closes the caller's storage account (`force`: with its candidacy).
    StorageUnregisterArgs => STORAGE_UNREGISTER {
        #[serde(default)]
        force: Option<bool>,
    }
}
