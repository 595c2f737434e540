//! Extractors with the shape of axum's (`Query`, `Form`, `Path`) whose rejections speak Chinese:
//! a problem document under `/api/`, the error page elsewhere. Handlers import these instead of
//! axum's, and `chinese_rejections` catches whatever plain-text refusal the framework still
//! produces (a wrong method, a body the router refused), so no English reaches a user.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use zijin_domain::FieldErrors;

use crate::error::{ApiError, ErrorKind, Failure, error_page};

/// A refused request part, shown the way its path calls for.
#[derive(Debug)]
pub struct Rejection {
    failure: Failure,
    api: bool,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        render(self.api, self.failure)
    }
}

/// The platform's rendering of a failure: problem+json for the API, the error page otherwise.
pub fn render(api: bool, failure: Failure) -> Response {
    if api {
        ApiError(failure).into_response()
    } else {
        error_page(failure.kind, &failure.detail)
    }
}

/// Whether the request was addressed to the API (nested routers see a shortened URI, so the
/// original one decides).
fn is_api(parts: &Parts) -> bool {
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map(|original| original.0.path())
        .unwrap_or_else(|| parts.uri.path());
    is_api_path(path)
}

fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The query string, deserialised like `axum::extract::Query`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(Rejection {
                failure: query_failure(&rejection),
                api: is_api(parts),
            }),
        }
    }
}

fn query_failure(rejection: &QueryRejection) -> Failure {
    let field = serde_field(&rejection.body_text());
    let mut failure = Failure::new(
        ErrorKind::InvalidQuery,
        "网址中的查询条件无效（如页码应为数字），请检查链接或从页面上重新选择。",
    );
    if let Some(field) = field {
        failure.fields = single_field(field, "取值无效或格式不符");
    }
    failure
}

/// The parameters of the path, like `axum::extract::Path`. A value that does not parse (a
/// letter where an id goes) names nothing that exists: 404.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(Rejection {
                failure: path_failure(&rejection),
                api: is_api(parts),
            }),
        }
    }
}

fn path_failure(rejection: &PathRejection) -> Failure {
    match rejection {
        PathRejection::FailedToDeserializePathParams(_) => Failure::new(
            ErrorKind::NotFound,
            "您访问的页面或记录不存在，请检查网址是否完整。",
        ),
        other => {
            // The route and the handler disagree: a programming error, logged, not shown.
            tracing::error!(rejection = %other.body_text(), "path parameters missing");
            Failure::new(
                ErrorKind::Internal,
                "系统暂时无法处理该请求，请稍后再试。如持续出现，请联系平台管理员。",
            )
        }
    }
}

/// A urlencoded form body (repeated keys allowed), like `axum_extra::extract::Form`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = Rejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Rejection> {
        let api = {
            let path = request
                .extensions()
                .get::<OriginalUri>()
                .map(|original| original.0.path().to_string())
                .unwrap_or_else(|| request.uri().path().to_string());
            is_api_path(&path)
        };
        match axum_extra::extract::Form::<T>::from_request(request, state).await {
            Ok(axum_extra::extract::Form(value)) => Ok(Form(value)),
            Err(rejection) => Err(Rejection {
                failure: form_failure(&rejection),
                api,
            }),
        }
    }
}

fn form_failure(rejection: &axum_extra::extract::FormRejection) -> Failure {
    use axum::extract::rejection::RawFormRejection;
    use axum_extra::extract::FormRejection;
    match rejection {
        FormRejection::RawFormRejection(RawFormRejection::InvalidFormContentType(_)) => {
            Failure::new(
                ErrorKind::UnsupportedMediaType,
                "表单须以 application/x-www-form-urlencoded 格式提交，请从页面上的表单重新提交。",
            )
        }
        FormRejection::RawFormRejection(RawFormRejection::BytesRejection(bytes)) => {
            body_failure(bytes.status())
        }
        other => {
            let text = other.body_text();
            // A form without its token is a refused origin check, whatever else is missing.
            if text.contains("`_csrf`") {
                return Failure::csrf();
            }
            let mut failure = Failure::new(
                ErrorKind::InvalidForm,
                "表单内容不完整或格式不符，请刷新页面后重新填写提交。",
            );
            if let Some(field) = serde_field(&text) {
                failure.fields = single_field(field, "取值无效或格式不符");
            }
            failure
        }
    }
}

/// A JSON body of the wrong shape: which field, when serde names one.
pub fn json_data_failure(text: &str) -> Failure {
    let mut failure = Failure::new(
        ErrorKind::InvalidJson,
        "JSON 字段缺失或类型不符，请对照接口文档检查请求体",
    );
    if let Some(field) = serde_field(text) {
        failure.fields = single_field(field, "缺失或类型不符");
    }
    failure
}

