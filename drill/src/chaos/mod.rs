//! `drill --chaos`: the recovery of one lost machine, run once per fault and
//! step, each on a fresh network (3 nodes, threshold 2) with the real node
//! driver and backup service over loopback. A case passes if the contract
//! ends `Running` with the replacement seated and holding exactly the lost
//! machine's shares, and the fault was really injected.

pub mod inject;

use crate::network::{Network, POLL};
use crate::scenario::{bring_up, Settings};
use crate::timeline::Timeline;
use anyhow::{anyhow, bail, ensure, Context, Result};
use backup_service::failpoint::Hooks;
use contract_client::{ContractClient, MpcContract};
use inject::{applies, ChaosClient, ChaosHook, ChaosStore, Fault, Injector, Process, Step};
use mpc_interface::methods::Role;
use mpc_interface::state::ProtocolStateView;
use node_hooks::{FileShareStore, ShareStore};
use rand_core::{OsRng, RngCore};
use share_transfer::{Identity, Transport};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

/// Longest a case may take from approval to `Running`.
const CASE_DEADLINE: Duration = Duration::from_secs(20);

/// One cell of the matrix.
pub enum Cell {
    NotApplicable,
    Passed { polls: u64 },
    Failed(String),
}

pub struct Matrix {
    pub transport: Transport,
    pub cells: Vec<(Fault, Step, Cell)>,
}

impl Matrix {
    pub fn passed(&self) -> usize {
        self.cells.iter().filter(|(_, _, c)| matches!(c, Cell::Passed { .. })).count()
    }

    pub fn failed(&self) -> usize {
        self.cells.iter().filter(|(_, _, c)| matches!(c, Cell::Failed(_))).count()
    }

    /// Fault x step -> outcome (polls to finish), then every failure in full.
    pub fn render(&self) -> String {
        let mut out = format!("chaos matrix, transport {} (cell: polls from approval to Running)\n", self.transport);
        out += &format!("{:<22}", "fault \\ step");
        for step in Step::ALL {
            out += &format!("| {:<12}", step.name());
        }
        out += "\n";
        for fault in Fault::ALL {
            out += &format!("{:<22}", fault.name());
            for step in Step::ALL {
                let cell = self.cells.iter().find(|(f, s, _)| *f == fault && *s == step).map(|(_, _, c)| c);
                let text = match cell {
                    Some(Cell::Passed { polls }) => format!("ok {polls}"),
                    Some(Cell::Failed(_)) => "FAIL".to_owned(),
                    _ => "n/a".to_owned(),
                };
                out += &format!("| {text:<12}");
            }
            out += "\n";
        }
        for (fault, step, cell) in &self.cells {
            if let Cell::Failed(why) = cell {
                out += &format!("FAILED {} at {}: {why}\n", fault.name(), step.name());
            }
        }
        out
    }
}

/// Runs every applicable case for `transport`.
pub async fn run(wasm: &[u8], transport: Transport) -> Matrix {
    let mut cells = Vec::new();
    for fault in Fault::ALL {
        for step in Step::ALL {
            let cell = if !applies(fault, step, transport == Transport::Web) {
                Cell::NotApplicable
            } else {
                match run_case(wasm, transport, fault, step).await {
                    Ok(polls) => Cell::Passed { polls },
                    Err(e) => Cell::Failed(format!("{e:#}")),
                }
            };
            cells.push((fault, step, cell));
        }
    }
    Matrix { transport, cells }
}

