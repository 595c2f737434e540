//! 申报 pages (issue 16), the twins of `/api/v1/applications` and their decisions: the
//! application form generated from the measure's facts (amounts in 元 or 万元), an
//! application's page with its computed amount, explanation and history — and, for whoever the
//! waiting step belongs to, the decision form — and the listings 我的申报 / 申报审核. The calls
//! themselves are in `calls`.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use zijin_app::access::{self, Area};
use zijin_app::applications::{
    self, ApplicationInput, ApplicationView, DecisionInput, action_label, calls, filing, review,
};
use zijin_app::auth::display_time;
use zijin_app::policy::{FactType, Measure};
use zijin_app::{AppError, policy};
use zijin_domain::{Coded, FieldErrors, Money};

use super::calls::call_context;
use super::{error_context, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path, Query};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::{page_context, ser};

pub fn router() -> Routes {
    Routes::new()
        .route(
            "/applications",
            get(application_list).post(create_application),
        )
        .route("/applications/new", get(application_form))
        .route(
            "/applications/{id}",
            get(application_page).post(update_application),
        )
        .route("/applications/{id}/submit", post(submit_application))
        .route("/applications/{id}/decision", post(decide_application))
}

/// The 承诺书 and the account as a form sent them (the facts are read per measure).
pub(super) fn filing_input(values: &HashMap<String, String>) -> ApplicationInput {
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    ApplicationInput {
        integrity_accepted: values.get("integrity_accepted").is_some_and(|v| v == "yes"),
        bank_name: get("bank_name"),
        bank_account: get("bank_account"),
        account_name: get("account_name"),
        ..Default::default()
    }
}

/// The account fields for the form.
fn account_values(values: &HashMap<String, String>) -> minijinja::Value {
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    context! { bank => get("bank_name"), number => get("bank_account"), name => get("account_name") }
}

/// Yuan (fen) as forms print it, with separators and in 万元.
fn amount(fen: i64) -> String {
    Money::from_fen(fen).map_or_else(|_| format!("{fen} 分"), Money::yuan_and_wan)
}

/// Stored facts back as form values.
fn values_of(facts: &serde_json::Value) -> HashMap<String, String> {
    facts
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Array(items) => items
                            .iter()
                            .filter_map(|i| i.as_str())
                            .collect::<Vec<_>>()
                            .join("、"),
                        other => other.to_string(),
                    };
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewQuery {
    call: String,
    measure: String,
}

async fn render_new(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    call_id: i64,
    measure_id: &str,
    values: &HashMap<String, String>,
    errors: &FieldErrors,
) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::OwnApplications)?;
    let call = calls::get(&state.app, call_id).await?;
    let measure = policy::measure(&state.app, measure_id)?;
    if !call.call.measures.iter().any(|(m, _)| m == measure_id) {
        return Err(AppError::NotFound("政策措施").into());
    }
    let (errors, error_list) = error_context(errors);
    let base = page_context(&state.app, visitor, &format!("申报：{}", measure.name)).await;
    Ok(html(
        status,
        "application_form.html",
        context! {
            call => call_context(&call, state.app.now()),
            measure => context! { id => measure.id.clone(), name => measure.name.clone(), article => measure.article, clause => measure.clause.clone() },
            facts => super::facts::inputs(measure, values),
            integrity => values.get("integrity_accepted").is_some_and(|v| v == "yes"),
            account => account_values(values),
            errors => ser(&errors), error_list,
            ..base
        },
    ))
}

async fn application_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<NewQuery>,
) -> Result<Response, PageError> {
    let call: i64 = query
        .call
        .parse()
        .map_err(|_| AppError::NotFound("申报通知"))?;
    render_new(
        &state,
        &visitor,
        StatusCode::OK,
        call,
        &query.measure,
        &HashMap::new(),
        &FieldErrors::new(),
    )
    .await
}

