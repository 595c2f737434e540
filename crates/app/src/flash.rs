//! One-time messages carried across a redirect ("flash"), sealed with an HMAC so only the
//! platform can write them: a message in the page's alert box is never text a link supplied.
//!
//! The key is a random secret kept in the database (`server_secrets`), made by the first process
//! that needs it, so every server process over one database accepts the others' messages.

use zijin_domain::hmac_sha256;

use crate::{App, AppResult, auth};

const KEY_NAME: &str = "flash-hmac-sha256";
/// Longer messages are cut: the sealed cookie must stay well under the 4 KB browsers keep.
const MAX_MESSAGE_CHARS: usize = 500;

/// `message` sealed for a cookie: hex of the text, a dot, hex of its MAC.
pub async fn seal(app: &App, message: &str) -> AppResult<String> {
    let message: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    let key = key(app).await?;
    let text = hex::encode(message.as_bytes());
    let mac = hex::encode(hmac_sha256(key.as_bytes(), text.as_bytes()));
    Ok(format!("{text}.{mac}"))
}

/// The message of a sealed value, or `None` when it was not sealed by the platform.
pub async fn open(app: &App, sealed: &str) -> AppResult<Option<String>> {
    let Some((text, mac)) = sealed.split_once('.') else {
        return Ok(None);
    };
    let Ok(mac) = hex::decode(mac) else {
        return Ok(None);
    };
    let key = key(app).await?;
    let expected = hmac_sha256(key.as_bytes(), text.as_bytes());
    if !constant_time_eq(&expected, &mac) {
        return Ok(None);
    }
    Ok(hex::decode(text)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok()))
}

async fn key(app: &App) -> AppResult<String> {
    Ok(
        zijin_store::secrets::get_or_create(&app.store, KEY_NAME, &auth::random_token(), app.now())
            .await?,
    )
}

/// Compares without stopping at the first difference, so timing tells nothing of the MAC.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
