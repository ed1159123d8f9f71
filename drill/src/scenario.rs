//! The recovery drill, phase by phase. Every wait has a deadline; every
//! claim in the verdict is read back from the contract's views and from the
//! shares themselves.

use crate::network::{account, new_access_key, Machine, Network, CONTRACT, POLL};
use crate::threshold::{deal, reconstruct_public_key, SharedKey};
use crate::timeline::Timeline;
use anyhow::{anyhow, bail, ensure, Context, Result};
use backup_service::{ServiceKeys, StorageKey};
use contract_client::MpcContract;
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::methods::{self, Role};
use mpc_interface::primitives::{
    DomainConfig, DomainId, EpochId, KeyEventId, KeyForDomain, Keyset, Participant, ParticipantId, ParticipantInfo,
    SignatureScheme, ThresholdParameters,
};
use mpc_interface::recovery::{BackupServiceInfo, RecoveryStatus};
use mpc_interface::state::ProtocolStateView;
use node_hooks::{Exit, FileShareStore, ShareStore, ShutDownCause};
use serde_json::json;
use share_transfer::verifying::check_before_voting;
use share_transfer::{DomainShare, Expected, Identity, SecretShare, SharesPayload};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub struct Settings {
    pub nodes: usize,
    pub threshold: u64,
    pub lose: usize,
    /// The operator enters each recovery (1 yoctoNEAR, naming the new node's
    /// key; approved at once) before the replacement starts, instead of the
    /// replacement entering with its own key and the operator approving.
    pub operator_enters: bool,
}

/// What the drill proved, for the verdict and for tests.
pub struct Report {
    pub timeline: String,
    pub recovered: Vec<String>,
}

const DEADLINE: Duration = Duration::from_secs(60);

