//! A loopback man-in-the-middle that forwards one direction untouched and can
//! corrupt the other, to show that tampering is detected end to end.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, Debug)]
pub enum Tamper {
    /// Buffer the server's whole answer and flip its last byte (an HTTP
    /// response body's last byte: here the AEAD tag).
    LastResponseByte,
    /// Flip a byte inside the first client→server TLS record of at least
    /// `min_len` bytes (application data carrying the shares).
    LargeClientTlsRecord { min_len: usize },
}

pub struct Proxy {
    pub addr: SocketAddr,
    /// How many bytes were corrupted, so a test can show the tamper happened.
    pub tampered: Arc<AtomicUsize>,
}

/// Proxies connections to `target` until the test ends.
pub async fn spawn(target: SocketAddr, mode: Tamper) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tampered = Arc::new(AtomicUsize::new(0));
    let counter = tampered.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect(target).await.unwrap();
            let (client_r, client_w) = client.into_split();
            let (server_r, server_w) = server.into_split();
            let counter = counter.clone();
            match mode {
                Tamper::LastResponseByte => {
                    tokio::spawn(copy(client_r, server_w));
                    tokio::spawn(flip_last_byte(server_r, client_w, counter));
                }
                Tamper::LargeClientTlsRecord { min_len } => {
                    tokio::spawn(flip_in_tls_record(client_r, server_w, min_len, counter));
                    tokio::spawn(copy(server_r, client_w));
                }
            }
        }
    });
    Proxy { addr, tampered }
}

async fn copy(mut from: OwnedReadHalf, mut to: OwnedWriteHalf) {
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 || to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

async fn flip_last_byte(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, counter: Arc<AtomicUsize>) {
    let mut all = Vec::new();
    let _ = from.read_to_end(&mut all).await;
    if let Some(last) = all.last_mut() {
        *last ^= 0x01;
        counter.fetch_add(1, Ordering::SeqCst);
    }
    let _ = to.write_all(&all).await;
    let _ = to.shutdown().await;
}

async fn flip_in_tls_record(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    min_len: usize,
    counter: Arc<AtomicUsize>,
) {
    let mut pending = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut done = false;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        // Forward whole records: 1 type byte, 2 version bytes, 2 length bytes.
        while pending.len() >= 5 {
            let len = u16::from_be_bytes([pending[3], pending[4]]) as usize;
            if pending.len() < 5 + len {
                break;
            }
            let mut record: Vec<u8> = pending.drain(..5 + len).collect();
            if !done && len >= min_len {
                record[5 + len / 2] ^= 0x01;
                done = true;
                counter.fetch_add(1, Ordering::SeqCst);
            }
            if to.write_all(&record).await.is_err() {
                return;
            }
        }
    }
    let _ = to.shutdown().await;
}
