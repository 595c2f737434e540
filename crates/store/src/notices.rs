//! 公示 (issue 16): a call's notice of the applications to be supported, its frozen entries,
//! and the objections raised against it with their rulings.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::{StoreResult, WriteTx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub id: i64,
    pub call_id: i64,
    pub call_title: String,
    pub published_at: String,
    /// Beijing dates (YYYY-MM-DD).
    pub starts_on: String,
    pub ends_on: String,
    pub working_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeEntry {
    pub application_id: i64,
    pub institution_name: String,
    pub measure_id: String,
    pub amount_fen: i64,
    pub withdrawn: bool,
    pub withdrawn_reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectionRow {
    pub id: i64,
    pub notice_id: i64,
    pub application_id: Option<i64>,
    pub name: String,
    pub phone: String,
    pub reason: String,
    pub created_at: String,
    /// upheld (成立) or dismissed (不成立); none while not ruled.
    pub ruling: Option<String>,
    pub ruling_reason: String,
    pub ruled_at: Option<String>,
}

fn notice_from_row(row: &AnyRow) -> StoreResult<NoticeRow> {
    Ok(NoticeRow {
        id: row.try_get("id")?,
        call_id: row.try_get("call_id")?,
        call_title: row.try_get("call_title")?,
        published_at: row.try_get("published_at")?,
        starts_on: row.try_get("starts_on")?,
        ends_on: row.try_get("ends_on")?,
        working_days: u32::try_from(row.try_get::<i64, _>("working_days")?).unwrap_or(0),
    })
}

const SELECT_NOTICE: &str =
    "SELECT n.*, c.title AS call_title FROM notices n JOIN calls c ON c.id = n.call_id";

/// When a notice runs: Beijing dates, and its length in working days.
#[derive(Debug, Clone, Copy)]
pub struct NoticePeriod<'a> {
    pub starts_on: &'a str,
    pub ends_on: &'a str,
    pub working_days: u32,
}

/// A new notice with its entries: (application, institution name, measure, amount in fen).
pub async fn insert_notice(
    tx: &mut WriteTx,
    call_id: i64,
    period: NoticePeriod<'_>,
    entries: &[(i64, String, String, i64)],
    created_by: Option<i64>,
    at: &str,
) -> StoreResult<i64> {
    let NoticePeriod {
        starts_on,
        ends_on,
        working_days,
    } = period;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notices (call_id, published_at, starts_on, ends_on, working_days, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(call_id)
    .bind(at)
    .bind(starts_on)
    .bind(ends_on)
    .bind(i64::from(working_days))
    .bind(created_by)
    .fetch_one(&mut **tx)
    .await?;
    for (application, institution, measure, amount) in entries {
        sqlx::query(
            "INSERT INTO notice_entries (notice_id, application_id, institution_name, measure_id, amount_fen) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(application)
        .bind(institution)
        .bind(measure)
        .bind(amount)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// A notice read inside the caller's write transaction with its row locked, so objections to
/// it are counted and written one after the other (the limits per phone and address hold).
pub async fn get_notice_for_update(tx: &mut WriteTx, id: i64) -> StoreResult<Option<NoticeRow>> {
    sqlx::query("UPDATE notices SET ends_on = ends_on WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    get_notice(&mut **tx, id).await
}

pub async fn get_notice<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<NoticeRow>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_NOTICE} WHERE n.id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(notice_from_row)
    .transpose()
}

pub async fn notice_of_call<'e>(
    db: impl Executor<'e, Database = Any>,
    call_id: i64,
) -> StoreResult<Option<NoticeRow>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_NOTICE} WHERE n.call_id = $1"
    )))
    .bind(call_id)
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(notice_from_row)
    .transpose()
}

