//! Technology contracts (技术合同登记): the contracts with their deductions, payments received
//! (到账), history, files, the registry's number counters, and (in [`totals`]) the aggregates
//! the statistics read, kept current in the transaction that changes a registered contract.

mod awards;
mod list;
pub mod ranking;
pub mod totals;
mod trail;

pub use awards::*;
pub use list::*;
pub use trail::*;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Executor, Row};
use zijin_domain::{
    Coded, ContractDetails, ContractField, ContractStatus, ContractType, CreditCode, Deduction,
    IpType, Money, Party, PartyNature, RegionCode, RegistrationNumber,
};

use crate::query::rows_per_insert;
use crate::{StoreError, StoreResult, WriteTx, parse_timestamp, timestamp};

/// How a contract came to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractSource {
    /// Submitted by the seller on the platform.
    Platform,
    /// Imported from the national registry's export (already registered).
    Import,
}

impl ContractSource {
    pub fn code(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Import => "import",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "platform" => Some(Self::Platform),
            "import" => Some(Self::Import),
            _ => None,
        }
    }
}

/// A stored contract, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContract {
    pub id: i64,
    pub number: Option<RegistrationNumber>,
    pub details: ContractDetails,
    pub status: ContractStatus,
    pub registry_id: Option<i64>,
    pub registry_name: Option<String>,
    pub seller_institution_id: Option<i64>,
    pub broker_institution_id: Option<i64>,
    pub broker_name: String,
    /// The 技术经理人 (an account flagged as technology manager) who brokered it.
    pub broker_user_id: Option<i64>,
    pub match_id: Option<i64>,
    pub achievement_id: Option<i64>,
    pub source: ContractSource,
    pub accepted_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub registered_on: Option<NaiveDate>,
    pub refusal_reason: String,
    pub submitted_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StoredContract {
    /// Whether the aggregates count it: registered contracts only.
    pub fn counted(&self) -> bool {
        self.status == ContractStatus::Registered
    }

    /// The statistical year and month: of registration (登记日期), else of signing.
    pub fn stat_month(&self) -> (i32, u32) {
        let on = self.registered_on.unwrap_or(self.details.signed_on);
        (on.year(), on.month())
    }
}

/// What a new contract carries besides its form.
#[derive(Debug, Clone)]
pub struct NewContract<'a> {
    pub details: &'a ContractDetails,
    pub number: Option<&'a RegistrationNumber>,
    pub status: ContractStatus,
    pub registry_id: Option<i64>,
    pub seller_institution_id: Option<i64>,
    pub broker_institution_id: Option<i64>,
    pub broker_name: &'a str,
    pub broker_user_id: Option<i64>,
    pub match_id: Option<i64>,
    pub achievement_id: Option<i64>,
    pub source: ContractSource,
    pub accepted_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub registered_on: Option<NaiveDate>,
    pub submitted_by: Option<i64>,
    pub is_demo: bool,
}

fn day(on: NaiveDate) -> String {
    on.format("%Y-%m-%d").to_string()
}

fn parse_day(text: Option<String>) -> StoreResult<Option<NaiveDate>> {
    text.map(|t| {
        NaiveDate::parse_from_str(&t, "%Y-%m-%d")
            .map_err(|_| StoreError::Corrupt(format!("合同日期无效：{t}")))
    })
    .transpose()
}

const COLUMNS: [&str; 41] = [
    "registration_number",
    "title",
    "contract_type",
    "contract_kind",
    "equity_investment",
    "signed_on",
    "valid_until",
    "seller_name",
    "seller_credit_code",
    "seller_nature",
    "seller_region",
    "seller_place",
    "buyer_name",
    "buyer_credit_code",
    "buyer_nature",
    "buyer_region",
    "buyer_place",
    "in_city",
    "field",
    "ip_type",
    "total_fen",
    "technology_fen",
    "related_party",
    "status",
    "stat_year",
    "stat_month",
    "registry_id",
    "seller_institution_id",
    "broker_institution_id",
    "broker_name",
    "broker_user_id",
    "match_id",
    "achievement_id",
    "source",
    "accepted_on",
    "due_on",
    "registered_on",
    "submitted_by",
    "is_demo",
    "created_at",
    "updated_at",
];

type Query<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

