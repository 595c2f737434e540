//! Carriers' work after the directory (issue 19): an institution's 我的载体 (apply for
//! recognition, file the yearly 绩效报告), the bureau's decisions on applications, the report
//! page (platform figures shown, report values typed, reviewers' scores) and the year's
//! evaluation with its confirmation.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;
use zijin_app::AppError;
use zijin_app::access::{self, Area};
use zijin_app::carriers::{self, evaluation, recognition, reports};
use zijin_domain::Coded;
use zijin_domain::carrier_evaluation::IndicatorSource;

use super::{back_with_error, html};
use crate::AppState;
use crate::charts;
use crate::error::PageError;
use crate::extract::{Form, Path, Query};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::page_context;

pub fn router() -> Routes {
    Routes::new()
        .route("/my/carriers", get(my_carriers).post(apply))
        .route("/carriers/applications/{id}/decision", post(decide))
        .route(
            "/carriers/{id}/reports/{year}",
            get(report).post(save_report),
        )
        .route("/carriers/{id}/reports/{year}/scores", post(score))
        .route("/carriers/evaluation", get(year_page).post(run_evaluation))
        .route("/carriers/evaluation/confirm", post(confirm))
}

/// This year, Beijing time.
pub(crate) fn this_year(state: &AppState) -> i32 {
    chrono::Datelike::year(&zijin_app::applications::beijing_date(state.app.now()))
}

