//! The faults, and where they bite: a contract client and a share store
//! wrapped around the real ones, and the backup service's delivery hook.
//! Each injector fires once; a crash is a request to the drill, which stops
//! the process and starts it again from its disk.

use async_trait::async_trait;
use backup_service::failpoint::{DeliveryHook, DeliveryPoint, Injected};
use contract_client::{CallOutcome, ClientError, ContractClient, Hook, RawCall};
use mpc_interface::methods;
use node_hooks::store::{ShareStore, StoreError};
use share_transfer::SharesPayload;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Drop,
    Duplicate,
    CrashNode,
    CrashBackup,
    DiskWrite,
    LostAnswer,
}

impl Fault {
    pub const ALL: [Fault; 6] =
        [Fault::Drop, Fault::Duplicate, Fault::CrashNode, Fault::CrashBackup, Fault::DiskWrite, Fault::LostAnswer];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Drop => "dropped message",
            Fault::Duplicate => "duplicated message",
            Fault::CrashNode => "node crash+restart",
            Fault::CrashBackup => "backup crash+restart",
            Fault::DiskWrite => "failed disk write",
            Fault::LostAnswer => "RPC answer lost",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The new node's recovery-session key (web; the backup service's own key for its crash).
    Publish,
    /// The shares, from the backup service to the node.
    Request,
    /// The node's write and answer.
    Response,
    /// The acknowledgement reaching the backup service, before it records it.
    Acknowledgement,
    /// `confirm_recovery_delivery`.
    Confirmation,
    /// `conclude_recovery`.
    Conclusion,
}

impl Step {
    pub const ALL: [Step; 6] =
        [Step::Publish, Step::Request, Step::Response, Step::Acknowledgement, Step::Confirmation, Step::Conclusion];

    pub fn name(self) -> &'static str {
        match self {
            Step::Publish => "key publish",
            Step::Request => "request",
            Step::Response => "response",
            Step::Acknowledgement => "ack",
            Step::Confirmation => "confirm tx",
            Step::Conclusion => "conclude tx",
        }
    }
}

