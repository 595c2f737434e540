//! 创新产品应用推荐目录 (art. 9): the published batches (public), products applied for, the
//! bureau's review and publication.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zijin_app::catalogue::{self, ProductInput};

use super::{ApiJson, Caller, path_id};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::extract::Query;
use crate::routes::{Routes, get, post};

pub fn router() -> Routes {
    Routes::new()
        .route("/catalogues", get(list_catalogues).post(publish))
        .route("/catalogues/{id}", get(one_catalogue))
        .route("/products", get(list_products).post(apply))
        .route("/products/{id}/decision", post(decide))
}

#[derive(Serialize, ToSchema)]
pub struct CatalogueOut {
    pub id: i64,
    pub title: String,
    /// 第N批.
    pub batch: i64,
    /// YYYY-MM-DD (Beijing).
    pub published_on: String,
}

/// The published batches of the catalogue, newest first.
#[utoipa::path(get, path = "/api/v1/catalogues", tag = "catalogue", params(super::paging::Cursor),
    responses((status = 200, body = Vec<CatalogueOut>)))]
pub async fn list_catalogues(
    State(state): State<AppState>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    super::paging::page(
        &uri,
        &cursor,
        catalogue::catalogues(&state.app)
            .await?
            .into_iter()
            .map(|c| CatalogueOut {
                id: c.id,
                title: c.title,
                batch: c.batch,
                published_on: c.published_on,
            })
            .collect(),
        |c| c.id.to_string(),
    )
}

#[derive(Serialize, ToSchema)]
pub struct EntryOut {
    pub name: String,
    pub company: String,
    pub district: String,
    pub field: String,
    pub first_market_on: String,
    pub certificates: Vec<String>,
    pub description: String,
    /// 首次投向市场: eligible for single-source procurement.
    pub single_source: bool,
}

#[derive(Serialize, ToSchema)]
#[schema(as = CatalogueBatchOut)]
pub struct BatchOut {
    #[serde(flatten)]
    pub catalogue: CatalogueOut,
    pub entries: Vec<EntryOut>,
}

/// One published batch with its entries.
#[utoipa::path(get, path = "/api/v1/catalogues/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = BatchOut, description = "the batch, with its ETag"), (status = 304, description = "未改变（If-None-Match 与 ETag 相同）"), (status = 404, body = Problem)))]
pub async fn one_catalogue(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    let id = path_id(&id, "目录")?;
    let batch = catalogue::batch(&state.app, id).await?;
    super::etag::json_with_etag(
        &headers,
        &BatchOut {
            catalogue: CatalogueOut {
                id: batch.catalogue.id,
                title: batch.catalogue.title,
                batch: batch.catalogue.batch,
                published_on: batch.catalogue.published_on,
            },
            entries: batch
                .entries
                .into_iter()
                .map(|(e, single_source)| EntryOut {
                    name: e.name,
                    company: e.company,
                    district: e.district,
                    field: e.field,
                    first_market_on: e.first_market_on,
                    certificates: e.certificates,
                    description: e.description,
                    single_source,
                })
                .collect(),
        },
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct PublishRequest {
    /// Must be true: a published batch cannot change.
    #[schema(schema_with = super::codes::confirmed, required = true)]
    pub confirm: bool,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ProductCreated)]
pub struct Created {
    pub id: i64,
}

/// Publish the next batch of approved products (admins).
#[utoipa::path(post, path = "/api/v1/catalogues", tag = "catalogue", request_body = PublishRequest,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "nothing to publish"), (status = 422, body = Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<PublishRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = catalogue::publish(&state.app, &caller.actor, request.confirm).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Serialize, ToSchema)]
pub struct ProductOut {
    pub id: i64,
    pub company: String,
    pub name: String,
    /// The technical field's code.
    pub field: String,
    pub first_market_on: String,
    pub certificates: Vec<String>,
    pub description: String,
    /// `submitted`, `approved` or `refused`, and its label.
    pub status: String,
    pub status_label: String,
    pub decision_reason: String,
    /// The batch it was published in.
    pub catalogue_id: Option<i64>,
}

/// Products applied for: the bureau sees all, an institution its own.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalogue", params(super::paging::Cursor),
    responses((status = 200, body = Vec<ProductOut>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_products(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(cursor): Query<super::paging::Cursor>,
) -> Result<axum::response::Response, ApiError> {
    super::paging::page(
        &uri,
        &cursor,
        catalogue::products(&state.app, &caller.actor)
            .await?
            .into_iter()
            .map(|p| ProductOut {
                id: p.id,
                company: p.institution_name,
                name: p.name,
                field: p.field,
                first_market_on: p.first_market_on,
                certificates: p.certificates,
                description: p.description,
                status_label: catalogue::status_label(&p.status).to_string(),
                status: p.status,
                decision_reason: p.decision_reason,
                catalogue_id: p.catalogue_id,
            })
            .collect(),
        |p| p.id.to_string(),
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ProductRequest {
    pub name: String,
    /// A technical field's code or name.
    pub field: String,
    /// YYYY-MM-DD.
    pub first_market_on: String,
    pub certificates: Vec<String>,
    pub description: String,
}

/// Apply to list a product (institution users).
#[utoipa::path(post, path = "/api/v1/products", tag = "catalogue", request_body = ProductRequest,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<ProductRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let input = ProductInput {
        name: request.name,
        field: request.field,
        first_market_on: request.first_market_on,
        certificates: request.certificates,
        description: request.description,
    };
    let id = catalogue::apply(&state.app, &caller.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ProductDecision {
    /// `approve` or `refuse`.
    #[schema(schema_with = super::codes::product_decision, required = true)]
    pub decision: String,
    /// Required when refusing.
    pub reason: String,
}

/// Approve (for the next batch) or refuse a product (admins).
#[utoipa::path(post, path = "/api/v1/products/{id}/decision", tag = "catalogue", params(("id" = i64, Path)), request_body = ProductDecision,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "already decided"), (status = 422, body = Problem)))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ProductDecision>,
) -> Result<StatusCode, ApiError> {
    zijin_app::access::require(&caller.actor, zijin_app::access::Area::Catalogue)?;
    let id = path_id(&id, "产品")?;
    let approve = match request.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => {
            return Err(
                zijin_app::AppError::field("decision", "决定应为 approve 或 refuse").into(),
            );
        }
    };
    catalogue::decide(&state.app, &caller.actor, id, approve, &request.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}