fn bind_new<'q>(query: Query<'q>, c: &NewContract<'_>, at: &str) -> Query<'q> {
    let d = c.details;
    let stat_on = c.registered_on.unwrap_or(d.signed_on);
    let query = query.bind(c.number.map(|n| n.as_str().to_string()));
    bind_details(query, d)
        .bind(c.status.code())
        .bind(i64::from(stat_on.year()))
        .bind(i64::from(stat_on.month()))
        .bind(c.registry_id)
        .bind(c.seller_institution_id)
        .bind(c.broker_institution_id)
        .bind(c.broker_name.to_string())
        .bind(c.broker_user_id)
        .bind(c.match_id)
        .bind(c.achievement_id)
        .bind(c.source.code())
        .bind(c.accepted_on.map(day))
        .bind(c.due_on.map(day))
        .bind(c.registered_on.map(day))
        .bind(c.submitted_by)
        .bind(i64::from(c.is_demo))
        .bind(at.to_string())
        .bind(at.to_string())
}

/// Binds the form's columns, in the order of `title` … `related_party` in [`COLUMNS`] and in
/// the UPDATE of [`update_details`].
fn bind_details<'q>(query: Query<'q>, d: &ContractDetails) -> Query<'q> {
    query
        .bind(d.title.clone())
        .bind(d.contract_type.code())
        .bind(d.contract_type.kind().code())
        .bind(i64::from(d.equity_investment))
        .bind(day(d.signed_on))
        .bind(d.valid_until.map(day))
        .bind(d.seller.name.clone())
        .bind(d.seller.credit_code.as_str().to_string())
        .bind(d.seller.nature.code())
        .bind(d.seller.region.code())
        .bind(d.seller.region.place().code())
        .bind(d.buyer.name.clone())
        .bind(d.buyer.credit_code.as_str().to_string())
        .bind(d.buyer.nature.code())
        .bind(d.buyer.region.code())
        .bind(d.buyer.region.place().code())
        .bind(i64::from(d.in_city()))
        .bind(d.field.code())
        .bind(d.ip_type.code())
        .bind(d.total.fen())
        .bind(d.technology.fen())
        .bind(i64::from(d.related_party))
}

