//! 技术经理人 (art. 20): the public directory and one's own profile.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zijin_app::tech_managers::{self, StoredProfile};
use zijin_domain::{Coded, Money, TechManagerProfileInput};

use super::{ApiJson, Caller};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::Query;
use crate::routes::{Routes, get};

pub fn router() -> Routes {
    Routes::new()
        .route("/brokers", get(directory))
        .route("/tech-manager/profile", get(own).put(save))
}

#[derive(Serialize, ToSchema)]
pub struct ProfileOut {
    pub name: String,
    /// The institution the person acts for.
    pub institution: Option<String>,
    /// junior, intermediate or senior (初级/中级/高级技术经理人).
    pub certificate_level: String,
    pub certificate_level_label: String,
    /// Only in one's own profile.
    pub certificate_number: Option<String>,
    /// Codes of the statistical 技术领域, and their labels.
    pub fields: Vec<String>,
    pub field_labels: Vec<String>,
    pub introduction: String,
    /// Agreed to be listed in the public directory.
    pub listed: bool,
}

fn profile_out(p: &StoredProfile, own: bool) -> ProfileOut {
    ProfileOut {
        name: p.name.clone(),
        institution: p.institution.clone(),
        certificate_level: p.profile.level.code().into(),
        certificate_level_label: p.profile.level.label().into(),
        certificate_number: own.then(|| p.profile.number.as_str().to_string()),
        fields: p
            .profile
            .fields
            .iter()
            .map(|f| f.code().to_string())
            .collect(),
        field_labels: p
            .profile
            .fields
            .iter()
            .map(|f| f.label().to_string())
            .collect(),
        introduction: p.profile.introduction.clone(),
        listed: p.profile.listed,
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = BrokerYearOut)]
pub struct YearOut {
    pub year: i32,
    /// Registered contracts brokered (登记日期 in the year).
    pub contracts: i64,
    /// Their 技术交易额, yuan.
    pub technology_amount: String,
    /// Assigned matches that reached 签约 in the year.
    pub signed_matches: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DirectoryEntryOut {
    pub profile: ProfileOut,
    /// This year and last year, newest first.
    pub years: Vec<YearOut>,
}

/// The public directory of 技术经理人 who agreed to be listed, with the contracts they brokered
/// and the matches they saw to 签约 this year and last, from the registry and the matches.
#[utoipa::path(get, path = "/api/v1/brokers", tag = "matches", params(super::paging::Cursor),
    responses((status = 200, body = Vec<DirectoryEntryOut>)))]
pub async fn directory(
    State(state): State<AppState>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    let entries = tech_managers::directory(&state.app).await?;
    super::paging::page(
        &uri,
        &cursor,
        entries
            .iter()
            .map(|e| DirectoryEntryOut {
                profile: profile_out(&e.profile, false),
                years: e
                    .years
                    .iter()
                    .map(|(year, f)| YearOut {
                        year: *year,
                        contracts: f.contracts,
                        technology_amount: Money::from_fen(f.technology_fen)
                            .map(|m| m.to_string())
                            .unwrap_or_else(|_| f.technology_fen.to_string()),
                        signed_matches: f.signed_matches,
                    })
                    .collect(),
            })
            .collect(),
        |e| e.profile.name.clone(),
    )
}

/// One's own 技术经理人 profile (accounts flagged 技术经理人); `null` before it is saved.
#[utoipa::path(get, path = "/api/v1/tech-manager/profile", tag = "matches",
    responses((status = 200, body = Option<ProfileOut>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn own(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Option<ProfileOut>>, ApiError> {
    let profile = tech_managers::own_profile(&state.app, &caller.actor).await?;
    Ok(Json(profile.as_ref().map(|p| profile_out(p, true))))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = TechManagerProfileRequest)]
pub struct ProfileRequest {
    /// junior, intermediate or senior (or the Chinese label).
    pub certificate_level: String,
    /// 4–40 letters, digits and hyphens; unique across people.
    pub certificate_number: String,
    /// Codes (or labels) of the statistical 技术领域; at least one.
    pub fields: Vec<String>,
    /// At most 500 characters.
    pub introduction: String,
    pub listed: bool,
}

/// Save one's own 技术经理人 profile.
#[utoipa::path(put, path = "/api/v1/tech-manager/profile", tag = "matches", request_body = ProfileRequest,
    responses((status = 200, body = ProfileOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem, description = "a field refused, or the certificate number is another person's")))]
pub async fn save(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<ProfileRequest>,
) -> Result<Json<ProfileOut>, ApiError> {
    let saved = tech_managers::save_profile(
        &state.app,
        &caller.actor,
        &TechManagerProfileInput {
            certificate_level: request.certificate_level,
            certificate_number: request.certificate_number,
            fields: request.fields,
            introduction: request.introduction,
            listed: request.listed,
        },
    )
    .await?;
    Ok(Json(profile_out(&saved, true)))
}
