//! The one table from error to HTTP status, stable error code and Chinese title, and the two
//! renderings: a Chinese HTML page and `application/problem+json`.
//! Internal errors are logged with their detail and shown without it.

use std::any::Any;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use zijin_app::AppError;
use zijin_domain::FieldErrors;

use crate::templates;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Validation,
    Duplicate,
    Unauthenticated,
    Forbidden,
    NotFound,
    LoginFailed,
    LoginThrottled,
    AccountDisabled,
    TooManyRequests,
    CsrfFailed,
    InvalidJson,
    UnsupportedMediaType,
    InvalidForm,
    PayloadTooLarge,
    Busy,
    /// No export builder free in time; answered with `Retry-After`.
    ExportBusy,
    Internal,
    InvalidQuery,
    MethodNotAllowed,
    BadRequest,
    /// A service this process was started without (the search index).
    Unavailable,
    /// The thing's state does not allow the step (an application waiting at another step).
    WrongState,
    /// A call for applications is not open (not yet, or no longer).
    CallClosed,
    /// A call's budget for a measure would be exceeded.
    BudgetExceeded,
}

impl ErrorKind {
    /// Every kind, for the OpenAPI document's list of stable codes.
    pub const ALL: &'static [ErrorKind] = &[
        Self::Validation,
        Self::Duplicate,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::NotFound,
        Self::LoginFailed,
        Self::LoginThrottled,
        Self::AccountDisabled,
        Self::TooManyRequests,
        Self::CsrfFailed,
        Self::InvalidJson,
        Self::UnsupportedMediaType,
        Self::InvalidForm,
        Self::PayloadTooLarge,
        Self::Busy,
        Self::ExportBusy,
        Self::Internal,
        Self::InvalidQuery,
        Self::MethodNotAllowed,
        Self::BadRequest,
        Self::Unavailable,
        Self::WrongState,
        Self::CallClosed,
        Self::BudgetExceeded,
    ];

    /// Status, stable code (for scripts) and Chinese title (for people).
    pub fn spec(self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Validation => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "输入有误",
            ),
            Self::Duplicate => (StatusCode::CONFLICT, "duplicate", "重复登记"),
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "没有权限"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found", "页面或记录不存在"),
            Self::LoginFailed => (StatusCode::UNAUTHORIZED, "login_failed", "用户名或密码错误"),
            Self::LoginThrottled => (
                StatusCode::TOO_MANY_REQUESTS,
                "login_throttled",
                "登录尝试过于频繁",
            ),
            Self::AccountDisabled => (StatusCode::FORBIDDEN, "account_disabled", "账号已停用"),
            Self::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "请求过多",
            ),
            Self::CsrfFailed => (StatusCode::FORBIDDEN, "csrf_failed", "请求来源校验失败"),
            Self::InvalidJson => (
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "请求体不是有效的 JSON",
            ),
            Self::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "请求体格式不受支持",
            ),
            Self::InvalidForm => (StatusCode::BAD_REQUEST, "invalid_form", "表单内容无效"),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "提交的内容过大",
            ),
            Self::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "系统繁忙，请稍后重试",
            ),
            Self::ExportBusy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "export_busy",
                "导出文件正在生成，请稍后再试",
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "系统内部错误",
            ),
            Self::InvalidQuery => (StatusCode::BAD_REQUEST, "invalid_query", "查询条件无效"),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "不支持的请求方式",
            ),
            Self::BadRequest => (StatusCode::BAD_REQUEST, "bad_request", "请求无效"),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "服务暂不可用",
            ),
            Self::WrongState => (StatusCode::CONFLICT, "wrong_state", "当前状态不允许此操作"),
            Self::CallClosed => (StatusCode::CONFLICT, "call_closed", "不在申报时间内"),
            Self::BudgetExceeded => (StatusCode::CONFLICT, "budget_exceeded", "预算不足"),
        }
    }
}

/// An error with everything needed to show it.
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: ErrorKind,
    pub detail: String,
    pub fields: FieldErrors,
    /// Seconds to send as `Retry-After` (throttled and busy answers).
    pub retry_after: Option<u64>,
}

