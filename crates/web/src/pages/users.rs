use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::{Deserialize, Serialize};
use zijin_app::AppError;
use zijin_app::users::{self, NewUserInput};
use zijin_domain::{CreditCode, District, FieldErrors, ResponsibleUnit, Role};

use super::{error_context, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path, Query};
use crate::session::Visitor;
use crate::views::{UserView, options, page_context, page_number, ser};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/new", get(new_form))
        .route("/admin/users/{id}/unlock", post(unlock))
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
    let mut items = Vec::new();
    for user in &paged.items {
        items.push(UserView::new(&state.app, user).await);
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
    visitor.actor.require_admin()?;
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
    visitor.actor.require_admin()?;
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

async fn unlock(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id: i64 = id
        .parse()
        .map_err(|_| PageError::from(AppError::NotFound("用户")))?;
    users::unlock(&state.app, &visitor.actor, id).await?;
    Ok(Redirect::to("/admin/users?saved=1").into_response())
}
