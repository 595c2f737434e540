//! Achievements, demands and the technical-field list they draw from.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Executor, Row};
use zijin_domain::{
    Achievement, AchievementDetails, Coded, Demand, DemandDetails, IpItem, Money, Price,
    RecordKind, RecordStatus, SourceFlag, TechnicalField, TransferMode, Trl,
};

use crate::query::{Filter, Value, fetch_page, like_pattern};
use crate::{Paged, StoreError, StoreResult, WriteTx, timestamp};

pub async fn technical_fields<'e>(
    db: impl Executor<'e, Database = Any>,
) -> StoreResult<Vec<TechnicalField>> {
    let rows = sqlx::query("SELECT code, label FROM technical_fields ORDER BY position, code")
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(TechnicalField {
                code: row.try_get("code")?,
                label: row.try_get("label")?,
            })
        })
        .collect()
}

/// Adds a field at the end of the list, or renames an existing one.
pub async fn save_technical_field(tx: &mut WriteTx, field: &TechnicalField) -> StoreResult<()> {
    let updated = sqlx::query("UPDATE technical_fields SET label = $1 WHERE code = $2")
        .bind(&field.label)
        .bind(&field.code)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if updated == 0 {
        sqlx::query(
            "INSERT INTO technical_fields (code, label, position) \
             VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM technical_fields))",
        )
        .bind(&field.code)
        .bind(&field.label)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn json_list<T: AsRef<str>>(items: impl IntoIterator<Item = T>) -> String {
    serde_json::to_string(
        &items
            .into_iter()
            .map(|item| item.as_ref().to_string())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into())
}

fn codes<T: Coded>(items: &[T]) -> String {
    json_list(items.iter().map(|item| item.code()))
}

fn read_list(row: &AnyRow, column: &str) -> StoreResult<Vec<String>> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text)
        .map_err(|_| StoreError::Corrupt(format!("{column} 不是 JSON 列表：{text}")))
}

fn read_codes<T: Coded>(row: &AnyRow, column: &str) -> StoreResult<Vec<T>> {
    read_list(row, column)?
        .iter()
        .map(|code| {
            T::from_code(code)
                .ok_or_else(|| StoreError::Corrupt(format!("{column} 含未知代码 {code}")))
        })
        .collect()
}

fn read_money(row: &AnyRow, column: &str) -> StoreResult<Option<Money>> {
    let fen: Option<i64> = row.try_get(column)?;
    fen.map(|fen| Money::from_fen(fen).map_err(|error| StoreError::Corrupt(error.to_string())))
        .transpose()
}

fn read_status(row: &AnyRow) -> StoreResult<RecordStatus> {
    let code: String = row.try_get("status")?;
    RecordStatus::from_code(&code).ok_or_else(|| StoreError::Corrupt(format!("未知状态 {code}")))
}

/// Binds the stored columns of a record's details, in the order the statements list them
/// (shared by insert and update, so the two cannot drift apart).
trait BindDetails {
    fn bind_achievement(self, details: &AchievementDetails) -> Self;
    fn bind_demand(self, details: &DemandDetails) -> Self;
}

impl<'q> BindDetails for sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    fn bind_achievement(self, details: &AchievementDetails) -> Self {
        self.bind(details.title.clone())
            .bind(details.summary.clone())
            .bind(details.field.clone())
            .bind(json_list(&details.keywords))
            .bind(i64::from(details.trl.level()))
            .bind(json_list(details.ip_items.iter().map(IpItem::written)))
            .bind(codes(&details.transfer_modes))
            .bind(match details.price {
                Price::Negotiable => None,
                Price::Amount(money) => Some(money.fen()),
            })
            .bind(details.contact_name.clone())
            .bind(details.contact_phone.clone())
            .bind(codes(&details.source_flags))
    }

    fn bind_demand(self, details: &DemandDetails) -> Self {
        self.bind(details.title.clone())
            .bind(details.description.clone())
            .bind(details.field.clone())
            .bind(json_list(&details.keywords))
            .bind(codes(&details.cooperation_modes))
            .bind(details.budget_min.map(Money::fen))
            .bind(details.budget_max.map(Money::fen))
            .bind(details.wanted_trl.map(|trl| i64::from(trl.level())))
            .bind(details.deadline.map(|date| date.to_string()))
            .bind(details.contact_name.clone())
            .bind(details.contact_phone.clone())
    }
}

