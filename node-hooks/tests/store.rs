//! The share file: atomic 0600 writes, refusal of open permissions and of
//! corrupted content, and the import check against the contract's keyset.
#![allow(non_snake_case)]

use mpc_interface::keys::Ed25519PublicKey;
use mpc_interface::primitives::{
    DomainId, DomainPublicKey, EpochId, KeyForDomain, Keyset, ParticipantId, SignatureScheme,
};
use node_hooks::store::{FileShareStore, ShareStore, StoreError, SHARES_FILE};
use secret_file::{is_temp_name, SecretFileError};
use share_transfer::test_doubles::shares_for;
use share_transfer::Expected;
use share_transfer::PayloadError;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

fn keyset(epoch: u64) -> Keyset {
    Keyset {
        epoch_id: EpochId(epoch),
        domains: [(0, SignatureScheme::Ed25519), (1, SignatureScheme::Ed25519)]
            .into_iter()
            .map(|(id, _)| KeyForDomain {
                domain_id: DomainId(id),
                public_key: DomainPublicKey::Ed25519(Ed25519PublicKey([id as u8 + 1; 32])),
            })
            .collect(),
    }
}

fn store() -> (tempfile::TempDir, FileShareStore) {
    let home = tempfile::tempdir().unwrap();
    let store = FileShareStore::in_home(home.path());
    (home, store)
}

fn names(dir: &std::path::Path) -> Vec<String> {
    fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn file_store__should_round_trip_shares_in_a_0600_file() {
    let (home, store) = store();
    assert!(store.load().unwrap().is_none(), "no file yet");
    let shares = shares_for(&keyset(3));

    store.import(&shares, &Expected::from(&keyset(3))).unwrap();

    assert_eq!(store.path(), home.path().join(SHARES_FILE));
    assert_eq!(fs::metadata(store.path()).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(store.load().unwrap(), Some(shares));
    assert_eq!(names(home.path()), vec![SHARES_FILE.to_owned()], "no temporary file left behind");
}

#[test]
fn file_store__should_replace_the_file_atomically_by_rename() {
    let (home, store) = store();
    let old = shares_for(&keyset(3));
    store.import(&old, &Expected::from(&keyset(3))).unwrap();
    let old_inode = fs::metadata(store.path()).unwrap().ino();
    // A reader that opened the old file keeps seeing it whole.
    let old_bytes = fs::read(store.path()).unwrap();
    let reader = fs::File::open(store.path()).unwrap();

    let new = shares_for(&keyset(4));
    store.import(&new, &Expected::from(&keyset(4))).unwrap();

    assert_ne!(fs::metadata(store.path()).unwrap().ino(), old_inode, "written to a new file, then renamed");
    let mut seen = Vec::new();
    std::io::Read::read_to_end(&mut &reader, &mut seen).unwrap();
    assert_eq!(seen, old_bytes);
    assert_eq!(store.load().unwrap(), Some(new));
    assert!(names(home.path()).iter().all(|n| !is_temp_name(n)));
}

#[test]
fn file_store__should_ignore_a_leftover_temporary_file_from_a_crash() {
    let (home, store) = store();
    let shares = shares_for(&keyset(3));
    store.import(&shares, &Expected::from(&keyset(3))).unwrap();
    // A crash between creating the temporary file and renaming it leaves this.
    fs::write(home.path().join(".shares.borsh.tmp-1-00"), b"half-written").unwrap();

    assert_eq!(store.load().unwrap(), Some(shares));
}

#[test]
fn file_store__should_refuse_a_file_readable_by_others() {
    let (_home, store) = store();
    store.import(&shares_for(&keyset(3)), &Expected::from(&keyset(3))).unwrap();
    fs::set_permissions(store.path(), fs::Permissions::from_mode(0o644)).unwrap();

    let err = store.load().unwrap_err();

    assert!(matches!(err, StoreError::File(SecretFileError::TooOpen { mode: 0o644, .. })), "{err}");
    assert!(err.to_string().contains("accessible by group or others (mode 0644)"), "{err}");
}

#[test]
fn file_store__should_detect_a_flipped_bit() {
    let (_home, store) = store();
    store.import(&shares_for(&keyset(3)), &Expected::from(&keyset(3))).unwrap();
    let mut bytes = fs::read(store.path()).unwrap();
    // Somewhere inside the last share's secret bytes: still decodes, wrongly.
    let at = bytes.len() - 40;
    bytes[at] ^= 0x01;
    fs::write(store.path(), &bytes).unwrap();

    let err = store.load().unwrap_err();

    assert!(matches!(err, StoreError::Corrupted { .. }), "{err}");
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
}

#[test]
fn file_store__should_refuse_truncated_foreign_and_future_files() {
    let (_home, store) = store();
    store.import(&shares_for(&keyset(3)), &Expected::from(&keyset(3))).unwrap();
    let good = fs::read(store.path()).unwrap();

    fs::write(store.path(), &good[..20]).unwrap();
    assert!(matches!(store.load(), Err(StoreError::Corrupted { .. })));

    fs::write(store.path(), b"{\"not\": \"a share file\"}").unwrap();
    assert!(matches!(store.load(), Err(StoreError::NotAShareFile { .. })));

    // A valid file of a later format version (checksum recomputed).
    let mut future = good[..good.len() - 32].to_vec();
    future[8] = 2;
    let checksum = <sha2::Sha256 as sha2::Digest>::digest(&future);
    future.extend_from_slice(&checksum);
    fs::write(store.path(), &future).unwrap();
    let err = store.load().unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedVersion { found: 2, .. }), "{err}");
}

