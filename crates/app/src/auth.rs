//! Passwords, login with throttling, and database-backed sessions.
//!
//! Login is throttled by counters in the database (`store::login_throttle`), so every server
//! process agrees: per account from one client address, per client address over all accounts,
//! and per account over all addresses, each with a few free attempts and then a delay that
//! doubles with every further attempt. An attempt is charged *before* its password is checked
//! and refunded when it succeeds, so 64 parallel guesses get no more checks than 5 in a row.
//! Throttling one address never locks the account out from another address (the per-account
//! counter allows many more attempts and its delay stays short). The password hashes in flight
//! are bounded per process ([`LoginLimits`]); a flood is answered "too many requests" instead of
//! starving every other page of the processor.

use std::net::IpAddr;
use std::time::Duration as StdDuration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use zijin_domain::User;
use zijin_store::login_throttle::{self, Charge, Key};
use zijin_store::{StoreError, audit, parse_timestamp, sessions, users};

use crate::{Actor, App, AppError, AppResult};

/// How long a session lasts without logging in again.
pub const SESSION_DURATION: Duration = Duration::hours(12);
/// How long a refused attempt (throttled, or too many at once) waits before it is answered. It
/// costs no processor time, and slows a flood's closed loop of requests, so the refusals do not
/// crowd out the other pages either.
const REFUSAL_DELAY: StdDuration = StdDuration::from_millis(250);
/// Counters untouched this long start again from zero.
const THROTTLE_MEMORY: Duration = Duration::hours(24);

/// One throttling counter's rule: free attempts, then a delay that doubles per attempt.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleRule {
    pub scope: &'static str,
    /// Attempts allowed before the first delay.
    pub free_attempts: i64,
    pub first_delay: Duration,
    pub longest_delay: Duration,
}

impl ThrottleRule {
    /// The delay after the `attempts`-th attempt (none before the free attempts are used).
    pub fn delay_after(&self, attempts: i64) -> Option<Duration> {
        let beyond = attempts - self.free_attempts;
        if beyond < 0 {
            return None;
        }
        let doubled = self.first_delay * 2i32.saturating_pow(beyond.min(20) as u32);
        Some(doubled.min(self.longest_delay))
    }
}

/// One account from one client address: 5 attempts, then 1, 2, 4 … minutes up to an hour.
pub const PER_ACCOUNT_AND_ADDRESS: ThrottleRule = ThrottleRule {
    scope: "pair",
    free_attempts: 5,
    first_delay: Duration::minutes(1),
    longest_delay: Duration::hours(1),
};
/// Every account from one client address (password spraying): 20 attempts, then the same.
pub const PER_ADDRESS: ThrottleRule = ThrottleRule {
    scope: "address",
    free_attempts: 20,
    first_delay: Duration::minutes(1),
    longest_delay: Duration::hours(1),
};
/// One account from every address (a guesser with many addresses): 50 attempts, then at most a
/// quarter of an hour, so nobody can keep the owner out for long.
pub const PER_ACCOUNT: ThrottleRule = ThrottleRule {
    scope: "account",
    free_attempts: 50,
    first_delay: Duration::minutes(1),
    longest_delay: Duration::minutes(15),
};

const RULES: [ThrottleRule; 3] = [PER_ACCOUNT_AND_ADDRESS, PER_ADDRESS, PER_ACCOUNT];

/// Where a login comes from, as the throttle counts it: an IPv4 address, an IPv6 /64 network
/// (one subscriber usually holds a whole /64), or "unknown".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(String);

impl ClientAddress {
    pub fn from_ip(ip: Option<IpAddr>) -> Self {
        let text = match ip.map(|ip| ip.to_canonical()) {
            Some(IpAddr::V4(v4)) => v4.to_string(),
            Some(IpAddr::V6(v6)) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            None => "unknown".to_string(),
        };
        Self(text)
    }