impl Failure {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            fields: FieldErrors::new(),
            retry_after: None,
        }
    }

    pub fn csrf() -> Self {
        Self::new(
            ErrorKind::CsrfFailed,
            "表单已过期或来源无法确认（CSRF 校验失败），请刷新页面后重新提交。",
        )
    }
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        let (kind, fields) = match &error {
            AppError::Validation(fields) => (ErrorKind::Validation, fields.clone()),
            AppError::Duplicate(fields) => (ErrorKind::Duplicate, fields.clone()),
            AppError::Unauthenticated => (ErrorKind::Unauthenticated, FieldErrors::new()),
            AppError::Forbidden => (ErrorKind::Forbidden, FieldErrors::new()),
            AppError::NotFound(_) => (ErrorKind::NotFound, FieldErrors::new()),
            AppError::LoginFailed => (ErrorKind::LoginFailed, FieldErrors::new()),
            AppError::LoginThrottled { .. } => (ErrorKind::LoginThrottled, FieldErrors::new()),
            AppError::AccountDisabled => (ErrorKind::AccountDisabled, FieldErrors::new()),
            AppError::TooManyRequests => (ErrorKind::TooManyRequests, FieldErrors::new()),
            AppError::Busy => {
                let mut failure = Self::new(
                    ErrorKind::Busy,
                    "数据库正忙（可能正在批量导入数据），本次操作未执行，请稍后重试。",
                );
                failure.retry_after = Some(BUSY_RETRY_AFTER_SECONDS);
                return failure;
            }
            AppError::ExportBusy => (ErrorKind::ExportBusy, FieldErrors::new()),
            AppError::WrongState(_) => (ErrorKind::WrongState, FieldErrors::new()),
            AppError::CallClosed(_) => (ErrorKind::CallClosed, FieldErrors::new()),
            AppError::BudgetExceeded(_) => (ErrorKind::BudgetExceeded, FieldErrors::new()),
            AppError::Store(_) | AppError::Internal(_) => {
                tracing::error!(error = %error, "request failed");
                return Self::new(
                    ErrorKind::Internal,
                    "系统暂时无法处理该请求，请稍后再试。如持续出现，请联系平台管理员。",
                );
            }
        };
        let detail = match &error {
            AppError::Validation(fields) | AppError::Duplicate(fields) => fields
                .iter()
                .map(|error| error.message.clone())
                .collect::<Vec<_>>()
                .join("；"),
            AppError::ExportBusy => {
                format!("下载文件正在生成或系统繁忙，请约 {EXPORT_RETRY_AFTER_SECONDS} 秒后重试。")
            }
            other => other.to_string(),
        };
        let retry_after = match &error {
            AppError::LoginThrottled {
                retry_after_seconds,
                ..
            } => Some((*retry_after_seconds).max(1) as u64),
            AppError::TooManyRequests => Some(1),
            AppError::ExportBusy => Some(EXPORT_RETRY_AFTER_SECONDS),
            _ => None,
        };
        Self {
            kind,
            detail,
            fields,
            retry_after,
        }
    }
}

/// Adds `Retry-After` to an answer when the failure says when to come back.
fn with_retry_after(mut response: Response, retry_after: Option<u64>) -> Response {
    if let Some(seconds) = retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// An error shown as a Chinese HTML page.
#[derive(Debug)]
pub struct PageError(pub Failure);

impl<E: Into<Failure>> From<E> for PageError {
    fn from(error: E) -> Self {
        PageError(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if self.0.kind == ErrorKind::Unauthenticated {
            return Redirect::to("/login").into_response();
        }
        with_retry_after(error_page(self.0.kind, &self.0.detail), self.0.retry_after)
    }
}

/// What an error page says, left on its response so that [`crate::signed_in_error_pages`] can
/// render it again with the visitor's own header (a signed-in user keeps their menu).
#[derive(Debug, Clone)]
pub struct ErrorPageContent {
    pub title: &'static str,
    pub message: String,
}

pub fn error_page(kind: ErrorKind, detail: &str) -> Response {
    let (status, _, title) = kind.spec();
    let html = templates::render_error(status.as_u16(), title, detail);
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    response.extensions_mut().insert(ErrorPageContent {
        title,
        message: detail.to_string(),
    });
    // A busy answer says when to try again (RFC 9110 Retry-After) wherever it comes from.
    let retry = match kind {
        ErrorKind::Busy => Some(BUSY_RETRY_AFTER_SECONDS),
        ErrorKind::ExportBusy => Some(EXPORT_RETRY_AFTER_SECONDS),
        _ => None,
    };
    with_retry_after(response, retry)
}

/// Seconds a client is told to wait when no export builder is free.
pub const EXPORT_RETRY_AFTER_SECONDS: u64 = 10;

/// Seconds a client should wait before trying a busy request again.
const BUSY_RETRY_AFTER_SECONDS: u64 = 5;

/// An error in the API, as RFC 9457 `application/problem+json`.
#[derive(Debug)]
pub struct ApiError(pub Failure);

impl<E: Into<Failure>> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(error.into())
    }
}

/// The problem document of every API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short Chinese title of the kind of problem.
    pub title: String,
    pub status: u16,
    /// What went wrong, in Chinese.
    pub detail: String,
    /// Stable error code for scripts, e.g. `validation_failed`.
    pub code: String,
    /// Rejected fields, when the input was at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let kind = self.0.kind;
        let (status, code, title) = kind.spec();
        let problem = Problem {
            type_: format!("/api/v1/problems/{code}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: self.0.detail,
            code: code.to_string(),
            errors: self
                .0
                .fields
                .iter()
                .map(|error| ProblemField {
                    field: error.field.to_string(),
                    message: error.message.clone(),
                })
                .collect(),
        };
        let mut response = (status, axum::Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        with_retry_after(response, self.0.retry_after)
    }
}

/// A panic in a handler becomes a plain Chinese 500 page; the panic is logged, not shown.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = message, "handler panicked");
    error_page(
        ErrorKind::Internal,
        "系统暂时无法处理该请求，请稍后再试。如持续出现，请联系平台管理员。",
    )
}
