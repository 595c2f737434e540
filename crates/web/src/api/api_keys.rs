//! API keys for other systems (admins): issue (the token is in the answer, once), list, revoke.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zijin_app::api_keys::{self, IssueInput};

use super::{ApiJson, Caller, path_id};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::extract::Query;
use crate::routes::{Routes, get, post};

pub fn router() -> Routes {
    Routes::new()
        .route("/api-keys", get(list).post(issue))
        .route("/api-keys/{id}/revoke", post(revoke))
}

#[derive(Serialize, ToSchema)]
pub struct KeyOut {
    pub id: i64,
    /// The account the key acts as.
    pub account: String,
    pub note: String,
    /// Scope codes: lists:read, records:write, applications, contracts, stats:read, all.
    pub scopes: Vec<String>,
    /// The token's first characters, to tell keys apart.
    pub prefix: String,
    pub expires_on: String,
    /// Requests a minute the key may make.
    pub per_minute: i64,
    pub created_at: String,
    pub revoked: bool,
    pub active: bool,
    pub last_used_at: Option<String>,
    pub uses: i64,
}

/// Every API key (admins); tokens are never shown again.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", params(super::paging::Cursor),
    responses((status = 200, body = Vec<KeyOut>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    super::paging::page(
        &uri,
        &cursor,
        api_keys::list(&state.app, &caller.actor)
            .await?
            .into_iter()
            .map(|v| KeyOut {
                id: v.key.id,
                account: v.key.username,
                note: v.key.note,
                scopes: v.scopes,
                prefix: v.key.prefix,
                expires_on: v.key.expires_on,
                per_minute: v.key.per_minute,
                created_at: v.key.created_at,
                revoked: v.key.revoked_at.is_some(),
                active: v.active,
                last_used_at: v.key.last_used_at,
                uses: v.key.uses,
            })
            .collect(),
        |k| k.id.to_string(),
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(example = json!({"username": "university", "note": "南京大学技术转移系统同步成果", "scopes": ["lists:read", "records:write"], "expires_on": "2027-12-31", "per_minute": 600}))]
pub struct IssueRequest {
    /// The account the key acts as (an institution's user or a system account).
    pub username: String,
    /// What the key is for (required, at most 200 characters).
    pub note: String,
    /// Scope codes (see `KeyOut.scopes`).
    pub scopes: Vec<String>,
    /// The last day the key works, YYYY-MM-DD (at most two years ahead).
    pub expires_on: String,
    /// Requests a minute (1–100000; default 120).
    pub per_minute: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct IssuedOut {
    pub id: i64,
    /// The token: send it as `Authorization: Bearer …`. Shown this once; only its hash is kept.
    pub token: String,
}

/// Issue an API key (admins).
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = IssueRequest,
    responses((status = 201, body = IssuedOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn issue(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<IssueRequest>,
) -> Result<(StatusCode, Json<IssuedOut>), ApiError> {
    let input = IssueInput {
        username: request.username,
        note: request.note,
        scopes: request.scopes,
        expires_on: request.expires_on,
        per_minute: request.per_minute,
    };
    let (id, token) = api_keys::issue(&state.app, &caller.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(IssuedOut { id, token })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RevokeRequest {
    /// Must be true: a revoked key stops working at once, for good.
    #[schema(schema_with = super::codes::confirmed, required = true)]
    pub confirm: bool,
}

/// Revoke an API key (admins).
#[utoipa::path(post, path = "/api/v1/api-keys/{id}/revoke", tag = "api-keys", params(("id" = i64, Path)), request_body = RevokeRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "already revoked"), (status = 422, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RevokeRequest>,
) -> Result<StatusCode, ApiError> {
    zijin_app::access::require(&caller.actor, zijin_app::access::Area::ApiKeys)?;
    let id = path_id(&id, "API 密钥")?;
    api_keys::revoke(&state.app, &caller.actor, id, request.confirm).await?;
    Ok(StatusCode::NO_CONTENT)
}
