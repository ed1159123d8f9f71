//! The messages on an mTLS connection, each a borsh value behind a 4-byte
//! big-endian length. The length is checked against a limit before anything
//! is allocated, so a peer cannot make us buffer an arbitrary amount.

use super::MtlsError;
use crate::payload::SharesPayload;
use crate::session::SessionKind;
use borsh::{BorshDeserialize, BorshSerialize};
use mpc_interface::primitives::EpochId;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zeroize::Zeroizing;

#[derive(Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Frame {
    /// First frame from the connecting side: what it came for. Stops a backup
    /// client and a recovery listener (or the reverse) from talking past each other.
    Hello {
        kind: SessionKind,
    },
    Shares(SharesPayload),
    /// The receiver checked the shares against the contract's keyset and kept them.
    Accepted {
        epoch_id: EpochId,
        domains: u32,
    },
    /// The receiver refused; `reason` is for the sender's operator.
    Refused {
        reason: String,
    },
}

impl Frame {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Hello { .. } => "Hello",
            Self::Shares(_) => "Shares",
            Self::Accepted { .. } => "Accepted",
            Self::Refused { .. } => "Refused",
        }
    }
}

/// Writes one frame. The encoded buffer may hold secret shares, so it is wiped.
pub(crate) async fn write_frame<W: AsyncWrite + Unpin>(
    writer: &mut W,
    frame: &Frame,
    max_len: usize,
) -> Result<(), MtlsError> {
    let len = borsh::object_length(frame).map_err(|e| MtlsError::Encoding(e.to_string()))?;
    if len > max_len {
        return Err(MtlsError::FrameTooLarge { len, max: max_len });
    }
    // Sized up front: a growing Vec would free unwiped copies of the secret.
    let mut buf = Zeroizing::new(Vec::with_capacity(4 + len));
    buf.extend_from_slice(&(len as u32).to_be_bytes());
    frame.serialize(&mut *buf).map_err(|e| MtlsError::Encoding(e.to_string()))?;
    writer.write_all(&buf).await?;
    writer.flush().await?;
    Ok(())
}

/// Reads one frame, refusing lengths over `max_len` before reading the body.
pub(crate) async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R, max_len: usize) -> Result<Frame, MtlsError> {
    let mut len = [0u8; 4];
    reader.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max_len {
        return Err(MtlsError::FrameTooLarge { len, max: max_len });
    }
    let mut buf = Zeroizing::new(vec![0u8; len]);
    reader.read_exact(&mut buf).await?;
    borsh::from_slice(&buf).map_err(|e| MtlsError::Encoding(e.to_string()))
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames__should_round_trip_and_refuse_oversized_lengths() {
        let frame = Frame::Refused { reason: "no".into() };
        let mut wire = Vec::new();
        write_frame(&mut wire, &frame, 1024).await.unwrap();
        assert_eq!(read_frame(&mut wire.as_slice(), 1024).await.unwrap(), frame);

        let mut huge = (u32::MAX).to_be_bytes().to_vec();
        huge.extend_from_slice(&[0; 8]);
        assert!(matches!(read_frame(&mut huge.as_slice(), 1024).await, Err(MtlsError::FrameTooLarge { .. })));
        assert!(matches!(write_frame(&mut Vec::new(), &frame, 2).await, Err(MtlsError::FrameTooLarge { .. })));
    }
}
