//! Accounts: the first admin from the command line, the others by admins in the UI.

use serde_json::{Value as Json, json};
use zijin_domain::{
    Coded, Designation, District, FieldErrors, Password, ResponsibleUnit, Role, User, UserRole,
    Username,
};
use zijin_store::{StoreError, audit, institutions, login_throttle, sessions, users};

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
        UserRole::InstitutionUser(id) | UserRole::ContractRegistrar(id) => (None, None, Some(id)),
    };
    json!({
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.role().code(),
        "responsible_unit": unit,
        "district": district,
        "institution_id": institution,
        "disabled": user.disabled,
        "is_tech_manager": user.is_tech_manager,
        "is_expert": user.is_expert,
        "is_demo": user.is_demo,
    })
}

pub async fn create(app: &App, actor: &Actor, input: &NewUserInput<'_>) -> AppResult<User> {
    crate::access::require(actor, crate::access::Area::Users)?;
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
    let password = Password::parse_new(input.password, username.as_str(), &mut errors);
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
        Some(Role::ContractRegistrar) => match input.institution_id {
            Some(id)
                if institutions::get(app.store.pool(), id)
                    .await?
                    .is_some_and(|i| {
                        i.details.kind == zijin_domain::InstitutionType::ContractRegistry
                    }) =>
            {
                Some(UserRole::ContractRegistrar(id))
            }
            _ => {
                errors.add("institution_id", "合同登记员须选择一个合同登记机构");
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
    crate::access::require(actor, crate::access::Area::Users)?;
    Ok(users::list(app.store.pool(), page.max(1), per_page.clamp(1, 200)).await?)
}

/// One account (admins).
pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<User> {
    actor.require_admin()?;
    users::get(app.store.pool(), id)
        .await?
        .ok_or(AppError::NotFound("用户"))
}

/// Lifts every login delay of an account (all addresses).
pub async fn unlock(app: &App, actor: &Actor, id: i64) -> AppResult<User> {
    actor.require_admin()?;
    write_account(app, actor, id, "user.unlock", AccountChange::Unlocked).await
}

/// Switches an account off (`disabled`) or on again; switching off ends its sessions.
pub async fn set_disabled(app: &App, actor: &Actor, id: i64, disabled: bool) -> AppResult<User> {
    actor.require_admin()?;
    if actor.user().is_some_and(|me| me.id == id) && disabled {
        return Err(AppError::WrongState("不能停用自己的账号".into()));
    }
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    write_account(app, actor, id, action, AccountChange::Disabled(disabled)).await
}

/// Flags an account as technology manager (技术经理人), who may then be assigned to matches,
/// or takes the flag away (the matches assigned to them are no longer theirs to act on).
pub async fn set_tech_manager(
    app: &App,
    actor: &Actor,
    id: i64,
    is_tech_manager: bool,
) -> AppResult<User> {
    set_designation(app, actor, id, Designation::TechManager, is_tech_manager).await
}

/// Registers an account as technology manager (技术经理人) or expert (评审专家), or takes the
/// designation away. An expert keeps the applications already scored; those not yet scored are
/// no longer theirs to score.
pub async fn set_designation(
    app: &App,
    actor: &Actor,
    id: i64,
    designation: Designation,
    on: bool,
) -> AppResult<User> {
    crate::access::require(actor, crate::access::Area::Users)?;
    let action = match (designation, on) {
        (Designation::TechManager, true) => "user.tech-manager-on",
        (Designation::TechManager, false) => "user.tech-manager-off",
        (Designation::Expert, true) => "user.expert-on",
        (Designation::Expert, false) => "user.expert-off",
    };
    write_account(
        app,
        actor,
        id,
        action,
        AccountChange::Designated(designation, on),
    )
    .await
}

/// A signed-in user changes their own password: the current one is checked (under the login
/// throttle), the new one must pass the policy, and every other session of the user ends.
pub async fn change_own_password(
    app: &App,
    actor: &Actor,
    current_password: &str,
    new_password: &str,
    session_token: Option<&str>,
    from: &auth::ClientAddress,
) -> AppResult<()> {
    let user = actor.user().ok_or(AppError::Unauthenticated)?.clone();
    let mut errors = FieldErrors::new();
    let password = Password::parse_new(new_password, &user.username, &mut errors);
    if current_password == new_password {
        errors.add("password", "新密码不能与当前密码相同");
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    auth::confirm_password(app, &user, current_password, from).await?;
    let keep = session_token.map(auth::token_hash);
    store_password(app, actor, user.id, password, keep, "user.password-change").await
}

/// The signed-in user's e-mail address for reminders, if any.
pub async fn own_email(app: &App, actor: &Actor) -> AppResult<Option<String>> {
    let user = actor.user().ok_or(AppError::Unauthenticated)?;
    Ok(users::email(app.store.pool(), user.id).await?)
}

/// A signed-in user sets the address the platform mails its messages to (when the server
/// sends mail), or removes it with an empty one. Audited with the old and new address.
pub async fn set_own_email(app: &App, actor: &Actor, email: &str) -> AppResult<Option<String>> {
    let user = actor.user().ok_or(AppError::Unauthenticated)?.clone();
    let email = email.trim();
    if let Some(problem) = zijin_domain::email_problem(email).filter(|_| !email.is_empty()) {
        let mut errors = FieldErrors::new();
        errors.add("email", problem);
        return Err(AppError::Validation(errors));
    }
    let email = (!email.is_empty()).then(|| email.to_string());
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let before = users::email(&mut *tx, user.id).await?;
    if before == email {
        return Ok(email);
    }
    users::set_email(&mut tx, user.id, email.as_deref(), now).await?;
    audit::append(
        &mut tx,
        now,
        audit::Change {
            actor: actor.audit_name(),
            action: "user.email-change",
            entity: "user",
            entity_id: user.id.to_string(),
            before: Some(serde_json::json!({ "email": before })),
            after: Some(serde_json::json!({ "email": email })),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(email)
}

/// An admin sets a new password for an account (it has forgotten its own); every session of
/// that account ends.
pub async fn reset_password(
    app: &App,
    actor: &Actor,
    id: i64,
    new_password: &str,
) -> AppResult<()> {
    actor.require_admin()?;
    let user = users::get(app.store.pool(), id)
        .await?
        .ok_or(AppError::NotFound("用户"))?;
    let mut errors = FieldErrors::new();
    let password = Password::parse_new(new_password, &user.username, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    store_password(app, actor, id, password, None, "user.password-reset").await
}

/// The account with this user name (the command line names accounts, not ids).
pub async fn by_username(app: &App, actor: &Actor, username: &str) -> AppResult<User> {
    actor.require_admin()?;
    users::get_by_username(app.store.pool(), username.trim())
        .await?
        .ok_or(AppError::NotFound("用户"))
}

async fn store_password(
    app: &App,
    actor: &Actor,
    id: i64,
    password: Password,
    keep_session: Option<String>,
    action: &'static str,
) -> AppResult<()> {
    let hash = auth::hash_password(password.as_str()).await?;
    let change = AccountChange::Password { hash, keep_session };
    write_account(app, actor, id, action, change)
        .await
        .map(|_| ())
}

/// What [`write_account`] changes.
enum AccountChange {
    /// Every login delay lifted.
    Unlocked,
    /// Switched off (its sessions end) or on.
    Disabled(bool),
    /// Registered as technology manager or expert, or not.
    Designated(Designation, bool),
    /// A new password hash; every session but `keep_session` ends and login delays are lifted.
    Password {
        hash: String,
        keep_session: Option<String>,
    },
}

/// One audited change of an account: reads it in the transaction, applies `change`, audits the
/// before and after (never the hash), commits.
async fn write_account(
    app: &App,
    actor: &Actor,
    id: i64,
    action: &'static str,
    change: AccountChange,
) -> AppResult<User> {
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let before = users::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("用户"))?;
    match change {
        AccountChange::Unlocked => {
            login_throttle::clear_account(&mut tx, &before.username).await?;
        }
        AccountChange::Disabled(disabled) => {
            users::set_disabled(&mut tx, id, disabled, now).await?;
            if disabled {
                sessions::delete_for_user(&mut *tx, id, None).await?;
            }
        }
        AccountChange::Designated(designation, flag) => {
            users::set_designation(&mut tx, id, designation, flag, now).await?;
        }
        AccountChange::Password { hash, keep_session } => {
            users::set_password_hash(&mut tx, id, &hash, now).await?;
            sessions::delete_for_user(&mut *tx, id, keep_session.as_deref()).await?;
            login_throttle::clear_account(&mut tx, &before.username).await?;
        }
    }
    let after = users::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("用户"))?;
    audit::append(
        &mut tx,
        now,
        audit::Change {
            actor: actor.audit_name(),
            action,
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

/// What a user's role is bound to, for showing the account: the unit, district or institution
/// in Chinese (`scope`) and as codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleBinding {
    pub scope: String,
    pub responsible_unit: Option<&'static str>,
    pub district: Option<&'static str>,
    pub institution_id: Option<i64>,
}

pub async fn role_binding(app: &App, user: &User) -> RoleBinding {
    let binding = |scope: String| RoleBinding {
        scope,
        responsible_unit: None,
        district: None,
        institution_id: None,
    };
    match user.role {
        UserRole::Admin => binding("市科技局".into()),
        UserRole::Reviewer(unit) => RoleBinding {
            responsible_unit: Some(unit.code()),
            ..binding(unit.label().into())
        },
        UserRole::DistrictOfficer(district) => RoleBinding {
            district: Some(district.code()),
            ..binding(district.label().into())
        },
        UserRole::InstitutionUser(id) | UserRole::ContractRegistrar(id) => {
            // A name that cannot be read is shown as missing rather than failing the page.
            let name = match institutions::get(app.store.pool(), id).await {
                Ok(Some(institution)) => institution.details.name,
                _ => "（机构已不存在）".into(),
            };
            RoleBinding {
                institution_id: Some(id),
                ..binding(name)
            }
        }
    }
}
