//! Applications (申报, issue 16): calls and the measures they open with their budgets,
//! applications with their facts and computed amounts, the history of every step, and the
//! ledger of reserved and paid money.
//!
//! Amounts are integer fen; facts and traces are JSON text the policy engine wrote; statuses
//! and steps are the domain's codes, parsed back on reading (an unknown code is `Corrupt`).

use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Executor, Row};
use zijin_domain::{
    ApplicationOrigin, ApplicationStatus, Coded, LedgerState, PayeeAccount, ReviewStep,
};

use crate::{StoreError, StoreResult, WriteTx};

fn coded<T: Coded>(text: &str, what: &str) -> StoreResult<T> {
    T::from_code(text).ok_or_else(|| StoreError::Corrupt(format!("未知的{what}：{text}")))
}

fn json_list(text: &str, what: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|_| StoreError::Corrupt(format!("{what}不是有效的列表")))
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|error| StoreError::Corrupt(error.to_string()))
}

/// A rubric item of expert review: what is scored and its points.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RubricItem {
    pub item: String,
    pub points: u32,
}

/// A call (申报通知) as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRow {
    pub id: i64,
    pub title: String,
    pub guidance: String,
    /// UTC RFC 3339.
    pub opens_at: String,
    pub closes_at: String,
    /// Institution type codes that may apply (empty: any).
    pub applicant_types: Vec<String>,
    /// District codes that may apply (empty: any).
    pub districts: Vec<String>,
    /// The documents every application must carry.
    pub attachments: Vec<String>,
    pub expert_review: bool,
    pub rubric: Vec<RubricItem>,
    /// The 公示 period in working days.
    pub notice_days: u32,
    pub created_at: String,
    /// The measures opened, each with its budget in fen.
    pub measures: Vec<(String, i64)>,
}

/// What a new call holds.
#[derive(Debug, Clone)]
pub struct NewCall<'a> {
    pub title: &'a str,
    pub guidance: &'a str,
    pub opens_at: &'a str,
    pub closes_at: &'a str,
    pub applicant_types: &'a [String],
    pub districts: &'a [String],
    pub attachments: &'a [String],
    pub expert_review: bool,
    pub rubric: &'a [RubricItem],
    pub notice_days: u32,
    pub measures: &'a [(String, i64)],
    pub created_by: Option<i64>,
    pub created_at: &'a str,
}

pub async fn insert_call(tx: &mut WriteTx, call: &NewCall<'_>) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO calls (title, guidance, opens_at, closes_at, applicant_types, districts, \
         attachments, expert_review, rubric, notice_days, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(call.title)
    .bind(call.guidance)
    .bind(call.opens_at)
    .bind(call.closes_at)
    .bind(to_json(&call.applicant_types)?)
    .bind(to_json(&call.districts)?)
    .bind(to_json(&call.attachments)?)
    .bind(i64::from(call.expert_review))
    .bind(to_json(&call.rubric)?)
    .bind(i64::from(call.notice_days))
    .bind(call.created_by)
    .bind(call.created_at)
    .fetch_one(&mut **tx)
    .await?;
    for (measure, budget_fen) in call.measures {
        sqlx::query(
            "INSERT INTO call_measures (call_id, measure_id, budget_fen) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(measure)
        .bind(budget_fen)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

fn call_from_row(row: &AnyRow, measures: Vec<(String, i64)>) -> StoreResult<CallRow> {
    let rubric: String = row.try_get("rubric")?;
    Ok(CallRow {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        guidance: row.try_get("guidance")?,
        opens_at: row.try_get("opens_at")?,
        closes_at: row.try_get("closes_at")?,
        applicant_types: json_list(&row.try_get::<String, _>("applicant_types")?, "申报主体")?,
        districts: json_list(&row.try_get::<String, _>("districts")?, "区域")?,
        attachments: json_list(&row.try_get::<String, _>("attachments")?, "附件要求")?,
        expert_review: row.try_get::<i64, _>("expert_review")? != 0,
        rubric: serde_json::from_str(&rubric)
            .map_err(|_| StoreError::Corrupt("评分细则不是有效的列表".into()))?,
        notice_days: u32::try_from(row.try_get::<i64, _>("notice_days")?)
            .map_err(|_| StoreError::Corrupt("公示天数无效".into()))?,
        created_at: row.try_get("created_at")?,
        measures,
    })
}

async fn call_measures<'e>(
    db: impl Executor<'e, Database = Any>,
    call_id: i64,
) -> StoreResult<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT measure_id, budget_fen FROM call_measures WHERE call_id = $1 ORDER BY measure_id",
    )
    .bind(call_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("measure_id")?, row.try_get("budget_fen")?)))
        .collect()
}

