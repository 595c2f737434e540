use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::institutions::{self as use_cases, ListFilter, can_see_details};
use zijin_domain::{Coded, District, InstitutionInput, InstitutionTag, InstitutionType};

use super::{ApiJson, Caller, path_id};
use crate::AppState;
use crate::error::{ApiError, ErrorKind, Failure, Problem};
use crate::extract::{Path, Query};
use crate::routes::{Routes, get, put};
use crate::views::{InstitutionView, page_number};

pub fn router() -> Routes {
    Routes::new()
        .route("/institutions", get(list).post(create))
        .route("/institutions/{id}", get(get_one).put(update))
        .route("/institutions/{id}/profile", put(update_profile))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListParams {
    /// Part of the name.
    pub q: Option<String>,
    /// Type code, e.g. `university`.
    #[param(schema_with = super::codes::institution_type_filter)]
    pub kind: Option<String>,
    /// District code, e.g. `jiangning`.
    #[param(schema_with = super::codes::district_filter)]
    pub district: Option<String>,
    /// Tag code, e.g. `high-tech`.
    #[param(schema_with = super::codes::institution_tag_filter)]
    pub tag: Option<String>,
    pub page: Option<String>,
    /// 1–200, default 20.
    pub per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct InstitutionPage {
    /// The next page's address (also in the `Link: rel="next"` header); null on the last page.
    pub next: Option<String>,
    pub items: Vec<InstitutionView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

fn unknown_code(field: &str, value: &str) -> ApiError {
    ApiError(Failure::new(
        ErrorKind::Validation,
        format!("未知的{field}代码“{value}”"),
    ))
}

/// The public directory of institutions. Contacts appear only for callers allowed to see them.
#[utoipa::path(get, path = "/api/v1/institutions", tag = "institutions", params(ListParams),
    responses((status = 200, body = InstitutionPage), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(params): Query<ListParams>,
) -> Result<axum::response::Response, ApiError> {
    let parse = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let kind = match parse(&params.kind) {
        Some(code) => {
            Some(InstitutionType::from_code(&code).ok_or_else(|| unknown_code("机构类型", &code))?)
        }
        None => None,
    };
    let district = match parse(&params.district) {
        Some(code) => Some(District::from_code(&code).ok_or_else(|| unknown_code("区", &code))?),
        None => None,
    };
    let tag = match parse(&params.tag) {
        Some(code) => {
            Some(InstitutionTag::from_code(&code).ok_or_else(|| unknown_code("标签", &code))?)
        }
        None => None,
    };
    let filter = ListFilter {
        kind,
        district,
        tag,
        name: parse(&params.q),
    };
    let paged = use_cases::list(
        &state.app,
        &filter,
        page_number(params.page.as_deref()),
        params.per_page.unwrap_or(20),
    )
    .await?;
    let next = super::paging::numbered_next(&uri, paged.page, paged.per_page, paged.total);
    let body = InstitutionPage {
        next: next.clone(),
        items: paged
            .items
            .iter()
            .map(|i| InstitutionView::new(i, can_see_details(&caller.actor, i)))
            .collect(),
        total: paged.total,
        page: paged.page,
        per_page: paged.per_page,
    };
    Ok(super::paging::with_next(body, next.as_deref()))
}

/// One institution.
#[utoipa::path(get, path = "/api/v1/institutions/{id}", tag = "institutions", params(("id" = i64, Path)),
    responses((status = 200, body = InstitutionView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<InstitutionView>, ApiError> {
    let institution = use_cases::get(&state.app, path_id(&id, "机构")?).await?;
    Ok(Json(InstitutionView::new(
        &institution,
        can_see_details(&caller.actor, &institution),
    )))
}

/// An institution as created or edited by an admin. Type, district and tags accept codes or
/// Chinese labels.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct InstitutionRequest {
    #[schema(schema_with = super::codes::institution_name, required = true)]
    pub name: String,
    #[schema(schema_with = super::codes::institution_type, required = true)]
    pub kind: String,
    #[schema(schema_with = super::codes::credit_code, required = true)]
    pub credit_code: String,
    #[schema(schema_with = super::codes::district, required = true)]
    pub district: String,
    #[schema(schema_with = super::codes::institution_tags)]
    pub tags: Vec<String>,
    #[schema(schema_with = super::codes::institution_address)]
    pub address: String,
    #[schema(schema_with = super::codes::institution_contact)]
    pub contact_name: String,
    #[schema(schema_with = super::codes::optional_phone)]
    pub contact_phone: String,
    #[schema(schema_with = super::codes::institution_description)]
    pub description: String,
}

impl InstitutionRequest {
    fn input(&self) -> InstitutionInput<'_> {
        InstitutionInput {
            name: &self.name,
            kind: &self.kind,
            credit_code: &self.credit_code,
            district: &self.district,
            tags: &self.tags,
            address: &self.address,
            contact_name: &self.contact_name,
            contact_phone: &self.contact_phone,
            description: &self.description,
        }
    }
}

/// Register an institution (admins).
#[utoipa::path(post, path = "/api/v1/institutions", tag = "institutions", request_body = InstitutionRequest,
    responses((status = 201, body = InstitutionView), (status = 409, body = Problem, description = "duplicate credit code"),
        (status = 422, body = Problem), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<InstitutionRequest>,
) -> Result<Response, ApiError> {
    let institution = use_cases::create(&state.app, &caller.actor, &request.input()).await?;
    Ok((
        StatusCode::CREATED,
        Json(InstitutionView::new(&institution, true)),
    )
        .into_response())
}

/// Replace an institution's details (admins).
#[utoipa::path(put, path = "/api/v1/institutions/{id}", tag = "institutions", params(("id" = i64, Path)), request_body = InstitutionRequest,
    responses((status = 200, body = InstitutionView), (status = 409, body = Problem), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<InstitutionRequest>,
) -> Result<Json<InstitutionView>, ApiError> {
    let institution = use_cases::update(
        &state.app,
        &caller.actor,
        path_id(&id, "机构")?,
        &request.input(),
    )
    .await?;
    Ok(Json(InstitutionView::new(&institution, true)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = InstitutionProfileRequest)]
pub struct ProfileRequest {
    #[schema(schema_with = super::codes::institution_address)]
    pub address: String,
    #[schema(schema_with = super::codes::institution_contact)]
    pub contact_name: String,
    #[schema(schema_with = super::codes::optional_phone)]
    pub contact_phone: String,
    #[schema(schema_with = super::codes::institution_description)]
    pub description: String,
}

/// Update the institution's own profile (its users, or admins).
#[utoipa::path(put, path = "/api/v1/institutions/{id}/profile", tag = "institutions", params(("id" = i64, Path)), request_body = ProfileRequest,
    responses((status = 200, body = InstitutionView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn update_profile(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ProfileRequest>,
) -> Result<Json<InstitutionView>, ApiError> {
    let institution = use_cases::update_profile(
        &state.app,
        &caller.actor,
        path_id(&id, "机构")?,
        (
            &request.address,
            &request.contact_name,
            &request.contact_phone,
            &request.description,
        ),
    )
    .await?;
    Ok(Json(InstitutionView::new(&institution, true)))
}