    /// The command line and tests, which have no network peer.
    pub fn local() -> Self {
        Self("local".to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The bound on password hashes computed at once in this process. A resource limit of the
/// process, not state: it needs no sharing between processes.
#[derive(Debug)]
pub struct LoginLimits {
    hashing: std::sync::Arc<Semaphore>,
    /// Places for attempts hashing or waiting to hash; an attempt that finds none is refused.
    admitted: std::sync::Arc<Semaphore>,
    max_wait: StdDuration,
}

impl LoginLimits {
    /// At most `concurrent` hashes at once, and as many again × 4 waiting for up to two seconds.
    pub fn new(concurrent: usize) -> Self {
        let concurrent = concurrent.max(1);
        Self {
            hashing: std::sync::Arc::new(Semaphore::new(concurrent)),
            admitted: std::sync::Arc::new(Semaphore::new(concurrent * 5)),
            max_wait: StdDuration::from_secs(2),
        }
    }

    /// Half the processor's cores (at least one): the other half keeps serving pages.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism()
            .map(|n| (n.get() / 2).max(1))
            .unwrap_or(1)
    }

    /// A place among the attempts this process takes on, or "too many requests" at once —
    /// before anything else is done, so a flood costs the pages next to nothing.
    fn admit(&self) -> AppResult<OwnedSemaphorePermit> {
        self.admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| AppError::TooManyRequests)
    }

    /// The turn to compute a hash, waited for at most `max_wait`.
    async fn hashing_turn(&self) -> AppResult<OwnedSemaphorePermit> {
        tokio::time::timeout(self.max_wait, self.hashing.clone().acquire_owned())
            .await
            .map_err(|_| AppError::TooManyRequests)?
            .map_err(|_| AppError::TooManyRequests)
    }
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self::new(Self::default_concurrency())
    }
}

/// A new session: the token goes into the cookie, the CSRF token into forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub user: User,
}

/// An existing session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
}

/// Hashes a password with argon2id off the async threads (it takes tens of milliseconds).
pub async fn hash_password(password: &str) -> AppResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|error| AppError::Internal(format!("password hashing failed: {error}")))
    })
    .await
    .map_err(|error| AppError::Internal(error.to_string()))?
}

async fn verify_password(password: &str, stored_hash: &str) -> AppResult<bool> {
    let (password, stored_hash) = (password.to_owned(), stored_hash.to_owned());
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored_hash).map_err(|error| {
            AppError::Internal(format!("stored password hash invalid: {error}"))
        })?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|error| AppError::Internal(error.to_string()))?
}

/// A random token of 32 bytes, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system has no random source");
    hex::encode(bytes)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The counters an attempt on `username` from `from` is charged to, with their rules. Names
/// are cut to 64 characters so a flood of long made-up names cannot grow the table's rows.
fn throttle_keys<'a>(username: &'a str, from: &'a ClientAddress) -> [(Key<'a>, ThrottleRule); 3] {
    let name = match username.char_indices().nth(64) {
        Some((end, _)) => &username[..end],
        None => username,
    };
    RULES.map(|rule| {
        let key = match rule.scope {
            "pair" => Key {
                scope: rule.scope,
                username: name,
                address: from.as_str(),
            },
            "address" => Key {
                scope: rule.scope,
                username: "",
                address: from.as_str(),
            },
            _ => Key {
                scope: rule.scope,
                username: name,
                address: "",
            },
        };
        (key, rule)
    })
}

fn throttled(until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    AppError::LoginThrottled {
        until: display_time(&zijin_store::timestamp(until)),
        retry_after_seconds: (until - now).num_seconds().max(1),
    }
}

/// Checks `password` for `username` under the throttle: the attempt is charged first, the hash
/// computed within the process's bound, and the charge refunded if the password was right.
/// Unknown names cost the same hash as known ones. Returns the account when the password is
/// right (a disabled account too: the caller decides).
async fn checked_attempt(
    app: &App,
    username: &str,
    password: &str,
    from: &ClientAddress,
) -> AppResult<Option<User>> {
    let result = attempt_under_throttle(app, username, password, from).await;
    if matches!(
        result,
        Err(AppError::LoginThrottled { .. } | AppError::TooManyRequests)
    ) {
        tokio::time::sleep(REFUSAL_DELAY).await;
    }
    result
}

