//! The simulated network: one contract (its wasm in-process under NEAR's VM),
//! and per operator a node machine and a backup service, each with its own
//! keys, home directory and loopback listener.

use crate::meter::Meter;
use backup_service::{BackupService, ServiceConfig, ServiceKeys};
use contract_client::ContractClient;
use contract_tests::in_process::InProcessContract;
use local_chain::{LocalChain, SignerPk, Transaction, ONE_NEAR};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::methods::{self, Role};
use node_hooks::{Driver, DriverConfig, Exit, FileShareStore, ShareStore};
use rand_core::{OsRng, RngCore};
use share_transfer::SharesPayload;
use share_transfer::{Identity, Transport};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const CONTRACT: &str = "mpc.drill.near";
/// Drills poll fast; production defaults are seconds.
pub const POLL: Duration = Duration::from_millis(50);

pub fn account(i: usize) -> String {
    format!("node{i}.drill.near")
}

/// A fresh NEAR access key (in-process, only its public half matters).
pub fn new_access_key() -> AccessPublicKey {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    AccessPublicKey::Ed25519(Ed25519PublicKey(bytes))
}

pub struct Network {
    pub contract: InProcessContract,
    /// The contract account's full-access key (deploy and `init`).
    pub deploy_key: AccessPublicKey,
    /// The methods an operator lists on a role's function-call key: the list `mpc-operator`
    /// prints, unless a test changes it.
    pub key_methods: fn(Role) -> Vec<&'static str>,
    /// Who each access key belongs to, as the operators set them up.
    key_roles: Mutex<HashMap<AccessPublicKey, Role>>,
    pub meter: Meter,
    pub workdir: PathBuf,
    pub transport: Transport,
}

/// A node machine set up but not started yet: its keys, listener and URL are
/// known (an operator can name them on chain before the node runs).
pub struct PreparedMachine {
    pub home: PathBuf,
    pub identity: Identity,
    pub tls_key: Ed25519PublicKey,
    pub access_key: AccessPublicKey,
    pub url: String,
    listener: TcpListener,
    store: FileShareStore,
}

/// A node machine: its driver task and what it was started with.
pub struct Machine {
    pub home: PathBuf,
    pub tls_key: Ed25519PublicKey,
    pub access_key: AccessPublicKey,
    pub url: String,
    pub cancel: CancellationToken,
    pub task: JoinHandle<Result<Exit, node_hooks::DriverError>>,
}

impl Network {
    /// A local chain where the contract account (holding [`Network::deploy_key`]) has
    /// deployed `wasm`.
    pub fn new(wasm: Vec<u8>, workdir: PathBuf, transport: Transport) -> Self {
        let deploy_key = new_access_key();
        let mut chain = LocalChain::new();
        chain.create_account(CONTRACT, 1_000 * ONE_NEAR, SignerPk::from(&deploy_key));
        let deploy = Transaction::new(CONTRACT, SignerPk::from(&deploy_key), CONTRACT).deploy(wasm);
        chain.send(deploy).expect("the deploy key signs").unwrap();
        Self {
            contract: InProcessContract::new(chain, CONTRACT),
            deploy_key,
            key_methods: methods::change_methods_for,
            key_roles: Mutex::new(HashMap::from([(deploy_key, Role::Contract)])),
            meter: Meter::default(),
            workdir,
            transport,
        }
    }

    /// Opens `account` for an operator: returns its full-access key.
    pub fn open_operator_account(&self, account: &str) -> AccessPublicKey {
        let key = new_access_key();
        self.contract.open_account(account, 100 * ONE_NEAR, &key);
        self.key_roles.lock().expect("key roles").insert(key, Role::Operator);
        key
    }

    /// The operator of `account` adds a fresh function-call key for `role` (a node machine's
    /// or a backup service's), as `mpc-operator add-node-key` / `add-backup-key` would.
    pub fn new_role_key(
        &self,
        account: &str,
        operator_key: &AccessPublicKey,
        role: Role,
    ) -> anyhow::Result<AccessPublicKey> {
        let key = new_access_key();
        self.contract
            .add_function_call_key(account, operator_key, &key, &(self.key_methods)(role))
            .map_err(|e| anyhow::anyhow!("{account}'s operator adds a {role:?} key: {e}"))?;
        self.key_roles.lock().expect("key roles").insert(key, role);
        Ok(key)
    }