/// A stored UTC timestamp shown in Beijing time, to the minute.
fn shown_time(stored: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(stored)
        .map(|at| {
            (at.with_timezone(&chrono::Utc) + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| stored.to_string())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApplyForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    carrier_type: String,
    name: String,
    description: String,
}

async fn my_carriers(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, PageError> {
    let own = reports::own_carriers(&state.app, &visitor.actor).await?;
    let applications = recognition::list(&state.app, &visitor.actor).await?;
    let year = this_year(&state);
    let mut incubatees = Vec::new();
    for c in &own {
        incubatees.push(
            zijin_app::white_list::incubatees(&state.app, &visitor.actor, c.id)
                .await?
                .into_iter()
                .map(|(name, since)| format!("{name}（{since}起）"))
                .collect::<Vec<_>>()
                .join("、"),
        );
    }
    let base = page_context(&state.app, &visitor, "我的载体").await;
    let (notice, flash) = crate::flash::notice_or_error(visitor.flash.as_deref());
    Ok(html(
        StatusCode::OK,
        "my_carriers.html",
        context! {
            notice, flash,
            last_year => year - 1,
            this_year => year,
            carriers => own.iter().zip(&incubatees).map(|(c, incubatees)| context! {
                id => c.id,
                incubatees => incubatees.clone(),
                name => c.name.clone(),
                kind => carriers::carrier_type(&c.carrier_type).map(|t| t.name.clone()).unwrap_or_default(),
                recognised => c.recognised,
                on => c.recognised_on.format("%Y-%m-%d").to_string(),
                first_year => chrono::Datelike::year(&c.recognised_on),
            }).collect::<Vec<_>>(),
            applications => applications.iter().map(|a| context! {
                kind => carriers::carrier_type(&a.carrier_type).map(|t| t.name.clone()).unwrap_or_default(),
                name => a.name.clone(),
                status => recognition::status_label(&a.status),
                reason => a.decision_reason.clone(),
                at => shown_time(&a.created_at),
            }).collect::<Vec<_>>(),
            type_options => carriers::types().iter().map(|t| context! {
                code => t.code.clone(),
                label => match t.quota { Some(q) => format!("{}（第{}条，全市 {q} 家）", t.name, t.article), None => format!("{}（第{}条）", t.name, t.article) },
            }).collect::<Vec<_>>(),
            ..base
        },
    ))
}

async fn apply(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<ApplyForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    match recognition::apply(
        &state.app,
        &visitor.actor,
        &form.carrier_type,
        &form.name,
        &form.description,
    )
    .await
    {
        Ok(_) => Ok(crate::flash::redirect_with_notice(
            "/my/carriers",
            "认定申请已提交，市科技局认定后将通知您",
        )),
        Err(AppError::WrongState(reason)) => {
            Ok(crate::flash::redirect_with_error("/my/carriers", &reason))
        }
        Err(error) => back_with_error("/my/carriers", error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecisionForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    decision: String,
    reason: String,
    confirm: String,
}

async fn decide(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    access::require(&visitor.actor, Area::Carriers)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("认定申请"))?;
    let recognise = match form.decision.as_str() {
        "recognise" => true,
        "refuse" => false,
        _ => {
            return back_with_error(
                "/carriers",
                AppError::field("decision", "请选择认定或不予认定"),
            );
        }
    };
    match recognition::decide(
        &state.app,
        &visitor.actor,
        id,
        recognise,
        &form.reason,
        form.confirm == "yes",
    )
    .await
    {
        Ok(Some(_)) => Ok(crate::flash::redirect_with_notice(
            "/carriers",
            "已认定，已列入载体名录并通知申请单位",
        )),
        Ok(None) => Ok(crate::flash::redirect_with_notice(
            "/carriers",
            "已决定不予认定，并通知申请单位",
        )),
        Err(AppError::WrongState(reason)) => {
            Ok(crate::flash::redirect_with_error("/carriers", &reason))
        }
        Err(error) => back_with_error("/carriers", error),
    }
}

fn parse_ids(id: &str, year: &str) -> Result<(i64, i32), AppError> {
    let id = id.parse().map_err(|_| AppError::NotFound("载体"))?;
    let year = year.parse().map_err(|_| AppError::NotFound("绩效报告"))?;
    Ok((id, year))
}

async fn report(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, year)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (id, year) = parse_ids(&id, &year)?;
    let view = reports::view(&state.app, &visitor.actor, id, year).await?;
    let stored = view.report.clone().unwrap_or_default();
    let base = page_context(&state.app, &visitor, "年度绩效报告").await;
    let (notice, flash) = crate::flash::notice_or_error(visitor.flash.as_deref());
    let status = match &view.report {
        Some(r) if r.submitted && r.scored_at.is_some() => "已提交，已评分",
        Some(r) if r.submitted => "已提交，待评分",
        Some(_) => "草稿",
        None => "未填报",
    };
    Ok(html(
        StatusCode::OK,
        "carrier_report.html",
        context! {
            notice, flash,
            id, year, status,
            carrier => view.carrier.name.clone(),
            institution => view.carrier.institution_name.clone(),
            kind => view.type_name.clone(),
            scheme => view.scheme.name.clone(),
            may_edit => view.may_edit,
            may_score => view.may_score,
            confirmed => view.year_confirmed,
            result => view.result.as_ref().map(|r| context! {
                total => r.total.normalize().to_string(),
                grade => r.grade.label(),
            }),
            summary => stored.summary.clone(),
            comment => stored.score_comment.clone(),
            submitted_at => stored.submitted_at.as_deref().map(shown_time),
            indicators => view.scheme.indicators.iter().map(|i| context! {
                code => i.code.clone(),
                name => i.name.clone(),
                block => i.block.clone(),
                unit => i.unit.clone(),
                points => i.points.normalize().to_string(),
                full_at => i.full_at.map(zijin_domain::carrier_evaluation::shown),
                earned => view.result.as_ref().and_then(|r| r.indicators.iter().find(|x| x.code == i.code)).map(|x| format!("{} / {}", x.points, x.max_points)),
                explanation => view.result.as_ref().and_then(|r| r.indicators.iter().find(|x| x.code == i.code)).map(|x| x.explanation.clone()),
                evidence_needed => i.evidence.clone(),
                kind => match i.source { IndicatorSource::Platform(_) => "platform", IndicatorSource::Report => "report", IndicatorSource::Review => "review" },
                source => i.source.label(),
                platform => view.platform.get(&i.code).cloned(),
                value => stored.reported.get(&i.code).cloned().unwrap_or_default(),
                evidence => stored.evidence.get(&i.code).cloned().unwrap_or_default(),
                score => stored.scores.get(&i.code).cloned().unwrap_or_default(),
            }).collect::<Vec<_>>(),
            ..base
        },
    ))
}

/// A form with fields named `value.CODE`, `evidence.CODE` and `score.CODE` besides fixed ones.
fn split(pairs: &[(String, String)], prefix: &str) -> BTreeMap<String, String> {
    pairs
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|c| (c.to_string(), v.clone())))
        .collect()
}

fn single<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

async fn save_report(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, year)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(single(&pairs, "_csrf"))?;
    let (id, year) = parse_ids(&id, &year)?;
    let back = format!("/carriers/{id}/reports/{year}");
    let input = reports::ReportInput {
        values: split(&pairs, "value."),
        evidence: split(&pairs, "evidence."),
        summary: single(&pairs, "summary").to_string(),
        submit: single(&pairs, "action") == "submit",
    };
    match reports::save(&state.app, &visitor.actor, id, year, &input).await {
        Ok(()) => Ok(crate::flash::redirect_with_notice(
            &back,
            if input.submit {
                "绩效报告已提交，等待评审评分"
            } else {
                "草稿已保存"
            },
        )),
        Err(AppError::WrongState(reason)) => Ok(crate::flash::redirect_with_error(&back, &reason)),
        Err(error) => back_with_error(&back, error),
    }
}