async fn create_application(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    access::require(&visitor.actor, Area::OwnApplications)?;
    let call: i64 = values
        .get("call")
        .and_then(|c| c.parse().ok())
        .ok_or(AppError::NotFound("申报通知"))?;
    let measure_id = values.get("measure").cloned().unwrap_or_default();
    let measure = policy::measure(&state.app, &measure_id)?;
    let input = ApplicationInput {
        call,
        measure: measure_id.clone(),
        facts: super::facts::facts(measure, &values),
        ..filing_input(&values)
    };
    match filing::draft(&state.app, &visitor.actor, &input).await {
        Ok(view) => {
            Ok(Redirect::to(&format!("/applications/{}", view.application.id)).into_response())
        }
        Err(AppError::Validation(errors)) => {
            render_new(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                call,
                &measure_id,
                &values,
                &errors,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

pub(super) async fn render_application(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    view: &ApplicationView,
    values: Option<&HashMap<String, String>>,
    errors: &FieldErrors,
) -> Result<Response, PageError> {
    let row = &view.application;
    let measure = policy::measure(&state.app, &row.measure_id)?;
    let facts: serde_json::Value = serde_json::from_str(&row.facts).unwrap_or_default();
    let stored = values_of(&facts);
    let shown_facts: Vec<minijinja::Value> = measure
        .facts
        .iter()
        .map(|f| {
            let value = stored.get(&f.name).cloned().unwrap_or_default();
            let value = match (&f.kind, value.as_str()) {
                (FactType::Boolean, "true") => "是".to_string(),
                (FactType::Boolean, "false") => "否".to_string(),
                (FactType::Money, v) => Money::parse(v).map_or(v.to_string(), Money::yuan_and_wan),
                (_, v) => v.to_string(),
            };
            context! { label => f.label.clone(), value }
        })
        .collect();
    let (errors, error_list) = error_context(errors);
    let form_values = values.cloned().unwrap_or_else(|| {
        let mut v = stored.clone();
        if row.integrity_accepted {
            v.insert("integrity_accepted".into(), "yes".into());
        }
        v.insert("bank_name".into(), row.account.bank.clone());
        v.insert("bank_account".into(), row.account.grouped_number());
        v.insert("account_name".into(), row.account.name.clone());
        v
    });
    let candidates = super::application_review::candidate_context(state, visitor, view).await?;
    let base = page_context(&state.app, visitor, &format!("申报：{}", view.measure_name)).await;
    Ok(html(
        status,
        "application_detail.html",
        context! {
            a => context! {
                id => row.id, call => row.call_id, call_title => row.call_title.clone(),
                measure => view.measure_name.clone(), article => view.article,
                institution => row.institution_name.clone(),
                beneficiary => row.beneficiary_name.clone(),
                status => row.status.code(), status_label => row.status.label(),
                step_label => row.step.map(|s| s.label()),
                eligible => row.eligible, amount => amount(row.amount_fen),
                approved => row.approved_fen.map(amount),
                reasons => row.reasons.clone(), integrity => row.integrity_accepted,
                origin => row.origin.code(), origin_label => row.origin.label(),
                account_name => row.account.name.clone(), bank_name => row.account.bank.clone(),
                bank_account => row.account.grouped_number(),
                to_confirm => row.origin == zijin_domain::ApplicationOrigin::Exempt
                    && row.status == zijin_domain::ApplicationStatus::Draft
                    && view.capabilities.edit,
            },
            account => account_values(&form_values),
            required_files => view.required_files.clone(),
            files => view.files.iter().map(|f| context! {
                id => f.id, requirement => f.requirement.clone(), filename => f.filename.clone(),
                size_kb => (f.size + 1023) / 1024,
            }).collect::<Vec<_>>(),
            attach => view.capabilities.edit && !view.required_files.is_empty()
                && view.application.origin == zijin_domain::ApplicationOrigin::Applicant,
            experts => view.experts.as_ref().map(|e| super::application_review::expert_context(e, &view.capabilities)),
            candidates => ser(candidates),
            facts => shown_facts,
            // In words: facts and parameters by their labels, the beneficiary by its name,
            // the article by its number (its text is on the measure's page).
            trace => view.trace.iter().map(|s| {
                let whom = row.beneficiary_name.as_deref().unwrap_or(&row.institution_name);
                let person = row.beneficiary_name.is_some();
                let words = |text: &str| {
                    let text = readable(text, measure, &row.beneficiary, whom);
                    // A person is a 受益人, not a 受益单位.
                    if person { text.replace("受益单位", "受益人") } else { text }
                };
                context! {
                    step => s.step.clone(), formula => words(&s.formula), value => words(&s.value),
                    source => s.source.split('：').next().unwrap_or_default().to_string(),
                }
            }).collect::<Vec<_>>(),
            history => view.history.iter().map(|e| context! {
                action => action_label(&e.action), step => e.step.map(|s| s.label()),
                comment => e.comment.clone(), amount => e.amount_fen.map(amount),
                by => e.user_name.clone(), at => display_time(&e.at),
            }).collect::<Vec<_>>(),
            edit => view.capabilities.edit,
            decide => view.capabilities.decide.map(|s| s.label()),
            decide_final => view.capabilities.decide == Some(zijin_domain::ReviewStep::Final),
            inputs => super::facts::inputs(measure, &form_values),
            integrity_checked => form_values.get("integrity_accepted").is_some_and(|v| v == "yes"),
            d => ser(values.cloned().unwrap_or_default()),
            errors => ser(&errors), error_list,
            notice => crate::flash::notice_or_error(visitor.flash.as_deref()).0,
            flash => crate::flash::notice_or_error(visitor.flash.as_deref()).1,
            ..base
        },
    ))
}

/// An explanation step as people read it: each fact and parameter by its label, operators as
/// signs, the beneficiary by its name, no measure id.
fn readable(text: &str, measure: &Measure, code: &str, name: &str) -> String {
    let mut names: Vec<(&str, &str)> = measure
        .facts
        .iter()
        .map(|f| (f.name.as_str(), f.label.as_str()))
        .chain(
            measure
                .params
                .iter()
                .map(|p| (p.name.as_str(), p.label.as_str())),
        )
        .collect();
    names.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    let mut text = text
        .replace(&format!("{} · ", measure.id), "")
        .replace(&measure.id, &measure.name)
        .replace(code, name);
    for (id, _) in &names {
        text = text.replace(&format!("（{id}）"), "");
    }
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let shown = match word.as_str() {
            "and" => "且",
            "or" => "或",
            "not" => "非",
            "in" => "属于",
            "min" => "取小",
            "max" => "取大",
            w => names.iter().find(|(n, _)| *n == w).map_or(w, |(_, l)| *l),
        };
        out.push_str(shown);
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphabetic() || c == '_' || (!word.is_empty() && c.is_ascii_digit()) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(match c {
                '*' => '×',
                '/' => '÷',
                other => other,
            });
        }
    }
    flush(&mut word, &mut out);
    out.replace(">=", "≥")
        .replace("<=", "≤")
        .replace("!=", "≠")
        .replace("==", "=")
}

pub(super) fn application_id(raw: &str) -> Result<i64, PageError> {
    raw.parse()
        .map_err(|_| PageError::from(AppError::NotFound("申报")))
}

async fn application_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = application_id(&id)?;
    let view = applications::get(&state.app, &visitor.actor, id).await?;
    render_application(
        &state,
        &visitor,
        StatusCode::OK,
        &view,
        None,
        &FieldErrors::new(),
    )
    .await
}

/// A form's outcome on an application: on success back to its page with a message; refused
/// for its input, the page again (422) with the reasons and what was typed.
pub(super) async fn application_outcome(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
    result: Result<ApplicationView, AppError>,
    done: impl FnOnce(&ApplicationView) -> String,
    values: &HashMap<String, String>,
) -> Result<Response, PageError> {
    let page = format!("/applications/{id}");
    match result {
        Ok(view) => Ok(crate::flash::redirect_with_notice(&page, &done(&view))),
        Err(AppError::Validation(errors)) => {
            let view = applications::get(&state.app, &visitor.actor, id).await?;
            render_application(
                state,
                visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                &view,
                Some(values),
                &errors,
            )
            .await
        }
        // A step already taken, a call closed, a budget spent: said on the application's page.
        Err(
            error @ (AppError::WrongState(_)
            | AppError::CallClosed(_)
            | AppError::BudgetExceeded(_)),
        ) => Ok(crate::flash::redirect_with_error(&page, &error.to_string())),
        Err(other) => Err(other.into()),
    }
}

async fn update_application(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    let id = application_id(&id)?;
    let view = applications::get(&state.app, &visitor.actor, id).await?;
    let measure = policy::measure(&state.app, &view.application.measure_id)?;
    let input = ApplicationInput {
        facts: super::facts::facts(measure, &values),
        ..filing_input(&values)
    };
    let result = filing::update(&state.app, &visitor.actor, id, &input).await;
    application_outcome(
        &state,
        &visitor,
        id,
        result,
        |_| "已保存，金额已按填写的内容重新计算".to_string(),
        &values,
    )
    .await
}

/// The application's page again (422), asking to tick the confirmation of a step that cannot
/// be undone; what was typed is kept.
async fn ask_to_confirm(
    state: &AppState,
    visitor: &Visitor,
    view: &ApplicationView,
    values: Option<&HashMap<String, String>>,
    message: &str,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    errors.add("confirm", message);
    render_application(
        state,
        visitor,
        StatusCode::UNPROCESSABLE_ENTITY,
        view,
        values,
        &errors,
    )
    .await
}

async fn submit_application(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    let id = application_id(&id)?;
    let view = applications::get(&state.app, &visitor.actor, id).await?;
    // Whoever may not submit hears why from the use case; the owner is asked to confirm.
    if view.capabilities.edit && values.get("confirm").is_none_or(|v| v != "yes") {
        return ask_to_confirm(
            &state,
            &visitor,
            &view,
            None,
            "提交后进入审核，审核期间不能修改；请勾选“确认提交”",
        )
        .await;
    }
    let result = filing::submit(&state.app, &visitor.actor, id).await;
    application_outcome(
        &state,
        &visitor,
        id,
        result,
        |view| match view.application.step {
            Some(step) => format!("已提交，请等待{}", step.label()),
            None => "已提交".to_string(),
        },
        &values,
    )
    .await
}

async fn decide_application(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    let id = application_id(&id)?;
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let amount = get("amount");
    let amount = (!amount.trim().is_empty())
        .then(|| Money::parse_yuan_or_wan(&amount).map_or(amount.clone(), |m| m.to_string()));
    let input = DecisionInput {
        decision: get("decision"),
        comment: get("comment"),
        amount,
    };
    // Rejecting and fixing the amount end the route: they are confirmed first.
    let decision = zijin_domain::Decision::from_code(&input.decision);
    let view = applications::get(&state.app, &visitor.actor, id).await?;
    let closing = decision == Some(zijin_domain::Decision::Reject)
        || (decision == Some(zijin_domain::Decision::Approve)
            && view.capabilities.decide == Some(zijin_domain::ReviewStep::Final));
    if closing && values.get("confirm").is_none_or(|v| v != "yes") {
        return ask_to_confirm(
            &state,
            &visitor,
            &view,
            Some(&values),
            "不予通过和市级核定提交后不能撤回，请勾选“确认提交审核意见”",
        )
        .await;
    }
    let result = review::decide(&state.app, &visitor.actor, id, &input).await;
    let done = |view: &ApplicationView| match (decision, view.application.status) {
        (_, zijin_domain::ApplicationStatus::Approved) => {
            "已核定，核定金额已在资助台账中预留".to_string()
        }
        (Some(zijin_domain::Decision::Return), _) => "已退回申报单位修改".to_string(),
        (Some(zijin_domain::Decision::Reject), _) => "已作不予通过处理".to_string(),
        _ => match view.application.step {
            Some(step) => format!("已通过，已转{}", step.label()),
            None => "已通过".to_string(),
        },
    };
    application_outcome(&state, &visitor, id, result, done, &values).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    page: Option<String>,
}

async fn application_list(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let page = crate::views::page_number(query.page.as_deref());
    let paged = applications::list_page(&state.app, &visitor.actor, page).await?;
    let rows = &paged.items;
    let expert_rows = applications::experts::queue(&state.app, &visitor.actor).await?;
    let own = access::may(&visitor.actor, Area::OwnApplications);
    let title = if own { "我的申报" } else { "申报审核" };
    let base = page_context(&state.app, &visitor, title).await;
    let now = state.app.now();
    Ok(html(
        StatusCode::OK,
        "applications.html",
        context! {
            own,
            rows => rows.iter().map(|r| context! {
                id => r.id, call_title => r.call_title.clone(),
                measure => policy::measure(&state.app, &r.measure_id).map(|m| m.name.clone()).unwrap_or_else(|_| r.measure_id.clone()),
                institution => match &r.beneficiary_name {
                    Some(person) => format!("{}（技术经理人 {person}）", r.institution_name),
                    None => r.institution_name.clone(),
                },
                status_label => r.status.label(), step_label => r.step.map(|s| s.label()),
                amount => if r.eligible || r.approved_fen.is_some() { amount(r.approved_fen.unwrap_or(r.amount_fen)) } else { "不符合条件".to_string() },
                approved => r.approved_fen.is_some(),
                updated => display_time(&r.updated_at),
                waiting => super::calls::parse_utc(&r.updated_at).map_or(0, |at| (now - at).num_days()),
            }).collect::<Vec<_>>(),
            paged => context! { page => paged.page, page_count => paged.page_count(), total => zijin_domain::group_thousands(&paged.total.to_string()) },
            pager_base => "/applications?",
            expert_rows => expert_rows.iter().map(|r| context! {
                id => r.id, call_title => r.call_title.clone(),
                measure => policy::measure(&state.app, &r.measure_id).map(|m| m.name.clone()).unwrap_or_else(|_| r.measure_id.clone()),
                institution => r.institution_name.clone(),
                updated => display_time(&r.updated_at),
            }).collect::<Vec<_>>(),
            ..base
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explanation_reads_in_labels_and_signs() {
        let policies = zijin_testkit::shipped_policies();
        let measure = policies.measure("a18-empowerment").unwrap();
        assert_eq!(
            readable("empowered_count * per_item", measure, "X", "Y"),
            "赋权改革成果数（项） × 每项资助"
        );
        assert_eq!(
            readable(
                "a18-empowerment · 职务科技成果赋权改革资助",
                measure,
                "X",
                "Y"
            ),
            "职务科技成果赋权改革资助"
        );
        assert_eq!(
            readable(
                "受益单位 = 12320000；国家及省市赋权改革试点单位（pilot_unit）= 是",
                measure,
                "12320000",
                "南京大学"
            ),
            "受益单位 = 南京大学；国家及省市赋权改革试点单位= 是"
        );
        assert_eq!(
            readable("empowered_count >= 1 and pilot_unit", measure, "X", "Y"),
            "赋权改革成果数（项） ≥ 1 且 国家及省市赋权改革试点单位"
        );
    }
}
