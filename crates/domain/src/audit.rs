//! The audit log's hash chain: each entry's hash covers its content and the previous hash, so
//! changing or removing any stored entry breaks every hash after it.
//!
//! Entries are keyed: their hash is an HMAC-SHA256 under a key kept outside the database, so
//! someone who can write the database but does not hold the key cannot recompute the chain after
//! changing an entry. Entries written before keys existed keep their plain SHA-256 hash
//! ([`AuditRecord::chain_hash`]); only a prefix of the chain may be plain.

use sha2::{Digest, Sha256};

/// The `previous_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of one audit entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AuditRecord {
    /// The entry's plain (unkeyed) hash given the hash of the entry before it: the scheme of
    /// entries written before the chain was keyed.
    pub fn chain_hash(&self, previous_hash: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.encoding(previous_hash));
        hex::encode(hasher.finalize())
    }

    /// The entry's keyed hash: HMAC-SHA256 under `key` of the same encoding, with a version
    /// label in front so a keyed and a plain hash of one record never coincide by construction.
    pub fn keyed_hash(&self, key: &AuditKey, previous_hash: &str) -> String {
        let mut message = b"zijin-audit-v2\0".to_vec();
        message.extend(self.encoding(previous_hash));
        hex::encode(hmac_sha256(&key.0, &message))
    }

    /// The canonical bytes of the record and its predecessor's hash. Each field is
    /// length-prefixed so no two different records share an encoding.
    fn encoding(&self, previous_hash: &str) -> Vec<u8> {
        let mut bytes = Vec::new();
        for field in [
            self.seq.to_string().as_str(),
            &self.at,
            &self.actor,
            &self.action,
            &self.entity,
            &self.entity_id,
            self.before.as_deref().unwrap_or("\u{0}null"),
            self.after.as_deref().unwrap_or("\u{0}null"),
            previous_hash,
        ] {
            bytes.extend((field.len() as u64).to_be_bytes());
            bytes.extend(field.as_bytes());
        }
        bytes
    }
}

/// The secret that keys the audit chain: 32 bytes, kept outside the database (a file in the data
/// directory or the environment). Every process writing one database must hold the same key.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

/// A key given as text that is not 64 hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("审计密钥应为 64 位十六进制数字（32 字节）")]
pub struct AuditKeyError;

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 hexadecimal digits; surrounding whitespace (a trailing newline) is ignored.
    pub fn from_hex(text: &str) -> Result<Self, AuditKeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| AuditKeyError)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| AuditKeyError)?;
        Ok(Self(bytes))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A short public name of the key (not the key): lets an operator tell two keys apart.
    pub fn fingerprint(&self) -> String {
        hex::encode(&hmac_sha256(&self.0, b"zijin-audit-key-fingerprint")[..8])
    }
}

impl std::fmt::Debug for AuditKey {
    // The key never appears in logs or panic messages; its fingerprint does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.fingerprint())
    }
}

/// HMAC-SHA256 (RFC 2104) over the workspace's sha2, so no second digest version is needed.
/// The one HMAC of the workspace (audit chain, flash messages).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> AuditRecord {
        AuditRecord {
            seq: 1,
            at: "2026-11-28T12:00:00.000Z".into(),
            actor: "user:1".into(),
            action: "institution.create".into(),
            entity: "institution".into(),
            entity_id: "7".into(),
            before: None,
            after: Some(r#"{"name":"南京大学"}"#.into()),
        }
    }

    /// RFC 4231 test cases 2 and 6 (a short key, and a key longer than the block).
    #[test]
    fn hmac_matches_the_rfc_4231_vectors() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn the_keyed_hash_depends_on_the_key_and_differs_from_the_plain_one() {
        let key = AuditKey::from_bytes([7; 32]);
        let other = AuditKey::from_bytes([8; 32]);
        let keyed = record().keyed_hash(&key, GENESIS_HASH);
        assert_eq!(keyed, record().keyed_hash(&key, GENESIS_HASH));
        assert_ne!(keyed, record().keyed_hash(&other, GENESIS_HASH));
        assert_ne!(keyed, record().chain_hash(GENESIS_HASH));
        assert_ne!(keyed, record().keyed_hash(&key, &keyed));
        assert_eq!(keyed.len(), 64);
    }

    #[test]
    fn keys_are_read_as_64_hex_digits_and_never_printed() {
        let key = AuditKey::from_hex(&format!("{}\n", "ab".repeat(32))).unwrap();
        assert_eq!(key.to_hex(), "ab".repeat(32));
        assert_eq!(AuditKey::from_hex("abc"), Err(AuditKeyError));
        assert_eq!(AuditKey::from_hex(&"zz".repeat(32)), Err(AuditKeyError));
        assert!(!format!("{key:?}").contains("abab"));
    }

    #[test]
    fn the_hash_depends_on_every_field_and_the_previous_hash() {
        let base = record().chain_hash(GENESIS_HASH);
        assert_eq!(base, record().chain_hash(GENESIS_HASH));
        assert_ne!(base, record().chain_hash(&base));
        let mut changed = record();
        changed.after = Some(r#"{"name":"东南大学"}"#.into());
        assert_ne!(base, changed.chain_hash(GENESIS_HASH));
        let mut moved = record();
        moved.actor = "user:1i".into();
        moved.action = "nstitution.create".into();
        assert_ne!(base, moved.chain_hash(GENESIS_HASH));
    }
}
