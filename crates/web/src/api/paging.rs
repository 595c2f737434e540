//! Cursor pagination for the API's lists (issue 20). A list answers at most `limit` items
//! (default [`DEFAULT_LIMIT`]) and, when more follow, a `Link: <…>; rel="next"` header (RFC 8288)
//! whose address carries an opaque `cursor`: the key of the last item sent. The next page starts
//! after that item in the same order, so records added or removed elsewhere in the list do not
//! shift the pages. The body's shape does not change (`/api/v1` stays compatible).
//!
//! Lists that already page themselves (list entries, contracts, institutions) add the same
//! header from their own next page.

use axum::Json;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorKind, Failure};

/// Items a page holds unless the client asks for another number.
pub const DEFAULT_LIMIT: usize = 100;
/// The most a page holds.
pub const MAX_LIMIT: usize = 1000;

/// `limit` and `cursor` of a list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Cursor {
    /// 每页条数（1–1000，默认 100）。
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// 上一页回答中 `Link: rel="next"` 地址里的游标（不透明，原样传回）。
    #[param(max_length = 200)]
    pub cursor: Option<String>,
}

impl Cursor {
    fn limit(&self) -> Result<usize, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT as u32).contains(&n) => Ok(n as usize),
            Some(_) => Err(invalid("limit", "每页条数应在 1 到 1000 之间")),
        }
    }

    /// The cursor as sent (none when empty); longer than any key: refused.
    fn after(&self) -> Result<Option<&str>, ApiError> {
        match self.cursor.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(c) if c.chars().count() > 200 => {
                Err(invalid("cursor", "游标无效，请使用上一页回答中的地址"))
            }
            Some(c) => Ok(Some(c)),
        }
    }
}

fn invalid(field: &'static str, message: &str) -> ApiError {
    let mut failure = Failure::new(ErrorKind::InvalidQuery, message);
    failure.fields.add(field, message);
    ApiError(failure)
}

/// The request's address with `name=value` in place of its paging parameters.
pub fn address(uri: &Uri, name: &str, value: &str) -> String {
    let kept: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| !matches!(k.as_ref(), "cursor" | "after" | "before" | "page"))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &kept {
        query.append_pair(k, v);
    }
    query.append_pair(name, value);
    format!("{}?{}", uri.path(), query.finish())
}

/// `Link: <address>; rel="next"`.
pub fn link(address: &str) -> Option<HeaderValue> {
    // A path and percent-encoded pairs: always a valid header value.
    HeaderValue::from_str(&format!("<{address}>; rel=\"next\"")).ok()
}

/// The address of the next numbered page of a self-paged list, when there is one.
pub fn numbered_next(uri: &Uri, page: i64, per_page: i64, total: i64) -> Option<String> {
    let page = page.max(1);
    (page.saturating_mul(per_page) < total).then(|| address(uri, "page", &(page + 1).to_string()))
}

/// The page of `items` (already in the list's order) after the cursor, and the next page's
/// address when more follow. `key` names an item for the cursor (its id).
pub fn slice<T>(
    uri: &Uri,
    cursor: &Cursor,
    items: Vec<T>,
    key: impl Fn(&T) -> String,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = cursor.limit()?;
    let start = match cursor.after()? {
        None => 0,
        Some(after) => match items.iter().position(|item| key(item) == after) {
            Some(at) => at + 1,
            // A well-formed cursor whose item is gone (or never was): not found, like an id.
            None => {
                return Err(ApiError::from(zijin_app::AppError::NotFound(
                    "游标所指的条目（它已不在列表中，请从第一页重新读取）",
                )));
            }
        },
    };
    let more = items.len() > start + limit;
    let page: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let next = if more {
        page.last().map(|last| address(uri, "cursor", &key(last)))
    } else {
        None
    };
    Ok((page, next))
}

/// A page of `items` as a JSON array, with the `Link: rel="next"` header when more follow.
pub fn page<T: Serialize>(
    uri: &Uri,
    cursor: &Cursor,
    items: Vec<T>,
    key: impl Fn(&T) -> String,
) -> Result<Response, ApiError> {
    let (page, next) = slice(uri, cursor, items, key)?;
    Ok(with_next(page, next.as_deref()))
}

/// A self-paged list's answer with the `Link: rel="next"` header to `next` (an address).
pub fn with_next<T: Serialize>(body: T, next: Option<&str>) -> Response {
    let mut response = Json(body).into_response();
    if let Some(value) = next.and_then(link) {
        response.headers_mut().insert(header::LINK, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(response: Response) -> (Option<String>, Response) {
        let link = response
            .headers()
            .get(header::LINK)
            .map(|v| v.to_str().unwrap().to_string());
        (link, response)
    }

    #[test]
    fn pages_follow_the_cursor_and_keep_the_other_parameters() {
        let uri: Uri = "/api/v1/things?status=open&cursor=2&limit=2"
            .parse()
            .unwrap();
        let cursor = Cursor {
            limit: Some(2),
            cursor: Some("2".into()),
        };
        let (link, _) = ids(page(&uri, &cursor, vec![1, 2, 3, 4, 5], |n| n.to_string()).unwrap());
        assert_eq!(
            link.as_deref(),
            Some("</api/v1/things?status=open&limit=2&cursor=4>; rel=\"next\"")
        );
        // The last page has no next link.
        let last = Cursor {
            limit: Some(2),
            cursor: Some("4".into()),
        };
        let (link, _) = ids(page(&uri, &last, vec![1, 2, 3, 4, 5], |n| n.to_string()).unwrap());
        assert_eq!(link, None);
        // A cursor that names no item, and a limit out of range, are refused in words.
        let gone = Cursor {
            limit: None,
            cursor: Some("9".into()),
        };
        assert!(page(&uri, &gone, vec![1, 2], |n| n.to_string()).is_err());
        let huge = Cursor {
            limit: Some(5000),
            cursor: None,
        };
        assert!(page(&uri, &huge, vec![1, 2], |n| n.to_string()).is_err());
        // Numbered pages: page 2 of 45 items at 20 a page leads to page 3; page 3 is the last.
        let numbered: Uri = "/api/v1/contracts?page=2&q=%E8%BD%AF%E4%BB%B6"
            .parse()
            .unwrap();
        assert_eq!(
            numbered_next(&numbered, 2, 20, 45).as_deref(),
            Some("/api/v1/contracts?q=%E8%BD%AF%E4%BB%B6&page=3")
        );
        assert_eq!(numbered_next(&numbered, 3, 20, 45), None);
    }
}
