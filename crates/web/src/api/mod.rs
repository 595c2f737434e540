//! The JSON API under `/api/v1`, documented by an OpenAPI 3 document generated from these
//! handlers (`/api/v1/openapi.json`). Errors are `application/problem+json`.
//!
//! Authentication is the same session cookie as the pages (get one from `POST /auth/login`);
//! every request that changes something must also send the session's CSRF token in the
//! `X-CSRF-Token` header.

mod api_keys;
mod application_review;
mod applications;
mod auth;
mod carrier_work;
mod carriers;
mod catalogue;
mod codes;
mod contract_stats;
mod contracts;
mod etag;
mod institutions;
mod lists;
mod matches;
mod notices;
mod openapi_doc;
mod openapi_rules;
mod paging;
mod reference;
mod search;
mod tech_managers;
mod users;
mod white_list;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use zijin_app::{Actor, auth as app_auth};

use crate::AppState;
use crate::error::{ApiError, ErrorKind, Failure};
use crate::routes::{Routes, get};
use crate::session::{CSRF_HEADER, SESSION_COOKIE, tokens_match};

pub(crate) fn router() -> Routes {
    Routes::new()
        .merge(auth::router())
        .merge(institutions::router())
        .merge(users::router())
        .merge(reference::router())
        .merge(lists::router())
        .merge(matches::router())
        .merge(search::router())
        .merge(applications::router())
        .merge(notices::router())
        .merge(application_review::router())
        .merge(contracts::router())
        .merge(tech_managers::router())
        .merge(carriers::router())
        .merge(api_keys::router())
        .merge(carrier_work::router())
        .merge(catalogue::router())
        .merge(white_list::router())
        .route("/openapi.json", get(openapi_json))
        .fallback(|| async { ApiError(Failure::new(ErrorKind::NotFound, "没有这个接口")) })
}

#[derive(OpenApi)]
#[openapi(
    info(title = "紫金科技成果转化服务平台 API", version = "1", description = "Zijin technology-transfer platform. Errors are application/problem+json with a stable `code`."),
    paths(
        auth::login, auth::logout, auth::me, auth::change_password, auth::email, auth::set_email,
        institutions::list, institutions::get_one, institutions::create, institutions::update, institutions::update_profile,
        users::list, users::create, users::reset_password, users::disable, users::enable, users::unlock, users::tech_manager, users::expert,
        reference::reference, reference::audit_log,
        lists::issues, lists::entries, lists::create_achievement, lists::create_demand, lists::record, lists::transition,
        matches::mine, matches::assigned, matches::all, matches::one, matches::post_message, matches::transition, matches::assign,
        search::search,
        applications::list_calls, applications::one_call, applications::create_call,
        applications::create_application, applications::update_application, applications::one_application, applications::list_applications,
        applications::submit_application, applications::decide_application, applications::ledger,
        notices::publish_notice, notices::one_notice, notices::object, notices::rule_objection,
        notices::make_batch, notices::one_batch, notices::mark_paid,
        application_review::upload_file, application_review::download_file, application_review::delete_file,
        application_review::expert_candidates, application_review::assign_experts, application_review::score,
        application_review::declare_conflict, application_review::confirm, application_review::exempt_pass,
        application_review::inbox, application_review::mark_read, application_review::my_todo,
        contracts::list, contracts::create, contracts::one, contracts::decide, contracts::change,
        contracts::cancel, contracts::receipt, contracts::import_file, contract_stats::statistics,
        contract_stats::ranking_of, contract_stats::freeze,
        tech_managers::directory, tech_managers::own, tech_managers::save, carriers::directory,
        carriers::recognise, carriers::withdraw,
        carrier_work::list_applications, carrier_work::apply, carrier_work::decide,
        carrier_work::report, carrier_work::save_report, carrier_work::score,
        carrier_work::year_results, carrier_work::evaluate, carrier_work::confirm,
        catalogue::list_catalogues, catalogue::one_catalogue, catalogue::publish,
        catalogue::list_products, catalogue::apply, catalogue::decide,
        white_list::latest, white_list::candidates, white_list::confirm, white_list::add_incubatee,
        api_keys::list, api_keys::issue, api_keys::revoke,
    ),
    components(schemas(crate::error::Problem, crate::error::ProblemField)),
    tags((name = "auth", description = "登录与会话"), (name = "institutions", description = "机构"), (name = "users", description = "用户"), (name = "reference", description = "代码表与审计"), (name = "lists", description = "两项清单：科技成果与技术需求"), (name = "matches", description = "对接：推荐、洽谈、联系方式与技术经理人"), (name = "search", description = "检索：按文字与语义"), (name = "applications", description = "申报：申报通知、申报、审核与资助台账"), (name = "contracts", description = "技术合同登记、统计与高校院所排行榜"), (name = "carriers", description = "载体：认定、名录、绩效报告与年度评价"), (name = "catalogue", description = "创新产品应用推荐目录"), (name = "white-list", description = "企业融资白名单"), (name = "api-keys", description = "其他系统的 API 密钥"))
)]
pub struct ApiDoc;