fn placeholders(rows: usize) -> String {
    let width = COLUMNS.len();
    (0..rows)
        .map(|row| {
            let cells: Vec<String> = (1..=width)
                .map(|n| format!("${}", row * width + n))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts one contract with its deductions; returns its id.
pub async fn insert(
    tx: &mut WriteTx,
    contract: &NewContract<'_>,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let at = timestamp(at);
    let sql = format!(
        "INSERT INTO tech_contracts ({}) VALUES {} RETURNING id",
        COLUMNS.join(", "),
        placeholders(1)
    );
    let id: i64 = bind_new(sqlx::query(AssertSqlSafe(sql)), contract, &at)
        .fetch_one(&mut **tx)
        .await?
        .try_get("id")?;
    replace_deductions(tx, id, &contract.details.deductions).await?;
    Ok(id)
}

/// Inserts many contracts in multi-row statements (an import); deductions follow.
pub async fn insert_many(
    tx: &mut WriteTx,
    contracts: &[NewContract<'_>],
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let at = timestamp(at);
    // A statement binds at most 65,535 parameters on PostgreSQL.
    let batch_rows = rows_per_insert(tx).min(65_535 / COLUMNS.len());
    for batch in contracts.chunks(batch_rows) {
        let sql = format!(
            "INSERT INTO tech_contracts ({}) VALUES {} RETURNING id",
            COLUMNS.join(", "),
            placeholders(batch.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for contract in batch {
            query = bind_new(query, contract, &at);
        }
        let ids: Vec<i64> = query
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<_, _>>()?;
        // RETURNING gives the rows in the order of VALUES on both backends for a plain INSERT.
        let mut ids = ids;
        ids.sort_unstable();
        for (id, contract) in ids.into_iter().zip(batch) {
            if !contract.details.deductions.is_empty() {
                replace_deductions(tx, id, &contract.details.deductions).await?;
            }
        }
    }
    Ok(())
}

async fn replace_deductions(
    tx: &mut WriteTx,
    id: i64,
    deductions: &[Deduction],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM contract_deductions WHERE contract_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for (position, deduction) in deductions.iter().enumerate() {
        sqlx::query(
            "INSERT INTO contract_deductions (contract_id, position, item, amount_fen) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(position as i64)
        .bind(deduction.item.clone())
        .bind(deduction.amount.fen())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Replaces a contract's form (a 变更, or a resubmission after 退回补正).
pub async fn update_details(
    tx: &mut WriteTx,
    id: i64,
    d: &ContractDetails,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    bind_details(
        sqlx::query(
            "UPDATE tech_contracts SET title = $1, contract_type = $2, contract_kind = $3, equity_investment = $4, \
             signed_on = $5, valid_until = $6, seller_name = $7, seller_credit_code = $8, seller_nature = $9, \
             seller_region = $10, seller_place = $11, buyer_name = $12, buyer_credit_code = $13, buyer_nature = $14, \
             buyer_region = $15, buyer_place = $16, in_city = $17, field = $18, ip_type = $19, total_fen = $20, \
             technology_fen = $21, related_party = $22, updated_at = $23 WHERE id = $24",
        ),
        d,
    )
    .bind(timestamp(at))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    replace_deductions(tx, id, &d.deductions).await
}

/// The brokers of a waiting contract, as its seller corrects them.
pub async fn set_brokers(
    tx: &mut WriteTx,
    id: i64,
    institution_id: Option<i64>,
    user_id: Option<i64>,
    name: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE tech_contracts SET broker_institution_id = $2, broker_user_id = $3, broker_name = $4 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(institution_id)
    .bind(user_id)
    .bind(name)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The registry's decision and dates.
#[derive(Debug, Clone)]
pub struct StatusChange<'a> {
    pub status: ContractStatus,
    pub number: Option<&'a RegistrationNumber>,
    pub accepted_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub registered_on: Option<NaiveDate>,
    pub refusal_reason: &'a str,
}

pub async fn set_status(
    tx: &mut WriteTx,
    id: i64,
    change: &StatusChange<'_>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let stat = change.registered_on;
    sqlx::query(
        "UPDATE tech_contracts SET status = $1, registration_number = COALESCE($2, registration_number), \
         accepted_on = $3, due_on = $4, registered_on = COALESCE($5, registered_on), refusal_reason = $6, \
         stat_year = COALESCE($7, stat_year), stat_month = COALESCE($8, stat_month), updated_at = $9 WHERE id = $10",
    )
    .bind(change.status.code())
    .bind(change.number.map(|n| n.as_str().to_string()))
    .bind(change.accepted_on.map(day))
    .bind(change.due_on.map(day))
    .bind(change.registered_on.map(day))
    .bind(change.refusal_reason.to_string())
    .bind(stat.map(|on| i64::from(on.year())))
    .bind(stat.map(|on| i64::from(on.month())))
    .bind(timestamp(at))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn party(row: &AnyRow, side: &str) -> StoreResult<Party> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("合同{what}无效"));
    let code: String = row.try_get(format!("{side}_credit_code").as_str())?;
    let nature: String = row.try_get(format!("{side}_nature").as_str())?;
    let region: String = row.try_get(format!("{side}_region").as_str())?;
    Ok(Party {
        name: row.try_get(format!("{side}_name").as_str())?,
        credit_code: CreditCode::parse(&code).map_err(|_| corrupt("统一社会信用代码"))?,
        nature: PartyNature::parse(&nature).ok_or_else(|| corrupt("买卖方性质"))?,
        region: RegionCode::parse(&region).ok_or_else(|| corrupt("行政区划"))?,
    })
}

pub(super) fn from_row(row: &AnyRow, deductions: Vec<Deduction>) -> StoreResult<StoredContract> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("合同{what}无效"));
    let money = |column: &str| -> StoreResult<Money> {
        Money::from_fen(row.try_get(column)?).map_err(|_| corrupt("金额"))
    };
    let text = |column: &str| -> StoreResult<String> { Ok(row.try_get(column)?) };
    let number: Option<String> = row.try_get("registration_number")?;
    Ok(StoredContract {
        id: row.try_get("id")?,
        number: number
            .map(|n| RegistrationNumber::parse(&n).ok_or_else(|| corrupt("登记编号")))
            .transpose()?,
        details: ContractDetails {
            title: text("title")?,
            contract_type: ContractType::from_code(&text("contract_type")?)
                .ok_or_else(|| corrupt("类型"))?,
            equity_investment: row.try_get::<i64, _>("equity_investment")? != 0,
            signed_on: parse_day(Some(text("signed_on")?))?.ok_or_else(|| corrupt("签订日期"))?,
            valid_until: parse_day(row.try_get("valid_until")?)?,
            seller: party(row, "seller")?,
            buyer: party(row, "buyer")?,
            field: ContractField::from_code(&text("field")?).ok_or_else(|| corrupt("技术领域"))?,
            ip_type: IpType::from_code(&text("ip_type")?).ok_or_else(|| corrupt("知识产权类型"))?,
            total: money("total_fen")?,
            technology: money("technology_fen")?,
            deductions,
            related_party: row.try_get::<i64, _>("related_party")? != 0,
        },
        status: ContractStatus::from_code(&text("status")?).ok_or_else(|| corrupt("状态"))?,
        registry_id: row.try_get("registry_id")?,
        registry_name: row.try_get("registry_name")?,
        seller_institution_id: row.try_get("seller_institution_id")?,
        broker_institution_id: row.try_get("broker_institution_id")?,
        broker_name: text("broker_name")?,
        broker_user_id: row.try_get("broker_user_id")?,
        match_id: row.try_get("match_id")?,
        achievement_id: row.try_get("achievement_id")?,
        source: ContractSource::from_code(&text("source")?).ok_or_else(|| corrupt("来源"))?,
        accepted_on: parse_day(row.try_get("accepted_on")?)?,
        due_on: parse_day(row.try_get("due_on")?)?,
        registered_on: parse_day(row.try_get("registered_on")?)?,
        refusal_reason: text("refusal_reason")?,
        submitted_by: row.try_get("submitted_by")?,
        created_at: parse_timestamp(&text("created_at")?)?,
        updated_at: parse_timestamp(&text("updated_at")?)?,
    })
}

const SELECT: &str = "SELECT c.*, r.name AS registry_name FROM tech_contracts c \
     LEFT JOIN institutions r ON r.id = c.registry_id";

async fn deductions<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Vec<Deduction>> {
    let rows = sqlx::query(
        "SELECT item, amount_fen FROM contract_deductions WHERE contract_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Deduction {
                item: row.try_get("item")?,
                amount: Money::from_fen(row.try_get("amount_fen")?)
                    .map_err(|_| StoreError::Corrupt("核减金额无效".into()))?,
            })
        })
        .collect()
}

pub async fn get<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    id: i64,
) -> StoreResult<Option<StoredContract>> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
        .bind(id)
        .fetch_optional(db)
        .await?;
    match row {
        Some(row) => Ok(Some(from_row(&row, deductions(db, id).await?)?)),
        None => Ok(None),
    }
}

/// The contract, locked for a change in this transaction (PostgreSQL; SQLite's write lock is
/// already held by the transaction).
pub async fn get_for_update(tx: &mut WriteTx, id: i64) -> StoreResult<Option<StoredContract>> {
    let lock = if tx.as_mut().backend_name() == "SQLite" {
        ""
    } else {
        " FOR UPDATE OF c"
    };
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE c.id = $1{lock}")))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some(row) => {
            let deductions = deductions(&mut **tx, id).await?;
            Ok(Some(from_row(&row, deductions)?))
        }
        None => Ok(None),
    }
}