#[test]
fn import__should_refuse_shares_of_another_epoch_and_write_nothing() {
    let (home, store) = store();

    let err = store.import(&shares_for(&keyset(2)), &Expected::from(&keyset(3))).unwrap_err();

    assert!(
        matches!(err, StoreError::Mismatch(PayloadError::WrongEpoch { payload: EpochId(2), contract: EpochId(3) })),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "refusing to import shares that do not match the contract: wrong epoch: payload has 2, contract has 3; \
         nothing was written"
    );
    assert!(names(home.path()).is_empty(), "nothing written");
}

#[test]
fn import__should_refuse_a_wrong_public_key_and_keep_the_old_shares() {
    let (_home, store) = store();
    let old = shares_for(&keyset(3));
    store.import(&old, &Expected::from(&keyset(3))).unwrap();
    let before = fs::read(store.path()).unwrap();
    let mut wrong = keyset(4);
    wrong.domains[1].public_key = DomainPublicKey::Ed25519(Ed25519PublicKey([9; 32]));

    let err = store.import(&shares_for(&wrong), &Expected::from(&keyset(4))).unwrap_err();

    assert!(matches!(err, StoreError::Mismatch(PayloadError::PublicKeyMismatch { domain: DomainId(1), .. })), "{err}");
    assert_eq!(fs::read(store.path()).unwrap(), before, "the stored shares are untouched");
    assert_eq!(store.load().unwrap(), Some(old));
}

#[test]
fn import__should_refuse_missing_domains() {
    let (_home, store) = store();
    let mut partial = shares_for(&keyset(3));
    partial.shares.pop();
    assert!(matches!(
        store.import(&partial, &Expected::from(&keyset(3))),
        Err(StoreError::Mismatch(PayloadError::MissingDomain { domain: DomainId(1) }))
    ));
    assert!(store.load().unwrap().is_none());
}