/// A call read for a change inside the caller's write transaction, its row locked first (an
/// UPDATE that changes nothing takes PostgreSQL's row lock; SQLite's writer holds the
/// database): drafts, notices and payment batches of one call are made one after the other, so
/// a second one sees the first and is refused in words, not by a unique index.
pub async fn get_call_for_update(tx: &mut WriteTx, id: i64) -> StoreResult<Option<CallRow>> {
    sqlx::query("UPDATE calls SET title = title WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    get_call(tx, id).await
}

pub async fn get_call(db: &mut sqlx::AnyConnection, id: i64) -> StoreResult<Option<CallRow>> {
    let Some(row) = sqlx::query("SELECT * FROM calls WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *db)
        .await?
    else {
        return Ok(None);
    };
    let measures = call_measures(&mut *db, id).await?;
    call_from_row(&row, measures).map(Some)
}

/// A call, read on a connection of the pool.
pub async fn call_in(pool: &sqlx::AnyPool, id: i64) -> StoreResult<Option<CallRow>> {
    let mut db = pool.acquire().await?;
    get_call(&mut db, id).await
}

/// Every call, read on a connection of the pool.
pub async fn calls_in(pool: &sqlx::AnyPool) -> StoreResult<Vec<CallRow>> {
    let mut db = pool.acquire().await?;
    list_calls(&mut db).await
}

/// Every call, the latest closing first (a bureau runs a few dozen a year).
pub async fn list_calls(db: &mut sqlx::AnyConnection) -> StoreResult<Vec<CallRow>> {
    let rows = sqlx::query("SELECT * FROM calls ORDER BY closes_at DESC, id DESC LIMIT 500")
        .fetch_all(&mut *db)
        .await?;
    let mut calls = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        let measures = call_measures(&mut *db, id).await?;
        calls.push(call_from_row(row, measures)?);
    }
    Ok(calls)
}

/// An application as stored, with the names a listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRow {
    pub id: i64,
    pub call_id: i64,
    pub call_title: String,
    pub measure_id: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub institution_district: String,
    pub credit_code: String,
    /// A person the grant is for (a 技术经理人's account) when the measure pays people, with
    /// their name; the institution then files and confirms on their behalf.
    pub beneficiary_user_id: Option<i64>,
    pub beneficiary_name: Option<String>,
    /// Whom the ledger counts the grant for: the institution's credit code, or the person's
    /// key ([`zijin_domain::person_beneficiary`]).
    pub beneficiary: String,
    pub status: ApplicationStatus,
    pub step: Option<ReviewStep>,
    /// The facts as the JSON object the policy engine reads.
    pub facts: String,
    pub eligible: bool,
    pub amount_fen: i64,
    pub approved_fen: Option<i64>,
    /// The explanation as JSON (the engine's steps).
    pub trace: String,
    pub reasons: Vec<String>,
    pub policy_hash: String,
    pub integrity_accepted: bool,
    /// The account the grant is paid into, as the applicant entered it.
    pub account: PayeeAccount,
    pub origin: ApplicationOrigin,
    /// When the beneficiary confirmed a 免申即享 draft.
    pub confirmed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub submitted_at: Option<String>,
}

const SELECT_APPLICATION: &str = "SELECT a.*, c.title AS call_title, i.name AS institution_name, \
     i.district AS institution_district, i.credit_code AS credit_code, u.display_name AS beneficiary_name, \
     u.username AS beneficiary_username \
     FROM applications a JOIN calls c ON c.id = a.call_id JOIN institutions i ON i.id = a.institution_id \
     LEFT JOIN users u ON u.id = a.beneficiary_user_id";

