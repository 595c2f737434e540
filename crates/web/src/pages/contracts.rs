//! 技术合同登记 pages: the listing (我的技术合同 for sellers, 合同登记 for registrars, the
//! bureau's and districts' registry), a contract with its history, payments received and the
//! registrar's acts (登记 / 退回补正 / 未予登记, 变更 / 注销). The form and the import are in
//! [`super::contract_form`].

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};
use zijin_app::AppError;
use zijin_app::access::{self, Area};
use zijin_app::contracts::StoredContract;
use zijin_app::contracts::{self, Amendment, Decision, ListQuery};
use zijin_domain::{Coded, ContractField, ContractKind, ContractStatus, group_thousands};

use super::html;
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Query};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::{page_context, page_number, query_prefix};

pub fn router() -> Routes {
    Routes::new()
        .route("/contracts", get(list))
        .route("/contracts/{id}", get(detail))
        .route("/contracts/{id}/file", get(file))
        .route("/contracts/{id}/decide", post(decide))
        .route("/contracts/{id}/cancel", post(cancel))
        .route("/contracts/{id}/receipts", post(receipt))
}

pub(crate) fn contract_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| AppError::NotFound("技术合同"))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ListParams {
    status: String,
    year: String,
    kind: String,
    field: String,
    q: String,
    page: Option<String>,
}

/// The line of a listing, as shown.
pub(crate) fn line(c: &StoredContract) -> minijinja::Value {
    context! {
        id => c.id,
        number => c.number.as_ref().map(|n| n.as_str().to_string()),
        title => c.details.title.clone(),
        contract_type => c.details.contract_type.label(),
        seller => c.details.seller.name.clone(),
        buyer => c.details.buyer.name.clone(),
        total => c.details.total.shown(),
        technology => c.details.technology.shown(),
        status => c.status.label(),
        status_code => c.status.code(),
        signed_on => c.details.signed_on.to_string(),
        registered_on => c.registered_on.map(|d| d.to_string()),
        due_on => c.due_on.map(|d| d.to_string()),
        registry => c.registry_name.clone().unwrap_or_else(|| "国家技术合同登记系统导入".into()),
    }
}

fn options<T: Coded>() -> Vec<minijinja::Value> {
    T::ALL
        .iter()
        .map(|v| context! { code => v.code(), label => v.label() })
        .collect()
}

async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let listing = access::contract_listing(&visitor.actor)?;
    let query = ListQuery {
        status: ContractStatus::from_code(&params.status),
        year: params.year.trim().parse().ok(),
        kind: ContractKind::from_code(&params.kind),
        field: ContractField::from_code(&params.field),
        words: params.q.clone(),
    };
    let page = page_number(params.page.as_deref());
    let paged = contracts::list(&state.app, &visitor.actor, &query, page).await?;
    let today = state.app.today();
    let rows: Vec<_> = paged
        .items
        .iter()
        .map(|c| {
            let overdue =
                c.status == ContractStatus::Submitted && c.due_on.is_some_and(|d| d < today);
            context! { overdue, ..line(c) }
        })
        .collect();
    let title = match listing {
        access::ContractListing::Seller(_) => "我的技术合同",
        access::ContractListing::Registry(_) => "合同登记",
        access::ContractListing::District(_) => "本区技术合同",
        access::ContractListing::All => "技术合同登记簿",
    };
    let (notice, flash) = crate::flash::notice_or_error(visitor.flash.as_deref());
    let base = page_context(&state.app, &visitor, title).await;
    let prefix = query_prefix(
        "/contracts",
        &[
            ("status", &params.status),
            ("year", &params.year),
            ("kind", &params.kind),
            ("field", &params.field),
            ("q", &params.q),
        ],
    );
    Ok(html(
        StatusCode::OK,
        "contracts.html",
        context! {
            rows, notice, flash,
            paged => context! { page => paged.page, page_count => paged.page_count(), total => group_thousands(&paged.total.to_string()) },
            prefix,
            params => crate::views::ser(&params),
            statuses => options::<ContractStatus>(),
            kinds => options::<ContractKind>(),
            fields => options::<ContractField>(),
            may_submit => access::may(&visitor.actor, Area::OwnContracts),
            may_import => access::may(&visitor.actor, Area::ContractImport),
            registrar => matches!(listing, access::ContractListing::Registry(_)),
            ..base
        },
    ))
}

/// Labels of the acts in a contract's history.
fn act_label(act: &str) -> &'static str {
    match act {
        "submit" => "提交登记",
        "edit" => "修改合同信息",
        "resubmit" => "补正后重新提交",
        "register" => "予以登记",
        "return" => "退回补正",
        "refuse" => "未予登记",
        "change" => "变更",
        "cancel" => "注销",
        _ => "其他操作",
    }
}

