//! rustls verifiers that pin the peer to the key the contract registered.
//!
//! rustls calls verifiers synchronously, while the contract is read
//! asynchronously, so the registered key is read just before each handshake
//! (after the ClientHello on the server) and handed to a verifier made for that
//! one connection; the connection re-checks it right after the handshake and
//! then periodically (see `channel.rs`).

use super::cert::ed25519_key_of;
use super::MtlsError;
use crate::identity::verify_ed25519;
use crate::session::Party;
use mpc_interface::keys::Ed25519PublicKey;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, PeerIncompatible, SignatureScheme};
use std::sync::Mutex;

#[derive(Debug)]
pub(crate) struct PinnedKeyVerifier {
    peer: Party,
    /// What the contract said when this handshake started.
    registered: Option<Ed25519PublicKey>,
    algorithms: WebPkiSupportedAlgorithms,
    /// Why the handshake was refused, kept so the caller gets a typed error
    /// naming both keys instead of rustls' generic one.
    rejection: Mutex<Option<MtlsError>>,
}

impl PinnedKeyVerifier {
    pub(crate) fn new(peer: Party, registered: Option<Ed25519PublicKey>) -> Self {
        Self { peer, registered, algorithms: ed25519_only(), rejection: Mutex::new(None) }
    }

    pub(crate) fn take_rejection(&self) -> Option<MtlsError> {
        self.rejection.lock().expect("verifier lock").take()
    }

    fn refuse(&self, why: MtlsError) -> Error {
        tracing::warn!(peer = %self.peer, reason = %why, "refusing TLS peer");
        *self.rejection.lock().expect("verifier lock") = Some(why);
        // Maps to the `access_denied` alert, which tells the peer it was
        // recognised as the wrong party rather than that TLS itself failed.
        Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)
    }

    fn check_certificate(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
    ) -> Result<(), Error> {
        if !intermediates.is_empty() {
            return Err(self.refuse(MtlsError::UnexpectedChain { peer: self.peer }));
        }
        let presented = ed25519_key_of(end_entity).map_err(|e| self.refuse(e.into()))?;
        match self.registered {
            Some(registered) if registered == presented => Ok(()),
            Some(registered) => Err(self.refuse(MtlsError::WrongPeerKey { peer: self.peer, registered, presented })),
            None => Err(self.refuse(MtlsError::PeerNotRegistered { peer: self.peer, presented })),
        }
    }

    /// Verifies CertificateVerify twice: with rustls/webpki (which also parses
    /// the certificate), and with ed25519-dalek under the exact key we compared
    /// with the contract, so the key we pinned is provably the one that signed.
    fn check_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        if dss.scheme != SignatureScheme::ED25519 {
            return Err(Error::PeerIncompatible(PeerIncompatible::NoSignatureSchemesInCommon));
        }
        let valid = rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)?;
        let key = ed25519_key_of(cert).map_err(|e| self.refuse(e.into()))?;
        let signature: &[u8; 64] = dss
            .signature()
            .try_into()
            .map_err(|_| self.refuse(MtlsError::BadHandshakeSignature { peer: self.peer }))?;
        if !verify_ed25519(&key, message, signature) {
            return Err(self.refuse(MtlsError::BadHandshakeSignature { peer: self.peer }));
        }
        Ok(valid)
    }
}

// Never reached (only TLS 1.3 is enabled), but refuse explicitly in case a
// future config enables 1.2 by mistake.
fn tls12_refused() -> Error {
    Error::General("TLS 1.2 is not allowed for share transfer".into())
}

/// The ring provider's Ed25519 entry alone: we advertise and accept nothing else.
fn ed25519_only() -> WebPkiSupportedAlgorithms {
    let all = rustls::crypto::ring::default_provider().signature_verification_algorithms;
    let entry =
        all.mapping.iter().find(|(scheme, _)| *scheme == SignatureScheme::ED25519).expect("ring supports Ed25519");
    WebPkiSupportedAlgorithms { all: entry.1, mapping: std::slice::from_ref(entry) }
}

impl ServerCertVerifier for PinnedKeyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        // Names and validity dates are ignored on purpose: the certificate is
        // self-signed and the contract registration is the only trust anchor.
        self.check_certificate(end_entity, intermediates).map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        Err(tls12_refused())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.check_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

impl ClientCertVerifier for PinnedKeyVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        self.check_certificate(end_entity, intermediates).map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        Err(tls12_refused())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.check_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}