async fn attempt_under_throttle(
    app: &App,
    username: &str,
    password: &str,
    from: &ClientAddress,
) -> AppResult<Option<User>> {
    let now = app.now();
    let keys = throttle_keys(username, from);
    let plain_keys: Vec<Key<'_>> = keys.iter().map(|(key, _)| *key).collect();
    let admitted = app.login_limits.admit()?;
    // A quick refusal without the write lock: a throttled flood costs a read, not a hash.
    if let Some(until) = login_throttle::blocked_until(app.store.pool(), &plain_keys, now).await? {
        return Err(throttled(until, now));
    }
    let hashing = app.login_limits.hashing_turn().await?;
    let mut tx = app.store.begin_write().await?;
    // The latest delay this attempt starts on any counter, for the audit entry.
    let mut delays_until: Option<DateTime<Utc>> = None;
    for (key, rule) in &keys {
        match login_throttle::charge(&mut tx, *key, now, now - THROTTLE_MEMORY).await? {
            Charge::Blocked(until) => {
                tx.rollback().await.map_err(StoreError::from)?;
                return Err(throttled(until, now));
            }
            Charge::Counted(attempts) => {
                if let Some(delay) = rule.delay_after(attempts) {
                    login_throttle::block(&mut tx, *key, now + delay).await?;
                    delays_until = delays_until.max(Some(now + delay));
                }
            }
        }
    }
    tx.commit().await.map_err(StoreError::from)?;

    let found = users::get_with_password_hash(app.store.pool(), username).await?;
    let password_ok = match &found {
        Some((_, stored_hash)) => verify_password(password, stored_hash).await?,
        None => {
            // Spend the same time as a real check so response times do not reveal user names.
            let _ = verify_password(password, dummy_hash()?).await;
            false
        }
    };
    drop((hashing, admitted));

    let mut tx = app.store.begin_write().await?;
    let user = match found {
        Some((user, _)) if password_ok => {
            let [pair, address, account] = keys.map(|(key, _)| key);
            login_throttle::clear(&mut tx, pair).await?;
            login_throttle::refund(&mut tx, address).await?;
            login_throttle::refund(&mut tx, account).await?;
            Some(user)
        }
        Some((user, _)) => {
            audit::append(
                &mut tx,
                now,
                audit::Change {
                    actor: Actor::Anonymous.audit_name(),
                    action: "user.login-failed",
                    entity: "user",
                    entity_id: user.id.to_string(),
                    before: None,
                    after: Some(json!({
                        "address": from.as_str(),
                        "delayed_until": delays_until.map(zijin_store::timestamp),
                    })),
                },
            )
            .await?;
            None
        }
        None => None,
    };
    tx.commit().await.map_err(StoreError::from)?;
    Ok(user)
}

