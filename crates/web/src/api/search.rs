//! The search page's twin: `GET /api/v1/search`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zijin_app::search::{FACETS, ModelState, SearchRequest, Sort};

use super::Caller;
use crate::AppState;
use crate::error::{ApiError, ErrorKind, Failure};
use crate::extract::Query;
use crate::routes::{Routes, get};

pub fn router() -> Routes {
    Routes::new().route("/search", get(search))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct SearchParams {
    /// What to look for: words, or a need in plain language (up to 500 characters).
    pub q: String,
    /// `achievement` or `demand` (default: both).
    pub kind: Option<String>,
    /// `relevance` (default) or `newest`.
    pub sort: Option<String>,
    /// Page number from 1 (20 a page).
    pub page: Option<usize>,
    /// Technical-field code.
    pub field: Option<String>,
    /// District code.
    pub district: Option<String>,
    /// Maturity stage code.
    pub stage: Option<String>,
    /// Transfer-mode code.
    pub mode: Option<String>,
    /// Institution-type code.
    pub institution_type: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SimilarView {
    pub kind: String,
    pub id: u64,
    pub title: String,
}

#[derive(Serialize, ToSchema)]
pub struct HitView {
    pub kind: String,
    pub id: u64,
    pub title: String,
    /// The text around the matched words, `<b>` around each (HTML-escaped otherwise).
    pub snippet: String,
    /// The query's words (or their synonyms) found in the record.
    pub matched: Vec<String>,
    /// The cosine with the query, when the record was found by meaning.
    pub similarity: Option<f32>,
    /// Near-identical records folded under this one.
    pub similar: Vec<SimilarView>,
}

#[derive(Serialize, ToSchema)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct SearchView {
    /// Records found in all.
    pub total: usize,
    pub page: usize,
    pub hits: Vec<HitView>,
    /// Facet name → its values with counts.
    pub facets: BTreeMap<String, Vec<FacetValue>>,
    /// When nothing was found: words the platform holds that are near the query.
    pub suggestions: Vec<String>,
    /// Where the semantic model stands, in Chinese (语义检索已启用, 正在下载语义模型 …).
    pub semantic: String,
    /// Why nothing was searched, when the query holds no word to search for (only punctuation,
    /// emoji or function words such as “的”“和”); null otherwise.
    pub notice: Option<String>,
}

const PER_PAGE: usize = 20;

/// Records by words and by meaning (public records, and the caller's own), with facets; when
/// nothing is found, suggestions.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses(
        (status = 200, body = SearchView),
        (status = 400, description = "参数无法读取（`invalid_query`）", body = crate::error::Problem),
        (status = 503, description = "检索服务未启用（`unavailable`）", body = crate::error::Problem),
    ))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchView>, ApiError> {
    let Some(search) = state.app.search() else {
        return Err(ApiError(Failure::new(
            ErrorKind::Unavailable,
            "检索服务未启用",
        )));
    };
    let page = params.page.unwrap_or(1).clamp(1, 500);
    let mut request = SearchRequest::new(params.q.clone());
    request.kind = params
        .kind
        .clone()
        .filter(|k| k == "achievement" || k == "demand");
    request.sort = if params.sort.as_deref() == Some("newest") {
        Sort::Newest
    } else {
        Sort::Relevance
    };
    request.offset = (page - 1) * PER_PAGE;
    request.limit = PER_PAGE;
    request.with_facets = true;
    for (name, value) in [
        ("field", &params.field),
        ("district", &params.district),
        ("stage", &params.stage),
        ("mode", &params.mode),
        ("institution_type", &params.institution_type),
    ] {
        if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
            debug_assert!(FACETS.contains(&name));
            request.filters.insert(name.to_string(), value.clone());
        }
    }
    let semantic = match search.model_state() {
        ModelState::Ready => "语义检索已启用".to_string(),
        other => other.label(),
    };
    let found = match search.search(&caller.actor, request).await {
        Ok(found) => found,
        // Nothing to search for is an empty result with the reason, not an error: any text is
        // a valid query.
        Err(zijin_app::AppError::Validation(errors)) => {
            return Ok(Json(SearchView {
                total: 0,
                page,
                hits: Vec::new(),
                facets: BTreeMap::new(),
                suggestions: Vec::new(),
                semantic,
                notice: errors.iter().next().map(|e| e.message.clone()),
            }));
        }
        Err(other) => return Err(other.into()),
    };
    let suggestions = if found.total == 0 {
        search.suggestions(&params.q, 8).await?
    } else {
        Vec::new()
    };
    Ok(Json(SearchView {
        notice: None,
        total: found.total,
        page,
        hits: found
            .hits
            .into_iter()
            .map(|h| HitView {
                kind: h.kind,
                id: h.id,
                title: h.title,
                snippet: h.snippet,
                matched: h.matched,
                similarity: h.similarity,
                similar: h
                    .similar
                    .into_iter()
                    .map(|s| SimilarView {
                        kind: s.kind,
                        id: s.id,
                        title: s.title,
                    })
                    .collect(),
            })
            .collect(),
        facets: found
            .facets
            .into_iter()
            .map(|(name, values)| {
                (
                    name,
                    values
                        .into_iter()
                        .map(|(value, count)| FacetValue { value, count })
                        .collect(),
                )
            })
            .collect(),
        suggestions,
        semantic,
    }))
}
