//! `/carriers`: the recognised carriers (载体) by type and district, with each type's article
//! and how much of its quota is used.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;
use zijin_app::access::{self, Area};
use zijin_app::{AppError, carriers};
use zijin_domain::{Coded, District};

use super::{back_with_error, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path, Query};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::{options, page_context, ser};

pub fn router() -> Routes {
    Routes::new()
        .route("/carriers", get(directory).post(recognise))
        .route("/carriers/{id}/withdraw", post(withdraw))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RecogniseForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    credit_code: String,
    carrier_type: String,
    name: String,
}

async fn recognise(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<RecogniseForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    match carriers::recognise(
        &state.app,
        &visitor.actor,
        &form.credit_code,
        &form.carrier_type,
        &form.name,
    )
    .await
    {
        Ok(_) => Ok(crate::flash::redirect_with_notice(
            "/carriers",
            "已认定，已列入载体名录",
        )),
        Err(AppError::WrongState(reason)) => {
            Ok(crate::flash::redirect_with_error("/carriers", &reason))
        }
        Err(error) => back_with_error("/carriers", error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WithdrawForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    reason: String,
    confirm: String,
}

async fn withdraw(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("载体"))?;
    match carriers::withdraw(
        &state.app,
        &visitor.actor,
        id,
        &form.reason,
        form.confirm == "yes",
    )
    .await
    {
        Ok(()) => Ok(crate::flash::redirect_with_notice(
            "/carriers",
            "已撤销认定，该载体不再列入名录",
        )),
        Err(AppError::WrongState(reason)) => {
            Ok(crate::flash::redirect_with_error("/carriers", &reason))
        }
        Err(error) => back_with_error("/carriers", error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Filter {
    district: String,
}

/// A district's label from its code (the code itself when unknown).
pub(crate) fn district_label(code: &str) -> String {
    District::from_code(code)
        .map(|d| d.label().to_string())
        .unwrap_or_else(|| code.to_string())
}

async fn directory(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(filter): Query<Filter>,
) -> Result<Response, PageError> {
    let district = District::from_code(&filter.district).map(|d| d.code());
    let types = carriers::directory(&state.app, district).await?;
    let manage = access::may(&visitor.actor, Area::Carriers);
    let applications = if manage {
        carriers::recognition::list(&state.app, &visitor.actor)
            .await?
            .into_iter()
            .filter(|a| a.status == "submitted")
            .collect()
    } else {
        Vec::new()
    };
    let base = page_context(&state.app, &visitor, "载体名录").await;
    Ok(html(
        StatusCode::OK,
        "carriers.html",
        context! {
            district => district.unwrap_or_default(),
            manage,
            applications => applications.iter().map(|a| context! {
                id => a.id,
                institution => a.institution_name.clone(),
                district => district_label(&a.district),
                kind => carriers::carrier_type(&a.carrier_type).map(|t| t.name.clone()).unwrap_or_default(),
                name => a.name.clone(),
                description => a.description.clone(),
            }).collect::<Vec<_>>(),
            type_options => carriers::types().iter().map(|t| context! { code => t.code.clone(), label => t.name.clone() }).collect::<Vec<_>>(),
            notice => crate::flash::notice_or_error(visitor.flash.as_deref()).0,
            flash => crate::flash::notice_or_error(visitor.flash.as_deref()).1,
            districts => ser(options::<District>()),
            types => types.iter().map(|t| context! {
                name => t.kind.name.clone(),
                article => t.kind.article,
                quota => t.kind.quota,
                carriers => t.carriers.iter().map(|c| context! {
                    id => c.id,
                    name => c.name.clone(),
                    institution => c.institution_name.clone(),
                    district => district_label(&c.district),
                    on => c.recognised_on.format("%Y-%m-%d").to_string(),
                }).collect::<Vec<_>>(),
            }).collect::<Vec<_>>(),
            ..base
        },
    ))
}
