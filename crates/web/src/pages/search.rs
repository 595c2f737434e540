//! 检索: Chinese search over published achievements and demands (and, for an institution's
//! users, their own drafts), with facet counts, filters and sorting. A GET form: shareable,
//! writes nothing.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use zijin_app::AppError;
use zijin_app::search::{FACETS, ModelState, SearchRequest, Sort};
use zijin_domain::{Coded, District, InstitutionType, Stage, TransferMode};

use crate::AppState;
use crate::error::PageError;
use crate::extract::Query;
use crate::routes::{Routes, get};
use crate::session::Visitor;
use crate::views::{page_context, percent_encode};

pub fn router() -> Routes {
    Routes::new().route("/search", get(search_page))
}

const PER_PAGE: usize = 20;

fn facet_label(facet: &str) -> &'static str {
    match facet {
        "field" => "技术领域",
        "district" => "所在区",
        "stage" => "成熟度",
        "mode" => "转化/合作方式",
        _ => "机构类型",
    }
}

fn value_label(facet: &str, value: &str, fields: &BTreeMap<String, String>) -> String {
    let label = match facet {
        "field" => fields.get(value).map(String::as_str),
        "district" => District::from_code(value).map(|d| d.label()),
        "stage" => Stage::from_code(value).map(|s| s.label()),
        "mode" => TransferMode::from_code(value).map(|m| m.label()),
        _ => InstitutionType::from_code(value).map(|t| t.label()),
    };
    label.unwrap_or(value).to_string()
}

async fn search_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let base = page_context(&state.app, &visitor, "检索").await;
    let text = query.get("q").cloned().unwrap_or_default();
    let kind = query
        .get("kind")
        .filter(|k| *k == "achievement" || *k == "demand")
        .cloned();
    let sort = if query.get("sort").map(String::as_str) == Some("newest") {
        Sort::Newest
    } else {
        Sort::Relevance
    };
    let page: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .clamp(1, 500);
    let filters: BTreeMap<String, String> = FACETS
        .iter()
        .filter_map(|facet| {
            query
                .get(*facet)
                .filter(|v| !v.is_empty())
                .map(|v| (facet.to_string(), v.clone()))
        })
        .collect();
    let fields: BTreeMap<String, String> = zijin_app::search::field_labels(&state.app)
        .await?
        .into_iter()
        .collect();
    let mut message = String::new();
    let mut results = None;
    let mut nothing_found = false;
    match (state.app.search(), text.trim().is_empty()) {
        (None, _) => message = "检索服务未启用".into(),
        (_, true) => {}
        (Some(search), false) => {
            let mut request = SearchRequest::new(text.clone());
            request.kind = kind.clone();
            request.filters = filters.clone();
            request.sort = sort;
            request.offset = (page - 1) * PER_PAGE;
            request.limit = PER_PAGE;
            request.with_facets = true;
            match search.search(&visitor.actor, request).await {
                Ok(found) => {
                    nothing_found = found.total == 0;
                    results = Some(found)
                }
                Err(AppError::Validation(errors)) => {
                    nothing_found = true;
                    message = errors
                        .iter()
                        .map(|e| e.message.clone())
                        .collect::<Vec<_>>()
                        .join("；")
                }
                Err(other) => return Err(other.into()),
            }
        }
    }
    // Links that keep every other parameter and change one.
    let link = |key: &str, value: &str| {
        let mut params = query.clone();
        params.remove("page");
        if value.is_empty() {
            params.remove(key);
        } else {
            params.insert(key.to_string(), value.to_string());
        }
        let encoded: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        format!("/search?{}", encoded.join("&"))
    };
    let (hits, total, facets) = match &results {
        Some(found) => {
            let hits: Vec<minijinja::Value> = found
                .hits
                .iter()
                .map(|hit| {
                    context! {
                        kind => hit.kind.clone(),
                        kind_label => if hit.kind == "demand" { "技术需求" } else { "科技成果" },
                        href => format!("/records/{}/{}", hit.kind, hit.id),
                        title => hit.title.clone(),
                        snippet => minijinja::Value::from_safe_string(hit.snippet.clone()),
                        matched => hit.matched.join("、"),
                        similarity => hit.similarity.map(|s| format!("{:.0}%", s.max(0.0) * 100.0)),
                        field => fields.get(&hit.profile.field).cloned().unwrap_or_default(),
                        district => value_label("district", &hit.profile.district, &fields),
                        stage => hit.profile.trl.map(|t| format!("TRL {t}")).unwrap_or_default(),
                        draft => hit.status != "published",
                        score => format!("{:.2}", hit.score),
                        similar => hit.similar.iter().map(|r| context! {
                            title => r.title.clone(), href => format!("/records/{}/{}", r.kind, r.id),
                        }).collect::<Vec<_>>(),
                    }
                })
                .collect();
            let facets: Vec<minijinja::Value> = FACETS
                .iter()
                .map(|facet| {
                    let chosen = filters.get(*facet).cloned().unwrap_or_default();
                    let values: Vec<minijinja::Value> = found.facets[*facet]
                        .iter()
                        .map(|(value, count)| {
                            context! {
                                label => value_label(facet, value, &fields),
                                count => count,
                                chosen => *value == chosen,
                                href => link(facet, if *value == chosen { "" } else { value }),
                            }
                        })
                        .collect();
                    context! { name => *facet, label => facet_label(facet), values => values, clear => link(facet, "") }
                })
                .collect();
            (hits, found.total, facets)
        }
        None => (Vec::new(), 0, Vec::new()),
    };
    // Nothing found: words the platform does hold that are near what was typed.
    let suggestions: Vec<minijinja::Value> = match state.app.search() {
        Some(search) if nothing_found => search
            .suggestions(&text, 8)
            .await?
            .into_iter()
            .map(|word| context! { word => word.clone(), href => format!("/search?q={}", percent_encode(&word)) })
            .collect(),
        _ => Vec::new(),
    };
    // Whether records are found by meaning too, and how far their vectors have come.
    let semantic = state.app.search().map(|search| search.embedding_progress());
    // While the model is fetched (or when it could not be), the page says so.
    let model = state
        .app
        .search()
        .map(|search| search.model_state())
        .filter(|m| !matches!(m, ModelState::Ready | ModelState::Off))
        .map(|m| {
            let (done, total) = match m {
                ModelState::Fetching { done, total } => (done, total),
                _ => (0, 0),
            };
            context! { note => m.label(), done => done, total => total }
        });
    let pages = total.div_ceil(PER_PAGE).min(500);
    Ok(super::html(
        StatusCode::OK,
        "search.html",
        context! {
            q => text, kind => kind.unwrap_or_default(), sort => if sort == Sort::Newest { "newest" } else { "relevance" },
            message => message, searched => results.is_some(), total => total, hits => hits, facets => facets,
            page => page, pages => pages,
            semantic => semantic.filter(|p| p.enabled).map(|p| context! { ready => p.ready, waiting => p.waiting }),
            model => model,
            nothing_found => nothing_found, suggestions => suggestions,
            previous => (page > 1).then(|| format!("{}&page={}", link("page", ""), page - 1)),
            next => (page < pages).then(|| format!("{}&page={}", link("page", ""), page + 1)),
            ..base
        },
    ))
}