async fn detail(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = contract_id(&id)?;
    let view = contracts::get(&state.app, &visitor.actor, id).await?;
    let c = &view.contract;
    let d = &c.details;
    let party = |p: &zijin_domain::Party| {
        context! {
            name => p.name.clone(), credit_code => p.credit_code.as_str().to_string(),
            nature => p.nature.label(), place => p.region.label(),
        }
    };
    let history: Vec<_> = view
        .history
        .iter()
        .map(|h| {
            // What a 变更 changed: the amounts and the type before, in words.
            let before = h
                .before
                .as_deref()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
                .filter(|_| h.act == "change")
                .map(|b| {
                    let money = |key: &str| {
                        b[key]
                            .as_str()
                            .and_then(|t| zijin_domain::Money::parse(t).ok())
                            .map_or_else(|| "—".to_string(), |m| m.shown())
                    };
                    let kind = b["contract_type"]
                        .as_str()
                        .and_then(zijin_domain::ContractType::from_code)
                        .map_or("", |t| t.label());
                    format!("变更前：{kind}，成交额 {}，技术交易额 {}", money("total"), money("technology_amount"))
                });
            context! {
                at => zijin_app::auth::display_at(h.at),
                actor => h.actor.clone(), act => act_label(&h.act), reason => h.reason.clone(), before,
            }
        })
        .collect();
    let receipts: Vec<_> = view
        .receipts
        .iter()
        .map(|r| context! { on => r.received_on.to_string(), amount => r.amount.shown(), note => r.note.clone() })
        .collect();
    let today = state.app.today();
    let overdue = c.status == ContractStatus::Submitted && c.due_on.is_some_and(|d| d < today);
    let broker_institution = match c.broker_institution_id {
        Some(id) => contracts::brokers(&state.app)
            .await?
            .into_iter()
            .find(|(b, _)| *b == id)
            .map(|(_, name)| name),
        None => None,
    };
    let (notice, flash) = crate::flash::notice_or_error(visitor.flash.as_deref());
    let base = page_context(&state.app, &visitor, &d.title).await;
    Ok(html(
        StatusCode::OK,
        "contract_detail.html",
        context! {
            c => line(c), notice, flash,
            status_code => c.status.code(),
            equity => d.equity_investment,
            valid_until => d.valid_until.map(|v| v.to_string()),
            field => d.field.label(),
            ip_type => d.ip_type.label(),
            seller => party(&d.seller),
            buyer => party(&d.buyer),
            in_city => d.in_city(),
            related_party => d.related_party,
            deductions => d.deductions.iter().map(|x| context! { item => x.item.clone(), amount => x.amount.shown() }).collect::<Vec<_>>(),
            deadline_days => d.deadline_working_days(),
            deadline_provisional => c.due_on.is_some_and(|due| contracts::deadline_provisional(&state.app, due)),
            overdue,
            accepted_on => c.accepted_on.map(|v| v.to_string()),
            refusal_reason => c.refusal_reason.clone(),
            broker => c.broker_name.clone(),
            broker_institution => broker_institution,
            match_id => c.match_id,
            history, receipts,
            received => view.received.shown(),
            file_name => view.file_name.clone(),
            can => crate::views::ser(view.capabilities),
            today => today.to_string(),
            ..base
        },
    ))
}

async fn file(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = contract_id(&id)?;
    let file = contracts::file(&state.app, &visitor.actor, id).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, file.content_type.clone()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                crate::download::content_disposition(&file.filename),
            ),
        ],
        file.content,
    )
        .into_response())
}

fn flash_error(back: &str, error: AppError) -> Result<Response, PageError> {
    match error {
        AppError::Validation(fields) | AppError::Duplicate(fields) => {
            let message: Vec<String> = fields.iter().map(|e| e.message.clone()).collect();
            Ok(crate::flash::redirect_with_error(back, &message.join("；")))
        }
        AppError::WrongState(message) => Ok(crate::flash::redirect_with_error(back, &message)),
        other => Err(other.into()),
    }
}

async fn decide(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    access::require(&visitor.actor, Area::ContractRegistry)?;
    let id = contract_id(&id)?;
    let back = format!("/contracts/{id}");
    let value = |k: &str| values.get(k).cloned().unwrap_or_default();
    let decision = match value("decision").as_str() {
        "register" => Decision::Register,
        "return" => Decision::Return(value("reason")),
        "refuse" => {
            if value("confirm") != "yes" {
                return flash_error(
                    &back,
                    AppError::field("confirm", "未予登记不能撤销，请勾选确认后再提交"),
                );
            }
            Decision::Refuse(value("reason"))
        }
        _ => return flash_error(&back, AppError::field("decision", "请选择登记决定")),
    };
    match contracts::decide(&state.app, &visitor.actor, id, decision).await {
        Ok(Some(number)) => Ok(crate::flash::redirect_with_notice(
            &back,
            &format!("已予以登记，合同登记编号 {}", number.as_str()),
        )),
        Ok(None) => Ok(crate::flash::redirect_with_notice(
            &back,
            "已记录登记决定并通知卖方",
        )),
        Err(error) => flash_error(&back, error),
    }
}

async fn cancel(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    access::contract::require_amend_area(&visitor.actor)?;
    let id = contract_id(&id)?;
    let back = format!("/contracts/{id}");
    if values.get("confirm").map(String::as_str) != Some("yes") {
        return flash_error(
            &back,
            AppError::field("confirm", "注销不能撤销，请勾选确认后再提交"),
        );
    }
    let reason = values.get("reason").cloned().unwrap_or_default();
    match contracts::amend(&state.app, &visitor.actor, id, Amendment::Cancel, &reason).await {
        Ok(()) => Ok(crate::flash::redirect_with_notice(
            &back,
            "合同已注销，不再计入统计",
        )),
        Err(error) => flash_error(&back, error),
    }
}

async fn receipt(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(values.get("_csrf").map_or("", String::as_str))?;
    if matches!(visitor.actor, zijin_app::Actor::Anonymous) {
        return Err(AppError::Unauthenticated.into());
    }
    let id = contract_id(&id)?;
    let back = format!("/contracts/{id}");
    let value = |k: &str| values.get(k).cloned().unwrap_or_default();
    let mut amount = value("amount");
    if value("amount_unit") == "wan" && !amount.trim().is_empty() {
        amount = format!("{}万", amount.trim());
    }
    match contracts::record_receipt(
        &state.app,
        &visitor.actor,
        id,
        &value("received_on"),
        &amount,
        &value("note"),
    )
    .await
    {
        Ok(()) => Ok(crate::flash::redirect_with_notice(&back, "已登记到账")),
        Err(error) => flash_error(&back, error),
    }
}
