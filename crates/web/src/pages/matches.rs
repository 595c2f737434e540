//! 对接: an institution's recommendations with their reasons and stage, the steps a side may
//! take (有意向, 进入洽谈, 签约, 终止), its notifications; and the bureau's funnel.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use zijin_app::AppError;
use zijin_app::matchmaking;
use zijin_domain::{Coded, District, MatchStage, MatchStep};

use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::page_context;

pub fn router() -> Routes {
    Routes::new()
        .route("/my/matches", get(mine))
        .route("/matches/{id}/{step}", post(step))
        .route("/admin/matches", get(funnel))
}

fn stage_label(code: &str) -> &'static str {
    MatchStage::from_code(code)
        .map(|s| s.label())
        .unwrap_or("未知")
}

async fn mine(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let (rows, notifications) = matchmaking::mine(&state.app, &visitor.actor).await?;
    let matches: Vec<minijinja::Value> = rows
        .iter()
        .map(|row| {
            let as_demand = matches!(
                zijin_app::access::match_side(&visitor.actor, row.demand_owner, row.achievement_owner),
                Ok(zijin_app::access::MatchSide::Demand)
            );
            let interested = if as_demand { row.demand_interested } else { row.achievement_interested };
            let stage = MatchStage::from_code(&row.stage).unwrap_or(MatchStage::Recommended);
            let steps: Vec<(&str, &str)> = [MatchStep::Interest, MatchStep::Negotiate, MatchStep::Sign, MatchStep::Terminate]
                .into_iter()
                .filter(|step| stage.apply(*step).is_ok() && !(*step == MatchStep::Interest && interested))
                .map(|step| match step {
                    MatchStep::Interest => ("interest", step.label()),
                    MatchStep::Negotiate => ("negotiate", step.label()),
                    MatchStep::Sign => ("sign", step.label()),
                    MatchStep::Terminate => ("terminate", step.label()),
                })
                .collect();
            context! {
                id => row.id, stage => stage_label(&row.stage), score => format!("{:.3}", row.score_milli as f64 / 1000.0),
                demand => row.demand_title.clone(), demand_href => format!("/records/demand/{}", row.demand_id),
                achievement => row.achievement_title.clone(), achievement_href => format!("/records/achievement/{}", row.achievement_id),
                reasons => row.reasons.clone(), as_demand => as_demand,
                other_interested => if as_demand { row.achievement_interested } else { row.demand_interested },
                recommended_at => row.recommended_at.get(..10).unwrap_or_default().to_string(),
                steps => steps,
            }
        })
        .collect();
    let notes: Vec<minijinja::Value> = notifications
        .iter()
        .map(|n| context! { message => n.message.clone(), link => n.link.clone(), at => n.created_at.get(..16).unwrap_or_default().replace('T', " ") })
        .collect();
    let base = page_context(&state.app, &visitor, "我的对接").await;
    Ok(super::html(
        StatusCode::OK,
        "matches.html",
        context! { matches => matches, notifications => notes, ..base },
    ))
}

#[derive(Deserialize)]
struct StepForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn step(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, step)): Path<(i64, String)>,
    Form(form): Form<StepForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let step = MatchStep::from_code(&step).ok_or(AppError::NotFound("操作"))?;
    matchmaking::take_step(&state.app, &visitor.actor, id, step).await?;
    Ok(Redirect::to("/my/matches").into_response())
}

async fn funnel(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let funnel = matchmaking::funnel(&state.app, &visitor.actor).await?;
    let fields = zijin_app::search::field_labels(&state.app).await?;
    let rows: Vec<minijinja::Value> = funnel
        .rows
        .iter()
        .map(|(field, district, counts)| {
            context! {
                field => fields.get(field).cloned().unwrap_or_else(|| field.clone()),
                district => District::from_code(district).map(|d| d.label()).unwrap_or(district),
                counts => counts.to_vec(),
            }
        })
        .collect();
    let base = page_context(&state.app, &visitor, "对接漏斗").await;
    Ok(super::html(
        StatusCode::OK,
        "funnel.html",
        context! {
            stages => MatchStage::ALL.iter().map(|s| s.label()).collect::<Vec<_>>(),
            rows => rows, totals => funnel.totals.to_vec(),
            conversion => funnel.conversion_percent().unwrap_or_else(|| "—".into()),
            ..base
        },
    ))
}
