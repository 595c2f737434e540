//! E-mail for the notification centre (optional): when the server runs with `--smtp-url`, a
//! background task mails each new message to the accounts it reaches that have entered an
//! e-mail address on 账号设置.
//!
//! The outbox is the notifications table itself, so several processes serving one database
//! share it: a process claims a handful of unmailed messages in one statement (a message is
//! claimed by one process only — the claim re-checks `mailed_at IS NULL` under the row's lock),
//! commits, then sends. A failed send gives the message back for another try, at most
//! [`MAX_ATTEMPTS`] in all; a process killed between claim and send loses that message's mail
//! (the message itself stays in the platform) rather than sending it twice. Messages older than
//! a day when first seen are not mailed, so switching mail on does not flood anyone with the
//! past.

use chrono::Duration;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use zijin_store::StoreError;
use zijin_store::notifications::{self, Outgoing};

use crate::{App, AppResult};

/// How often a message is tried before it is given up.
pub const MAX_ATTEMPTS: i64 = 3;
/// How many messages a process claims at a time.
const BATCH: i64 = 20;

/// The SMTP connection and what every mail carries.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The site's address, put before each message's link (`https://kjcg.example.gov.cn`).
    site: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("site", &self.site)
            .finish()
    }
}

/// What one round of delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Messages claimed by this round.
    pub claimed: usize,
    /// Mails sent (one per recipient).
    pub sent: usize,
    /// Mails that failed (their message is tried again in a later round, up to the limit).
    pub failed: usize,
}

impl Mailer {
    /// `url` as lettre reads it: `smtp://host:25` (plain, for a relay on the same network),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465`.
    /// The error, in Chinese, names the option that is wrong.
    pub fn new(url: &str, from: &str, site: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("邮件服务器地址无效（--smtp-url）：{e}"))?
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("发件人地址无效（--smtp-from）：{e}"))?;
        Ok(Self {
            transport,
            from,
            site: site.trim_end_matches('/').to_string(),
        })
    }

    fn message(&self, to: &Mailbox, outgoing: &Outgoing) -> Result<Message, String> {
        let subject: String = outgoing.message.chars().take(40).collect();
        let body = format!(
            "{name}：\n\n{message}\n\n查看详情：{site}{link}\n\n\
             此邮件由紫金科技成果转化服务平台自动发送，请勿直接回复。\
             如不再需要邮件提醒，可在平台“账号设置”中删除邮箱。\n",
            name = to.name.as_deref().unwrap_or("您好"),
            message = outgoing.message,
            site = self.site,
            link = outgoing.link,
        );
        // Base64 whatever the text: Chinese lines pass every relay unchanged.
        let body = Body::new_with_encoding(body, ContentTransferEncoding::Base64)
            .map_err(|_| "邮件正文无法编码".to_string())?;
        Message::builder()
            .from(self.from.clone())
            .to(to.clone())
            .subject(format!("【紫金平台】{subject}"))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("邮件无法生成：{e}"))
    }
}

/// One round: claims up to 20 unmailed messages, sends each to its recipients, and gives the
/// failed ones back. Returns what it did; an SMTP failure is counted, not returned.
pub async fn deliver_pending(app: &App, mailer: &Mailer) -> AppResult<Delivery> {
    let now = app.now();
    let at = zijin_store::timestamp(now);
    let since = zijin_store::timestamp(now - Duration::days(1));
    let mut tx = app.store.begin_write().await?;
    let claimed = notifications::claim_for_mail(&mut tx, &at, &since, MAX_ATTEMPTS, BATCH).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let mut delivery = Delivery {
        claimed: claimed.len(),
        ..Delivery::default()
    };
    for outgoing in &claimed {
        let mut failure = None;
        for (name, address) in &outgoing.recipients {
            let Ok(address) = address.parse() else {
                // An address the account entered passed the check when entered; one that no
                // longer parses is skipped, not retried.
                continue;
            };
            let to = Mailbox::new(Some(name.clone()), address);
            let sent = match mailer.message(&to, outgoing) {
                Ok(message) => mailer
                    .transport
                    .send(message)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            match sent {
                Ok(_) => delivery.sent += 1,
                Err(error) => {
                    delivery.failed += 1;
                    tracing::warn!(notification = outgoing.id, %error, "邮件发送失败");
                    failure = Some(error);
                }
            }
        }
        if let Some(error) = failure {
            let mut tx = app.store.begin_write().await?;
            notifications::mail_failed(&mut tx, outgoing.id, &error, MAX_ATTEMPTS).await?;
            tx.commit().await.map_err(StoreError::from)?;
        }
    }
    Ok(delivery)
}

/// Runs [`deliver_pending`] every `every` until the process ends (the server's mail task).
pub async fn run(app: App, mailer: Mailer, every: std::time::Duration) {
    loop {
        match deliver_pending(&app, &mailer).await {
            Ok(delivery) if delivery.claimed > 0 => {
                tracing::info!(?delivery, "邮件提醒");
                if delivery.failed == 0 {
                    // More may be waiting: go on at once.
                    continue;
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "邮件提醒未能进行"),
        }
        tokio::time::sleep(every).await;
    }
}
