//! 技术经理人 profiles (art. 20, issue 19) and what the platform knows each person did: the
//! registered contracts they brokered (`tech_contracts.broker_user_id`) and the matches they
//! were assigned that reached 签约 (`matches.tech_manager_id`), by year.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use zijin_domain::{CertificateLevel, CertificateNumber, Coded, ContractField, TechManagerProfile};

use crate::{StoreError, StoreResult, WriteTx, timestamp};

/// A stored profile with the person's name and the institution they act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProfile {
    pub user_id: i64,
    pub name: String,
    pub institution: Option<String>,
    pub profile: TechManagerProfile,
    pub updated_at: String,
}

/// One year of a person's work as the platform knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearFigures {
    /// Registered contracts brokered (登记日期 in the year).
    pub contracts: i64,
    /// Their 技术交易额, fen.
    pub technology_fen: i64,
    /// Assigned matches that reached 签约 in the year (Beijing time).
    pub signed_matches: i64,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("技术经理人资料中的{what}无效"))
}

fn from_row(row: &AnyRow) -> StoreResult<StoredProfile> {
    let level: String = row.try_get("certificate_level")?;
    let number: String = row.try_get("certificate_number")?;
    let fields: String = row.try_get("fields")?;
    let codes: Vec<String> = serde_json::from_str(&fields).map_err(|_| corrupt("技术领域"))?;
    Ok(StoredProfile {
        user_id: row.try_get("user_id")?,
        name: row.try_get("display_name")?,
        institution: row.try_get("institution_name")?,
        profile: TechManagerProfile {
            level: CertificateLevel::from_code(&level).ok_or_else(|| corrupt("证书等级"))?,
            number: CertificateNumber::parse(&number).ok_or_else(|| corrupt("证书编号"))?,
            fields: codes
                .iter()
                .map(|c| ContractField::from_code(c).ok_or_else(|| corrupt("技术领域")))
                .collect::<StoreResult<_>>()?,
            introduction: row.try_get("introduction")?,
            listed: row.try_get::<i64, _>("listed")? != 0,
        },
        updated_at: row.try_get("updated_at")?,
    })
}

const SELECT: &str = "SELECT p.*, u.display_name, i.name AS institution_name \
     FROM tech_manager_profiles p JOIN users u ON u.id = p.user_id \
     LEFT JOIN institutions i ON i.id = u.institution_id";

pub async fn get<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> StoreResult<Option<StoredProfile>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE p.user_id = $1"
    )))
    .bind(user_id)
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The profiles of the directory: listed, of accounts still flagged and enabled, by name.
pub async fn listed<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<Vec<StoredProfile>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE p.listed = 1 AND u.is_tech_manager = 1 AND u.disabled = 0 \
         ORDER BY u.display_name, p.user_id"
    )))
    .fetch_all(db)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Saves a person's profile (made or replaced). A certificate number another person holds
/// is refused by the store as a duplicate.
pub async fn save(
    tx: &mut WriteTx,
    user_id: i64,
    profile: &TechManagerProfile,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let fields: Vec<&str> = profile.fields.iter().map(|f| f.code()).collect();
    let fields = serde_json::to_string(&fields).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO tech_manager_profiles (user_id, certificate_level, certificate_number, \
         fields, introduction, listed, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (user_id) DO UPDATE SET certificate_level = excluded.certificate_level, \
         certificate_number = excluded.certificate_number, fields = excluded.fields, \
         introduction = excluded.introduction, listed = excluded.listed, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(profile.level.code())
    .bind(profile.number.as_str())
    .bind(fields)
    .bind(profile.introduction.as_str())
    .bind(i64::from(profile.listed))
    .bind(timestamp(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What each of `users` did, by year: registered contracts brokered and assigned matches
/// signed. `since` and `until` are the Beijing years counted.
pub async fn figures<'e, E>(
    db: E,
    users: &[i64],
    since: i32,
    until: i32,
) -> StoreResult<BTreeMap<(i64, i32), YearFigures>>
where
    E: Executor<'e, Database = Any> + Copy,
{
    let mut out: BTreeMap<(i64, i32), YearFigures> = BTreeMap::new();
    if users.is_empty() {
        return Ok(out);
    }
    let list = users
        .iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let contracts = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT broker_user_id AS id, stat_year AS year, COUNT(*) AS n, \
         CAST(SUM(technology_fen) AS BIGINT) AS fen FROM tech_contracts \
         WHERE status = 'registered' AND broker_user_id IN ({list}) \
         AND stat_year >= $1 AND stat_year <= $2 GROUP BY broker_user_id, stat_year"
    )))
    .bind(i64::from(since))
    .bind(i64::from(until))
    .fetch_all(db)
    .await?;
    for row in &contracts {
        let year: i64 = row.try_get("year")?;
        let entry = out.entry((row.try_get("id")?, year as i32)).or_default();
        entry.contracts = row.try_get("n")?;
        entry.technology_fen = row.try_get("fen")?;
    }
    let matches = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT tech_manager_id AS id, closed_at FROM matches \
         WHERE stage = 'signed' AND tech_manager_id IN ({list}) AND closed_at IS NOT NULL"
    )))
    .fetch_all(db)
    .await?;
    for row in &matches {
        let closed: String = row.try_get("closed_at")?;
        let at = crate::parse_timestamp(&closed)?;
        let year = chrono::Datelike::year(&(at + chrono::Duration::hours(8)));
        if (since..=until).contains(&year) {
            out.entry((row.try_get("id")?, year))
                .or_default()
                .signed_matches += 1;
        }
    }
    Ok(out)
}
