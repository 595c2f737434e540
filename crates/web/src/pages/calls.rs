//! 申报通知 pages (issue 16), the twins of `/api/v1/calls`: 通知公告 (calls, public, with the
//! time left), a call's page (its measures and budgets in 万元, the way to its notice, the
//! admin's confirmed publication of the 拟支持名单), and the admin's form to open a call.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use zijin_app::access::{self, Area};
use zijin_app::applications::{CallInput, CallView, calls};
use zijin_app::auth::display_time;
use zijin_app::{AppError, policy};
use zijin_domain::{Coded, District, FieldErrors, InstitutionType, Money};

use super::{error_context, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::{options, page_context, ser};

pub fn router() -> Routes {
    Routes::new()
        .route("/calls", get(call_list).post(create_call))
        .route("/calls/new", get(call_form))
        .route("/calls/{id}", get(call_page))
        .route("/calls/{id}/exempt", post(exempt_pass))
}

/// A stored UTC time.
pub(super) fn parse_utc(stored: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(stored)
        .ok()
        .map(|at| at.with_timezone(&chrono::Utc))
}

/// "还有 3 天 4 小时" until a stored time, or nothing when it has passed.
fn time_left(stored: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let Some(at) = parse_utc(stored) else {
        return String::new();
    };
    let left = at - now;
    if left <= chrono::Duration::zero() {
        return String::new();
    }
    let (days, hours, minutes) = (
        left.num_days(),
        left.num_hours() % 24,
        left.num_minutes() % 60,
    );
    match (days, hours) {
        (0, 0) => format!("还有 {minutes} 分钟"),
        (0, _) => format!("还有 {hours} 小时 {minutes} 分钟"),
        _ => format!("还有 {days} 天 {hours} 小时"),
    }
}

pub(super) fn call_context(
    view: &CallView,
    now: chrono::DateTime<chrono::Utc>,
) -> minijinja::Value {
    let call = &view.call;
    let label = |codes: &[String], of: fn(&str) -> Option<&'static str>| -> String {
        if codes.is_empty() {
            "不限".into()
        } else {
            codes
                .iter()
                .filter_map(|c| of(c))
                .collect::<Vec<_>>()
                .join("、")
        }
    };
    context! {
        id => call.id, title => call.title.clone(), guidance => call.guidance.clone(),
        opens => display_time(&call.opens_at), closes => display_time(&call.closes_at),
        closes_at => call.closes_at.clone(),
        phase => view.phase.code(), phase_label => view.phase.label(),
        left => match view.phase {
            calls::CallPhase::Upcoming => time_left(&call.opens_at, now).replace("还有", "距开始还有"),
            calls::CallPhase::Open => time_left(&call.closes_at, now).replace("还有", "距截止还有"),
            calls::CallPhase::Closed => String::new(),
        },
        applicant_types => label(&call.applicant_types, |c| InstitutionType::from_code(c).map(|t| t.label())),
        districts => label(&call.districts, |c| District::from_code(c).map(|d| d.label())),
        attachments => call.attachments.clone(),
        notice_days => call.notice_days,
        expert_review => call.expert_review,
        rubric => call.rubric.iter().map(|r| format!("{}（{} 分）", r.item, r.points)).collect::<Vec<_>>(),
        measures => view.measures.iter().map(|(id, name, article, budget)| context! {
            id => id.clone(), name => name.clone(), article => *article,
            budget => Money::from_decimal(*budget).map(Money::yuan_and_wan).unwrap_or_default(),
        }).collect::<Vec<_>>(),
    }
}

async fn call_list(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let now = state.app.now();
    let calls = calls::list(&state.app).await?;
    let base = page_context(&state.app, &visitor, "通知公告").await;
    Ok(html(
        StatusCode::OK,
        "calls.html",
        context! {
            calls => calls.iter().map(|c| call_context(c, now)).collect::<Vec<_>>(),
            may_open => access::may(&visitor.actor, Area::Calls),
            flash => visitor.flash.clone(),
            ..base
        },
    ))
}