#[test]
fn import__should_be_idempotent_for_the_same_shares_and_refuse_different_ones() {
    let (_home, store) = store();
    let shares = shares_for(&keyset(0));
    store.import(&shares, &Expected::from(&keyset(0))).unwrap();
    store.import(&shares, &Expected::from(&keyset(0))).expect("a redelivery of the same shares is accepted");
    assert_eq!(store.load().unwrap(), Some(shares.clone()));

    let other = shares_for(&keyset(0));
    let err = store.import(&other, &Expected::from(&keyset(0))).unwrap_err();
    assert!(matches!(err, StoreError::DiffersFromStored { epoch_id: EpochId(0) }), "{err}");
    assert_eq!(store.load().unwrap(), Some(shares), "nothing was written");
}

/// `shares`' verifying shares as the contract would record them for participant 0.
fn expected_with_verifying_shares(keyset: &Keyset, shares: &share_transfer::SharesPayload) -> Expected {
    use mpc_interface::verifying::{DomainVerifyingShare, ParticipantVerifyingShares};
    let domains = shares
        .shares
        .iter()
        .map(|s| DomainVerifyingShare {
            domain_id: s.domain_id,
            verifying_share: share_transfer::verifying::verifying_share(s.public_key.scheme(), s.secret_share.expose())
                .expect("a scalar"),
        })
        .collect();
    let verifying = ParticipantVerifyingShares { epoch_id: keyset.epoch_id, participant_id: ParticipantId(0), domains };
    Expected::new(keyset.clone(), Some(verifying))
}

#[test]
fn import__should_check_every_delivery_against_the_verifying_shares_before_writing_or_comparing() {
    let (_home, store) = store();
    let good = shares_for(&keyset(0));
    let expected = expected_with_verifying_shares(&keyset(0), &good);
    let mut flipped = good.clone();
    let mut bytes = flipped.shares[0].secret_share.expose().to_vec();
    bytes[0] ^= 1;
    flipped.shares[0].secret_share = share_transfer::SecretShare::new(bytes);

    let err = store.import(&flipped, &expected).unwrap_err();
    assert!(matches!(err, StoreError::Mismatch(_)), "{err}");
    assert!(!store.path().exists(), "nothing written");

    store.import(&good, &expected).unwrap();
    store.import(&good, &expected).expect("a redelivery of the same verified shares is accepted");
    let err = store.import(&flipped, &expected).unwrap_err();
    assert!(matches!(err, StoreError::Mismatch(_)), "refused as wrong, not merely as different: {err}");
    assert_eq!(store.load().unwrap(), Some(good), "the verified shares stay");
}

#[test]
fn import__should_replace_an_unreadable_or_older_share_file() {
    let (_home, store) = store();
    fs::write(store.path(), b"torn").unwrap();
    fs::set_permissions(store.path(), fs::Permissions::from_mode(0o600)).unwrap();
    let shares = shares_for(&keyset(1));
    store.import(&shares, &Expected::from(&keyset(1))).expect("a failed write is replaced");
    assert_eq!(store.load().unwrap(), Some(shares));
    let newer = shares_for(&keyset(2));
    store.import(&newer, &Expected::from(&keyset(2))).expect("shares of another keyset are replaced");
    assert_eq!(store.load().unwrap(), Some(newer));
}

#[test]
fn destroy__should_overwrite_the_share_file_then_remove_it() {
    use std::io::Read;
    let (home, store) = store();
    let shares = shares_for(&keyset(0));
    store.write(&shares).unwrap();
    let secret = shares.shares[0].secret_share.expose().to_vec();
    let size = fs::metadata(store.path()).unwrap().len() as usize;
    // A handle opened before: it reads the file's own blocks after the path is gone.
    let mut before = fs::File::open(store.path()).unwrap();

    store.destroy().unwrap();

    assert!(!store.path().exists(), "the share file is gone");
    assert!(names(home.path()).is_empty(), "{:?}", names(home.path()));
    let mut left = Vec::new();
    before.read_to_end(&mut left).unwrap();
    assert_eq!(left.len(), size);
    assert!(left.iter().all(|b| *b == 0), "the file's content was overwritten before removal");
    assert!(!left.windows(secret.len()).any(|w| w == secret.as_slice()));
    store.destroy().expect("destroying nothing is not an error");
}