    /// The role `key` was set up for.
    pub fn role_of(&self, key: &AccessPublicKey) -> Option<Role> {
        self.key_roles.lock().expect("key roles").get(key).copied()
    }

    pub fn client(&self, account: &str, key: AccessPublicKey) -> Arc<dyn ContractClient> {
        self.meter.wrap(self.contract.client(account, key))
    }

    /// Starts a node machine for `account` in `home`, signing with `access_key`.
    /// `shares` are the node's output of key generation, on disk before the
    /// node starts (a replacement machine starts with none).
    pub async fn start_machine(
        &self,
        account: &str,
        home: &Path,
        access_key: AccessPublicKey,
        shares: Option<&SharesPayload>,
    ) -> anyhow::Result<Machine> {
        let prepared = self.prepare_machine(home, access_key, shares).await?;
        Ok(self.launch(account, prepared))
    }

    /// Sets a machine up in `home` (keys, shares, listener) without starting its node.
    pub async fn prepare_machine(
        &self,
        home: &Path,
        access_key: AccessPublicKey,
        shares: Option<&SharesPayload>,
    ) -> anyhow::Result<PreparedMachine> {
        std::fs::create_dir_all(home)?;
        let store = FileShareStore::in_home(home);
        if let Some(shares) = shares {
            store.write(shares)?;
        }
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("https://{}", listener.local_addr()?);
        let identity = Identity::generate();
        let tls_key = identity.public_key();
        Ok(PreparedMachine { home: home.to_owned(), identity, tls_key, access_key, url, listener, store })
    }

    /// Starts the node of a prepared machine, signing as `account`.
    pub fn launch(&self, account: &str, machine: PreparedMachine) -> Machine {
        let PreparedMachine { home, identity, access_key, listener, store, .. } = machine;
        let client = self.client(account, access_key);
        self.run_machine(&home, identity, access_key, listener, client, Arc::new(store))
    }

    /// Runs a node driver with everything given (the chaos drill restarts
    /// machines with the same identity, address, client and store).
    pub fn run_machine(
        &self,
        home: &Path,
        identity: Identity,
        access_key: AccessPublicKey,
        listener: TcpListener,
        client: Arc<dyn ContractClient>,
        store: Arc<dyn ShareStore>,
    ) -> Machine {
        let url = format!("https://{}", listener.local_addr().expect("a bound listener"));
        let tls_key = identity.public_key();
        let mut config = DriverConfig::new(self.transport);
        config.poll_interval = POLL;
        config.refusal_cooldown = Duration::from_millis(500);
        config.session_renewal = POLL * 20;
        let driver = Driver::new(client, store, identity, url.clone(), config);
        let cancel = CancellationToken::new();
        let task = tokio::spawn(driver.run(listener, cancel.clone()));
        Machine { home: home.to_owned(), tls_key, access_key, url, cancel, task }
    }

    /// Starts `account`'s backup service; returns it (to read its storage) and its task.
    pub fn start_backup_service(
        &self,
        account: &str,
        home: &Path,
        keys: ServiceKeys,
        access_key: AccessPublicKey,
        cancel: CancellationToken,
    ) -> Result<(Arc<BackupService>, JoinHandle<()>), backup_service::ServiceError> {
        let config = self.service_config(home);
        self.run_backup_service(config, self.client(account, access_key), keys, cancel)
    }

    /// The drill's backup-service configuration: fast polls.
    pub fn service_config(&self, home: &Path) -> ServiceConfig {
        let mut config = ServiceConfig::new(home, self.transport);
        config.poll_interval = POLL;
        config
    }

    /// Runs a backup service with everything given.
    pub fn run_backup_service(
        &self,
        config: ServiceConfig,
        client: Arc<dyn ContractClient>,
        keys: ServiceKeys,
        cancel: CancellationToken,
    ) -> Result<(Arc<BackupService>, JoinHandle<()>), backup_service::ServiceError> {
        let service = Arc::new(BackupService::new(config, client, keys)?);
        let running = service.clone();
        let task = tokio::spawn(async move { running.run(cancel).await });
        Ok((service, task))
    }
}
