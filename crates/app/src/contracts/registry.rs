//! The registrar's acts on a contract (合同登记员 of its registry; admins for imported
//! contracts' 变更/注销): 登记 with a number of the scheme, 退回补正, 未予登记; 变更 and 注销
//! with history and the aggregates moved in the same transaction; and the payments received
//! (到账), which the seller records too.

use serde_json::json;
use zijin_domain::{
    Coded, ContractInput, ContractStatus, NumberInputs, RegionCode, RegistrationNumber,
};
use zijin_store::audit::Change;
use zijin_store::contracts::{self as store, Receipt, StatusChange, totals};

use super::{actor_label, check_same_seller, check_signed, locked, registry_of, summary};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// The registry's decision on a waiting contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// 登记: a number is assigned and the contract counts from now.
    Register,
    /// 退回补正: the seller corrects or completes and resubmits; the clock starts again then.
    Return(String),
    /// 未予登记.
    Refuse(String),
}

fn reason(text: &str, what: &str) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::field("reason", format!("请填写{what}的理由")));
    }
    if text.chars().count() > 500 {
        return Err(AppError::field("reason", "理由不能超过500字"));
    }
    Ok(text.to_string())
}

/// Assigns the next number of the scheme to a contract registered by `registry` in `year`.
async fn assign_number(
    app: &App,
    work: &mut UnitOfWork,
    registry: &zijin_domain::Institution,
    year: i32,
) -> AppResult<RegistrationNumber> {
    let region = RegionCode::of_district(registry.details.district)
        .or_else(|| RegionCode::parse("320100"))
        .ok_or_else(|| AppError::Internal("南京市行政区划代码无效".into()))?;
    let scheme = app.contract_numbers();
    let prefix = scheme.prefix(NumberInputs {
        year,
        region,
        registry: u32::try_from(registry.id).unwrap_or(0),
    });
    // An imported number may already use a serial of the prefix: take the next free one.
    for _ in 0..1_000 {
        let serial = store::next_serial(work.tx(), &prefix).await?;
        let number = u64::try_from(serial)
            .ok()
            .and_then(|serial| scheme.number(&prefix, serial))
            .ok_or_else(|| {
                AppError::WrongState(format!(
                    "合同登记编号“{prefix}…”的流水号已用完，请调整编号规则"
                ))
            })?;
        if !store::number_taken(&mut **work.tx(), number.as_str()).await? {
            return Ok(number);
        }
    }
    Err(AppError::WrongState(
        "无法分配合同登记编号，请稍后重试".into(),
    ))
}

pub async fn decide(
    app: &App,
    actor: &Actor,
    id: i64,
    decision: Decision,
) -> AppResult<Option<RegistrationNumber>> {
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let (contract, capabilities) = locked(&mut work, actor, id).await?;
    if !capabilities.decide {
        return Err(if contract.status == ContractStatus::Submitted {
            AppError::Forbidden
        } else {
            AppError::WrongState(format!(
                "该合同当前为“{}”，不能再作登记决定",
                contract.status.label()
            ))
        });
    }
    let today = crate::applications::beijing_date(now);
    let (status, number, why, act) = match &decision {
        Decision::Register => {
            let registry = registry_of(app, contract.registry_id).await?;
            let number =
                assign_number(app, &mut work, &registry, chrono::Datelike::year(&today)).await?;
            (
                ContractStatus::Registered,
                Some(number),
                String::new(),
                "register",
            )
        }
        Decision::Return(text) => (
            ContractStatus::Returned,
            None,
            reason(text, "退回补正")?,
            "return",
        ),
        Decision::Refuse(text) => (
            ContractStatus::Refused,
            None,
            reason(text, "未予登记")?,
            "refuse",
        ),
    };
    store::set_status(
        work.tx(),
        id,
        &StatusChange {
            status,
            number: number.as_ref(),
            accepted_on: contract.accepted_on,
            due_on: if status == ContractStatus::Returned {
                None
            } else {
                contract.due_on
            },
            registered_on: (status == ContractStatus::Registered).then_some(today),
            refusal_reason: &why,
        },
        now,
    )
    .await?;
    if status == ContractStatus::Registered {
        let mut deltas = totals::Deltas::new();
        totals::add_contract(
            &mut deltas,
            &contract.details,
            chrono::Datelike::year(&today),
            chrono::Datelike::month(&today),
            1,
        );
        totals::apply(work.tx(), &deltas).await?;
    }
    store::add_history(work.tx(), id, now, &actor_label(actor), act, &why, None).await?;
    if let Some(seller) = contract.seller_institution_id {
        let text = match (&number, status) {
            (Some(n), _) => format!(
                "技术合同“{}”已予以登记，合同登记编号 {}",
                contract.details.title,
                n.as_str()
            ),
            (None, ContractStatus::Returned) => {
                format!("技术合同“{}”被退回补正：{why}", contract.details.title)
            }
            _ => format!("技术合同“{}”未予登记：{why}", contract.details.title),
        };
        zijin_store::notifications::notify(
            work.tx(),
            seller,
            &text,
            &format!("/contracts/{id}"),
            &zijin_store::timestamp(now),
        )
        .await?;
    }
    work.audit(Change {
        actor: actor.audit_name(),
        action: match status {
            ContractStatus::Registered => "contract.register",
            ContractStatus::Returned => "contract.return",
            _ => "contract.refuse",
        },
        entity: "contract",
        entity_id: id.to_string(),
        before: Some(json!({ "status": contract.status.code() })),
        after: Some(json!({
            "status": status.code(),
            "registration_number": number.as_ref().map(|n| n.as_str().to_string()),
            "reason": why,
        })),
    });
    work.commit().await?;
    Ok(number)
}