async fn call_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("申报通知"))?;
    let view = calls::get(&state.app, id).await?;
    let notice = zijin_app::applications::notice::of_call(&state.app, &visitor.actor, id).await?;
    let refusal = calls::refusal_for_actor(&state.app, &visitor.actor, &view.call).await?;
    let (done, flash) = crate::flash::notice_or_error(visitor.flash.as_deref());
    let base = page_context(&state.app, &visitor, &view.call.title).await;
    Ok(html(
        StatusCode::OK,
        "call_detail.html",
        context! {
            call => call_context(&view, state.app.now()),
            may_apply => access::may(&visitor.actor, Area::OwnApplications) && view.phase == calls::CallPhase::Open && refusal.is_none(),
            refusal,
            signed_in => visitor.actor.user().is_some(),
            notice_id => notice.as_ref().map(|n| n.notice.id),
            notice_open => notice.as_ref().is_some_and(|n| n.open),
            may_publish => notice.is_none() && access::may(&visitor.actor, Area::Calls),
            exempt_measures => if access::may(&visitor.actor, Area::Calls) && view.phase == calls::CallPhase::Open {
                view.measures.iter()
                    .filter(|(id, ..)| zijin_app::applications::exempt::EXEMPT_MEASURES.contains(&id.as_str()))
                    .map(|(id, name, ..)| context! { id => id.clone(), name => name.clone() })
                    .collect::<Vec<_>>()
            } else { Vec::new() },
            notice => done, flash,
            ..base
        },
    ))
}

async fn render_call_form(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    errors: &FieldErrors,
    values: &HashMap<String, String>,
    chosen: &[String],
) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::Calls)?;
    let (errors, error_list) = error_context(errors);
    let measures: Vec<minijinja::Value> = policy::measures(&state.app)
        .iter()
        .map(|m| {
            context! {
                id => m.id.clone(), name => m.name.clone(), article => m.article,
                checked => chosen.contains(&m.id),
                budget => values.get(&format!("budget_{}", m.id)).cloned().unwrap_or_default(),
            }
        })
        .collect();
    let base = page_context(&state.app, visitor, "发布申报通知").await;
    Ok(html(
        status,
        "call_form.html",
        context! {
            measures, errors => ser(&errors), error_list, v => ser(values),
            types => ser(options::<InstitutionType>()), districts => ser(options::<District>()),
            ..base
        },
    ))
}

async fn call_form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let values = HashMap::from([("notice_days".to_string(), "5".to_string())]);
    render_call_form(
        &state,
        &visitor,
        StatusCode::OK,
        &FieldErrors::new(),
        &values,
        &[],
    )
    .await
}

/// A `datetime-local` value (Beijing time) as RFC 3339 with the offset; anything else as typed.
fn beijing(local: &str) -> String {
    let local = local.trim();
    match chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M") {
        Ok(_) => format!("{local}:00+08:00"),
        Err(_) => local.to_string(),
    }
}