pub async fn entries<'e>(
    db: impl Executor<'e, Database = Any>,
    notice_id: i64,
) -> StoreResult<Vec<NoticeEntry>> {
    sqlx::query(
        "SELECT * FROM notice_entries WHERE notice_id = $1 ORDER BY measure_id, application_id",
    )
    .bind(notice_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(|row| {
        Ok(NoticeEntry {
            application_id: row.try_get("application_id")?,
            institution_name: row.try_get("institution_name")?,
            measure_id: row.try_get("measure_id")?,
            amount_fen: row.try_get("amount_fen")?,
            withdrawn: row.try_get::<i64, _>("withdrawn")? != 0,
            withdrawn_reason: row.try_get("withdrawn_reason")?,
        })
    })
    .collect()
}

/// Takes an application off a notice (an upheld objection).
pub async fn withdraw_entry(
    tx: &mut WriteTx,
    notice_id: i64,
    application_id: i64,
    reason: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE notice_entries SET withdrawn = 1, withdrawn_reason = $3 \
         WHERE notice_id = $1 AND application_id = $2",
    )
    .bind(notice_id)
    .bind(application_id)
    .bind(reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What an objection holds.
#[derive(Debug, Clone)]
pub struct NewObjection<'a> {
    pub notice_id: i64,
    pub application_id: Option<i64>,
    pub name: &'a str,
    pub phone: &'a str,
    pub reason: &'a str,
    pub address: &'a str,
}

pub async fn insert_objection(
    tx: &mut WriteTx,
    objection: &NewObjection<'_>,
    at: &str,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO objections (notice_id, application_id, name, phone, reason, address, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(objection.notice_id)
    .bind(objection.application_id)
    .bind(objection.name)
    .bind(objection.phone)
    .bind(objection.reason)
    .bind(objection.address)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Objections to a notice already made with this phone, and from this address since `since`.
pub async fn objection_counts<'e, E>(
    db: E,
    notice_id: i64,
    phone: &str,
    address: &str,
    since: &str,
) -> StoreResult<(i64, i64)>
where
    E: Executor<'e, Database = Any>,
{
    let row = sqlx::query(
        "SELECT \
           CAST(SUM(CASE WHEN phone = $2 THEN 1 ELSE 0 END) AS BIGINT) AS by_phone, \
           CAST(SUM(CASE WHEN address = $3 AND created_at >= $4 THEN 1 ELSE 0 END) AS BIGINT) AS by_address \
         FROM objections WHERE notice_id = $1",
    )
    .bind(notice_id)
    .bind(phone)
    .bind(address)
    .bind(since)
    .fetch_one(db)
    .await?;
    Ok((
        row.try_get::<Option<i64>, _>("by_phone")?.unwrap_or(0),
        row.try_get::<Option<i64>, _>("by_address")?.unwrap_or(0),
    ))
}

fn objection_from_row(row: &AnyRow) -> StoreResult<ObjectionRow> {
    Ok(ObjectionRow {
        id: row.try_get("id")?,
        notice_id: row.try_get("notice_id")?,
        application_id: row.try_get("application_id")?,
        name: row.try_get("name")?,
        phone: row.try_get("phone")?,
        reason: row.try_get("reason")?,
        created_at: row.try_get("created_at")?,
        ruling: row.try_get("ruling")?,
        ruling_reason: row.try_get("ruling_reason")?,
        ruled_at: row.try_get("ruled_at")?,
    })
}

pub async fn objections<'e>(
    db: impl Executor<'e, Database = Any>,
    notice_id: i64,
) -> StoreResult<Vec<ObjectionRow>> {
    sqlx::query("SELECT * FROM objections WHERE notice_id = $1 ORDER BY id")
        .bind(notice_id)
        .fetch_all(db)
        .await?
        .iter()
        .map(objection_from_row)
        .collect()
}

/// An objection locked for its ruling inside the caller's transaction.
pub async fn objection_for_update(tx: &mut WriteTx, id: i64) -> StoreResult<Option<ObjectionRow>> {
    sqlx::query("UPDATE objections SET ruling_reason = ruling_reason WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("SELECT * FROM objections WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(objection_from_row)
        .transpose()
}

pub async fn rule(
    tx: &mut WriteTx,
    id: i64,
    ruling: &str,
    reason: &str,
    by: Option<i64>,
    at: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE objections SET ruling = $2, ruling_reason = $3, ruled_by = $4, ruled_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(ruling)
    .bind(reason)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Releases an application's ledger entry (an upheld objection): its money is free again.
pub async fn release_ledger(tx: &mut WriteTx, application_id: i64, at: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE ledger_entries SET state = 'released', updated_at = $2 \
         WHERE application_id = $1 AND state = 'reserved'",
    )
    .bind(application_id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The approved applications of a call not yet on a notice: (application, institution name,
/// measure, approved fen), by measure and application.
pub async fn approved_for_notice<'e>(
    db: impl Executor<'e, Database = Any>,
    call_id: i64,
) -> StoreResult<Vec<(i64, String, String, i64)>> {
    sqlx::query(
        "SELECT a.id, i.name, a.measure_id, a.approved_fen FROM applications a \
         JOIN institutions i ON i.id = a.institution_id \
         WHERE a.call_id = $1 AND a.status = 'approved' AND a.approved_fen IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM notice_entries e WHERE e.application_id = a.id) \
         ORDER BY a.measure_id, a.id",
    )
    .bind(call_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("id")?,
            row.try_get("name")?,
            row.try_get("measure_id")?,
            row.try_get("approved_fen")?,
        ))
    })
    .collect()
}

/// A payment of a batch, with what the 拨付清单 prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub id: i64,
    pub batch_id: i64,
    pub application_id: i64,
    pub institution_name: String,
    pub credit_code: String,
    pub measure_id: String,
    pub amount_fen: i64,
    pub paid_on: Option<String>,
    pub voucher: String,
    /// The account the beneficiary entered on its application.
    pub account: zijin_domain::PayeeAccount,
}

