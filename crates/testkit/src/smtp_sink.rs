//! A local SMTP sink for tests: it accepts every message on a free port of 127.0.0.1 and keeps
//! it (envelope and data) for the test to read. It speaks just enough of RFC 5321 for a real
//! client (lettre) to deliver: greeting, EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing,
//! RSET, NOOP, QUIT.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message the sink received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SunkMail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent (after dot-unstuffing), lines joined with CRLF.
    pub data: String,
}

impl SunkMail {
    /// A header's value (the first of that name), as sent (RFC 2047 words left encoded).
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.data.split_once("\r\n\r\n")?;
        head.split("\r\n").find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }

    /// The text of a base64 body, decoded (the platform's mails are base64).
    pub fn body_text(&self) -> String {
        use base64::Engine;
        let (_, body) = self.data.split_once("\r\n\r\n").unwrap_or(("", ""));
        let joined: String = body.split("\r\n").collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(joined.trim())
            .expect("a base64 body");
        String::from_utf8(bytes).expect("UTF-8 text")
    }
}

/// The running sink; it stops with the test's runtime.
pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<SunkMail>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let port = listener.local_addr().expect("address").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let _ = session(stream, kept).await;
                });
            }
        });
        Self { port, messages }
    }

    /// The `smtp://` URL a client sends to (plain, no TLS, no authentication).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<SunkMail> {
        self.messages.lock().expect("sink lock").clone()
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    kept: Arc<Mutex<Vec<SunkMail>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink ESMTP ready\r\n").await?;
    let mut current = SunkMail::default();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            current = SunkMail {
                from: address(&line["MAIL FROM:".len()..]),
                ..SunkMail::default()
            };
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            current.to.push(address(&line["RCPT TO:".len()..]));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = Vec::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                data.push(line.strip_prefix('.').map_or(line.clone(), str::to_string));
            }
            current.data = data.join("\r\n");
            kept.lock()
                .expect("sink lock")
                .push(std::mem::take(&mut current));
            b"250 OK queued\r\n"
        } else if upper.starts_with("RSET") {
            current = SunkMail::default();
            b"250 OK\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

/// `<a@b>` with any parameters after it → `a@b`.
fn address(text: &str) -> String {
    let text = text.trim();
    let inner = text
        .strip_prefix('<')
        .and_then(|rest| rest.split('>').next())
        .unwrap_or(text);
    inner.to_string()
}