/// Polls `check` until it yields a value or the deadline passes.
async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if start.elapsed() > DEADLINE {
            bail!("timed out after {}s waiting for {what}", DEADLINE.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn domains() -> Vec<DomainConfig> {
    vec![
        DomainConfig { id: DomainId(0), scheme: SignatureScheme::Secp256k1 },
        DomainConfig { id: DomainId(1), scheme: SignatureScheme::Ed25519 },
    ]
}

fn shares_of(keys: &[SharedKey], keyset: &Keyset, id: usize) -> SharesPayload {
    SharesPayload {
        epoch_id: keyset.epoch_id,
        shares: keyset
            .domains
            .iter()
            .zip(keys)
            .map(|(d, k)| DomainShare {
                domain_id: d.domain_id,
                public_key: d.public_key,
                secret_share: SecretShare::new(k.shares[id].clone()),
            })
            .collect(),
    }
}

pub(crate) struct Operator {
    pub account: String,
    pub operator_key: AccessPublicKey,
    pub machine: Machine,
    pub service_cancel: CancellationToken,
    pub service: Arc<backup_service::BackupService>,
    pub service_keys: ServiceKeys,
    pub service_key: AccessPublicKey,
}

/// A running network: every node seated with its dealt shares and backed up.
pub(crate) struct Up {
    pub operators: Vec<Operator>,
    pub keyset: Keyset,
    pub dealt: Vec<SharedKey>,
    pub domains: Vec<DomainConfig>,
    pub observer: Arc<dyn contract_client::ContractClient>,
    pub initial: mpc_interface::state::RunningView,
}

impl Up {
    /// The shares participant `index` was dealt.
    pub fn shares_of(&self, index: usize) -> SharesPayload {
        shares_of(&self.dealt, &self.keyset, index)
    }
}

/// The machine lost in `round` of `lose`: `lose` distinct machines spread
/// evenly over all `n` (0-based; the first loss is machine 1).
pub fn lost_machine(round: usize, n: usize, lose: usize) -> usize {
    (1 + round * n / lose) % n
}

pub async fn run(network: &Network, settings: &Settings) -> Result<Report> {
    let mut timeline = Timeline::new(network.meter.clone());
    let Up { mut operators, keyset, dealt, domains, observer, initial } =
        bring_up(network, settings, &mut timeline).await?;
    let n = settings.nodes;
    let t = settings.threshold as usize;

    let mut recovered = Vec::new();
    for round in 0..settings.lose {
        let index = lost_machine(round, n, settings.lose);
        let op = &mut operators[index];
        let lost_shares = shares_of(&dealt, &keyset, index);

        timeline.phase(format!("{}'s machine is destroyed: its state directory is wiped", op.account));
        // The old process stays up (as a machine that lost its disk would): it
        // must notice the recovery and shut itself down.
        std::fs::remove_dir_all(&op.machine.home).context("wiping the lost machine")?;
        let home = network.workdir.join(&op.account).join(format!("machine-{}", round + 1));
        timeline.phase(format!("the operator of {} adds the replacement machine's node key", op.account));
        let replacement_key = network.new_role_key(&op.account, &op.operator_key, Role::Node)?;
        let replacement = network.prepare_machine(&home, replacement_key, None).await?;
        let new_key = replacement.tls_key;
        if settings.operator_enters {
            timeline.phase(format!("the operator of {} enters Recovery naming the replacement's node key", op.account));
            let info = ParticipantInfo { url: replacement.url.clone(), tls_public_key: new_key };
            network
                .client(&op.account, op.operator_key)
                .submit_participant_recovery_info(Role::Operator, &info, Some(replacement.access_key))
                .await
                .context("submit_participant_recovery_info by the operator")?;
        }
        let old_machine = std::mem::replace(&mut op.machine, network.launch(&op.account, replacement));

        if !settings.operator_enters {
            timeline.phase("replacement machine (new TLS key) enters Recovery; pending approval");
            wait_for("the replacement to enter Recovery", || async {
                Ok(observer.recovery().await?.filter(|r| r.new_info.tls_public_key == new_key))
            })
            .await?;
            let recovery = observer.recovery().await?.ok_or_else(|| anyhow!("recovery vanished"))?;
            ensure!(recovery.status == RecoveryStatus::PendingApproval, "a node key's recovery must wait for approval");

            timeline.phase("the old machine, still up, keeps working and raises an alarm while approval is pending");
            tokio::time::sleep(POLL * 4).await;
            ensure!(
                !old_machine.task.is_finished(),
                "the old machine stopped while the recovery was only pending approval"
            );

            timeline.phase(format!("the operator of {} approves the replacement's TLS key (1 yoctoNEAR)", op.account));
            network
                .client(&op.account, op.operator_key)
                .approve_recovery(&new_key)
                .await
                .context("approve_recovery")?;
        }

        timeline.phase("the old machine sees the approved recovery and shuts down");
        let lost_key = old_machine.access_key;
        let exit = tokio::time::timeout(DEADLINE, old_machine.task)
            .await
            .map_err(|_| anyhow!("the old machine did not shut down"))??
            .map_err(|e| anyhow!("the old machine's driver failed: {e}"))?;
        ensure!(
            exit == Exit::ShutDown(ShutDownCause::RecoveryToAnotherMachine),
            "the old machine stopped for another reason: {exit:?}"
        );

        timeline.phase("the backup service delivers, the new node checks the shares and concludes");
        let account_id: mpc_interface::AccountId = op.account.parse()?;
        wait_for("the network to run again with the new machine", || async {
            Ok(match observer.state().await? {
                ProtocolStateView::Running(r)
                    if r.parameters.participant(&account_id).map(|p| p.info.tls_public_key) == Some(new_key) =>
                {
                    Some(())
                }
                _ => None,
            })
        })
        .await?;

        timeline.phase(format!("the operator of {} deletes the lost machine's node key", op.account));
        network
            .contract
            .delete_key(&op.account, &op.operator_key, &lost_key)
            .map_err(|e| anyhow!("deleting the lost machine's key: {e}"))?;

        timeline.phase("verify the replacement holds exactly the lost machine's shares");
        let held = FileShareStore::in_home(&op.machine.home)
            .load()?
            .ok_or_else(|| anyhow!("the replacement holds no shares"))?;
        ensure!(held == lost_shares, "the replacement's shares differ from the lost machine's");
        recovered.push(op.account.clone());
    }

    timeline.phase("verify the network: same accounts, ids, threshold and keyset; shares rebuild every key");
    let final_state = match observer.state().await? {
        ProtocolStateView::Running(r) => r,
        other => bail!("expected Running, found {}", other.name()),
    };
    ensure!(final_state.keyset == keyset && initial.keyset == keyset, "the keyset changed");
    let ids = |p: &ThresholdParameters| p.participants.iter().map(|x| (x.account_id.clone(), x.id)).collect::<Vec<_>>();
    ensure!(ids(&final_state.parameters) == ids(&initial.parameters), "participant accounts or ids changed");
    ensure!(final_state.parameters.threshold == settings.threshold, "the threshold changed");
    // Every machine's shares, as it holds them now, against its verifying shares on the contract.
    for op in &operators {
        let held = FileShareStore::in_home(&op.machine.home)
            .load()?
            .ok_or_else(|| anyhow!("{} holds no shares", op.account))?;
        let verifying = observer.verifying_shares(&op.account.parse()?).await?;
        let verifying =
            verifying.ok_or_else(|| anyhow!("the contract records no verifying shares of {}", op.account))?;
        let expected = Expected::new(keyset.clone(), Some(verifying));
        held.check_against(&expected).with_context(|| format!("{}'s shares against the contract", op.account))?;
    }
    // Rebuild each domain's public key from t shares as the machines hold them
    // now, recovered machines first.
    let mut holders: Vec<usize> = (0..n).filter(|i| recovered.contains(&account(*i))).collect();
    holders.extend((0..n).filter(|i| !recovered.contains(&account(*i))));
    holders.truncate(t);
    let held: Vec<SharesPayload> = holders
        .iter()
        .map(|&i| {
            FileShareStore::in_home(&operators[i].machine.home)
                .load()?
                .ok_or_else(|| anyhow!("{} holds no shares", account(i)))
        })
        .collect::<Result<_>>()?;
    for (d, domain) in domains.iter().enumerate() {
        let points: Vec<(u64, &[u8])> =
            holders.iter().zip(&held).map(|(&i, p)| (i as u64, p.shares[d].secret_share.expose())).collect();
        let rebuilt = reconstruct_public_key(domain.scheme, &points);
        ensure!(rebuilt == Some(keyset.domains[d].public_key), "{t} shares do not rebuild domain {}'s key", domain.id);
    }

    timeline.phase("shut down nodes and backup services");
    for op in &operators {
        op.machine.cancel.cancel();
        op.service_cancel.cancel();
    }
    Ok(Report { timeline: timeline.table(), recovered })
}

/// Deals the keys, starts every machine and backup service, generates the
/// keys on chain, registers the backup services and waits for every backup.
pub(crate) async fn bring_up(network: &Network, settings: &Settings, timeline: &mut Timeline) -> Result<Up> {
    let n = settings.nodes;
    let t = settings.threshold as usize;
    timeline.phase(format!("deal keys: {n} shares per domain, threshold {t} (secp256k1, ed25519)"));
    let domains = domains();
    let dealt: Vec<SharedKey> = domains.iter().map(|d| deal(d, t, n)).collect();
    let keyset = Keyset {
        epoch_id: EpochId(0),
        domains: domains
            .iter()
            .zip(&dealt)
            .map(|(d, k)| KeyForDomain { domain_id: d.id, public_key: k.public_key })
            .collect(),
    };

    timeline.phase(format!("start {n} node machines and {n} backup services on loopback"));
    let mut operators = Vec::new();
    for i in 0..n {
        let account = account(i);
        let home = network.workdir.join(&account);
        // The node's shares come from key generation; here, from the dealer.
        let shares = shares_of(&dealt, &keyset, i);
        let operator_key = network.open_operator_account(&account);
        let node_key = network.new_role_key(&account, &operator_key, Role::Node)?;
        let machine = network.start_machine(&account, &home.join("machine-0"), node_key, Some(&shares)).await?;
        let service_keys =
            ServiceKeys { identity: Arc::new(Identity::generate()), storage_key: StorageKey::generate() };
        let service_key = network.new_role_key(&account, &operator_key, Role::BackupService)?;
        let info = BackupServiceInfo { public_key: service_keys.identity.public_key(), signer_public_key: service_key };
        let service_cancel = CancellationToken::new();
        let service_keys_copy = service_keys.clone();
        let (service, _) = network
            .start_backup_service(
                &account,
                &home.join("backup-service"),
                service_keys,
                service_key,
                service_cancel.clone(),
            )
            .map_err(|e| anyhow!("backup service of {account}: {e}"))?;
        operators.push((
            Operator {
                account,
                operator_key,
                machine,
                service_cancel,
                service,
                service_keys: service_keys_copy,
                service_key,
            },
            info,
        ));
    }

    timeline.phase("init: the contract starts key generation with every node's TLS key");
    let deployer = network.client(CONTRACT, network.deploy_key);
    let parameters = ThresholdParameters {
        participants: operators
            .iter()
            .enumerate()
            .map(|(i, (op, _))| Participant {
                account_id: op.account.parse().expect("valid account"),
                id: ParticipantId(i as u32),
                info: ParticipantInfo { url: op.machine.url.clone(), tls_public_key: op.machine.tls_key },
            })
            .collect(),
        threshold: settings.threshold,
    };
    deployer
        .call_as(Role::Contract, methods::INIT, json!({"parameters": parameters, "domains": domains}))
        .await
        .context("init")?;

    timeline.phase("key generation: every participant votes each domain's public key and verifying shares");
    let ids: Vec<ParticipantId> = parameters.participants.iter().map(|p| p.id).collect();
    for (domain, key) in keyset.domains.iter().enumerate() {
        let verifying = dealt[domain]
            .verifying_shares(domains[domain].scheme)
            .ok_or_else(|| anyhow!("a dealt share is no scalar"))?;
        let plain: Vec<_> = verifying.iter().map(|s| s.verifying_share).collect();
        for (op, _) in &operators {
            // Each node checks the verifying shares (one per participant, in increasing
            // id, on one polynomial through the key) before it votes: the contract does not.
            check_before_voting(&key.public_key, &ids, t, &verifying)
                .with_context(|| format!("{} checks domain {domain}", op.account))?;
            let voter = network.client(&op.account, op.machine.access_key);
            let event = KeyEventId { epoch_id: EpochId(0), domain_id: DomainId(domain as u64) };
            let args = json!({"key_event_id": event, "public_key": key.public_key, "verifying_shares": plain});
            voter
                .call_as(Role::Node, methods::VOTE_PK, args)
                .await
                .with_context(|| format!("vote_pk by {}", op.account))?;
        }
    }
    let observer = network.client(CONTRACT, new_access_key());
    ensure!(matches!(observer.state().await?, ProtocolStateView::Running(_)), "key generation did not reach Running");

    timeline.phase("operators register their backup services (full-access key, 1 yoctoNEAR)");
    for (op, info) in &operators {
        network
            .client(&op.account, op.operator_key)
            .call_as(Role::Operator, methods::REGISTER_BACKUP_SERVICE, json!({"info": info}))
            .await
            .with_context(|| format!("register_backup_service of {}", op.account))?;
    }

    timeline.phase("every backup service fetches and stores its node's shares of epoch 0");
    for (op, _) in &operators {
        wait_for(&format!("{}'s backup of epoch 0", op.account), || async {
            Ok(op.service.storage().latest_epoch().ok().flatten().filter(|e| *e == EpochId(0)))
        })
        .await?;
    }
    let initial = match observer.state().await? {
        ProtocolStateView::Running(r) => r,
        other => bail!("expected Running, found {}", other.name()),
    };
    let operators = operators.into_iter().map(|(op, _)| op).collect();
    Ok(Up { operators, keyset, dealt, domains, observer, initial })
}

#[cfg(test)]
#[path = "scenario_tests.rs"]
mod tests;