/// Makes a batch of a notice's remaining entries not yet paid; their ledger entries turn paid.
/// Returns the batch id and how many payments it holds (none: no batch is made).
pub async fn make_batch(
    tx: &mut WriteTx,
    call_id: i64,
    notice_id: i64,
    created_by: Option<i64>,
    at: &str,
) -> StoreResult<Option<(i64, usize)>> {
    let rows = sqlx::query(
        "SELECT e.application_id, e.amount_fen FROM notice_entries e \
         WHERE e.notice_id = $1 AND e.withdrawn = 0 \
         AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.application_id = e.application_id) \
         ORDER BY e.application_id",
    )
    .bind(notice_id)
    .fetch_all(&mut **tx)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let batch: i64 = sqlx::query_scalar(
        "INSERT INTO payment_batches (call_id, created_at, created_by) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(call_id)
    .bind(at)
    .bind(created_by)
    .fetch_one(&mut **tx)
    .await?;
    for row in &rows {
        let application: i64 = row.try_get("application_id")?;
        let amount: i64 = row.try_get("amount_fen")?;
        sqlx::query(
            "INSERT INTO payments (batch_id, application_id, amount_fen) VALUES ($1, $2, $3)",
        )
        .bind(batch)
        .bind(application)
        .bind(amount)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "UPDATE ledger_entries SET state = 'paid', updated_at = $2 \
             WHERE application_id = $1 AND state = 'reserved'",
        )
        .bind(application)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(Some((batch, rows.len())))
}

const SELECT_PAYMENT: &str = "SELECT p.*, i.name AS institution_name, i.credit_code, a.measure_id, \
     a.bank_name, a.bank_account, a.account_name \
     FROM payments p JOIN applications a ON a.id = p.application_id \
     JOIN institutions i ON i.id = a.institution_id";

fn payment_from_row(row: &AnyRow) -> StoreResult<PaymentRow> {
    Ok(PaymentRow {
        id: row.try_get("id")?,
        batch_id: row.try_get("batch_id")?,
        application_id: row.try_get("application_id")?,
        institution_name: row.try_get("institution_name")?,
        credit_code: row.try_get("credit_code")?,
        measure_id: row.try_get("measure_id")?,
        amount_fen: row.try_get("amount_fen")?,
        paid_on: row.try_get("paid_on")?,
        voucher: row.try_get("voucher")?,
        account: zijin_domain::PayeeAccount {
            bank: row.try_get("bank_name")?,
            number: row.try_get("bank_account")?,
            name: row.try_get("account_name")?,
        },
    })
}

/// A batch's payments, or none when the batch does not exist.
pub async fn batch_payments<'e>(
    db: impl Executor<'e, Database = Any>,
    batch_id: i64,
) -> StoreResult<Vec<PaymentRow>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_PAYMENT} WHERE p.batch_id = $1 ORDER BY p.id"
    )))
    .bind(batch_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(payment_from_row)
    .collect()
}

pub async fn payment_for_update(tx: &mut WriteTx, id: i64) -> StoreResult<Option<PaymentRow>> {
    sqlx::query("UPDATE payments SET voucher = voucher WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_PAYMENT} WHERE p.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .as_ref()
    .map(payment_from_row)
    .transpose()
}

pub async fn mark_paid(
    tx: &mut WriteTx,
    id: i64,
    paid_on: &str,
    voucher: &str,
    at: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE payments SET paid_on = $2, voucher = $3, marked_at = $4 WHERE id = $1")
        .bind(id)
        .bind(paid_on)
        .bind(voucher)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many objections wait for the bureau's ruling, over every notice.
pub async fn unruled_objections<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS n FROM objections WHERE ruling IS NULL")
            .fetch_one(db)
            .await?
            .try_get("n")?,
    )
}