pub async fn insert_achievement(
    tx: &mut WriteTx,
    institution_id: i64,
    status: RecordStatus,
    details: &AchievementDetails,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO achievements (institution_id, status, title, summary, field, keywords, trl, ip_items, \
         transfer_modes, price_fen, contact_name, contact_phone, source_flags, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
    )
    .bind(institution_id)
    .bind(status.code())
    .bind_achievement(details)
    .bind(timestamp(at))
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn update_achievement(
    tx: &mut WriteTx,
    id: i64,
    details: &AchievementDetails,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE achievements SET title = $2, summary = $3, field = $4, keywords = $5, trl = $6, ip_items = $7, \
         transfer_modes = $8, price_fen = $9, contact_name = $10, contact_phone = $11, source_flags = $12, \
         updated_at = $13 WHERE id = $1",
    )
    .bind(id)
    .bind_achievement(details)
    .bind(timestamp(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn get_achievement<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<Achievement>> {
    sqlx::query("SELECT * FROM achievements WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(achievement_from_row)
        .transpose()
}

pub(crate) fn achievement_from_row(row: &AnyRow) -> StoreResult<Achievement> {
    let trl: i64 = row.try_get("trl")?;
    let priority: i64 = row.try_get("priority")?;
    Ok(Achievement {
        id: row.try_get("id")?,
        institution_id: row.try_get("institution_id")?,
        status: read_status(row)?,
        details: AchievementDetails {
            title: row.try_get("title")?,
            summary: row.try_get("summary")?,
            field: row.try_get("field")?,
            keywords: read_list(row, "keywords")?,
            trl: u8::try_from(trl)
                .ok()
                .and_then(Trl::new)
                .ok_or_else(|| StoreError::Corrupt(format!("TRL {trl}")))?,
            ip_items: read_list(row, "ip_items")?
                .iter()
                .map(|item| IpItem::parse(item).map_err(StoreError::Corrupt))
                .collect::<StoreResult<_>>()?,
            transfer_modes: read_codes::<TransferMode>(row, "transfer_modes")?,
            price: read_money(row, "price_fen")?
                .map(Price::Amount)
                .unwrap_or(Price::Negotiable),
            contact_name: row.try_get("contact_name")?,
            contact_phone: row.try_get("contact_phone")?,
            source_flags: read_codes::<SourceFlag>(row, "source_flags")?,
        },
        review_comment: row.try_get("review_comment")?,
        priority: priority != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn insert_demand(
    tx: &mut WriteTx,
    institution_id: i64,
    status: RecordStatus,
    details: &DemandDetails,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO demands (institution_id, status, title, description, field, keywords, cooperation_modes, \
         budget_min_fen, budget_max_fen, wanted_trl, deadline, contact_name, contact_phone, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
    )
    .bind(institution_id)
    .bind(status.code())
    .bind_demand(details)
    .bind(timestamp(at))
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn update_demand(
    tx: &mut WriteTx,
    id: i64,
    details: &DemandDetails,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE demands SET title = $2, description = $3, field = $4, keywords = $5, cooperation_modes = $6, \
         budget_min_fen = $7, budget_max_fen = $8, wanted_trl = $9, deadline = $10, contact_name = $11, \
         contact_phone = $12, updated_at = $13 WHERE id = $1",
    )
    .bind(id)
    .bind_demand(details)
    .bind(timestamp(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn get_demand<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<Demand>> {
    sqlx::query("SELECT * FROM demands WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(demand_from_row)
        .transpose()
}

pub(crate) fn demand_from_row(row: &AnyRow) -> StoreResult<Demand> {
    let priority: i64 = row.try_get("priority")?;
    let deadline: Option<String> = row.try_get("deadline")?;
    Ok(Demand {
        id: row.try_get("id")?,
        institution_id: row.try_get("institution_id")?,
        status: read_status(row)?,
        details: DemandDetails {
            title: row.try_get("title")?,
            description: row.try_get("description")?,
            field: row.try_get("field")?,
            keywords: read_list(row, "keywords")?,
            cooperation_modes: read_codes::<TransferMode>(row, "cooperation_modes")?,
            budget_min: read_money(row, "budget_min_fen")?,
            budget_max: read_money(row, "budget_max_fen")?,
            wanted_trl: {
                let level: Option<i64> = row.try_get("wanted_trl")?;
                level
                    .map(|level| {
                        u8::try_from(level)
                            .ok()
                            .and_then(Trl::new)
                            .ok_or_else(|| StoreError::Corrupt(format!("期望成熟度 {level}")))
                    })
                    .transpose()?
            },
            deadline: deadline
                .map(|text| {
                    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                        .map_err(|_| StoreError::Corrupt(format!("截止日期 {text}")))
                })
                .transpose()?,
            contact_name: row.try_get("contact_name")?,
            contact_phone: row.try_get("contact_phone")?,
        },
        review_comment: row.try_get("review_comment")?,
        priority: priority != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn table(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Achievement => "achievements",
        RecordKind::Demand => "demands",
    }
}

/// Moves a record to a new status; a reviewer's comment is kept (and cleared on other moves).
pub async fn set_status(
    tx: &mut WriteTx,
    kind: RecordKind,
    id: i64,
    status: RecordStatus,
    review_comment: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let sql = format!(
        "UPDATE {} SET status = $1, review_comment = $2, updated_at = $3 WHERE id = $4",
        table(kind)
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(status.code())
        .bind(review_comment)
        .bind(timestamp(at))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks or unmarks a record for priority recommendation to provincial programmes.
pub async fn set_priority(
    tx: &mut WriteTx,
    kind: RecordKind,
    id: i64,
    priority: bool,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let sql = format!(
        "UPDATE {} SET priority = $1, updated_at = $2 WHERE id = $3",
        table(kind)
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(i64::from(priority))
        .bind(timestamp(at))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Moves every approved record of a kind to published, in one statement.
pub async fn publish_all_approved(
    tx: &mut WriteTx,
    kind: RecordKind,
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    let sql = format!(
        "UPDATE {} SET status = 'published', updated_at = $1 WHERE status = 'approved'",
        table(kind)
    );
    Ok(sqlx::query(AssertSqlSafe(sql))
        .bind(timestamp(at))
        .execute(&mut **tx)
        .await?
        .rows_affected())
}

/// What record listings filter by.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub institution_id: Option<i64>,
    pub statuses: Vec<RecordStatus>,
    pub field: Option<String>,
    /// Part of the title.
    pub title: Option<String>,
}

impl RecordFilter {
    fn where_(&self) -> Filter {
        let mut where_ = Filter::default();
        if let Some(id) = self.institution_id {
            where_.add("institution_id = {}", vec![Value::Int(id)]);
        }
        if !self.statuses.is_empty() {
            let placeholders = vec!["{}"; self.statuses.len()].join(", ");
            where_.add(
                &format!("status IN ({placeholders})"),
                self.statuses
                    .iter()
                    .map(|s| Value::Text(s.code().into()))
                    .collect(),
            );
        }
        if let Some(field) = &self.field {
            where_.add("field = {}", vec![Value::Text(field.clone())]);
        }
        if let Some(title) = self
            .title
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            where_.add(
                "title LIKE {} ESCAPE '\\'",
                vec![Value::Text(like_pattern(title))],
            );
        }
        where_
    }
}

pub async fn list_achievements<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    filter: &RecordFilter,
    page: i64,
    per_page: i64,
) -> StoreResult<Paged<Achievement>> {
    fetch_page(
        db,
        "achievements",
        &filter.where_(),
        "id DESC",
        page,
        per_page,
        achievement_from_row,
    )
    .await
}

pub async fn list_demands<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    filter: &RecordFilter,
    page: i64,
    per_page: i64,
) -> StoreResult<Paged<Demand>> {
    fetch_page(
        db,
        "demands",
        &filter.where_(),
        "id DESC",
        page,
        per_page,
        demand_from_row,
    )
    .await
}

/// Every listed (approved or published) record of a kind, oldest first, for a new list issue.
pub async fn listed_achievements<'e>(
    db: impl Executor<'e, Database = Any>,
) -> StoreResult<Vec<Achievement>> {
    let rows = sqlx::query(
        "SELECT * FROM achievements WHERE status IN ('approved', 'published') ORDER BY id",
    )
    .fetch_all(db)
    .await?;
    rows.iter().map(achievement_from_row).collect()
}

pub async fn listed_demands<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<Vec<Demand>> {
    let rows =
        sqlx::query("SELECT * FROM demands WHERE status IN ('approved', 'published') ORDER BY id")
            .fetch_all(db)
            .await?;
    rows.iter().map(demand_from_row).collect()
}

/// How many achievements of an institution carry a source flag and were first saved in a
/// Beijing calendar year, counting only those the bureau reviewed (approved, published or
/// closed with a deal), for 免申即享.
pub async fn count_flagged_achievements<'e>(
    db: impl Executor<'e, Database = Any>,
    institution_id: i64,
    flag: SourceFlag,
    year: i32,
) -> StoreResult<i64> {
    // Stored times are UTC; a Beijing year runs from 16:00 UTC on 31 December before it.
    let from = format!("{}-12-31T16:00:00", year - 1);
    let to = format!("{year}-12-31T16:00:00");
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM achievements WHERE institution_id = $1 \
         AND status IN ('approved', 'published', 'closed-deal') AND source_flags LIKE $2 \
         AND created_at >= $3 AND created_at < $4",
    )
    .bind(institution_id)
    .bind(format!("%\"{}\"%", flag.code()))
    .bind(from)
    .bind(to)
    .fetch_one(db)
    .await?
    .try_get("n")?)
}
