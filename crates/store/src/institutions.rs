//! Institutions: insert, update, look up and list.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use zijin_domain::{
    Coded, CreditCode, District, Institution, InstitutionDetails, InstitutionProfile,
    InstitutionTag, InstitutionType,
};

use crate::query::{Filter, Value, fetch_page, like_pattern};
use crate::{Paged, StoreError, StoreResult, WriteTx, timestamp};

/// The constraint that refuses a second institution with the same credit code.
pub const UNIQUE_CREDIT_CODE: &str = "institutions.credit_code";

pub async fn insert(
    tx: &mut WriteTx,
    details: &InstitutionDetails,
    is_demo: bool,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let at = timestamp(at);
    let row = sqlx::query(
        "INSERT INTO institutions (name, kind, credit_code, district, tags, address, contact_name, \
         contact_phone, description, is_demo, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(&details.name)
    .bind(details.kind.code())
    .bind(details.credit_code.as_str())
    .bind(details.district.code())
    .bind(tags_json(&details.tags))
    .bind(&details.profile.address)
    .bind(&details.profile.contact_name)
    .bind(&details.profile.contact_phone)
    .bind(&details.profile.description)
    .bind(i64::from(is_demo))
    .bind(at)
    .fetch_one(&mut **tx)
    .await
    .map_err(duplicate_credit_code)?;
    Ok(row.try_get("id")?)
}

pub async fn update(
    tx: &mut WriteTx,
    id: i64,
    details: &InstitutionDetails,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE institutions SET name = $1, kind = $2, credit_code = $3, district = $4, tags = $5, \
         address = $6, contact_name = $7, contact_phone = $8, description = $9, updated_at = $10 \
         WHERE id = $11",
    )
    .bind(&details.name)
    .bind(details.kind.code())
    .bind(details.credit_code.as_str())
    .bind(details.district.code())
    .bind(tags_json(&details.tags))
    .bind(&details.profile.address)
    .bind(&details.profile.contact_name)
    .bind(&details.profile.contact_phone)
    .bind(&details.profile.description)
    .bind(timestamp(at))
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(duplicate_credit_code)?;
    Ok(())
}

pub async fn update_profile(
    tx: &mut WriteTx,
    id: i64,
    profile: &InstitutionProfile,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE institutions SET address = $1, contact_name = $2, contact_phone = $3, \
         description = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(&profile.address)
    .bind(&profile.contact_name)
    .bind(&profile.contact_phone)
    .bind(&profile.description)
    .bind(timestamp(at))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn get<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<Institution>> {
    sqlx::query("SELECT * FROM institutions WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn get_by_credit_code<'e>(
    db: impl Executor<'e, Database = Any>,
    code: &CreditCode,
) -> StoreResult<Option<Institution>> {
    sqlx::query("SELECT * FROM institutions WHERE credit_code = $1")
        .bind(code.as_str())
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// What institution listings filter by.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub kind: Option<InstitutionType>,
    pub district: Option<District>,
    pub tag: Option<InstitutionTag>,
    /// Part of the name.
    pub name: Option<String>,
}

pub async fn list<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    filter: &ListFilter,
    page: i64,
    per_page: i64,
) -> StoreResult<Paged<Institution>> {
    let mut where_ = Filter::default();
    if let Some(kind) = filter.kind {
        where_.add("kind = {}", vec![Value::Text(kind.code().into())]);
    }
    if let Some(district) = filter.district {
        where_.add("district = {}", vec![Value::Text(district.code().into())]);
    }
    if let Some(tag) = filter.tag {
        where_.add(
            "tags LIKE {} ESCAPE '\\'",
            vec![Value::Text(like_pattern(&format!("\"{}\"", tag.code())))],
        );
    }
    if let Some(name) = filter
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        where_.add(
            "name LIKE {} ESCAPE '\\'",
            vec![Value::Text(like_pattern(name))],
        );
    }
    fetch_page(
        db,
        "institutions",
        &where_,
        "is_demo, id",
        page,
        per_page,
        from_row,
    )
    .await
}

/// How many institutions there are of each type, in the types' display order.
pub async fn count_by_kind<'e>(
    db: impl Executor<'e, Database = Any>,
) -> StoreResult<Vec<(InstitutionType, i64)>> {
    let rows = sqlx::query("SELECT kind, COUNT(*) AS n FROM institutions GROUP BY kind")
        .fetch_all(db)
        .await?;
    let mut counts: Vec<(InstitutionType, i64)> =
        InstitutionType::ALL.iter().map(|kind| (*kind, 0)).collect();
    for row in rows {
        let code: String = row.try_get("kind")?;
        let n: i64 = row.try_get("n")?;
        if let Some(entry) = counts.iter_mut().find(|(kind, _)| kind.code() == code) {
            entry.1 = n;
        }
    }
    Ok(counts)
}

fn tags_json(tags: &[InstitutionTag]) -> String {
    serde_json::to_string(&tags.iter().map(|tag| tag.code()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

fn duplicate_credit_code(error: sqlx::Error) -> StoreError {
    match StoreError::from(error) {
        StoreError::Duplicate { .. } => StoreError::Duplicate {
            constraint: UNIQUE_CREDIT_CODE.to_string(),
        },
        other => other,
    }
}

fn from_row(row: &AnyRow) -> StoreResult<Institution> {
    let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("机构{what}“{value}”无效"));
    let kind: String = row.try_get("kind")?;
    let district: String = row.try_get("district")?;
    let credit_code: String = row.try_get("credit_code")?;
    let tags: String = row.try_get("tags")?;
    let tag_codes: Vec<String> = serde_json::from_str(&tags).map_err(|_| corrupt("标签", &tags))?;
    let is_demo: i64 = row.try_get("is_demo")?;
    Ok(Institution {
        id: row.try_get("id")?,
        details: InstitutionDetails {
            name: row.try_get("name")?,
            kind: InstitutionType::from_code(&kind).ok_or_else(|| corrupt("类型", &kind))?,
            credit_code: CreditCode::parse(&credit_code)
                .map_err(|_| corrupt("统一社会信用代码", &credit_code))?,
            district: District::from_code(&district).ok_or_else(|| corrupt("所在区", &district))?,
            tags: tag_codes
                .iter()
                .map(|code| InstitutionTag::from_code(code).ok_or_else(|| corrupt("标签", code)))
                .collect::<StoreResult<_>>()?,
            profile: InstitutionProfile {
                address: row.try_get("address")?,
                contact_name: row.try_get("contact_name")?,
                contact_phone: row.try_get("contact_phone")?,
                description: row.try_get("description")?,
            },
        },
        is_demo: is_demo != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Every institution (for building list issues, where each record names its institution).
pub async fn all<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<Vec<Institution>> {
    let rows = sqlx::query("SELECT * FROM institutions ORDER BY id")
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}
