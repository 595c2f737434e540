//! `/catalogue`: the published batches of the 创新产品应用推荐目录 (art. 9) with PDF and .xlsx;
//! the bureau reviews products and publishes a batch there. `/my/products`: an institution's
//! products and the application form.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;
use zijin_app::AppError;
use zijin_app::access::{self, Area};
use zijin_app::catalogue::{self, ProductInput};

use super::{back_with_error, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::page_context;

pub fn router() -> Routes {
    Routes::new()
        .route("/catalogue", get(catalogues).post(publish))
        .route("/catalogue/{id}", get(batch_page))
        .route("/catalogue/{id}/{file}", get(batch_file))
        .route("/catalogue/products/{id}/decision", post(decide))
        .route("/my/products", get(my_products).post(apply))
}

fn batch_context(batch: &catalogue::Batch) -> minijinja::Value {
    context! {
        id => batch.catalogue.id,
        title => batch.catalogue.title.clone(),
        published_on => batch.catalogue.published_on.clone(),
        entries => batch.entries.iter().enumerate().map(|(k, (e, single))| context! {
            n => k + 1,
            name => e.name.clone(),
            company => e.company.clone(),
            district => e.district.clone(),
            field => e.field.clone(),
            first_market_on => e.first_market_on.clone(),
            certificates => e.certificates.join("；"),
            description => e.description.clone(),
            single => *single,
        }).collect::<Vec<_>>(),
    }
}

async fn field_label(state: &AppState, code: &str) -> String {
    zijin_app::records::technical_fields(&state.app)
        .await
        .ok()
        .and_then(|fields| fields.into_iter().find(|f| f.code == code).map(|f| f.label))
        .unwrap_or_else(|| code.to_string())
}

async fn catalogues(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, PageError> {
    let all = catalogue::catalogues(&state.app).await?;
    let latest = match all.first() {
        Some(c) => Some(batch_context(&catalogue::batch(&state.app, c.id).await?)),
        None => None,
    };
    let manage = access::may(&visitor.actor, Area::Catalogue);
    let mut pending = Vec::new();
    let mut ready = 0;
    if manage {
        for p in catalogue::products(&state.app, &visitor.actor).await? {
            if p.status == "approved" && p.catalogue_id.is_none() {
                ready += 1;
            }
            if p.status == "submitted" {
                pending.push(context! {
                    id => p.id,
                    name => p.name.clone(),
                    company => p.institution_name.clone(),
                    field => field_label(&state, &p.field).await,
                    first_market_on => p.first_market_on.clone(),
                    certificates => p.certificates.join("；"),
                    description => p.description.clone(),
                });
            }
        }
    }
    let base = page_context(&state.app, &visitor, "创新产品应用推荐目录").await;
    let (notice, flash) = crate::flash::notice_or_error(visitor.flash.as_deref());
    Ok(html(
        StatusCode::OK,
        "catalogue.html",
        context! {
            notice, flash, manage, pending, ready, latest,
            years => catalogue::FIRST_MARKET_YEARS,
            batches => all.iter().map(|c| context! {
                id => c.id, title => c.title.clone(), published_on => c.published_on.clone(),
            }).collect::<Vec<_>>(),
            ..base
        },
    ))
}

async fn batch_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("目录"))?;
    let batch = catalogue::batch(&state.app, id).await?;
    let base = page_context(&state.app, &visitor, &batch.catalogue.title).await;
    Ok(html(
        StatusCode::OK,
        "catalogue_batch.html",
        context! { batch => batch_context(&batch), years => catalogue::FIRST_MARKET_YEARS, ..base },
    ))
}

async fn batch_file(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let not_found = || AppError::NotFound("目录文件");
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let batch = catalogue::batch(&state.app, id).await?;
    let name = &batch.catalogue.title;
    match file.as_str() {
        "export.xlsx" => Ok(crate::download::xlsx(
            &format!("{name}.xlsx"),
            catalogue::export_xlsx(&batch)?,
        )),
        "export.pdf" => {
            let bytes = catalogue::export_pdf(&batch).await?;
            Ok((
                [
                    (
                        axum::http::header::CONTENT_TYPE,
                        "application/pdf".to_string(),
                    ),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        crate::download::content_disposition(&format!("{name}.pdf")),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        _ => Err(not_found().into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfirmForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    confirm: String,
}

async fn publish(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    match catalogue::publish(&state.app, &visitor.actor, form.confirm == "yes").await {
        Ok(id) => Ok(crate::flash::redirect_with_notice(
            &format!("/catalogue/{id}"),
            "目录已发布",
        )),
        Err(AppError::WrongState(reason)) => {
            Ok(crate::flash::redirect_with_error("/catalogue", &reason))
        }
        Err(error) => back_with_error("/catalogue", error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecisionForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    decision: String,
    reason: String,
}

async fn decide(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    access::require(&visitor.actor, Area::Catalogue)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("产品"))?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => {
            return back_with_error(
                "/catalogue",
                AppError::field("decision", "请选择通过或不予列入"),
            );
        }
    };
    match catalogue::decide(&state.app, &visitor.actor, id, approve, &form.reason).await {
        Ok(()) => Ok(crate::flash::redirect_with_notice(
            "/catalogue",
            if approve {
                "已通过，将列入下一批目录"
            } else {
                "已决定不予列入，并通知申报单位"
            },
        )),
        Err(AppError::WrongState(reason)) => {
            Ok(crate::flash::redirect_with_error("/catalogue", &reason))
        }
        Err(error) => back_with_error("/catalogue", error),
    }
}

async fn my_products(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::OwnProducts)?;
    let own = catalogue::products(&state.app, &visitor.actor).await?;
    let fields = zijin_app::records::technical_fields(&state.app).await?;
    let mut rows = Vec::new();
    for p in &own {
        rows.push(context! {
            name => p.name.clone(),
            field => field_label(&state, &p.field).await,
            first_market_on => p.first_market_on.clone(),
            status => if p.catalogue_id.is_some() { "已列入目录" } else { catalogue::status_label(&p.status) },
            catalogue => p.catalogue_id,
            reason => p.decision_reason.clone(),
        });
    }
    let base = page_context(&state.app, &visitor, "创新产品申报").await;
    let (notice, flash) = crate::flash::notice_or_error(visitor.flash.as_deref());
    Ok(html(
        StatusCode::OK,
        "my_products.html",
        context! {
            notice, flash, products => rows,
            fields => fields.iter().map(|f| context! { code => f.code.clone(), label => f.label.clone() }).collect::<Vec<_>>(),
            years => catalogue::FIRST_MARKET_YEARS,
            ..base
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProductForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    field: String,
    first_market_on: String,
    certificates: String,
    description: String,
}

async fn apply(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<ProductForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let input = ProductInput {
        name: form.name,
        field: form.field,
        first_market_on: form.first_market_on,
        certificates: form.certificates.lines().map(str::to_string).collect(),
        description: form.description,
    };
    match catalogue::apply(&state.app, &visitor.actor, &input).await {
        Ok(_) => Ok(crate::flash::redirect_with_notice(
            "/my/products",
            "已提交，市科技局审核通过后列入下一批目录",
        )),
        Err(AppError::WrongState(reason)) => {
            Ok(crate::flash::redirect_with_error("/my/products", &reason))
        }
        Err(error) => back_with_error("/my/products", error),
    }
}
