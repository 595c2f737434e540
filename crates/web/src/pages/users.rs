use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};
use zijin_app::AppError;
use zijin_app::users::{self, NewUserInput};
use zijin_domain::{CreditCode, District, FieldErrors, ResponsibleUnit, Role};

use super::{error_context, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path, Query};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::{UserView, options, page_context, page_number, ser};

pub fn router() -> Routes {
    Routes::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/new", get(new_form))
        .route("/admin/users/{id}", get(detail))
        .route("/admin/users/{id}/unlock", post(unlock))
        .route("/admin/users/{id}/password", post(reset_password))
        .route("/admin/users/{id}/disable", post(disable))
        .route("/admin/users/{id}/enable", post(enable))
        .route("/admin/users/{id}/tech-manager", post(tech_manager))
        .route("/admin/users/{id}/expert", post(expert))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    page: Option<String>,
    saved: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let paged = users::list(
        &state.app,
        &visitor.actor,
        page_number(query.page.as_deref()),
        50,
    )
    .await?;
    let throttled = zijin_app::auth::throttled_accounts(&state.app).await?;
    let mut items = Vec::new();
    for user in &paged.items {
        items.push(
            UserView::new(&state.app, user)
                .await
                .with_throttle(&throttled),
        );
    }
    let base = page_context(&state.app, &visitor, "用户管理").await;
    Ok(html(
        StatusCode::OK,
        "users.html",
        context! {
            paged => context! { items => ser(&items), page => paged.page, page_count => paged.page_count(), total => paged.total },
            saved => query.saved.is_some(),
            ..base
        },
    ))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct UserForm {
    #[serde(rename = "_csrf", skip_serializing)]
    csrf: String,
    username: String,
    display_name: String,
    #[serde(skip_serializing)]
    password: String,
    role: String,
    responsible_unit: String,
    district: String,
    institution_credit_code: String,
}

async fn render_form(
    state: &AppState,
    visitor: &Visitor,
    form: &UserForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let (errors_map, error_list) = error_context(errors);
    let base = page_context(&state.app, visitor, "新增用户").await;
    html(
        status,
        "user_form.html",
        context! {
            form => ser(form), errors => ser(&errors_map), error_list,
            roles => ser(options::<Role>()), units => ser(options::<ResponsibleUnit>()),
            districts => ser(options::<District>()),
            ..base
        },
    )
}

async fn new_form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    zijin_app::access::require(&visitor.actor, zijin_app::access::Area::Users)?;
    Ok(render_form(
        &state,
        &visitor,
        &UserForm::default(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await)
}

async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<UserForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    zijin_app::access::require(&visitor.actor, zijin_app::access::Area::Users)?;
    // Institution users are bound by credit code: admins know it, not the internal id.
    let institution_id = match CreditCode::parse(&form.institution_credit_code) {
        Ok(code) => zijin_app::institutions::find_by_credit_code(&state.app, &code)
            .await?
            .map(|institution| institution.id),
        Err(_) => None,
    };
    let input = NewUserInput {
        username: &form.username,
        display_name: &form.display_name,
        password: &form.password,
        role: &form.role,
        responsible_unit: &form.responsible_unit,
        district: &form.district,
        institution_id,
    };
    match users::create(&state.app, &visitor.actor, &input).await {
        Ok(_) => Ok(Redirect::to("/admin/users?saved=1").into_response()),
        Err(AppError::Validation(errors)) | Err(AppError::Duplicate(errors)) => Ok(render_form(
            &state,
            &visitor,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await),
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

fn user_id(raw: &str) -> Result<i64, PageError> {
    raw.parse()
        .map_err(|_| PageError::from(AppError::NotFound("用户")))
}

async fn render_detail(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
    status: StatusCode,
    notice: Option<&str>,
    errors: &FieldErrors,
) -> Result<Response, PageError> {
    let user = users::get(&state.app, &visitor.actor, id).await?;
    let throttled = zijin_app::auth::throttled_accounts(&state.app).await?;
    let view = UserView::new(&state.app, &user)
        .await
        .with_throttle(&throttled);
    let is_self = visitor.actor.user().is_some_and(|me| me.id == id);
    let (errors, error_list) = error_context(errors);
    let base = page_context(&state.app, visitor, "账号详情").await;
    Ok(html(
        status,
        "user_detail.html",
        context! { account => ser(&view), is_self, notice, errors => ser(&errors), error_list, ..base },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DetailQuery {
    done: Option<String>,
}

/// What a finished action says on the account page: a fixed set, never text from the address.
fn notice_for(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "password" => {
            Some("已重置密码，该账号的所有登录已退出。请将新密码当面或通过安全渠道告知本人。")
        }
        "disabled" => Some("已停用该账号，其所有登录已退出。"),
        "enabled" => Some("已重新启用该账号。"),
        "unlocked" => Some("已解除该账号的登录限制。"),
        "tech-manager-on" => Some("已将该账号登记为技术经理人，可在对接详情中指派。"),
        "expert-on" => Some("已将该账号登记为评审专家，可在申报的专家评审环节指派。"),
        "expert-off" => Some("已取消该账号的评审专家登记。"),
        "tech-manager-off" => Some("已取消该账号的技术经理人登记，指派给其的对接不再由其推进。"),
        _ => None,
    }
}

/// 账号详情 (admins): reset the password, disable or enable, lift login delays.
async fn detail(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, PageError> {
    let id = user_id(&id)?;
    let notice = notice_for(query.done.as_deref());
    render_detail(
        &state,
        &visitor,
        id,
        StatusCode::OK,
        notice,
        &FieldErrors::new(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResetForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id = user_id(&id)?;
    match users::reset_password(&state.app, &visitor.actor, id, &form.password).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{id}?done=password")).into_response()),
        Err(AppError::Validation(errors)) => {
            render_detail(
                &state,
                &visitor,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &errors,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfirmForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// The checkbox "我确认" of an action that ends sessions.
    confirm: String,
}

async fn disable(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id = user_id(&id)?;
    if form.confirm != "yes" {
        let mut errors = FieldErrors::new();
        errors.add("confirm", "停用前请勾选“我确认停用该账号”");
        return render_detail(
            &state,
            &visitor,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            &errors,
        )
        .await;
    }
    match users::set_disabled(&state.app, &visitor.actor, id, true).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}?done=disabled")).into_response()),
        Err(AppError::Validation(errors)) => {
            render_detail(
                &state,
                &visitor,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &errors,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

async fn enable(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id = user_id(&id)?;
    users::set_disabled(&state.app, &visitor.actor, id, false).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?done=enabled")).into_response())
}

async fn unlock(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id = user_id(&id)?;
    users::unlock(&state.app, &visitor.actor, id).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?done=unlocked")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TechManagerForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// The checkbox 技术经理人: `yes` when ticked.
    is_tech_manager: String,
}

async fn tech_manager(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<TechManagerForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id = user_id(&id)?;
    let flag = form.is_tech_manager == "yes";
    users::set_tech_manager(&state.app, &visitor.actor, id, flag).await?;
    let done = if flag {
        "tech-manager-on"
    } else {
        "tech-manager-off"
    };
    Ok(Redirect::to(&format!("/admin/users/{id}?done={done}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExpertForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// The checkbox 评审专家: `yes` when ticked.
    is_expert: String,
}

async fn expert(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<ExpertForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id = user_id(&id)?;
    let flag = form.is_expert == "yes";
    users::set_designation(
        &state.app,
        &visitor.actor,
        id,
        zijin_domain::Designation::Expert,
        flag,
    )
    .await?;
    let done = if flag { "expert-on" } else { "expert-off" };
    Ok(Redirect::to(&format!("/admin/users/{id}?done={done}")).into_response())
}