/// Logs in: checks the password under the throttle and opens a session.
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
    from: &ClientAddress,
) -> AppResult<NewSession> {
    let username = username.trim();
    let Some(user) = checked_attempt(app, username, password, from).await? else {
        return Err(AppError::LoginFailed);
    };
    if user.disabled {
        return Err(AppError::AccountDisabled);
    }
    let now = app.now();
    let token = random_token();
    let csrf_token = random_token();
    let mut tx = app.store.begin_write().await?;
    sessions::create(
        &mut *tx,
        &token_hash(&token),
        user.id,
        &csrf_token,
        now,
        now + SESSION_DURATION,
    )
    .await?;
    audit::append(
        &mut tx,
        now,
        audit::Change {
            actor: Actor::User(user.clone()).audit_name(),
            action: "session.login",
            entity: "user",
            entity_id: user.id.to_string(),
            before: None,
            after: Some(json!({"address": from.as_str()})),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(NewSession {
        token,
        csrf_token,
        user,
    })
}

/// Checks a signed-in user's current password (before they change it), under the same throttle
/// as login.
pub(crate) async fn confirm_password(
    app: &App,
    user: &User,
    password: &str,
    from: &ClientAddress,
) -> AppResult<()> {
    match checked_attempt(app, &user.username, password, from).await? {
        Some(found) if found.id == user.id => Ok(()),
        _ => Err(AppError::field("current_password", "当前密码不正确")),
    }
}

/// The session behind a cookie's token, if it is valid.
pub async fn session(app: &App, token: &str) -> AppResult<Option<Session>> {
    Ok(
        sessions::find(app.store.pool(), &token_hash(token), app.now())
            .await?
            .map(|(user, csrf_token)| Session { user, csrf_token }),
    )
}

pub async fn logout(app: &App, token: &str, actor: &Actor) -> AppResult<()> {
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    sessions::delete(&mut *tx, &token_hash(token)).await?;
    if let Some(user) = actor.user() {
        audit::append(
            &mut tx,
            now,
            audit::Change {
                actor: actor.audit_name(),
                action: "session.logout",
                entity: "user",
                entity_id: user.id.to_string(),
                before: None,
                after: None,
            },
        )
        .await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Removes expired sessions and forgotten throttle counters; returns how many sessions. Any
/// process may run it.
pub async fn delete_expired_sessions(app: &App) -> AppResult<u64> {
    let now = app.now();
    login_throttle::prune(app.store.pool(), now - THROTTLE_MEMORY).await?;
    Ok(sessions::delete_expired(app.store.pool(), now).await?)
}

/// Accounts whose login is being delayed now, with the end of the delay in Beijing time.
pub async fn throttled_accounts(app: &App) -> AppResult<std::collections::HashMap<String, String>> {
    Ok(
        login_throttle::blocked_accounts(app.store.pool(), app.now())
            .await?
            .into_iter()
            .map(|(name, until)| (name, display_time(&zijin_store::timestamp(until))))
            .collect(),
    )
}

/// Shows a stored timestamp in Beijing time, as users read it.
/// A moment in Beijing time, as pages show it.
pub fn display_at(at: chrono::DateTime<chrono::Utc>) -> String {
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    at.with_timezone(&beijing)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

pub fn display_time(stored: &str) -> String {
    match parse_timestamp(stored) {
        Ok(at) => {
            let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
            at.with_timezone(&beijing)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        }
        Err(_) => stored.to_string(),
    }
}

/// How long something has waited since a stored timestamp, as a clerk says it: "3 天",
/// "5 小时", "不到 1 小时".
pub fn waited(stored: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    match parse_timestamp(stored) {
        Ok(at) => {
            let hours = (now - at).num_hours().max(0);
            match hours {
                0 => "不到 1 小时".to_string(),
                1..=47 => format!("{hours} 小时"),
                _ => format!("{} 天", hours / 24),
            }
        }
        Err(_) => String::new(),
    }
}

/// The stored (UTC) timestamp at which a Beijing calendar day starts, for date filters: a
/// day picked as 2026-12-01 starts at 2026-11-30T16:00Z. `None` for text that is no date.
pub fn beijing_day_start(date: &str) -> Option<String> {
    let day = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    let start = day
        .and_hms_opt(0, 0, 0)?
        .and_local_timezone(beijing)
        .single()?;
    Some(zijin_store::timestamp(start.with_timezone(&chrono::Utc)))
}

/// The stored timestamp at which the Beijing day after `date` starts (an inclusive "until").
pub fn beijing_day_end(date: &str) -> Option<String> {
    let day = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    beijing_day_start(&day.succ_opt()?.format("%Y-%m-%d").to_string())
}

/// A hash of a random password, verified against when a user name is unknown.
fn dummy_hash() -> AppResult<&'static str> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let hash = Argon2::default()
        .hash_password(random_token().as_bytes())
        .map_err(|error| AppError::Internal(format!("password hashing failed: {error}")))?
        .to_string();
    Ok(DUMMY.get_or_init(|| hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_after_the_free_attempts_up_to_the_longest() {
        let rule = PER_ACCOUNT_AND_ADDRESS;
        assert_eq!(rule.delay_after(4), None);
        assert_eq!(rule.delay_after(5), Some(Duration::minutes(1)));
        assert_eq!(rule.delay_after(6), Some(Duration::minutes(2)));
        assert_eq!(rule.delay_after(8), Some(Duration::minutes(8)));
        assert_eq!(rule.delay_after(12), Some(Duration::hours(1)));
        assert_eq!(rule.delay_after(10_000), Some(Duration::hours(1)));
        assert_eq!(PER_ACCOUNT.delay_after(60), Some(Duration::minutes(15)));
    }

    #[test]
    fn addresses_are_counted_by_ipv4_address_or_ipv6_network() {
        let v4 = ClientAddress::from_ip(Some("203.0.113.9".parse().unwrap()));
        assert_eq!(v4.as_str(), "203.0.113.9");
        let mapped = ClientAddress::from_ip(Some("::ffff:203.0.113.9".parse().unwrap()));
        assert_eq!(mapped, v4);
        let a = ClientAddress::from_ip(Some("2001:db8:1:2::1".parse().unwrap()));
        let b = ClientAddress::from_ip(Some("2001:db8:1:2:ffff::9".parse().unwrap()));
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "2001:db8:1:2::/64");
        assert_eq!(ClientAddress::from_ip(None).as_str(), "unknown");
    }

    #[test]
    fn long_names_are_cut_for_the_counters() {
        let from = ClientAddress::local();
        let name = "名".repeat(500);
        let keys = throttle_keys(&name, &from);
        assert_eq!(keys[0].0.username.chars().count(), 64);
        assert_eq!(keys[1].0.username, "");
        assert_eq!(keys[2].0.address, "");
    }
}
