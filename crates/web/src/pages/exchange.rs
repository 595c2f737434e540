//! Spreadsheet downloads and uploads: import templates, bulk import, list issue export.

use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use zijin_app::access::{self, Area};
use zijin_app::exchange::{self, MAX_FILE_BYTES, Outcome};
use zijin_app::exports::{self, ExportContent, ExportFormat};
use zijin_app::{AppError, records};
use zijin_domain::{Coded, RecordKind};

use super::html;
use crate::AppState;
use crate::error::PageError;
use crate::extract::Path;
use crate::routes::{Routes, get};
use crate::session::Visitor;
use crate::views::page_context;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn router() -> Routes {
    Routes::new()
        .route("/templates/{file}", get(template))
        .route("/lists/{id}/export.xlsx", get(export))
        .route("/lists/{id}/export.pdf", get(export_pdf))
        .route(
            "/import",
            get(import_page)
                .post(import)
                .body_limit(MAX_FILE_BYTES + 64 * 1024),
        )
}

/// A download; the type follows the file name's extension (.pdf or .xlsx).
fn attachment(filename: &str, bytes: Vec<u8>) -> Response {
    let content_type = if filename.ends_with(".pdf") {
        "application/pdf"
    } else {
        XLSX
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                crate::download::content_disposition(filename),
            ),
        ],
        bytes,
    )
        .into_response()
}

async fn template(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let kind = match file.as_str() {
        "achievements.xlsx" => RecordKind::Achievement,
        "demands.xlsx" => RecordKind::Demand,
        _ => return Err(AppError::NotFound("模板").into()),
    };
    let fields = records::technical_fields(&state.app).await?;
    Ok(attachment(
        &format!("{}导入模板.xlsx", kind.label()),
        exchange::template(kind, &fields)?,
    ))
}

async fn export(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    download_issue(&state, &visitor, &headers, &id, ExportFormat::Xlsx).await
}

async fn export_pdf(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    download_issue(&state, &visitor, &headers, &id, ExportFormat::Pdf).await
}

/// A list issue as a download. A published issue's export is frozen: it is streamed from the
/// stored copy (built on the first request) and may be cached by anyone, revalidated by its
/// hash; an admin's preview of an unpublished issue is built each time and never cached.
async fn download_issue(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    id: &str,
    format: ExportFormat,
) -> Result<Response, PageError> {
    let id: i64 = id
        .parse()
        .map_err(|_| PageError::from(AppError::NotFound("清单期次")))?;
    let export = exports::issue_export(
        &state.app,
        &visitor.actor,
        &state.export_builders,
        id,
        format,
    )
    .await?;
    let filename = format!("两项清单-{}.{}", export.issue.title, format.code());
    let ready = match export.content {
        ExportContent::Preview(bytes) => {
            let mut response = attachment(&filename, bytes);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return Ok(response);
        }
        ExportContent::Stored(ready) => ready,
    };
    let etag = HeaderValue::from_str(&format!("\"{}\"", ready.sha256))
        .map_err(|error| AppError::Internal(format!("ETag: {error}")))?;
    let cache = HeaderValue::from_static("public, max-age=86400");
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|tag| matches!(tag.trim(), "*") || tag.trim() == etag.to_str().unwrap_or(""))
        });
    if unchanged {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    let mut response = attachment(&filename, Vec::new());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(ready.size));
    headers.insert(header::ETAG, etag);
    headers.insert(header::CACHE_CONTROL, cache);
    // One chunk (at most 1 MiB) read from the database at a time, so parallel downloads of a
    // large PDF do not each hold the whole file.
    let app = state.app.clone();
    let chunks = futures_util::stream::try_unfold(0_i64, move |seq| {
        let (app, ready) = (app.clone(), ready.clone());
        async move {
            if seq >= ready.chunks {
                return Ok(None);
            }
            match exports::read_chunk(&app, &ready, seq).await {
                Ok(bytes) => Ok(Some((axum::body::Bytes::from(bytes), seq + 1))),
                Err(error) => {
                    tracing::error!(%error, "a stored export could not be read");
                    Err(error)
                }
            }
        }
    });
    *response.body_mut() = Body::from_stream(chunks);
    Ok(response)
}

fn may_import(visitor: &Visitor) -> Result<(), PageError> {
    Ok(access::require(&visitor.actor, Area::Import)?)
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    result: minijinja::Value,
) -> Response {
    let base = page_context(&state.app, visitor, "批量导入").await;
    html(
        status,
        "import.html",
        context! { result, max_mb => MAX_FILE_BYTES / 1_048_576, may_publish => access::may(&visitor.actor, Area::ImportAndPublish), ..base },
    )
}

async fn import_page(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, PageError> {
    may_import(&visitor)?;
    Ok(render(
        &state,
        &visitor,
        StatusCode::OK,
        minijinja::Value::UNDEFINED,
    )
    .await)
}

async fn import(
    State(state): State<AppState>,
    visitor: Visitor,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    may_import(&visitor)?;
    let refused = |lines: Vec<String>| context! { ok => false, lines };
    let mut multipart = match multipart {
        Ok(multipart) => multipart,
        Err(_) => {
            return Ok(render(
                &state,
                &visitor,
                StatusCode::BAD_REQUEST,
                refused(vec!["请选择要上传的 .xlsx 或 .csv 文件".into()]),
            )
            .await);
        }
    };
    let (mut csrf, mut kind, mut publish, mut file) = (String::new(), String::new(), false, None);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                let message = format!("上传失败：文件不能超过 {} MB", MAX_FILE_BYTES / 1_048_576);
                return Ok(render(
                    &state,
                    &visitor,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    refused(vec![message]),
                )
                .await);
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(_) => {
                let message = format!("上传失败：文件不能超过 {} MB", MAX_FILE_BYTES / 1_048_576);
                return Ok(render(
                    &state,
                    &visitor,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    refused(vec![message]),
                )
                .await);
            }
        };
        match name.as_str() {
            "_csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "kind" => kind = String::from_utf8_lossy(&bytes).into_owned(),
            "publish" => publish = true,
            "file" => file = Some(bytes),
            _ => {}
        }
    }
    visitor.check_csrf(&csrf)?;
    let kind = RecordKind::from_code(&kind).unwrap_or(RecordKind::Achievement);
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return Ok(render(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            refused(vec!["请选择要上传的 .xlsx 或 .csv 文件".into()]),
        )
        .await);
    };
    let outcome = exchange::import(
        &state.app,
        &visitor.actor,
        kind,
        &file,
        // The box is offered only to those who may publish; from anyone else it is ignored.
        publish && access::may(&visitor.actor, Area::ImportAndPublish),
        &|_, _| {},
    )
    .await?;
    Ok(match outcome {
        Outcome::Imported { count, issue } => {
            let result = context! { ok => true, count, kind_label => kind.label(), issue => issue.map(|i| context! { id => i.id, title => i.title }) };
            render(&state, &visitor, StatusCode::OK, result).await
        }
        Outcome::Refused(report) => {
            let result = context! { ok => false, problem_count => report.problem_count, lines => report.lines() };
            render(&state, &visitor, StatusCode::UNPROCESSABLE_ENTITY, result).await
        }
    })
}
