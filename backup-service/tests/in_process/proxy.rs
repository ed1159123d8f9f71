//! A man in the middle between the backup service and a web node: passes
//! requests through and records the answers, flips a bit of an answer, or
//! answers with an answer recorded earlier.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forward and keep a copy of the answer.
    Record,
    /// Forward, flipping one bit of the answer's last byte (inside the sealed body).
    Tamper,
    /// Do not forward: answer with the last recorded answer.
    Replay,
}

#[derive(Clone)]
pub struct Proxy {
    pub addr: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    recorded: Arc<Mutex<Vec<u8>>>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy =
            Self { addr: listener.local_addr().unwrap(), mode: Arc::new(Mutex::new(mode)), recorded: Arc::default() };
        let this = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let this = this.clone();
                tokio::spawn(async move { this.handle(client, upstream).await });
            }
        });
        proxy
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    async fn handle(&self, mut client: TcpStream, upstream: SocketAddr) {
        let request = read_request(&mut client).await;
        let mode = *self.mode.lock().unwrap();
        let answer = if mode == Mode::Replay {
            self.recorded.lock().unwrap().clone()
        } else {
            let mut server = TcpStream::connect(upstream).await.unwrap();
            server.write_all(&request).await.unwrap();
            let mut answer = Vec::new();
            // The node closes the connection after answering (`Connection: close`).
            let _ = server.read_to_end(&mut answer).await;
            if mode == Mode::Record {
                *self.recorded.lock().unwrap() = answer.clone();
            }
            if mode == Mode::Tamper {
                *answer.last_mut().unwrap() ^= 0x01;
            }
            answer
        };
        let _ = client.write_all(&answer).await;
        let _ = client.shutdown().await;
    }
}

/// Headers and, if `content-length` says so, the body.
async fn read_request(client: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = client.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return buf;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let headers = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let body_len = headers
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + body_len {
                return buf;
            }
        }
    }
}
