//! Certificates as carriers of an Ed25519 key: we make a self-signed one from
//! our identity, and from the peer's we take only the key. Trust comes from
//! comparing that key with the contract, never from issuers or names.

use crate::identity::Identity;
use mpc_interface::keys::Ed25519PublicKey;
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;
use std::sync::Arc;
use zeroize::Zeroizing;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("could not build our certificate: {0}")]
    Build(String),
    #[error("peer certificate is malformed: {0}")]
    Malformed(&'static str),
    #[error("peer certificate does not carry an Ed25519 key")]
    NotEd25519,
}

/// Our certificate and the signer rustls uses for the handshake, both from
/// one identity key.
pub(crate) fn certified_key(identity: &Identity) -> Result<Arc<CertifiedKey>, CertError> {
    let build = |e: &dyn std::fmt::Display| CertError::Build(e.to_string());
    let pkcs8 = identity.pkcs8_der();
    let pkcs8_der = PrivatePkcs8KeyDer::from(pkcs8.as_slice());
    // rcgen keeps its own copy of the PKCS#8 bytes; `Zeroizing` wipes it once
    // the certificate is signed.
    let key_pair = Zeroizing::new(
        rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8_der, &rcgen::PKCS_ED25519).map_err(|e| build(&e))?,
    );
    let mut params = rcgen::CertificateParams::new(vec!["mpc-share-transfer".to_owned()]).map_err(|e| build(&e))?;
    params.distinguished_name.push(rcgen::DnType::CommonName, identity.public_key().to_string());
    let cert = params.self_signed(&*key_pair).map_err(|e| build(&e))?;
    let signer = rustls::crypto::ring::sign::any_eddsa_type(&pkcs8_der).map_err(|e| build(&e))?;
    let certified = CertifiedKey::new(vec![cert.der().clone()], signer);
    // Catches a mismatch between what we sign with and what we present.
    if ed25519_key_of(certified.end_entity_cert().map_err(|e| build(&e))?)? != identity.public_key() {
        return Err(CertError::Build("certificate key differs from identity".into()));
    }
    Ok(Arc::new(certified))
}

/// The Ed25519 key in a certificate's subjectPublicKeyInfo.
///
/// Walks the DER by position (Certificate → tbsCertificate → the seventh
/// field) instead of searching for the key's byte pattern, which an attacker
/// could plant in a name or extension ahead of the real key.
pub fn ed25519_key_of(cert: &CertificateDer<'_>) -> Result<Ed25519PublicKey, CertError> {
    // SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (0 unused bits) ... }
    const ED25519_SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    let (certificate, rest) = tlv(cert.as_ref(), 0x30)?;
    if !rest.is_empty() {
        return Err(CertError::Malformed("trailing bytes after the certificate"));
    }
    let (mut tbs, _) = tlv(certificate, 0x30)?;
    if tbs.first() == Some(&0xa0) {
        tbs = tlv(tbs, 0xa0)?.1; // [0] EXPLICIT version
    }
    // serialNumber, signature, issuer, validity, subject
    for tag in [0x02, 0x30, 0x30, 0x30, 0x30] {
        tbs = tlv(tbs, tag)?.1;
    }
    let spki_len = tbs.len() - tlv(tbs, 0x30)?.1.len();
    let spki = &tbs[..spki_len];
    match spki.strip_prefix(&ED25519_SPKI_PREFIX[..]) {
        Some(key) if key.len() == 32 => Ok(Ed25519PublicKey(key.try_into().expect("32 bytes"))),
        _ => Err(CertError::NotEd25519),
    }
}

/// Splits one DER element with tag `tag` off the front of `input`:
/// returns (its contents, what follows it).
fn tlv(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), CertError> {
    let (&found, rest) = input.split_first().ok_or(CertError::Malformed("truncated"))?;
    if found != tag {
        return Err(CertError::Malformed("unexpected element"));
    }
    let (&first, mut rest) = rest.split_first().ok_or(CertError::Malformed("truncated"))?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        // Long form; DER forbids indefinite length (0x80) and we never need
        // more than 4 length bytes for a certificate.
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(CertError::Malformed("bad length"));
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return Err(CertError::Malformed("truncated"));
    }
    Ok(rest.split_at(len))
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn certified_key__should_carry_the_identity_public_key() {
        let id = Identity::generate();
        let certified = certified_key(&id).unwrap();
        let cert = certified.end_entity_cert().unwrap();
        assert_eq!(ed25519_key_of(cert).unwrap(), id.public_key());
    }

    #[test]
    fn ed25519_key_of__should_refuse_garbage_and_truncation() {
        let id = Identity::generate();
        let certified = certified_key(&id).unwrap();
        let der = certified.end_entity_cert().unwrap().as_ref().to_vec();
        assert!(ed25519_key_of(&CertificateDer::from(der[..der.len() - 1].to_vec())).is_err());
        assert!(ed25519_key_of(&CertificateDer::from(vec![0x30, 0x80])).is_err());
        assert!(ed25519_key_of(&CertificateDer::from(vec![])).is_err());
    }
}