/// A body that could not be read: too large (413) or cut off.
pub fn body_failure(status: StatusCode) -> Failure {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Failure::new(
            ErrorKind::PayloadTooLarge,
            "提交的内容超过大小限制（表单不超过 2 MB），请精简后重新提交。",
        )
    } else {
        Failure::new(ErrorKind::BadRequest, "请求内容未能完整读取，请重新提交。")
    }
}

/// The field that serde named in a rejection text ("Failed to … : per_page: invalid digit …",
/// or "… missing field `title`"), if it names one. Only names made of ASCII letters, digits,
/// `_`, `.`, `[`, `]` are taken, so a message is never mistaken for a field.
fn serde_field(text: &str) -> Option<String> {
    let detail = text.split_once(": ").map_or(text, |(_, rest)| rest);
    let is_name = |name: &str| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
    };
    if let Some((path, _)) = detail.split_once(": ")
        && is_name(path)
    {
        return Some(path.to_string());
    }
    let (_, after) = detail.split_once("missing field `")?;
    let (name, _) = after.split_once('`')?;
    is_name(name).then(|| name.to_string())
}

fn single_field(field: String, message: &str) -> FieldErrors {
    // Field names of the API are `&'static str`; a name read from a rejection is kept once
    // per distinct name (they are the handlers' own field names), within a fixed bound.
    let mut errors = FieldErrors::new();
    errors.add(static_name(field), message);
    errors
}

fn static_name(field: String) -> &'static str {
    use std::collections::BTreeSet;
    use std::sync::Mutex;
    // A map-typed query could let a caller's key through; the bound keeps the set small
    // whatever callers send.
    const MAX_NAMES: usize = 256;
    const MAX_NAME_BYTES: usize = 40;
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = names.get(field.as_str()) {
        return known;
    }
    if names.len() >= MAX_NAMES || field.len() > MAX_NAME_BYTES {
        return "query";
    }
    let leaked: &'static str = Box::leak(field.into_boxed_str());
    names.insert(leaked);
    leaked
}

/// The last word on refusals: a 4xx or 5xx that leaves the router as plain text or with no
/// body (axum's 405, a length limit hit before any extractor ran, a rejection of an extractor
/// not wrapped here) is replaced by the Chinese rendering for its status. Headers such as
/// `Allow` and `Retry-After` are kept.
pub async fn chinese_rejections(request: Request, next: Next) -> Response {
    let api = is_api_path(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if !(content_type.is_empty() || content_type.starts_with("text/plain")) {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut replaced = render(api, fallback_failure(status));
    *replaced.status_mut() = status;
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replaced.headers_mut().insert(name.clone(), value.clone());
        }
    }
    replaced
}

fn fallback_failure(status: StatusCode) -> Failure {
    match status {
        StatusCode::NOT_FOUND => Failure::new(
            ErrorKind::NotFound,
            "您访问的页面不存在，可能已被移除或地址有误。",
        ),
        StatusCode::METHOD_NOT_ALLOWED => Failure::new(
            ErrorKind::MethodNotAllowed,
            "该地址不支持这种请求方式，请从页面上的链接或按钮进入。",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => body_failure(status),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Failure::new(
            ErrorKind::UnsupportedMediaType,
            "请求体格式不受支持，请从页面上的表单重新提交。",
        ),
        StatusCode::UNAUTHORIZED => Failure::new(ErrorKind::Unauthenticated, "请先登录。"),
        StatusCode::FORBIDDEN => Failure::new(ErrorKind::Forbidden, "您没有执行该操作的权限。"),
        status if status.is_server_error() => Failure::new(
            ErrorKind::Internal,
            "系统暂时无法处理该请求，请稍后再试。如持续出现，请联系平台管理员。",
        ),
        _ => Failure::new(ErrorKind::BadRequest, "请求无效，请检查后重试。"),
    }
}

#[cfg(test)]
mod tests {
    use super::serde_field;

    #[test]
    fn field_names_are_read_only_when_serde_names_one() {
        assert_eq!(
            serde_field(
                "Failed to deserialize query string: per_page: invalid digit found in string"
            )
            .as_deref(),
            Some("per_page")
        );
        assert_eq!(
            serde_field("Failed to deserialize form body: missing field `_csrf`").as_deref(),
            Some("_csrf")
        );
        assert_eq!(
            serde_field(
                "Failed to deserialize query string: invalid type: string \"x\", expected i64"
            ),
            None
        );
    }
}
