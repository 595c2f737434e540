//! API keys for other systems (issue 20): the admin issues a key to an account (an
//! institution's user or a system account) with scopes, an expiry and a note; the token is
//! shown once and kept only as its SHA-256; a request with `Authorization: Bearer …` acts as
//! the account within the key's scopes, needs no CSRF token, is counted against the key's
//! per-minute limit (in the database, so it holds across processes) and recorded (uses, last
//! use); issuing and revoking are audited.

use chrono::NaiveDate;
use serde_json::json;
use zijin_domain::User;
use zijin_store::api_keys::{self as store, StoredKey};
use zijin_store::audit::Change;

use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// Requests a key may make in one minute unless the admin sets another limit.
pub const PER_MINUTE: i64 = 120;
/// The highest per-minute limit a key may have.
pub const MAX_PER_MINUTE: i64 = 100_000;
/// The longest a key may live.
pub const MAX_DAYS: i64 = 730;

/// What a key may do: (code, label).
pub const SCOPES: &[(&str, &str)] = &[
    ("lists:read", "读取两项清单、成果和需求"),
    ("records:write", "提交和修改本单位的成果与需求"),
    ("applications", "申报通知与申报"),
    ("contracts", "技术合同登记"),
    ("stats:read", "统计与排行榜"),
    ("all", "账号的全部接口权限"),
];

pub fn scope_label(code: &str) -> &str {
    SCOPES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or(code)
}

/// The scope an API request needs (`path` without the query); `all` covers every request.
pub fn scope_for(method: &str, path: &str) -> &'static str {
    let rest = path.trim_start_matches("/api/v1");
    let under = |prefix: &str| rest == prefix || rest.starts_with(&format!("{prefix}/"));
    let reading = matches!(method, "GET" | "HEAD");
    if under("/lists")
        || ((under("/records") || under("/achievements") || under("/demands")) && reading)
    {
        "lists:read"
    } else if under("/achievements") || under("/demands") || under("/records") {
        "records:write"
    } else if under("/calls")
        || under("/applications")
        || under("/application-files")
        || under("/notices")
    {
        "applications"
    } else if under("/contracts") {
        "contracts"
    } else if under("/stats") || under("/rankings") {
        "stats:read"
    } else {
        "all"
    }
}

fn hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// What the admin fills in.
#[derive(Debug, Clone, Default)]
pub struct IssueInput {
    pub username: String,
    pub note: String,
    pub scopes: Vec<String>,
    /// YYYY-MM-DD, the last day the key works.
    pub expires_on: String,
    /// Requests a minute (empty: [`PER_MINUTE`]).
    pub per_minute: Option<i64>,
}

/// A key as listed (never its token).
#[derive(Debug, Clone)]
pub struct KeyView {
    pub key: StoredKey,
    pub scopes: Vec<String>,
    pub active: bool,
}

/// Issues a key (admins). Returns its id and the token, which is shown this once.
pub async fn issue(app: &App, actor: &Actor, input: &IssueInput) -> AppResult<(i64, String)> {
    access::require(actor, Area::ApiKeys)?;
    let today = crate::applications::beijing_date(app.now());
    let mut errors = zijin_domain::FieldErrors::new();
    let user =
        zijin_store::users::get_by_username(app.store().pool(), input.username.trim()).await?;
    match &user {
        None => errors.add("username", format!("没有账号“{}”", input.username.trim())),
        Some(u) if u.disabled => errors.add("username", "该账号已停用，不能为它签发密钥"),
        Some(_) => {}
    }
    let note = input.note.trim();
    if note.is_empty() {
        errors.add("note", "请写明用途（哪个系统、做什么），便于日后核对");
    } else if note.chars().count() > 200 {
        errors.add("note", "用途说明不能超过 200 字");
    }
    let mut scopes: Vec<String> = Vec::new();
    let mut unknown = false;
    for s in &input.scopes {
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        match SCOPES.iter().find(|(c, l)| *c == s || *l == s) {
            Some((code, _)) if !scopes.iter().any(|x| x == code) => scopes.push(code.to_string()),
            Some(_) => {}
            None => {
                unknown = true;
                errors.add("scopes", format!("没有这项权限范围：{s}"));
            }
        }
    }
    if scopes.is_empty() && !unknown {
        errors.add("scopes", "请至少选择一项权限范围");
    }
    match NaiveDate::parse_from_str(input.expires_on.trim(), "%Y-%m-%d") {
        Ok(day) if day < today => errors.add("expires_on", "有效期不能早于今天"),
        Ok(day) if (day - today).num_days() > MAX_DAYS => {
            errors.add("expires_on", format!("有效期最长 {MAX_DAYS} 天"))
        }
        Ok(_) => {}
        Err(_) => errors.add("expires_on", "有效期写作 YYYY-MM-DD，例如 2027-12-31"),
    }
    let per_minute = input.per_minute.unwrap_or(PER_MINUTE);
    if !(1..=MAX_PER_MINUTE).contains(&per_minute) {
        errors.add(
            "per_minute",
            format!("每分钟请求上限应在 1 到 {MAX_PER_MINUTE} 之间"),
        );
    }
    let Some(user) = user.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).expect("the operating system has no random source");
    let token = format!("zjk_{}", hex::encode(bytes));
    let prefix: String = token.chars().take(10).collect();
    let scopes_json = json!(scopes).to_string();
    let expires_on = input.expires_on.trim().to_string();
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let id = store::insert(
        work.tx(),
        &store::NewKey {
            user_id: user.id,
            note,
            scopes: &scopes_json,
            token_hash: &hash(&token),
            prefix: &prefix,
            expires_on: &expires_on,
            per_minute,
            created_by: &actor.audit_name(),
        },
        now,
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "api_key.issue",
        entity: "api_key",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({ "account": user.username, "note": note, "scopes": scopes, "expires_on": expires_on, "per_minute": per_minute, "prefix": prefix })),
    });
    work.commit().await?;
    Ok((id, token))
}

