//! Accounts: insert, look up, list, password, the disabled and technology-manager flags.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use zijin_domain::{Coded, Designation, District, ResponsibleUnit, Role, User, UserRole};

use crate::{Paged, StoreError, StoreResult, WriteTx, timestamp};

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: UserRole,
    pub is_demo: bool,
}

pub async fn insert(tx: &mut WriteTx, user: &NewUser<'_>, at: DateTime<Utc>) -> StoreResult<i64> {
    let (unit, district, institution) = role_columns(user.role);
    let row = sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, role, responsible_unit, district, \
         institution_id, is_demo, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(user.username)
    .bind(user.display_name)
    .bind(user.password_hash)
    .bind(user.role.role().code())
    .bind(unit)
    .bind(district)
    .bind(institution)
    .bind(i64::from(user.is_demo))
    .bind(timestamp(at))
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

fn role_columns(role: UserRole) -> (Option<&'static str>, Option<&'static str>, Option<i64>) {
    match role {
        UserRole::Admin => (None, None, None),
        UserRole::Reviewer(unit) => (Some(unit.code()), None, None),
        UserRole::DistrictOfficer(district) => (None, Some(district.code()), None),
        UserRole::InstitutionUser(id) | UserRole::ContractRegistrar(id) => (None, None, Some(id)),
    }
}

pub async fn get<'e>(db: impl Executor<'e, Database = Any>, id: i64) -> StoreResult<Option<User>> {
    sqlx::query("SELECT * FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The account and its password hash, for login.
pub async fn get_with_password_hash<'e>(
    db: impl Executor<'e, Database = Any>,
    username: &str,
) -> StoreResult<Option<(User, String)>> {
    let row = sqlx::query("SELECT * FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(db)
        .await?;
    match row {
        Some(row) => Ok(Some((from_row(&row)?, row.try_get("password_hash")?))),
        None => Ok(None),
    }
}

pub async fn list<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    page: i64,
    per_page: i64,
) -> StoreResult<Paged<User>> {
    let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(db)
        .await?
        .try_get("n")?;
    let rows = sqlx::query("SELECT * FROM users ORDER BY id LIMIT $1 OFFSET $2")
        .bind(per_page)
        .bind((page.max(1) - 1).saturating_mul(per_page))
        .fetch_all(db)
        .await?;
    Ok(Paged {
        items: rows.iter().map(from_row).collect::<StoreResult<_>>()?,
        total,
        page,
        per_page,
    })
}

/// The accounts of one institution.
pub async fn list_for_institution<'e>(
    db: impl Executor<'e, Database = Any>,
    institution_id: i64,
) -> StoreResult<Vec<User>> {
    let rows = sqlx::query("SELECT * FROM users WHERE institution_id = $1 ORDER BY id")
        .bind(institution_id)
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

/// The account with this user name.
pub async fn get_by_username<'e>(
    db: impl Executor<'e, Database = Any>,
    username: &str,
) -> StoreResult<Option<User>> {
    sqlx::query("SELECT * FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Switches an account off (it cannot log in) or on again.
pub async fn set_disabled(
    tx: &mut WriteTx,
    id: i64,
    disabled: bool,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(disabled))
        .bind(timestamp(at))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The column that holds a designation.
fn designation_column(designation: Designation) -> &'static str {
    match designation {
        Designation::TechManager => "is_tech_manager",
        Designation::Expert => "is_expert",
    }
}

/// Registers an account as a technology manager (技术经理人) or expert (评审专家), or takes
/// the designation away.
pub async fn set_designation(
    tx: &mut WriteTx,
    id: i64,
    designation: Designation,
    on: bool,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let column = designation_column(designation);
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE users SET {column} = $1, updated_at = $2 WHERE id = $3"
    ));
    sqlx::query(sql)
        .bind(i64::from(on))
        .bind(timestamp(at))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The e-mail address an account entered for reminders, if any.
pub async fn email<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> StoreResult<Option<String>> {
    let email: Option<Option<String>> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(email.flatten().filter(|e| !e.is_empty()))
}

/// Sets (or, with `None`, removes) an account's e-mail address for reminders.
pub async fn set_email(
    tx: &mut WriteTx,
    id: i64,
    email: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("UPDATE users SET email = $1, updated_at = $2 WHERE id = $3")
        .bind(email)
        .bind(timestamp(at))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The accounts with a designation that may log in, by name.
pub async fn designated<'e>(
    db: impl Executor<'e, Database = Any>,
    designation: Designation,
) -> StoreResult<Vec<User>> {
    let column = designation_column(designation);
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT * FROM users WHERE {column} = 1 AND disabled = 0 ORDER BY display_name, id"
    ));
    let rows = sqlx::query(sql).fetch_all(db).await?;
    rows.iter().map(from_row).collect()
}

pub async fn set_password_hash(
    tx: &mut WriteTx,
    id: i64,
    password_hash: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(timestamp(at))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn count<'e>(db: impl Executor<'e, Database = Any>) -> StoreResult<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(db)
        .await?
        .try_get("n")?)
}

pub(crate) fn from_row(row: &AnyRow) -> StoreResult<User> {
    let role_code: String = row.try_get("role")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("用户{what}无效"));
    let role = match Role::from_code(&role_code).ok_or_else(|| corrupt("角色"))? {
        Role::Admin => UserRole::Admin,
        Role::Reviewer => {
            let unit: Option<String> = row.try_get("responsible_unit")?;
            UserRole::Reviewer(
                unit.as_deref()
                    .and_then(ResponsibleUnit::from_code)
                    .ok_or_else(|| corrupt("责任单位"))?,
            )
        }
        Role::DistrictOfficer => {
            let district: Option<String> = row.try_get("district")?;
            UserRole::DistrictOfficer(
                district
                    .as_deref()
                    .and_then(District::from_code)
                    .ok_or_else(|| corrupt("所在区"))?,
            )
        }
        Role::InstitutionUser => {
            let institution: Option<i64> = row.try_get("institution_id")?;
            UserRole::InstitutionUser(institution.ok_or_else(|| corrupt("所属机构"))?)
        }
        Role::ContractRegistrar => {
            let institution: Option<i64> = row.try_get("institution_id")?;
            UserRole::ContractRegistrar(institution.ok_or_else(|| corrupt("所属合同登记机构"))?)
        }
    };
    let is_demo: i64 = row.try_get("is_demo")?;
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        is_tech_manager: row.try_get::<i64, _>("is_tech_manager")? != 0,
        is_expert: row.try_get::<i64, _>("is_expert")? != 0,
        is_demo: is_demo != 0,
        created_at: row.try_get("created_at")?,
    })
}