pub async fn number_taken<'e>(
    db: impl Executor<'e, Database = Any>,
    number: &str,
) -> StoreResult<bool> {
    Ok(
        sqlx::query("SELECT 1 AS one FROM tech_contracts WHERE registration_number = $1")
            .bind(number.to_string())
            .fetch_optional(db)
            .await?
            .is_some(),
    )
}

/// Which of these numbers are already registered (an import checks its rows at once).
pub async fn numbers_taken<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    numbers: &[String],
) -> StoreResult<Vec<String>> {
    let mut taken = Vec::new();
    for chunk in numbers.chunks(500) {
        let params: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT registration_number FROM tech_contracts WHERE registration_number IN ({})",
            params.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for number in chunk {
            query = query.bind(number.clone());
        }
        for row in query.fetch_all(db).await? {
            taken.push(row.try_get("registration_number")?);
        }
    }
    Ok(taken)
}

/// The next serial of a registration-number prefix (1 for a new prefix), counted in the
/// database so two registrars, or two processes, never get the same one.
pub async fn next_serial(tx: &mut WriteTx, prefix: &str) -> StoreResult<i64> {
    Ok(sqlx::query(
        "INSERT INTO contract_number_counters (prefix, last_serial) VALUES ($1, 1) \
         ON CONFLICT (prefix) DO UPDATE SET last_serial = contract_number_counters.last_serial + 1 \
         RETURNING last_serial",
    )
    .bind(prefix.to_string())
    .fetch_one(&mut **tx)
    .await?
    .try_get("last_serial")?)
}

/// The contract started from a match, if one was.
pub async fn of_match<'e>(
    db: impl Executor<'e, Database = Any>,
    match_id: i64,
) -> StoreResult<Option<i64>> {
    Ok(sqlx::query(
        "SELECT id FROM tech_contracts WHERE match_id = $1 AND status <> 'refused' ORDER BY id DESC LIMIT 1",
    )
    .bind(match_id)
    .fetch_optional(db)
    .await?
    .map(|row| row.try_get("id"))
    .transpose()?)
}

/// Years with registered contracts, newest first.
pub async fn years<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<Vec<i32>> {
    let rows = sqlx::query(
        "SELECT DISTINCT stat_year FROM contract_totals WHERE scope = 'city' AND dimension = 'all' AND contracts > 0 \
         ORDER BY stat_year DESC",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<i64, _>("stat_year")? as i32))
        .collect()
}
