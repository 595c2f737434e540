//! 拨付: after a call's notice has ended, the admin makes a payment batch of its remaining
//! entries — their ledger entries turn from reserved to paid in the same transaction — exports
//! the batch as the 拨付清单 (.xlsx) for the finance bureau, and marks each payment 已拨付 with
//! its date and voucher number (the application becomes 已拨付).

use chrono::NaiveDate;
use serde_json::json;
use zijin_domain::{ApplicationStatus, Coded, FieldErrors};
use zijin_store::applications as store;
use zijin_store::audit::Change;
use zijin_store::notices;
pub use zijin_store::notices::PaymentRow;

use super::beijing_date;
use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// Makes the payment batch of a call (admins): its notice must have ended. Returns the batch.
pub async fn make_batch(
    app: &App,
    actor: &Actor,
    call_id: i64,
) -> AppResult<(i64, Vec<PaymentRow>)> {
    access::require(actor, Area::Calls)?;
    let mut work = UnitOfWork::begin(app).await?;
    let at = zijin_store::timestamp(work.now());
    // Batches of one call are made one after the other (the call's row is locked).
    store::get_call_for_update(work.tx(), call_id)
        .await?
        .ok_or(AppError::NotFound("申报通知"))?;
    let notice = notices::notice_of_call(&mut **work.tx(), call_id)
        .await?
        .ok_or_else(|| AppError::WrongState("本通知尚未公示拟支持名单，不能拨付".into()))?;
    let ends = NaiveDate::parse_from_str(&notice.ends_on, "%Y-%m-%d")
        .map_err(|_| AppError::Internal(format!("公示 {} 的结束日期无效", notice.id)))?;
    if beijing_date(work.now()) <= ends {
        return Err(AppError::WrongState(format!(
            "公示期至 {} 结束，结束后才能拨付",
            notice.ends_on
        )));
    }
    let Some((batch, count)) = notices::make_batch(
        work.tx(),
        call_id,
        notice.id,
        actor.user().map(|u| u.id),
        &at,
    )
    .await?
    else {
        return Err(AppError::WrongState("名单中的项目都已列入拨付批次".into()));
    };
    work.audit(Change {
        actor: actor.audit_name(),
        action: "payment.batch",
        entity: "payment_batch",
        entity_id: batch.to_string(),
        before: None,
        after: Some(json!({ "call": call_id, "payments": count })),
    });
    work.commit().await?;
    Ok((batch, batch_payments(app, actor, batch).await?))
}

/// A batch's payments (admins).
pub async fn batch_payments(app: &App, actor: &Actor, batch: i64) -> AppResult<Vec<PaymentRow>> {
    access::require(actor, Area::Ledger)?;
    let payments = notices::batch_payments(app.store.pool(), batch).await?;
    if payments.is_empty() {
        return Err(AppError::NotFound("拨付批次"));
    }
    Ok(payments)
}