fn view(app: &App, key: StoredKey) -> AppResult<KeyView> {
    let today = crate::applications::beijing_date(app.now())
        .format("%Y-%m-%d")
        .to_string();
    let scopes = serde_json::from_str(&key.scopes)
        .map_err(|_| AppError::Internal(format!("API 密钥的权限范围无效：{}", key.id)))?;
    let active = key.revoked_at.is_none() && key.expires_on >= today;
    Ok(KeyView {
        key,
        scopes,
        active,
    })
}

/// Every key (admins).
pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<KeyView>> {
    access::require(actor, Area::ApiKeys)?;
    store::all(app.store().pool())
        .await?
        .into_iter()
        .map(|k| view(app, k))
        .collect()
}

/// Revokes a key (admins; cannot be undone, so `confirmed` must be set).
pub async fn revoke(app: &App, actor: &Actor, id: i64, confirmed: bool) -> AppResult<()> {
    access::require(actor, Area::ApiKeys)?;
    if !confirmed {
        return Err(AppError::field(
            "confirm",
            "吊销后该密钥立即失效且不能恢复，请勾选确认",
        ));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let key = store::get_for_update(work.tx(), id)
        .await?
        .ok_or(AppError::NotFound("API 密钥"))?;
    if key.revoked_at.is_some() {
        return Err(AppError::WrongState("该密钥已吊销".into()));
    }
    store::revoke(work.tx(), id, now).await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "api_key.revoke",
        entity: "api_key",
        entity_id: id.to_string(),
        before: Some(json!({ "prefix": key.prefix, "revoked": false })),
        after: Some(json!({ "revoked": true })),
    });
    work.commit().await?;
    Ok(())
}

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRefusal {
    /// Unknown, revoked or expired, or its account disabled (401).
    Invalid(String),
    /// The request is outside the key's scopes (403).
    OutOfScope(String),
    /// Over the key's per-minute limit (429).
    TooMany(i64),
}

/// The account a bearer token acts as for `method` `path`, counting the request.
pub async fn authenticate(
    app: &App,
    token: &str,
    method: &str,
    path: &str,
) -> AppResult<Result<User, KeyRefusal>> {
    let pool = app.store().pool();
    let Some(key) = store::by_hash(pool, &hash(token.trim())).await? else {
        return Ok(Err(KeyRefusal::Invalid("API 密钥无效".into())));
    };
    let view = view(app, key)?;
    if view.key.revoked_at.is_some() {
        return Ok(Err(KeyRefusal::Invalid("API 密钥已吊销".into())));
    }
    if !view.active {
        return Ok(Err(KeyRefusal::Invalid(format!(
            "API 密钥已于 {} 到期",
            view.key.expires_on
        ))));
    }
    // Every request with a valid key is counted (and recorded with its time), also one
    // outside the key's scopes.
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let minute = now.format("%Y-%m-%dT%H:%M").to_string();
    let count = store::count_use(work.tx(), view.key.id, &minute, now).await?;
    work.commit().await?;
    if count > view.key.per_minute {
        return Ok(Err(KeyRefusal::TooMany(view.key.per_minute)));
    }
    let needed = scope_for(method, path);
    if !view.scopes.iter().any(|s| s == "all" || s == needed) {
        return Ok(Err(KeyRefusal::OutOfScope(format!(
            "该 API 密钥没有“{}”权限",
            scope_label(needed)
        ))));
    }
    let Some(user) = zijin_store::users::get(pool, view.key.user_id).await? else {
        return Ok(Err(KeyRefusal::Invalid("API 密钥的账号已不存在".into())));
    };
    if user.disabled {
        return Ok(Err(KeyRefusal::Invalid("API 密钥的账号已停用".into())));
    }
    Ok(Ok(user))
}