fn application_from_row(row: &AnyRow) -> StoreResult<ApplicationRow> {
    let step: Option<String> = row.try_get("step")?;
    Ok(ApplicationRow {
        id: row.try_get("id")?,
        call_id: row.try_get("call_id")?,
        call_title: row.try_get("call_title")?,
        measure_id: row.try_get("measure_id")?,
        institution_id: row.try_get("institution_id")?,
        institution_name: row.try_get("institution_name")?,
        institution_district: row.try_get("institution_district")?,
        credit_code: row.try_get("credit_code")?,
        beneficiary_user_id: row.try_get("beneficiary_user_id")?,
        beneficiary_name: row.try_get("beneficiary_name")?,
        beneficiary: match row.try_get::<Option<String>, _>("beneficiary_username")? {
            Some(username) => zijin_domain::person_beneficiary(&username),
            None => row.try_get("credit_code")?,
        },
        status: coded(&row.try_get::<String, _>("status")?, "申报状态")?,
        step: step.as_deref().map(|s| coded(s, "审核环节")).transpose()?,
        facts: row.try_get("facts")?,
        eligible: row.try_get::<i64, _>("eligible")? != 0,
        amount_fen: row.try_get("amount_fen")?,
        approved_fen: row.try_get("approved_fen")?,
        trace: row.try_get("trace")?,
        reasons: json_list(&row.try_get::<String, _>("reasons")?, "不符合原因")?,
        policy_hash: row.try_get("policy_hash")?,
        integrity_accepted: row.try_get::<i64, _>("integrity_accepted")? != 0,
        account: PayeeAccount {
            bank: row.try_get("bank_name")?,
            number: row.try_get("bank_account")?,
            name: row.try_get("account_name")?,
        },
        origin: coded(&row.try_get::<String, _>("origin")?, "申报方式")?,
        confirmed_at: row.try_get("confirmed_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        submitted_at: row.try_get("submitted_at")?,
    })
}

/// An application of the institution for the measure under the call that is still live (not
/// withdrawn or rejected), if any.
pub async fn live_application<'e>(
    db: impl Executor<'e, Database = Any>,
    call_id: i64,
    measure_id: &str,
    institution_id: i64,
    beneficiary_user_id: Option<i64>,
) -> StoreResult<Option<(i64, ApplicationStatus)>> {
    let row = sqlx::query(
        "SELECT id, status FROM applications WHERE call_id = $1 AND measure_id = $2 \
         AND institution_id = $3 AND COALESCE(beneficiary_user_id, 0) = $4 \
         AND status NOT IN ('withdrawn', 'rejected') ORDER BY id LIMIT 1",
    )
    .bind(call_id)
    .bind(measure_id)
    .bind(institution_id)
    .bind(beneficiary_user_id.unwrap_or(0))
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok((
            row.try_get("id")?,
            coded(&row.try_get::<String, _>("status")?, "申报状态")?,
        ))
    })
    .transpose()
}

/// A live application of an institution (and person) for a measure in any call, made at or
/// after `since` (a stored timestamp): for measures that pay for a year's data once, whichever
/// call the year's application came in.
pub async fn live_application_since<'e>(
    db: impl Executor<'e, Database = Any>,
    measure_id: &str,
    institution_id: i64,
    beneficiary_user_id: Option<i64>,
    since: &str,
) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "SELECT id FROM applications WHERE measure_id = $1 AND institution_id = $2 \
         AND COALESCE(beneficiary_user_id, 0) = $3 AND created_at >= $4 \
         AND status NOT IN ('withdrawn', 'rejected') ORDER BY id LIMIT 1",
    )
    .bind(measure_id)
    .bind(institution_id)
    .bind(beneficiary_user_id.unwrap_or(0))
    .bind(since)
    .fetch_optional(db)
    .await?;
    row.map(|row| Ok(row.try_get("id")?)).transpose()
}

/// What the policy engine made of an application's facts.
#[derive(Debug, Clone)]
pub struct Computed<'a> {
    pub facts: &'a str,
    pub eligible: bool,
    pub amount_fen: i64,
    pub trace: &'a str,
    pub reasons: &'a [String],
    pub policy_hash: &'a str,
}

/// What the applicant writes beside the facts.
#[derive(Debug, Clone, Copy)]
pub struct Filing<'a> {
    pub integrity_accepted: bool,
    pub account: &'a PayeeAccount,
}

/// A new draft.
#[derive(Debug, Clone)]
pub struct NewApplication<'a> {
    pub call_id: i64,
    pub measure_id: &'a str,
    pub institution_id: i64,
    /// The person the grant is for, when the measure pays people.
    pub beneficiary_user_id: Option<i64>,
    pub computed: Computed<'a>,
    pub filing: Filing<'a>,
    pub origin: ApplicationOrigin,
    pub created_by: Option<i64>,
}