/// Whether `fault` at `step` is a case (the rest print `n/a`).
pub fn applies(fault: Fault, step: Step, web: bool) -> bool {
    use Fault::*;
    use Step::*;
    match (fault, step) {
        (_, Publish) if !web => false,
        (DiskWrite, Response) => true,
        (DiskWrite, _) => false,
        (LostAnswer, Publish | Confirmation | Conclusion) => true,
        (LostAnswer, _) => false,
        (Drop, Publish | Request | Response | Confirmation | Conclusion) => true,
        (Duplicate, Publish | Request | Confirmation | Conclusion) => true,
        (CrashNode, _) => true,
        (CrashBackup, Publish | Request | Acknowledgement | Confirmation | Conclusion) => true,
        _ => false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Process {
    Node,
    BackupService,
}

/// One fault at one step, fired at most once.
pub struct Injector {
    pub fault: Fault,
    pub step: Step,
    fired: AtomicBool,
    restarts: mpsc::UnboundedSender<Process>,
}

impl Injector {
    pub fn new(fault: Fault, step: Step) -> (Arc<Self>, mpsc::UnboundedReceiver<Process>) {
        let (restarts, rx) = mpsc::unbounded_channel();
        (Arc::new(Self { fault, step, fired: AtomicBool::new(false), restarts }), rx)
    }

    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// True once, if this injector is for `fault` at `step`.
    fn take(&self, fault: Fault, step: Step) -> bool {
        self.fault == fault && self.step == step && !self.fired.swap(true, Ordering::SeqCst)
    }

    /// The first of `faults` that fires here, if any.
    fn take_any(&self, faults: &[Fault], step: Step) -> Option<Fault> {
        faults.iter().copied().find(|f| self.take(*f, step))
    }

    fn crash(&self, process: Process) {
        let _ = self.restarts.send(process);
    }
}

fn lost(why: &str) -> ClientError {
    ClientError::Rpc { endpoint: "chaos".to_owned(), reason: why.to_owned() }
}

/// Around a contract client: its transactions at the injector's step misbehave.
pub struct ChaosTransactions {
    pub injector: Arc<Injector>,
    pub process: Process,
}

impl ChaosTransactions {
    fn step_of(&self, method: &str) -> Option<Step> {
        match (method, self.process) {
            (methods::PUBLISH_BACKUP_EPHEMERAL_KEY, _) => Some(Step::Publish),
            (methods::CONFIRM_RECOVERY_DELIVERY, Process::BackupService) => Some(Step::Confirmation),
            (methods::CONCLUDE_RECOVERY, Process::Node) => Some(Step::Conclusion),
            _ => None,
        }
    }

    /// The faults this process's transactions carry at `step`.
    fn own_faults(&self, step: Step) -> &'static [Fault] {
        match (self.process, step) {
            (Process::Node, Step::Publish | Step::Conclusion) | (Process::BackupService, Step::Confirmation) => {
                &[Fault::Drop, Fault::Duplicate, Fault::LostAnswer, Fault::CrashNode, Fault::CrashBackup]
            }
            // The backup service's own key publish: only its crash is injected there.
            (Process::BackupService, Step::Publish) => &[Fault::CrashBackup],
            _ => &[],
        }
    }
}

#[async_trait]
impl Hook for ChaosTransactions {
    async fn call(&self, inner: &dyn ContractClient, call: RawCall<'_>) -> Result<CallOutcome, ClientError> {
        let fired = self.step_of(call.method).and_then(|step| self.injector.take_any(self.own_faults(step), step));
        let Some(fault) = fired else { return call.send(inner).await };
        match fault {
            Fault::Drop => Err(lost("chaos: the transaction was dropped")),
            Fault::Duplicate => {
                let first = call.clone().send(inner).await;
                let _ = call.send(inner).await;
                first
            }
            Fault::LostAnswer | Fault::CrashNode | Fault::CrashBackup => {
                let landed = call.send(inner).await;
                match fault {
                    Fault::CrashNode => self.injector.crash(Process::Node),
                    Fault::CrashBackup => self.injector.crash(Process::BackupService),
                    _ => {}
                }
                let crashed_here = matches!(
                    (fault, self.process),
                    (Fault::CrashNode, Process::Node) | (Fault::CrashBackup, Process::BackupService)
                );
                if fault == Fault::LostAnswer || crashed_here {
                    Err(lost("chaos: the transaction landed but its answer was lost"))
                } else {
                    landed
                }
            }
            Fault::DiskWrite => Err(lost("chaos: a disk write is not a transaction fault")),
        }
    }
}

/// The node's share file, whose write at the request or response step misbehaves.
pub struct ChaosStore {
    pub inner: Arc<dyn ShareStore>,
    pub injector: Arc<Injector>,
}

impl ShareStore for ChaosStore {
    fn load(&self) -> Result<Option<SharesPayload>, StoreError> {
        self.inner.load()
    }

    fn write(&self, shares: &SharesPayload) -> Result<(), StoreError> {
        let failed = |reason: &str| StoreError::Corrupted { path: "chaos".into(), reason: reason.to_owned() };
        if self.injector.take(Fault::CrashNode, Step::Request) {
            self.injector.crash(Process::Node);
            return Err(failed("chaos: the node crashed while receiving"));
        }
        if self.injector.take(Fault::DiskWrite, Step::Response) {
            return Err(failed("chaos: the disk write failed"));
        }
        self.inner.write(shares)?;
        if self.injector.take(Fault::CrashNode, Step::Response) {
            self.injector.crash(Process::Node);
            return Err(failed("chaos: the node crashed after writing, before answering"));
        }
        Ok(())
    }

    fn destroy(&self) -> Result<(), StoreError> {
        self.inner.destroy()
    }
}

/// The backup service's delivery hook.
pub struct ChaosHook(pub Arc<Injector>);

impl DeliveryHook for ChaosHook {
    fn at(&self, point: DeliveryPoint) -> Injected {
        let i = &self.0;
        match point {
            DeliveryPoint::BeforeSending => {
                if i.take(Fault::Drop, Step::Request) {
                    return Injected::Fail("chaos: the request was dropped".to_owned());
                }
                if i.take(Fault::Duplicate, Step::Request) {
                    return Injected::Twice;
                }
                if i.take(Fault::CrashBackup, Step::Request) {
                    i.crash(Process::BackupService);
                    return Injected::Fail("chaos: the backup service crashed before sending".to_owned());
                }
                Injected::Proceed
            }
            DeliveryPoint::AfterAcknowledgement => {
                if i.take(Fault::Drop, Step::Response) {
                    return Injected::Fail("chaos: the node's answer was dropped".to_owned());
                }
                if i.take(Fault::CrashBackup, Step::Acknowledgement) {
                    i.crash(Process::BackupService);
                    return Injected::Fail("chaos: the backup service crashed before recording the ack".to_owned());
                }
                if i.take(Fault::CrashNode, Step::Acknowledgement) {
                    i.crash(Process::Node);
                }
                Injected::Proceed
            }
        }
    }
}
