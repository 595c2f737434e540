//! Passwords, login with lock-out, and database-backed sessions.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::Duration;
use serde_json::json;
use sha2::{Digest, Sha256};
use zijin_domain::User;
use zijin_store::{audit, parse_timestamp, sessions, timestamp, users};

use crate::{Actor, App, AppError, AppResult};

/// Failed logins in a row that lock an account.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a locked account stays locked.
pub const LOCK_DURATION: Duration = Duration::minutes(15);
/// How long a session lasts without logging in again.
pub const SESSION_DURATION: Duration = Duration::hours(12);

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

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks the password; after [`MAX_FAILED_LOGINS`] failures in a row the account is locked for
/// [`LOCK_DURATION`], and while locked even the right password is refused.
pub async fn login(app: &App, username: &str, password: &str) -> AppResult<NewSession> {
    let now = app.now();
    let found = users::get_with_password_hash(app.store.pool(), username.trim()).await?;
    let Some((user, stored_hash)) = found else {
        // Spend the same time as a real check so response times do not reveal user names.
        let _ = verify_password(password, dummy_hash()).await;
        return Err(AppError::LoginFailed);
    };
    if let Some(until) = &user.locked_until
        && parse_timestamp(until)? > now
    {
        return Err(AppError::AccountLocked {
            failures: MAX_FAILED_LOGINS,
            until: display_time(until),
        });
    }
    let password_ok = verify_password(password, &stored_hash).await?;
    let mut tx = app.store.begin_write().await?;
    if !password_ok {
        let failures = user.failed_logins + 1;
        if failures >= MAX_FAILED_LOGINS {
            let until = timestamp(now + LOCK_DURATION);
            users::set_login_failures(&mut tx, user.id, 0, Some(&until), now).await?;
            audit::append(
                &mut tx,
                now,
                audit::Change {
                    actor: Actor::User(user.clone()).audit_name(),
                    action: "user.lock",
                    entity: "user",
                    entity_id: user.id.to_string(),
                    before: Some(json!({"failed_logins": user.failed_logins, "locked_until": user.locked_until})),
                    after: Some(json!({"failed_logins": 0, "locked_until": until})),
                },
            )
            .await?;
            tx.commit().await.map_err(zijin_store::StoreError::from)?;
            return Err(AppError::AccountLocked {
                failures,
                until: display_time(&until),
            });
        }
        users::set_login_failures(&mut tx, user.id, failures, None, now).await?;
        audit::append(
            &mut tx,
            now,
            audit::Change {
                actor: Actor::Anonymous.audit_name(),
                action: "user.login-failed",
                entity: "user",
                entity_id: user.id.to_string(),
                before: Some(json!({"failed_logins": user.failed_logins})),
                after: Some(json!({"failed_logins": failures})),
            },
        )
        .await?;
        tx.commit().await.map_err(zijin_store::StoreError::from)?;
        return Err(AppError::LoginFailed);
    }
    if user.failed_logins != 0 || user.locked_until.is_some() {
        users::set_login_failures(&mut tx, user.id, 0, None, now).await?;
    }
    let token = random_token();
    let csrf_token = random_token();
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
            after: None,
        },
    )
    .await?;
    tx.commit().await.map_err(zijin_store::StoreError::from)?;
    Ok(NewSession {
        token,
        csrf_token,
        user: User {
            failed_logins: 0,
            locked_until: None,
            ..user
        },
    })
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
    tx.commit().await.map_err(zijin_store::StoreError::from)?;
    Ok(())
}

/// Removes expired sessions; returns how many. Any process may run it.
pub async fn delete_expired_sessions(app: &App) -> AppResult<u64> {
    Ok(sessions::delete_expired(app.store.pool(), app.now()).await?)
}

/// Shows a stored timestamp in Beijing time, as users read it.
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

/// A hash of a random password, verified against when a user name is unknown.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(random_token().as_bytes())
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}
