//! One-time messages carried across a redirect ("flash"), sealed with an HMAC so only the
//! platform can write them: a message in the page's alert box is never text a link supplied.
//!
//! The key is a random secret kept in the database (`server_secrets`), made by the first process
//! that needs it, so every server process over one database accepts the others' messages.

use sha2::{Digest, Sha256};

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

/// HMAC-SHA256 (RFC 2104), written out to stay on the one SHA-256 the workspace already uses.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Compares without stopping at the first difference, so timing tells nothing of the MAC.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::hmac_sha256;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
