//! The audit log's hash chain: each entry's hash covers its content and the previous hash, so
//! changing or removing any stored entry breaks every hash after it.

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
    /// The entry's hash given the hash of the entry before it.
    pub fn chain_hash(&self, previous_hash: &str) -> String {
        let mut hasher = Sha256::new();
        // Each field is length-prefixed so no two different records share an encoding.
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
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
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