/// 变更 or 注销 of a registered contract.
#[derive(Debug, Clone)]
pub enum Amendment {
    Change(Box<ContractInput>),
    Cancel,
}

pub async fn amend(
    app: &App,
    actor: &Actor,
    id: i64,
    amendment: Amendment,
    why: &str,
) -> AppResult<()> {
    let what = match amendment {
        Amendment::Change(_) => "变更",
        Amendment::Cancel => "注销",
    };
    let why = reason(why, what)?;
    let new_details = match &amendment {
        Amendment::Change(form) => {
            let details = form.validate().map_err(AppError::Validation)?;
            check_signed(app, &details)?;
            Some(details)
        }
        Amendment::Cancel => None,
    };
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let (contract, capabilities) = locked(&mut work, actor, id).await?;
    if !capabilities.amend {
        return Err(if contract.status == ContractStatus::Registered {
            AppError::Forbidden
        } else {
            AppError::WrongState(format!(
                "只有已登记的合同才能{what}，该合同当前为“{}”",
                contract.status.label()
            ))
        });
    }
    if let Some(details) = &new_details {
        check_same_seller(&contract.details, details)?;
    }
    let (year, month) = contract.stat_month();
    let mut deltas = totals::Deltas::new();
    totals::add_contract(&mut deltas, &contract.details, year, month, -1);
    let before = summary(&contract.details, contract.status, contract.number.as_ref());
    let after = match &new_details {
        Some(details) => {
            store::update_details(work.tx(), id, details, now).await?;
            totals::add_contract(&mut deltas, details, year, month, 1);
            summary(
                details,
                ContractStatus::Registered,
                contract.number.as_ref(),
            )
        }
        None => {
            store::set_status(
                work.tx(),
                id,
                &StatusChange {
                    status: ContractStatus::Cancelled,
                    number: None,
                    accepted_on: contract.accepted_on,
                    due_on: contract.due_on,
                    registered_on: None,
                    refusal_reason: &why,
                },
                now,
            )
            .await?;
            summary(
                &contract.details,
                ContractStatus::Cancelled,
                contract.number.as_ref(),
            )
        }
    };
    totals::apply(work.tx(), &deltas).await?;
    let act = if new_details.is_some() {
        "change"
    } else {
        "cancel"
    };
    let before_text =
        serde_json::to_string(&before).map_err(|e| AppError::Internal(e.to_string()))?;
    store::add_history(
        work.tx(),
        id,
        now,
        &actor_label(actor),
        act,
        &why,
        Some(before_text),
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: if new_details.is_some() {
            "contract.change"
        } else {
            "contract.cancel"
        },
        entity: "contract",
        entity_id: id.to_string(),
        before: Some(before),
        after: Some(after),
    });
    work.commit().await?;
    Ok(())
}

/// Records a payment received (到账) under a registered contract.
pub async fn record_receipt(
    app: &App,
    actor: &Actor,
    id: i64,
    received_on: &str,
    amount: &str,
    note: &str,
) -> AppResult<()> {
    let received_on = zijin_domain::contract::parse_date(received_on)
        .ok_or_else(|| AppError::field("received_on", "到账日期应为日期，例如 2026-06-30"))?;
    let amount = zijin_domain::Money::parse_yuan_or_wan(amount)
        .map_err(|e| AppError::field("amount", format!("到账金额：{e}")))?;
    if amount == zijin_domain::Money::ZERO {
        return Err(AppError::field("amount", "到账金额应大于零"));
    }
    let note = note.trim().chars().take(200).collect::<String>();
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let (contract, capabilities) = locked(&mut work, actor, id).await?;
    if !capabilities.record_receipt {
        return Err(AppError::WrongState("只有已登记的合同才能登记到账".into()));
    }
    if received_on < contract.details.signed_on {
        return Err(AppError::field(
            "received_on",
            "到账日期不能早于合同签订日期",
        ));
    }
    if received_on > crate::applications::beijing_date(now) {
        return Err(AppError::field("received_on", "到账日期不能晚于今天"));
    }
    let received: i64 = store::receipts(&mut **work.tx(), id)
        .await?
        .iter()
        .map(|r| r.amount.fen())
        .sum();
    if received + amount.fen() > contract.details.total.fen() {
        return Err(AppError::field(
            "amount",
            format!(
                "累计到账不能超过成交额（已到账 {}，成交额 {}）",
                zijin_domain::Money::from_fen(received)
                    .map(|m| m.shown())
                    .unwrap_or_default(),
                contract.details.total.shown()
            ),
        ));
    }
    let receipt = Receipt {
        received_on,
        amount,
        note,
    };
    store::add_receipt(work.tx(), id, &receipt, now, actor.user().map(|u| u.id)).await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "contract.receipt",
        entity: "contract",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({
            "received_on": received_on.to_string(),
            "amount": amount.to_string(),
        })),
    });
    work.commit().await?;
    Ok(())
}