/// A new draft of an institution for a measure of a call.
pub async fn insert_application(
    tx: &mut WriteTx,
    new: &NewApplication<'_>,
    at: &str,
) -> StoreResult<i64> {
    let computed = &new.computed;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO applications (call_id, measure_id, institution_id, status, facts, eligible, \
         amount_fen, trace, reasons, policy_hash, integrity_accepted, bank_name, bank_account, \
         account_name, origin, created_by, created_at, updated_at, beneficiary_user_id) \
         VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17) \
         RETURNING id",
    )
    .bind(new.call_id)
    .bind(new.measure_id)
    .bind(new.institution_id)
    .bind(computed.facts)
    .bind(i64::from(computed.eligible))
    .bind(computed.amount_fen)
    .bind(computed.trace)
    .bind(to_json(&computed.reasons)?)
    .bind(computed.policy_hash)
    .bind(i64::from(new.filing.integrity_accepted))
    .bind(new.filing.account.bank.as_str())
    .bind(new.filing.account.number.as_str())
    .bind(new.filing.account.name.as_str())
    .bind(new.origin.code())
    .bind(new.created_by)
    .bind(at)
    .bind(new.beneficiary_user_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// New facts for a draft or returned application, and what the engine made of them.
pub async fn update_facts(
    tx: &mut WriteTx,
    id: i64,
    computed: &Computed<'_>,
    filing: Filing<'_>,
    at: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE applications SET facts = $2, eligible = $3, amount_fen = $4, trace = $5, \
         reasons = $6, policy_hash = $7, integrity_accepted = $8, bank_name = $9, \
         bank_account = $10, account_name = $11, updated_at = $12 WHERE id = $1",
    )
    .bind(id)
    .bind(computed.facts)
    .bind(i64::from(computed.eligible))
    .bind(computed.amount_fen)
    .bind(computed.trace)
    .bind(to_json(&computed.reasons)?)
    .bind(computed.policy_hash)
    .bind(i64::from(filing.integrity_accepted))
    .bind(filing.account.bank.as_str())
    .bind(filing.account.number.as_str())
    .bind(filing.account.name.as_str())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The beneficiary confirmed a 免申即享 draft (意愿确认).
pub async fn set_confirmed(tx: &mut WriteTx, id: i64, at: &str) -> StoreResult<()> {
    sqlx::query("UPDATE applications SET confirmed_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn get_application<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<ApplicationRow>> {
    sqlx::query(AssertSqlSafe(format!(
        "{SELECT_APPLICATION} WHERE a.id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(application_from_row)
    .transpose()
}

/// An application read for a change inside the caller's write transaction, its row locked
/// first (PostgreSQL's row lock; SQLite's writer holds the database), so two reviewers
/// deciding at once act one after the other and the second sees the first's result.
pub async fn get_application_for_update(
    tx: &mut WriteTx,
    id: i64,
) -> StoreResult<Option<ApplicationRow>> {
    sqlx::query("UPDATE applications SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    get_application(&mut **tx, id).await
}

/// Moves an application to a status and step.
pub async fn set_status(
    tx: &mut WriteTx,
    id: i64,
    status: ApplicationStatus,
    step: Option<ReviewStep>,
    at: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE applications SET status = $2, step = $3, updated_at = $4, \
         submitted_at = CASE WHEN $2 = 'in_review' AND submitted_at IS NULL THEN $4 ELSE submitted_at END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(status.code())
    .bind(step.map(|s| s.code()))
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// At 核定: the amount the engine computed then, its explanation, and the amount fixed.
pub async fn set_approved_amount(
    tx: &mut WriteTx,
    id: i64,
    computed_fen: i64,
    trace: &str,
    approved_fen: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE applications SET amount_fen = $2, trace = $3, approved_fen = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(computed_fen)
    .bind(trace)
    .bind(approved_fen)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Which applications a listing holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationFilter {
    pub institution_id: Option<i64>,
    pub call_id: Option<i64>,
    /// Applications waiting at this step (status in review).
    pub waiting_at: Option<ReviewStep>,
    /// Of institutions in this district (its code).
    pub district: Option<String>,
    /// Of these measures.
    pub measures: Option<Vec<String>>,
    /// Every application in review, whatever step waits (the bureau's overview).
    pub in_review: bool,
    /// Waiting at 专家评审 for this expert (assigned, no conflict declared).
    pub expert_id: Option<i64>,
}

/// The most applications a listing returns.
pub const APPLICATION_LIST_LIMIT: i64 = 500;

/// Applications on one page of a queue or list.
pub const APPLICATION_PAGE: i64 = 50;

/// The applications `filter` selects, the longest waiting first for a step's queue, else the
/// newest first (at most [`APPLICATION_LIST_LIMIT`]).
pub async fn list_applications<'e>(
    db: impl Executor<'e, Database = Any>,
    filter: &ApplicationFilter,
) -> StoreResult<Vec<ApplicationRow>> {
    let (conditions, order) = match application_conditions(filter) {
        Some(found) => found,
        None => return Ok(Vec::new()),
    };
    let sql = format!(
        "{SELECT_APPLICATION}{} ORDER BY {order} LIMIT {APPLICATION_LIST_LIMIT}",
        conditions.where_clause()
    );
    sqlx::query_with(AssertSqlSafe(sql), conditions.arguments(&[]))
        .fetch_all(db)
        .await?
        .iter()
        .map(application_from_row)
        .collect()
}

/// One page ([`APPLICATION_PAGE`] a page, `page` from 1) of what `filter` selects, in the
/// order of [`list_applications`], with the total.
pub async fn page_applications(
    db: &sqlx::AnyPool,
    filter: &ApplicationFilter,
    page: i64,
) -> StoreResult<crate::Paged<ApplicationRow>> {
    let page = page.max(1);
    let Some((conditions, order)) = application_conditions(filter) else {
        return Ok(crate::Paged {
            items: Vec::new(),
            total: 0,
            page,
            per_page: APPLICATION_PAGE,
        });
    };
    let count = format!(
        "SELECT COUNT(*) AS n FROM applications a JOIN institutions i ON i.id = a.institution_id{}",
        conditions.where_clause()
    );
    let total: i64 = sqlx::query_with(AssertSqlSafe(count), conditions.arguments(&[]))
        .fetch_one(db)
        .await?
        .try_get("n")?;
    let offset = (page.max(1) - 1).saturating_mul(APPLICATION_PAGE);
    let sql = format!(
        "{SELECT_APPLICATION}{} ORDER BY {order} LIMIT {APPLICATION_PAGE} OFFSET {offset}",
        conditions.where_clause()
    );
    let items = sqlx::query_with(AssertSqlSafe(sql), conditions.arguments(&[]))
        .fetch_all(db)
        .await?
        .iter()
        .map(application_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(crate::Paged {
        items,
        total,
        page,
        per_page: APPLICATION_PAGE,
    })
}

/// The WHERE conditions and the order of a listing (`None`: it selects nothing).
fn application_conditions(
    filter: &ApplicationFilter,
) -> Option<(crate::query::Filter, &'static str)> {
    use crate::query::{Filter, Value};
    let mut conditions = Filter::default();
    if let Some(id) = filter.institution_id {
        conditions.add("a.institution_id = {}", vec![Value::Int(id)]);
    }
    if let Some(id) = filter.call_id {
        conditions.add("a.call_id = {}", vec![Value::Int(id)]);
    }
    if let Some(step) = filter.waiting_at {
        conditions.add(
            "a.status = 'in_review' AND a.step = {}",
            vec![Value::Text(step.code().to_string())],
        );
    }
    if filter.in_review {
        conditions.add("a.status = 'in_review'", vec![]);
    }
    if let Some(expert) = filter.expert_id {
        conditions.add(
            "a.status = 'in_review' AND a.step = 'experts' AND EXISTS (SELECT 1 FROM \
             expert_assignments e WHERE e.application_id = a.id AND e.expert_id = {} \
             AND e.conflict IS NULL)",
            vec![Value::Int(expert)],
        );
    }
    if let Some(district) = &filter.district {
        conditions.add("i.district = {}", vec![Value::Text(district.clone())]);
    }
    if let Some(measures) = &filter.measures {
        if measures.is_empty() {
            return None;
        }
        let placeholders = vec!["{}"; measures.len()].join(", ");
        conditions.add(
            &format!("a.measure_id IN ({placeholders})"),
            measures.iter().map(|m| Value::Text(m.clone())).collect(),
        );
    }
    let order = if filter.waiting_at.is_some() || filter.in_review || filter.expert_id.is_some() {
        "a.updated_at ASC, a.id ASC"
    } else {
        "a.id DESC"
    };
    Some((conditions, order))
}

/// One entry of an application's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: i64,
    /// submit, approve, return, reject, withdraw.
    pub action: String,
    pub step: Option<ReviewStep>,
    pub comment: String,
    pub amount_fen: Option<i64>,
    /// At a decision: the facts, trace and policy file hash it was made on (for replay).
    pub facts: Option<String>,
    pub trace: Option<String>,
    pub policy_hash: Option<String>,
    pub user_id: Option<i64>,
    pub user_name: Option<String>,
    pub at: String,
}

/// What an event records.
#[derive(Debug, Clone, Default)]
pub struct NewEvent<'a> {
    pub action: &'a str,
    pub step: Option<ReviewStep>,
    pub comment: &'a str,
    pub amount_fen: Option<i64>,
    pub facts: Option<&'a str>,
    pub trace: Option<&'a str>,
    pub policy_hash: Option<&'a str>,
    pub user_id: Option<i64>,
}

pub async fn add_event(
    tx: &mut WriteTx,
    application_id: i64,
    event: &NewEvent<'_>,
    at: &str,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO application_events (application_id, action, step, comment, amount_fen, facts, \
         trace, policy_hash, user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(application_id)
    .bind(event.action)
    .bind(event.step.map(|s| s.code()))
    .bind(event.comment)
    .bind(event.amount_fen)
    .bind(event.facts)
    .bind(event.trace)
    .bind(event.policy_hash)
    .bind(event.user_id)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn events<'e>(
    db: impl Executor<'e, Database = Any>,
    application_id: i64,
) -> StoreResult<Vec<EventRow>> {
    let rows = sqlx::query(
        "SELECT e.*, u.display_name AS user_name FROM application_events e \
         LEFT JOIN users u ON u.id = e.user_id WHERE e.application_id = $1 ORDER BY e.id",
    )
    .bind(application_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let step: Option<String> = row.try_get("step")?;
            Ok(EventRow {
                id: row.try_get("id")?,
                action: row.try_get("action")?,
                step: step.as_deref().map(|s| coded(s, "审核环节")).transpose()?,
                comment: row.try_get("comment")?,
                amount_fen: row.try_get("amount_fen")?,
                facts: row.try_get("facts")?,
                trace: row.try_get("trace")?,
                policy_hash: row.try_get("policy_hash")?,
                user_id: row.try_get("user_id")?,
                user_name: row.try_get("user_name")?,
                at: row.try_get("at")?,
            })
        })
        .collect()
}

/// The latest decision event of an application that fixed an amount (its 核定), if any.
pub async fn approval_event<'e>(
    db: impl Executor<'e, Database = Any>,
    application_id: i64,
) -> StoreResult<Option<EventRow>> {
    let all = events(db, application_id).await?;
    Ok(all
        .into_iter()
        .rev()
        .find(|e| e.action == "approve" && e.step == Some(ReviewStep::Final)))
}

/// Takes the measure's lock for the rest of the caller's transaction: every 核定 of the measure
/// updates this row first, so on PostgreSQL two approvals of the same measure (in any
/// process) take turns, and each sees the other's ledger entry; SQLite's writer already
/// holds the whole database.
pub async fn lock_measure(tx: &mut WriteTx, measure_id: &str) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO measure_locks (measure_id, version) VALUES ($1, 0) ON CONFLICT (measure_id) DO NOTHING",
    )
    .bind(measure_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE measure_locks SET version = version + 1 WHERE measure_id = $1")
        .bind(measure_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub id: i64,
    pub application_id: i64,
    pub call_id: i64,
    pub measure_id: String,
    pub institution_id: i64,
    /// The beneficiary's credit code.
    pub beneficiary: String,
    /// The Beijing date of the grant (YYYY-MM-DD).
    pub granted_on: String,
    pub amount_fen: i64,
    pub state: LedgerState,
    pub updated_at: String,
}

fn ledger_from_row(row: &AnyRow) -> StoreResult<LedgerRow> {
    Ok(LedgerRow {
        id: row.try_get("id")?,
        application_id: row.try_get("application_id")?,
        call_id: row.try_get("call_id")?,
        measure_id: row.try_get("measure_id")?,
        institution_id: row.try_get("institution_id")?,
        beneficiary: row.try_get("beneficiary")?,
        granted_on: row.try_get("granted_on")?,
        amount_fen: row.try_get("amount_fen")?,
        state: coded(&row.try_get::<String, _>("state")?, "台账状态")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// What a reservation holds.
#[derive(Debug, Clone)]
pub struct NewLedgerEntry<'a> {
    pub application_id: i64,
    pub call_id: i64,
    pub measure_id: &'a str,
    pub institution_id: i64,
    pub beneficiary: &'a str,
    pub granted_on: &'a str,
    pub amount_fen: i64,
}

pub async fn reserve(tx: &mut WriteTx, entry: &NewLedgerEntry<'_>, at: &str) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ledger_entries (application_id, call_id, measure_id, institution_id, beneficiary, \
         granted_on, amount_fen, state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'reserved', $8, $8) RETURNING id",
    )
    .bind(entry.application_id)
    .bind(entry.call_id)
    .bind(entry.measure_id)
    .bind(entry.institution_id)
    .bind(entry.beneficiary)
    .bind(entry.granted_on)
    .bind(entry.amount_fen)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// The live entries (reserved or paid) of a measure: what caps, one-time rules and quotas are
/// checked against.
pub async fn live_entries_of_measure<'e>(
    db: impl Executor<'e, Database = Any>,
    measure_id: &str,
) -> StoreResult<Vec<LedgerRow>> {
    sqlx::query(
        "SELECT * FROM ledger_entries WHERE measure_id = $1 AND state <> 'released' ORDER BY id",
    )
    .bind(measure_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(ledger_from_row)
    .collect()
}

/// The live entries of a measure for one beneficiary: all that its caps and one-time rule
/// look at when the measure has no quota.
pub async fn live_entries_of_beneficiary<'e>(
    db: impl Executor<'e, Database = Any>,
    measure_id: &str,
    beneficiary: &str,
) -> StoreResult<Vec<LedgerRow>> {
    sqlx::query(
        "SELECT * FROM ledger_entries WHERE beneficiary = $1 AND measure_id = $2 \
         AND state <> 'released' ORDER BY id",
    )
    .bind(beneficiary)
    .bind(measure_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(ledger_from_row)
    .collect()
}

/// Every entry of a measure, released ones included, in the order they were made.
pub async fn entries_of_measure_all<'e>(
    db: impl Executor<'e, Database = Any>,
    measure_id: &str,
) -> StoreResult<Vec<LedgerRow>> {
    sqlx::query("SELECT * FROM ledger_entries WHERE measure_id = $1 ORDER BY id")
        .bind(measure_id)
        .fetch_all(db)
        .await?
        .iter()
        .map(ledger_from_row)
        .collect()
}

/// Fen reserved or paid from a call's budget for one measure.
pub async fn committed_budget<'e>(
    db: impl Executor<'e, Database = Any>,
    call_id: i64,
    measure_id: &str,
) -> StoreResult<i64> {
    let total: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_fen) AS BIGINT) FROM ledger_entries \
         WHERE call_id = $1 AND measure_id = $2 AND state <> 'released'",
    )
    .bind(call_id)
    .bind(measure_id)
    .fetch_one(db)
    .await?;
    Ok(total.unwrap_or(0))
}

/// A beneficiary's entries of a year (by the Beijing date of the grant), released ones included.
pub async fn entries_of_beneficiary<'e>(
    db: impl Executor<'e, Database = Any>,
    beneficiary: &str,
    year: i32,
) -> StoreResult<Vec<LedgerRow>> {
    sqlx::query(
        "SELECT * FROM ledger_entries WHERE beneficiary = $1 AND granted_on >= $2 AND granted_on <= $3 \
         ORDER BY id",
    )
    .bind(beneficiary)
    .bind(format!("{year:04}-01-01"))
    .bind(format!("{year:04}-12-31"))
    .fetch_all(db)
    .await?
    .iter()
    .map(ledger_from_row)
    .collect()
}

/// Keeps a version of the policy files (JSON of the sources) under its hash, once.
pub async fn keep_policy_version(
    tx: &mut WriteTx,
    hash: &str,
    sources: &str,
    at: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO policy_versions (hash, sources, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (hash) DO NOTHING",
    )
    .bind(hash)
    .bind(sources)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A kept version of the policy files (JSON of the sources).
pub async fn policy_version<'e>(
    db: impl Executor<'e, Database = Any>,
    hash: &str,
) -> StoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT sources FROM policy_versions WHERE hash = $1")
            .bind(hash)
            .fetch_optional(db)
            .await?,
    )
}
