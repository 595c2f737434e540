//! 公示 pages (issue 16), the twins of `/api/v1/calls/{id}/notice`, `/api/v1/notices/{id}`,
//! its objections and rulings: the public notice of a call's 拟支持名单 with its period and the
//! objection form (real name and phone; the objector is shown to admins only), the admin's
//! rulings, and the admin's confirmed publication from the call's page.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use zijin_app::AppError;
use zijin_app::applications::notice::{self, ObjectionInput};
use zijin_app::applications::payments;
use zijin_app::auth::display_time;
use zijin_app::policy;
use zijin_domain::{FieldErrors, Money};

use super::{error_context, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path};
use crate::flash::{notice_or_error, redirect_with_error, redirect_with_notice};
use crate::routes::{Routes, get, post};
use crate::session::{ClientIp, Visitor};
use crate::views::page_context;

pub fn router() -> Routes {
    Routes::new()
        .route("/calls/{id}/notice", post(publish))
        .route("/notices/{id}", get(show))
        .route("/notices/{id}/notice.pdf", get(notice_pdf))
        .route("/notices/{id}/objections", post(object))
        .route("/objections/{id}/ruling", post(rule))
        .route("/calls/{id}/payments", post(make_batch))
        .route("/payment-batches/{id}", get(batch_page))
        .route("/payment-batches/{id}/export.xlsx", get(batch_export))
        .route("/payments/{id}/paid", post(mark_paid))
}

fn id_of(raw: &str, what: &'static str) -> Result<i64, PageError> {
    raw.parse()
        .map_err(|_| PageError::from(AppError::NotFound(what)))
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
    status: StatusCode,
    errors: &FieldErrors,
    typed: &HashMap<String, String>,
) -> Result<Response, PageError> {
    let view = notice::get(&state.app, &visitor.actor, id).await?;
    let measure_name = |id: &str| {
        policy::measure(&state.app, id).map_or_else(|_| id.to_string(), |m| m.name.clone())
    };
    let entries: Vec<minijinja::Value> = view
        .entries
        .iter()
        .enumerate()
        .map(|(n, e)| {
            context! {
                number => n + 1, application => e.application_id,
                institution => e.institution_name.clone(), measure => measure_name(&e.measure_id),
                amount => Money::from_fen(e.amount_fen).map(Money::yuan_and_wan).unwrap_or_default(),
                withdrawn => e.withdrawn, withdrawn_reason => e.withdrawn_reason.clone(),
            }
        })
        .collect();
    let objections: Vec<minijinja::Value> = view
        .objections
        .iter()
        .map(|o| {
            context! {
                id => o.id, name => o.name.clone(), phone => o.phone.clone(), reason => o.reason.clone(),
                at => display_time(&o.created_at),
                about => o.application_id.and_then(|a| view.entries.iter().find(|e| e.application_id == a)).map(|e| e.institution_name.clone()),
                ruling => o.ruling.as_deref().map(|r| if r == "upheld" { "成立" } else { "不成立" }),
                ruling_reason => o.ruling_reason.clone(),
            }
        })
        .collect();
    let (errors, error_list) = error_context(errors);
    let (done, flash) = notice_or_error(visitor.flash.as_deref());
    let title = format!("拟支持名单公示：{}", view.notice.call_title);
    let base = page_context(&state.app, visitor, &title).await;
    // Anyone may object without an account: an anonymous visitor gets the cookie that keeps
    // the form's CSRF token (as the login page gives it).
    let jar = match visitor.actor {
        zijin_app::Actor::Anonymous => axum_extra::extract::CookieJar::new()
            .add(visitor.anonymous_csrf_cookie(state.config.secure_cookies)),
        _ => axum_extra::extract::CookieJar::new(),
    };
    let page = html(
        status,
        "notice.html",
        context! {
            n => context! {
                id => view.notice.id, call => view.notice.call_id, call_title => view.notice.call_title.clone(),
                starts_on => view.notice.starts_on.clone(), ends_on => view.notice.ends_on.clone(),
                working_days => view.notice.working_days, open => view.open,
            },
            entries, objections, may_rule => view.may_rule,
            errors => crate::views::ser(&errors), error_list, t => crate::views::ser(typed),
            notice => done, flash,
            ..base
        },
    );
    Ok((jar, page).into_response())
}

async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id_of(&id, "公示")?;
    render(
        &state,
        &visitor,
        id,
        StatusCode::OK,
        &FieldErrors::new(),
        &HashMap::new(),
    )
    .await
}

async fn publish(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(form.get("_csrf").map_or("", String::as_str))?;
    let id = id_of(&id, "申报通知")?;
    zijin_app::access::require(&visitor.actor, zijin_app::access::Area::Calls)?;
    if form.get("confirm").is_none_or(|v| v != "yes") {
        return Ok(redirect_with_error(
            &format!("/calls/{id}"),
            "公示发布后名单即对外公开、不能撤回；请勾选“确认发布公示”",
        ));
    }
    let view = notice::publish(&state.app, &visitor.actor, id).await?;
    Ok(redirect_with_notice(
        &format!("/notices/{}", view.notice.id),
        &format!("已发布公示，公示期至 {}", view.notice.ends_on),
    ))
}