async fn score(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, year)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(single(&pairs, "_csrf"))?;
    let (id, year) = parse_ids(&id, &year)?;
    let back = format!("/carriers/{id}/reports/{year}");
    match reports::score(
        &state.app,
        &visitor.actor,
        id,
        year,
        &split(&pairs, "score."),
        single(&pairs, "comment"),
    )
    .await
    {
        Ok(()) => Ok(crate::flash::redirect_with_notice(&back, "评分已保存")),
        Err(AppError::WrongState(reason)) => Ok(crate::flash::redirect_with_error(&back, &reason)),
        Err(error) => back_with_error(&back, error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct YearQuery {
    year: String,
}

fn chosen_year(state: &AppState, raw: &str) -> Result<i32, AppError> {
    if raw.trim().is_empty() {
        return Ok(this_year(state) - 1);
    }
    raw.trim()
        .parse()
        .map_err(|_| AppError::field("year", format!("评价年度应为四位年份：{raw}")))
}

async fn year_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<YearQuery>,
) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::CarrierScoring)?;
    let year = chosen_year(&state, &query.year)?;
    let view = evaluation::year_view(&state.app, &visitor.actor, year).await?;
    let awaiting = evaluation::awaiting_scores(&state.app, &visitor.actor, year).await?;
    let chart = charts::bars(
        &format!("{year}年度载体绩效评价等次分布"),
        &evaluation::grade_counts(&view.results)
            .into_iter()
            .map(|(g, n)| (g.label().to_string(), n as i64))
            .collect::<Vec<_>>(),
    );
    let base = page_context(&state.app, &visitor, "载体绩效评价").await;
    let (notice, flash) = crate::flash::notice_or_error(visitor.flash.as_deref());
    let current = this_year(&state);
    Ok(html(
        StatusCode::OK,
        "carrier_evaluation.html",
        context! {
            notice, flash, year, chart,
            years => (evaluation::first_year()..=current).rev().collect::<Vec<_>>(),
            manage => access::may(&visitor.actor, Area::Carriers),
            confirmed_at => view.confirmed_at.as_deref().map(shown_time),
            year_over => year < current,
            awaiting => awaiting.iter().map(|(id, carrier, institution)| context! {
                id => id, carrier => carrier.clone(), institution => institution.clone(),
            }).collect::<Vec<_>>(),
            exit_rule => evaluation::evaluation_file().exit_after_failures,
            results => view.results.iter().map(|r| context! {
                id => r.carrier.id,
                carrier => r.carrier.name.clone(),
                institution => r.carrier.institution_name.clone(),
                kind => r.type_name.clone(),
                total => r.total.normalize().to_string(),
                grade => r.grade.label(),
                grade_code => r.grade.code(),
                withdrawn => !r.carrier.recognised,
                indicators => r.indicators.iter().map(|i| context! {
                    name => i.name.clone(),
                    block => i.block.clone(),
                    value => i.value.as_deref().and_then(|v| v.parse().ok()).map(|v| format!("{} {}", zijin_domain::carrier_evaluation::shown(v), i.unit)),
                    points => i.points.clone(),
                    max_points => i.max_points.clone(),
                    source => i.source.clone(),
                    explanation => i.explanation.clone(),
                }).collect::<Vec<_>>(),
            }).collect::<Vec<_>>(),
            ..base
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct YearForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    year: String,
    confirm: String,
}

async fn run_evaluation(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<YearForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    access::require(&visitor.actor, Area::Carriers)?;
    let year = chosen_year(&state, &form.year)?;
    let back = format!("/carriers/evaluation?year={year}");
    match evaluation::evaluate(&state.app, &visitor.actor, year).await {
        Ok(done) => Ok(crate::flash::redirect_with_notice(
            &back,
            &format!("已评价 {} 家载体（待确认）", done.results.len()),
        )),
        Err(error) => back_with_error(&back, error),
    }
}

async fn confirm(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<YearForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    access::require(&visitor.actor, Area::Carriers)?;
    let year = chosen_year(&state, &form.year)?;
    let back = format!("/carriers/evaluation?year={year}");
    match evaluation::confirm(&state.app, &visitor.actor, year, form.confirm == "yes").await {
        Ok(done) => {
            let exits = if done.withdrawn.is_empty() {
                "没有载体按退出规则撤销认定".to_string()
            } else {
                format!(
                    "按退出规则撤销认定 {} 家：{}",
                    done.withdrawn.len(),
                    done.withdrawn
                        .iter()
                        .map(|(c, _, _)| c.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                )
            };
            Ok(crate::flash::redirect_with_notice(
                &back,
                &format!("{year}年度评价结果已确认（{} 家）；{exits}", done.carriers),
            ))
        }
        Err(AppError::WrongState(reason)) => Ok(crate::flash::redirect_with_error(&back, &reason)),
        Err(error) => back_with_error(&back, error),
    }
}