/// A process the case can stop and start again from its disk.
struct Running {
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

async fn run_case(wasm: &[u8], transport: Transport, fault: Fault, step: Step) -> Result<u64> {
    let workdir = tempfile::tempdir()?;
    let network = Network::new(wasm.to_vec(), workdir.path().to_owned(), transport);
    let settings = Settings { nodes: 3, threshold: 2, lose: 1, operator_enters: false };
    let mut timeline = Timeline::quiet(network.meter.clone());
    let up = bring_up(&network, &settings, &mut timeline).await?;
    let index = 1;
    let op = &up.operators[index];
    let (injector, mut restarts) = Injector::new(fault, step);
    let result = async {
        // The lost account's backup service, restarted with the faults in place.
        op.service_cancel.cancel();
        let service_home = network.workdir.join(&op.account).join("backup-service");
        let service_client: Arc<dyn ContractClient> = Arc::new(ChaosClient {
            inner: network.client(&op.account, op.service_key),
            injector: injector.clone(),
            process: Process::BackupService,
        });
        let start_service = || -> Result<Running> {
            let mut config = network.service_config(&service_home);
            config.hooks = Hooks(Some(Arc::new(ChaosHook(injector.clone()))));
            let cancel = CancellationToken::new();
            let (_, task) = network
                .run_backup_service(config, service_client.clone(), op.service_keys.clone(), cancel.clone())
                .map_err(|e| anyhow!("backup service: {e}"))?;
            Ok(Running { cancel, task })
        };
        let mut service = start_service()?;

        // The machine is lost; its replacement runs with the faults in place.
        std::fs::remove_dir_all(&op.machine.home).context("wiping the lost machine")?;
        let home = network.workdir.join(&op.account).join("machine-1");
        std::fs::create_dir_all(&home)?;
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(&mut *seed);
        let access_key = network.new_role_key(&op.account, &op.operator_key, Role::Node)?;
        let node_client: Arc<dyn ContractClient> = Arc::new(ChaosClient {
            inner: network.client(&op.account, access_key),
            injector: injector.clone(),
            process: Process::Node,
        });
        let store: Arc<dyn ShareStore> =
            Arc::new(ChaosStore { inner: Arc::new(FileShareStore::in_home(&home)), injector: injector.clone() });
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let start_node = |listener| {
            network.run_machine(
                &home,
                Identity::from_seed(&seed),
                access_key,
                listener,
                node_client.clone(),
                store.clone(),
            )
        };
        let mut machine = start_node(listener);
        let new_key = machine.tls_key;

        let pending = Instant::now();
        while up.observer.recovery().await?.filter(|r| r.new_info.tls_public_key == new_key).is_none() {
            ensure!(pending.elapsed() < CASE_DEADLINE, "the replacement did not enter Recovery");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        network.client(&op.account, op.operator_key).approve_recovery(&new_key).await.context("approve_recovery")?;
        let approved = Instant::now();
        let account: mpc_interface::AccountId = op.account.parse()?;
        loop {
            while let Ok(process) = restarts.try_recv() {
                match process {
                    Process::Node => {
                        machine.cancel.cancel();
                        let _ = machine.task.await;
                        machine = start_node(TcpListener::bind(addr).await?);
                    }
                    Process::BackupService => {
                        service.cancel.cancel();
                        let _ = service.task.await;
                        service = start_service()?;
                    }
                }
            }
            if let ProtocolStateView::Running(r) = up.observer.state().await? {
                if r.parameters.participant(&account).map(|p| p.info.tls_public_key) == Some(new_key) {
                    break;
                }
            }
            if approved.elapsed() > CASE_DEADLINE {
                bail!("not Running with the replacement {}s after approval", CASE_DEADLINE.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let polls = (approved.elapsed().as_millis() / POLL.as_millis()) as u64;
        machine.cancel.cancel();
        service.cancel.cancel();
        ensure!(injector.fired(), "the fault was never injected");
        let held = FileShareStore::in_home(&home).load()?.ok_or_else(|| anyhow!("the replacement holds no shares"))?;
        ensure!(held == up.shares_of(index), "the replacement's shares differ from the lost machine's");
        Ok(polls)
    }
    .await;
    for op in &up.operators {
        op.machine.cancel.cancel();
        op.service_cancel.cancel();
    }
    result
}