/// The 拨付清单 of a batch as .xlsx: payee, credit code, measure, article, amount, and the
/// payment's date and voucher once marked.
pub async fn export(app: &App, actor: &Actor, batch: i64) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let payments = batch_payments(app, actor, batch).await?;
    let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("xlsx: {e}"));
    let mut workbook = Workbook::new();
    let sheet = workbook
        .add_worksheet()
        .set_name("拨付清单")
        .map_err(xlsx)?;
    let bold = Format::new().set_bold();
    let right = Format::new().set_align(rust_xlsxwriter::FormatAlign::Right);
    let headers = [
        "序号",
        "收款单位",
        "统一社会信用代码",
        "账户名称",
        "开户银行",
        "银行账号",
        "资助项目",
        "政策依据",
        "金额（元）",
        "拨付日期",
        "凭证号",
    ];
    for (c, header) in headers.iter().enumerate() {
        sheet
            .write_with_format(0, c as u16, *header, &bold)
            .map_err(xlsx)?;
    }
    let mut total = rust_decimal::Decimal::ZERO;
    for (n, p) in payments.iter().enumerate() {
        let row = (n + 1) as u32;
        let (name, article) = app
            .policies
            .measure(&p.measure_id)
            .map_or((p.measure_id.clone(), String::new()), |m| {
                (m.name.clone(), format!("实施意见第{}条", m.article))
            });
        let amount = super::yuan(p.amount_fen);
        total += amount;
        sheet.write(row, 0, row).map_err(xlsx)?;
        sheet.write(row, 1, &p.institution_name).map_err(xlsx)?;
        sheet.write(row, 2, &p.credit_code).map_err(xlsx)?;
        sheet.write(row, 3, &p.account.name).map_err(xlsx)?;
        sheet.write(row, 4, &p.account.bank).map_err(xlsx)?;
        // The account number as text: a spreadsheet number would lose digits past fifteen.
        sheet.write(row, 5, &p.account.number).map_err(xlsx)?;
        sheet.write(row, 6, &name).map_err(xlsx)?;
        sheet.write(row, 7, &article).map_err(xlsx)?;
        // Amounts as exact text with separators (a spreadsheet number is a binary float).
        sheet
            .write_with_format(row, 8, zijin_policy::money_text(amount), &right)
            .map_err(xlsx)?;
        sheet
            .write(row, 9, p.paid_on.clone().unwrap_or_default())
            .map_err(xlsx)?;
        sheet.write(row, 10, &p.voucher).map_err(xlsx)?;
    }
    let last = (payments.len() + 1) as u32;
    sheet
        .write_with_format(last, 1, "合计", &bold)
        .map_err(xlsx)?;
    sheet
        .write_with_format(last, 8, zijin_policy::money_text(total), &right)
        .map_err(xlsx)?;
    sheet.set_column_width(1, 36).map_err(xlsx)?;
    sheet.set_column_width(2, 22).map_err(xlsx)?;
    sheet.set_column_width(3, 30).map_err(xlsx)?;
    sheet.set_column_width(4, 30).map_err(xlsx)?;
    sheet.set_column_width(5, 26).map_err(xlsx)?;
    sheet.set_column_width(6, 34).map_err(xlsx)?;
    sheet.set_column_width(8, 16).map_err(xlsx)?;
    workbook.save_to_buffer().map_err(xlsx)
}

/// Marks a payment 已拨付 with its date (YYYY-MM-DD) and voucher number (admins).
pub async fn mark_paid(
    app: &App,
    actor: &Actor,
    payment: i64,
    paid_on: &str,
    voucher: &str,
) -> AppResult<()> {
    access::require(actor, Area::Ledger)?;
    let mut errors = FieldErrors::new();
    let date = NaiveDate::parse_from_str(paid_on.trim(), "%Y-%m-%d").ok();
    if date.is_none() {
        errors.add("paid_on", "拨付日期应写成 2026-12-10 这样的日期");
    }
    let voucher = voucher.trim();
    if voucher.is_empty() || voucher.chars().count() > 50 {
        errors.add("voucher", "请填写凭证号（最多 50 个字）");
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let at = zijin_store::timestamp(work.now());
    let row = notices::payment_for_update(work.tx(), payment)
        .await?
        .ok_or(AppError::NotFound("拨付记录"))?;
    if row.paid_on.is_some() {
        return Err(AppError::WrongState("该笔款项已标记为已拨付".into()));
    }
    let date = date.map(|d| d.to_string()).unwrap_or_default();
    notices::mark_paid(work.tx(), payment, &date, voucher, &at).await?;
    store::set_status(
        work.tx(),
        row.application_id,
        ApplicationStatus::Paid,
        None,
        &at,
    )
    .await?;
    store::add_event(
        work.tx(),
        row.application_id,
        &store::NewEvent {
            action: "paid",
            comment: &format!("凭证号 {voucher}，拨付日期 {date}"),
            amount_fen: Some(row.amount_fen),
            user_id: actor.user().map(|u| u.id),
            ..Default::default()
        },
        &at,
    )
    .await?;
    if let Some(application) = store::get_application(&mut **work.tx(), row.application_id).await? {
        zijin_store::notifications::notify(
            work.tx(),
            application.institution_id,
            &format!(
                "资助资金 {} 元已于 {date} 拨付",
                zijin_policy::money_text(super::yuan(row.amount_fen))
            ),
            &format!("/applications/{}", row.application_id),
            &at,
        )
        .await?;
    }
    work.audit(Change {
        actor: actor.audit_name(),
        action: "payment.paid",
        entity: "payment",
        entity_id: payment.to_string(),
        before: Some(json!({ "status": ApplicationStatus::Approved.code() })),
        after: Some(json!({ "paid_on": date, "voucher": voucher, "status": ApplicationStatus::Paid.code() })),
    });
    work.commit().await?;
    Ok(())
}