async fn object(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientIp(address): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(form.get("_csrf").map_or("", String::as_str))?;
    let id = id_of(&id, "公示")?;
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = ObjectionInput {
        application: get("application").trim().parse().ok(),
        name: get("name"),
        phone: get("phone"),
        reason: get("reason"),
    };
    match notice::object(&state.app, &address, id, &input).await {
        Ok(_) => Ok(redirect_with_notice(
            &format!("/notices/{id}"),
            "异议已收到。我们将核实并以书面形式答复，您的身份信息予以保密。",
        )),
        Err(AppError::Validation(errors)) => {
            render(
                &state,
                &visitor,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
                &form,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

async fn rule(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(form.get("_csrf").map_or("", String::as_str))?;
    let id = id_of(&id, "异议")?;
    let back = form
        .get("notice")
        .and_then(|n| n.parse::<i64>().ok())
        .map_or_else(|| "/calls".to_string(), |n| format!("/notices/{n}"));
    let upheld = match form.get("ruling").map(String::as_str) {
        Some("upheld") => true,
        Some("dismissed") => false,
        _ => {
            zijin_app::access::require(&visitor.actor, zijin_app::access::Area::Calls)?;
            return Ok(redirect_with_error(&back, "请选择认定结果：成立或不成立"));
        }
    };
    let reason = form.get("reason").cloned().unwrap_or_default();
    match notice::rule(&state.app, &visitor.actor, id, upheld, &reason).await {
        Ok(()) => Ok(redirect_with_notice(
            &back,
            if upheld {
                "已认定异议成立，该项目移出名单，核定资金已释放"
            } else {
                "已认定异议不成立"
            },
        )),
        Err(AppError::Validation(errors)) => {
            let message: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            Ok(redirect_with_error(&back, &message.join("；")))
        }
        Err(other) => Err(other.into()),
    }
}

async fn make_batch(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(form.get("_csrf").map_or("", String::as_str))?;
    let id = id_of(&id, "申报通知")?;
    zijin_app::access::require(&visitor.actor, zijin_app::access::Area::Calls)?;
    let back = form
        .get("notice")
        .map_or_else(|| format!("/calls/{id}"), |n| format!("/notices/{n}"));
    if form.get("confirm").is_none_or(|v| v != "yes") {
        return Ok(redirect_with_error(
            &back,
            "拨付批次生成后资金即转为已拨付、不能撤回；请勾选“确认生成拨付批次”",
        ));
    }
    match payments::make_batch(&state.app, &visitor.actor, id).await {
        Ok((batch, list)) => Ok(redirect_with_notice(
            &format!("/payment-batches/{batch}"),
            &format!("已生成拨付批次，共 {} 笔", list.len()),
        )),
        Err(error @ AppError::WrongState(_)) => Ok(redirect_with_error(&back, &error.to_string())),
        Err(other) => Err(other.into()),
    }
}

async fn batch_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id_of(&id, "拨付批次")?;
    let list = payments::batch_payments(&state.app, &visitor.actor, id).await?;
    let total: rust_decimal::Decimal = list
        .iter()
        .map(|p| zijin_app::applications::yuan(p.amount_fen))
        .sum();
    let (done, flash) = notice_or_error(visitor.flash.as_deref());
    let base = page_context(&state.app, &visitor, "拨付清单").await;
    Ok(html(
        StatusCode::OK,
        "payment_batch.html",
        context! {
            batch => id,
            total => Money::from_decimal(total).map(Money::yuan_and_wan).unwrap_or_default(),
            payments => list.iter().enumerate().map(|(n, p)| context! {
                number => n + 1, id => p.id, application => p.application_id,
                payee => p.institution_name.clone(), credit_code => p.credit_code.clone(),
                account_name => p.account.name.clone(), bank => p.account.bank.clone(), account => p.account.grouped_number(),
                measure => policy::measure(&state.app, &p.measure_id).map_or_else(|_| p.measure_id.clone(), |m| m.name.clone()),
                amount => Money::from_fen(p.amount_fen).map(Money::yuan_and_wan).unwrap_or_default(),
                paid_on => p.paid_on.clone(), voucher => p.voucher.clone(),
            }).collect::<Vec<_>>(),
            notice => done, flash,
            ..base
        },
    ))
}

async fn batch_export(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id_of(&id, "拨付批次")?;
    let bytes = payments::export(&state.app, &visitor.actor, id).await?;
    let name = format!("拨付清单-第{id}批.xlsx");
    Ok(crate::download::xlsx(&name, bytes))
}

async fn mark_paid(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(form.get("_csrf").map_or("", String::as_str))?;
    let id = id_of(&id, "拨付记录")?;
    zijin_app::access::require(&visitor.actor, zijin_app::access::Area::Ledger)?;
    let back = form
        .get("batch")
        .map_or_else(|| "/calls".to_string(), |b| format!("/payment-batches/{b}"));
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    match payments::mark_paid(
        &state.app,
        &visitor.actor,
        id,
        &get("paid_on"),
        &get("voucher"),
    )
    .await
    {
        Ok(()) => Ok(redirect_with_notice(&back, "已标记为已拨付")),
        Err(AppError::Validation(errors)) => {
            let message: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            Ok(redirect_with_error(&back, &message.join("；")))
        }
        Err(error @ AppError::WrongState(_)) => Ok(redirect_with_error(&back, &error.to_string())),
        Err(other) => Err(other.into()),
    }
}

async fn notice_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    use axum::response::IntoResponse;
    let id = id_of(&id, "公示")?;
    let bytes = notice::pdf(&state.app, id).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                crate::download::content_disposition(&format!("拟支持名单公示-{id}.pdf")),
            ),
        ],
        bytes,
    )
        .into_response())
}
