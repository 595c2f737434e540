//! `/white-list`: the 企业融资白名单 (art. 15) — the latest confirmed list with each
//! enterprise's profile for 金融机构 users and the bureau; the bureau also sees what the criteria
//! select now and confirms it. `/carriers/{id}/incubatees`: a carrier registers an incubatee.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;
use zijin_app::AppError;
use zijin_app::access::{self, Area};
use zijin_app::white_list::{self, Candidate};
use zijin_domain::Coded;

use super::{back_with_error, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::page_context;

pub fn router() -> Routes {
    Routes::new()
        .route("/white-list", get(page).post(confirm))
        .route("/carriers/{id}/incubatees", post(add_incubatee))
}

fn rows(found: &[Candidate]) -> Vec<minijinja::Value> {
    found
        .iter()
        .map(|c| {
            let d = &c.institution.details;
            context! {
                id => c.institution.id,
                name => d.name.clone(),
                district => d.district.label(),
                tags => d.tags.iter().map(|t| t.label()).collect::<Vec<_>>().join("、"),
                contact => format!("{} {}", d.profile.contact_name, d.profile.contact_phone).trim().to_string(),
                address => d.profile.address.clone(),
                description => d.profile.description.clone(),
                met => c.met.join("；"),
            }
        })
        .collect()
}

async fn page(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let confirmed = white_list::latest(&state.app, &visitor.actor).await?;
    let manage = access::may(&visitor.actor, Area::WhiteList);
    let candidates = if manage {
        Some(rows(
            &white_list::candidates(&state.app, &visitor.actor).await?,
        ))
    } else {
        None
    };
    let rules = white_list::criteria();
    let base = page_context(&state.app, &visitor, "企业融资白名单").await;
    let (notice, flash) = crate::flash::notice_or_error(visitor.flash.as_deref());
    Ok(html(
        StatusCode::OK,
        "white_list.html",
        context! {
            notice, flash, manage, candidates,
            criteria_name => rules.name.clone(),
            min_criteria => rules.min_criteria,
            criteria => rules.criteria.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
            confirmed => confirmed.as_ref().map(|c| context! {
                title => c.title.clone(),
                confirmed_on => c.confirmed_on.clone(),
                data_year => c.data_year,
                entries => rows(&c.entries),
            }),
            ..base
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfirmForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    confirm: String,
}

async fn confirm(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    match white_list::confirm(&state.app, &visitor.actor, form.confirm == "yes").await {
        Ok(_) => Ok(crate::flash::redirect_with_notice(
            "/white-list",
            "白名单已确认，金融机构用户现在可以查看",
        )),
        Err(error) => back_with_error("/white-list", error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct IncubateeForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    credit_code: String,
}

async fn add_incubatee(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<IncubateeForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("载体"))?;
    match white_list::add_incubatee(&state.app, &visitor.actor, id, &form.credit_code).await {
        Ok(()) => Ok(crate::flash::redirect_with_notice(
            "/my/carriers",
            "已登记为在孵企业",
        )),
        Err(AppError::WrongState(reason)) => {
            Ok(crate::flash::redirect_with_error("/my/carriers", &reason))
        }
        Err(error) => back_with_error("/my/carriers", error),
    }
}
