//! Accounts: the first admin from the command line, the others by admins in the UI.

use serde_json::{Value as Json, json};
use zijin_domain::{
    Coded, District, FieldErrors, Password, ResponsibleUnit, Role, User, UserRole, Username,
};
use zijin_store::{StoreError, audit, institutions, users};

use crate::{Actor, App, AppError, AppResult, Paged, auth};

/// Raw input of the new-user form, the API and `zijin user add`.
#[derive(Debug, Clone, Default)]
pub struct NewUserInput<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: &'a str,
    pub responsible_unit: &'a str,
    pub district: &'a str,
    pub institution_id: Option<i64>,
}

pub fn audit_snapshot(user: &User) -> Json {
    let (unit, district, institution) = match user.role {
        UserRole::Admin => (None, None, None),
        UserRole::Reviewer(unit) => (Some(unit.code()), None, None),
        UserRole::DistrictOfficer(district) => (None, Some(district.code()), None),
        UserRole::InstitutionUser(id) => (None, None, Some(id)),
    };
    json!({
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.role().code(),
        "responsible_unit": unit,
        "district": district,
        "institution_id": institution,
        "locked_until": user.locked_until,
        "is_demo": user.is_demo,
    })
}

pub async fn create(app: &App, actor: &Actor, input: &NewUserInput<'_>) -> AppResult<User> {
    actor.require_admin()?;
    create_unchecked(app, actor, input, false).await
}

pub(crate) async fn create_unchecked(
    app: &App,
    actor: &Actor,
    input: &NewUserInput<'_>,
    is_demo: bool,
) -> AppResult<User> {
    let mut errors = FieldErrors::new();
    let username = Username::parse(input.username, &mut errors);
    let password = Password::parse_new(input.password, &mut errors);
    let display_name = input.display_name.trim();
    let display_name = if display_name.is_empty() {
        username.as_str()
    } else {
        display_name
    };
    if display_name.chars().count() > 50 {
        errors.add("display_name", "姓名不能超过50个字符");
    } else if let Some(problem) = zijin_domain::validation::line_problem(display_name) {
        errors.add("display_name", format!("姓名{problem}"));
    }
    let role = match Role::from_code(input.role) {
        Some(Role::Admin) => Some(UserRole::Admin),
        Some(Role::Reviewer) => match ResponsibleUnit::from_code(input.responsible_unit) {
            Some(unit) => Some(UserRole::Reviewer(unit)),
            None => {
                errors.add("responsible_unit", "审核员须选择所属责任单位");
                None
            }
        },
        Some(Role::DistrictOfficer) => match District::from_code(input.district) {
            Some(district) => Some(UserRole::DistrictOfficer(district)),
            None => {
                errors.add("district", "区级管理员须选择所辖区");
                None
            }
        },
        Some(Role::InstitutionUser) => match input.institution_id {
            Some(id) if institutions::get(app.store.pool(), id).await?.is_some() => {
                Some(UserRole::InstitutionUser(id))
            }
            _ => {
                errors.add("institution_id", "机构用户须选择一个已登记的机构");
                None
            }
        },
        None => {
            errors.add("role", "请选择角色");
            None
        }
    };
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let password_hash = auth::hash_password(password.as_str()).await?;
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let new_user = users::NewUser {
        username: username.as_str(),
        display_name,
        password_hash: &password_hash,
        role,
        is_demo,
    };
    let id = users::insert(&mut tx, &new_user, now)
        .await
        .map_err(|error| match error {
            StoreError::Duplicate { .. } => AppError::duplicate("username", "该用户名已被使用"),
            other => other.into(),
        })?;
    let user = users::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("用户"))?;
    audit::append(
        &mut tx,
        now,
        audit::Change {
            actor: actor.audit_name(),
            action: "user.create",
            entity: "user",
            entity_id: id.to_string(),
            before: None,
            after: Some(audit_snapshot(&user)),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(user)
}

/// Creates an admin from the command line (no signed-in actor exists yet).
pub async fn create_admin_from_cli(app: &App, username: &str, password: &str) -> AppResult<User> {
    let input = NewUserInput {
        username,
        display_name: username,
        password,
        role: Role::Admin.code(),
        ..Default::default()
    };
    create_unchecked(app, &Actor::System("cli"), &input, false).await
}

pub async fn list(app: &App, actor: &Actor, page: i64, per_page: i64) -> AppResult<Paged<User>> {
    actor.require_admin()?;
    Ok(users::list(app.store.pool(), page.max(1), per_page.clamp(1, 200)).await?)
}

/// Lifts a lock after too many failed logins.
pub async fn unlock(app: &App, actor: &Actor, id: i64) -> AppResult<User> {
    actor.require_admin()?;
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let before = users::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("用户"))?;
    users::set_login_failures(&mut tx, id, 0, None, now).await?;
    let after = users::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("用户"))?;
    audit::append(
        &mut tx,
        now,
        audit::Change {
            actor: actor.audit_name(),
            action: "user.unlock",
            entity: "user",
            entity_id: id.to_string(),
            before: Some(audit_snapshot(&before)),
            after: Some(audit_snapshot(&after)),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(after)
}