async fn create_call(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let one = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    visitor.check_csrf(&one("_csrf"))?;
    let chosen: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "measure")
        .map(|(_, v)| v.clone())
        .collect();
    let many = |key: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let mut budgets = BTreeMap::new();
    for id in &chosen {
        let raw = one(&format!("budget_{id}"));
        // Budgets are written in 万元 on the form, as bureaus plan them.
        let budget = match Money::parse_yuan_or_wan(&format!("{}万", raw.trim())) {
            Ok(money) => money.to_string(),
            Err(_) => raw,
        };
        budgets.insert(id.clone(), budget);
    }
    let input = CallInput {
        title: one("title"),
        guidance: one("guidance"),
        measures: chosen.clone(),
        opens: beijing(&one("opens")),
        closes: beijing(&one("closes")),
        budgets,
        applicant_types: many("applicant_types"),
        districts: many("districts"),
        attachments: one("attachments")
            .split(['\n', '、', ',', '，'])
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        notice_days: one("notice_days").trim().parse().ok(),
        expert_review: one("expert_review") == "yes",
        rubric: rubric_lines(&one("rubric")),
    };
    match calls::create(&state.app, &visitor.actor, &input).await {
        Ok(view) => Ok(Redirect::to(&format!("/calls/{}", view.call.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            let values: HashMap<String, String> = pairs.into_iter().collect();
            render_call_form(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
                &values,
                &chosen,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// The bureau runs a 免申即享 pass for one measure of the call; the outcome comes back to the
/// call's page as a message.
async fn exempt_pass(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("申报通知"))?;
    let back = format!("/calls/{id}");
    let measure = values.get("measure").map_or("", String::as_str);
    match zijin_app::applications::exempt::run(&state.app, &visitor.actor, id, measure).await {
        Ok(report) => {
            let total: rust_decimal::Decimal = report.drafted.iter().map(|(_, _, a)| *a).sum();
            let mut text = format!(
                "免申即享已完成：为 {} 家单位生成申报，合计 {}，已通知各单位确认",
                report.drafted.len(),
                Money::from_decimal(total)
                    .map(Money::yuan_and_wan)
                    .unwrap_or_default()
            );
            if !report.skipped.is_empty() {
                text.push_str(&format!(
                    "；{} 家试点单位未生成：{}",
                    report.skipped.len(),
                    report
                        .skipped
                        .iter()
                        .take(5)
                        .map(|(name, why)| format!("{name}（{why}）"))
                        .collect::<Vec<_>>()
                        .join("、")
                ));
            }
            Ok(crate::flash::redirect_with_notice(&back, &text))
        }
        Err(
            error @ (AppError::Validation(_) | AppError::WrongState(_) | AppError::CallClosed(_)),
        ) => Ok(crate::flash::redirect_with_error(&back, &error.to_string())),
        Err(other) => Err(other.into()),
    }
}

/// The rubric as typed on the form, one item a line: "技术先进性 30" (or with a colon). A line
/// whose points cannot be read keeps 0 points, which the check refuses naming the line.
fn rubric_lines(text: &str) -> Vec<calls::RubricItem> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let cut = line
                .rfind(|c: char| c.is_whitespace() || c == ':' || c == '：')
                .unwrap_or(0);
            let (item, points) = line.split_at(cut);
            let points = points.trim_start_matches([':', '：']).trim();
            let points = points.trim_end_matches('分');
            match points.parse::<u32>() {
                Ok(points) if cut > 0 => calls::RubricItem {
                    item: item.trim().to_string(),
                    points,
                },
                _ => calls::RubricItem {
                    item: line.to_string(),
                    points: 0,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_in_days_hours_and_minutes() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-03T01:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            time_left("2026-12-06T05:30:00.000Z", now),
            "还有 3 天 4 小时"
        );
        assert_eq!(
            time_left("2026-12-03T03:20:00.000Z", now),
            "还有 2 小时 20 分钟"
        );
        assert_eq!(time_left("2026-12-03T01:07:00.000Z", now), "还有 7 分钟");
        assert_eq!(time_left("2026-12-02T01:07:00.000Z", now), "");
        assert_eq!(beijing("2026-12-18T17:00"), "2026-12-18T17:00:00+08:00");
    }

    #[test]
    fn rubric_lines_are_read_with_spaces_or_colons() {
        let items = super::rubric_lines("技术先进性 30\n 市场前景：40分\n\n团队能力");
        assert_eq!(items.len(), 3);
        assert_eq!(
            (items[0].item.as_str(), items[0].points),
            ("技术先进性", 30)
        );
        assert_eq!((items[1].item.as_str(), items[1].points), ("市场前景", 40));
        assert_eq!((items[2].item.as_str(), items[2].points), ("团队能力", 0));
    }
}