/// The OpenAPI 3 document of this API.
pub fn openapi_document() -> String {
    let generated = ApiDoc::openapi();
    let mut document = match serde_json::to_value(&generated) {
        Ok(value) => value,
        // The document is built from static declarations; this cannot fail in a tested build.
        Err(error) => panic!("the OpenAPI document does not serialise: {error}"),
    };
    openapi_doc::complete(&mut document);
    openapi_rules::write_rules(&mut document);
    match serde_json::to_string_pretty(&document) {
        Ok(text) => text,
        Err(error) => panic!("the OpenAPI document does not serialise: {error}"),
    }
}

async fn openapi_json() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi_document(),
    )
        .into_response()
}

/// The caller of an API request. For methods that change something, the CSRF header must match
/// the session's token.
pub struct Caller {
    pub actor: Actor,
    pub session_token: Option<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // A system with an API key: `Authorization: Bearer zjk_…`, no session, no CSRF token.
        if let Some(token) = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            use zijin_app::api_keys::{self, KeyRefusal};
            let refusal = match api_keys::authenticate(
                &state.app,
                token,
                parts.method.as_str(),
                parts.uri.path(),
            )
            .await?
            {
                Ok(user) => {
                    return Ok(Caller {
                        actor: Actor::User(user),
                        session_token: None,
                    });
                }
                Err(KeyRefusal::Invalid(message)) => {
                    Failure::new(ErrorKind::Unauthenticated, message)
                }
                Err(KeyRefusal::OutOfScope(message)) => Failure::new(ErrorKind::Forbidden, message),
                Err(KeyRefusal::TooMany(limit)) => Failure::new(
                    ErrorKind::TooManyRequests,
                    format!("该 API 密钥每分钟最多 {limit} 次请求，请稍后再试"),
                ),
            };
            return Err(ApiError(refusal));
        }
        let jar = axum_extra::extract::CookieJar::from_headers(&parts.headers);
        let mut caller = Caller {
            actor: Actor::Anonymous,
            session_token: None,
        };
        let mut csrf = None;
        if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string())
            && let Some(session) = app_auth::session(&state.app, &token).await?
        {
            caller = Caller {
                actor: Actor::User(session.user),
                session_token: Some(token),
            };
            csrf = Some(session.csrf_token);
        }
        let changes_something =
            !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if changes_something && let Some(expected) = csrf {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !tokens_match(&expected, sent) {
                return Err(ApiError(Failure::new(
                    ErrorKind::CsrfFailed,
                    "缺少或错误的 X-CSRF-Token 请求头（登录接口返回的 csrf_token）",
                )));
            }
        }
        Ok(caller)
    }
}

/// A JSON body whose rejection is a problem document, not axum's plain text.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let mut value = match axum::Json::<serde_json::Value>::from_request(request, state).await {
            Ok(axum::Json(value)) => value,
            Err(rejection) => return Err(ApiError(json_failure(&rejection))),
        };
        integral_numbers(&mut value);
        serde_path_to_error::deserialize::<_, T>(value)
            .map(ApiJson)
            .map_err(|error| {
                // serde's own words are English; only the field it names is passed on.
                let path = error.path().to_string();
                let text = if path == "." {
                    format!("body: {}", error.inner())
                } else {
                    format!("body: {path}: {}", error.inner())
                };
                ApiError(crate::extract::json_data_failure(&text))
            })
    }
}

/// JSON has one kind of number: `3.0` is the integer 3 to a JSON Schema validator and to most
/// clients' serialisers (JavaScript's among them). serde would refuse it for an integer field, so
/// whole numbers written with a fraction are turned into integers before the body is read.
fn integral_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f >= i64::MIN as f64
                && f < i64::MAX as f64
            {
                *n = serde_json::Number::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

fn json_failure(rejection: &JsonRejection) -> Failure {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Failure::new(
            ErrorKind::UnsupportedMediaType,
            "请求体须为 JSON，并带有 Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(_) => Failure::new(
            ErrorKind::InvalidJson,
            "请求体不是有效的 JSON，请检查括号、引号和逗号",
        ),
        JsonRejection::JsonDataError(error) => {
            crate::extract::json_data_failure(&error.body_text())
        }
        JsonRejection::BytesRejection(bytes) => crate::extract::body_failure(bytes.status()),
        _ => Failure::new(ErrorKind::InvalidJson, "请求体不是有效的 JSON"),
    }
}

/// A multipart body that is not multipart at all (415).
pub fn not_multipart(parts: &str) -> ApiError {
    ApiError(Failure::new(
        ErrorKind::UnsupportedMediaType,
        format!("请以 multipart/form-data 上传（字段 {parts}）"),
    ))
}

/// A multipart body that cannot be read: too large (413) or not well formed (400).
pub fn multipart_problem(status: axum::http::StatusCode) -> ApiError {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError(Failure::new(
            ErrorKind::PayloadTooLarge,
            "文件不能超过 10 MB",
        ))
    } else {
        ApiError(Failure::new(
            ErrorKind::BadRequest,
            "上传的内容不是有效的 multipart/form-data",
        ))
    }
}

/// The id in a path, or a 404 problem.
pub fn path_id(raw: &str, what: &'static str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::from(zijin_app::AppError::NotFound(what)))
}
