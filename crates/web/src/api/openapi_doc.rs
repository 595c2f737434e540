//! Completes the generated OpenAPI document so that clients and validators can rely on it
//! (issue 20): every response has a description; every error response is
//! `application/problem+json` with the `Problem` schema; every operation documents the answers
//! any request can get (401, 403; 404 for an id in the path; 400 and 422 for a query or a body;
//! 413 and 415 for a body); the `Problem.code` property lists every stable code with its status
//! and Chinese title.

use serde_json::{Map, Value, json};

use crate::error::ErrorKind;

/// The description of a status when an operation gives none.
fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "成功",
        "201" => "已创建",
        "202" => "已受理",
        "204" => "成功，无返回内容",
        "303" => "重定向",
        "304" => "未改变（与 If-None-Match 所给版本相同）",
        "400" => "请求有误（例如请求体不是有效的 JSON）",
        "401" => "请先登录（未登录、会话已过期或 API 密钥无效）",
        "403" => "没有权限，或缺少 CSRF 令牌",
        "404" => "未找到",
        "409" => "当前状态不允许此操作（原因见 detail）",
        "413" => "提交的内容过大",
        "415" => "请求体格式不受支持（应为 application/json）",
        "422" => "输入有误（逐项说明见 errors）",
        "429" => "请求过于频繁，请稍后再试",
        "503" => "服务暂不可用，请稍后再试",
        _ => "见说明",
    }
}

fn problem_content() -> Value {
    json!({ "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } })
}

/// A carrier evaluation's year runs from 2000 to this year (Beijing time), as
/// `carriers::evaluation::check_year` enforces; the document is made when it is served.
fn bound_years(path: &str, operation: &mut Map<String, Value>) {
    if !path.starts_with("/api/v1/carriers/") {
        return;
    }
    let this_year =
        chrono::Datelike::year(&(chrono::Utc::now() + chrono::Duration::hours(8)).date_naive());
    for parameter in operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if parameter["in"] == "path" && parameter["name"] == "year" {
            parameter["schema"] = json!({ "type": "integer", "format": "int32", "minimum": 2000, "maximum": this_year });
            parameter["description"] = Value::String(format!("评价年度（2000–{this_year}）"));
        }
    }
}

/// Completes one operation's responses (`changes`: a POST, PUT or DELETE).
fn complete_operation(path: &str, changes: bool, operation: &mut Map<String, Value>) {
    bound_years(path, operation);
    let has_body = operation.contains_key("requestBody");
    // A cursor names an item; when the item has left the list the answer is 404, as for an id.
    let has_cursor = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| {
            ps.iter()
                .any(|p| p["in"] == "query" && p["name"] == "cursor")
        });
    let has_query = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    // A list that pages (by cursor, by `after` or by number) names its next page in `Link`.
    let pages = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| {
            ps.iter().any(|p| {
                p["in"] == "query"
                    && matches!(p["name"].as_str(), Some("cursor" | "after" | "page"))
            })
        });
    let Some(responses) = operation
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut()
    else {
        return;
    };
    // Every operation may meet a caller who is not signed in or may not (401, 403); an unknown id
    // in the path is 404; a query or body that does not parse is 400, one that does not pass the
    // checks 422; a body may be too large (413) or not JSON (415).
    // Any request with an API key may be over the key's limit (429).
    let mut extra: Vec<&str> = vec!["401", "403", "429"];
    if path.contains('{') || has_cursor {
        extra.push("404");
    }
    if has_query {
        extra.extend(["400", "422"]);
    }
    if has_body {
        extra.extend(["400", "413", "415", "422"]);
    }
    // A change may find its object in a state that does not allow it (409, the reason in detail).
    if changes {
        extra.push("409");
    }
    for status in extra {
        responses
            .entry(status)
            .or_insert_with(|| json!({ "description": default_description(status) }));
    }
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else {
            continue;
        };
        if pages && status == "200" {
            response.insert(
                "headers".into(),
                json!({ "Link": {
                    "description": "下一页的地址（RFC 8288，rel=\"next\"）；最后一页没有此头",
                    "required": false,
                    "schema": { "type": "string" }
                } }),
            );
        }
        let described = response
            .get("description")
            .and_then(Value::as_str)
            .is_some_and(|d| !d.trim().is_empty());
        if !described {
            response.insert(
                "description".into(),
                Value::String(default_description(status).into()),
            );
        }
        if status.starts_with('4') || status.starts_with('5') {
            response.insert("content".into(), problem_content());
        }
    }
}

/// Operation ids are the handlers' names, which repeat across modules (`directory`, `apply` …):
/// a repeated id is prefixed with the operation's tag (and, if still repeated, its method).
fn unique_operation_ids(paths: &mut Map<String, Value>) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for item in paths.values() {
        for operation in item.as_object().into_iter().flat_map(|i| i.values()) {
            if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                *seen.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    let mut taken: std::collections::HashSet<String> = seen
        .iter()
        .filter(|(_, n)| **n == 1)
        .map(|(id, _)| id.clone())
        .collect();
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            let Some(id) = operation
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                continue;
            };
            if seen.get(&id).copied().unwrap_or(0) <= 1 {
                continue;
            }
            let tag = operation
                .pointer("/tags/0")
                .and_then(Value::as_str)
                .unwrap_or("api")
                .replace('-', "_");
            let mut candidate = format!("{tag}_{id}");
            if taken.contains(&candidate) {
                candidate = format!("{tag}_{method}_{id}");
            }
            taken.insert(candidate.clone());
            operation["operationId"] = Value::String(candidate);
        }
    }
}

/// A field read leniently by serde has the empty string as its default; where the field's own
/// schema refuses it (a date, a pattern, a list of values) the default is dropped (the field is
/// required).
fn drop_refused_defaults(document: &mut Value) {
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for schema in schemas.values_mut() {
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for property in properties.values_mut() {
            let refuses_empty = property["format"] == "date"
                || property.get("pattern").is_some()
                || property["enum"]
                    .as_array()
                    .is_some_and(|values| !values.contains(&Value::from("")));
            if refuses_empty
                && property["default"] == ""
                && let Some(property) = property.as_object_mut()
            {
                property.remove("default");
            }
        }
    }
}

/// Completes a generated document in place.
pub fn complete(document: &mut Value) {
    drop_refused_defaults(document);
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        unique_operation_ids(paths);
    }
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for method in ["get", "put", "post", "delete", "patch"] {
                if let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) {
                    complete_operation(path, method != "get", operation);
                }
            }
        }
    }
    let codes: Vec<Value> = ErrorKind::ALL
        .iter()
        .map(|k| Value::String(k.spec().1.into()))
        .collect();
    let described = ErrorKind::ALL
        .iter()
        .map(|k| {
            let (status, code, title) = k.spec();
            format!("`{code}`（{}）：{title}", status.as_u16())
        })
        .collect::<Vec<_>>()
        .join("；");
    if let Some(code) = document.pointer_mut("/components/schemas/Problem/properties/code") {
        code["enum"] = Value::Array(codes);
        code["description"] = Value::String(format!("稳定的错误代码，供程序判断：{described}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_response_is_described_and_errors_are_problems() {
        let mut doc = json!({
            "paths": { "/x": { "post": {
                "requestBody": {},
                "responses": { "201": { "content": { "application/json": {} } }, "409": { "description": "冲突" } }
            } } },
            "components": { "schemas": { "Problem": { "properties": { "code": { "type": "string" } } } } }
        });
        complete(&mut doc);
        let responses = &doc["paths"]["/x"]["post"]["responses"];
        assert_eq!(responses["201"]["description"], "已创建");
        assert_eq!(responses["409"]["description"], "冲突");
        assert!(responses["409"]["content"]["application/problem+json"].is_object());
        for status in ["400", "401", "403", "413", "415", "422"] {
            assert!(responses[status]["description"].is_string(), "{status}");
        }
        let codes = doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap();
        assert!(codes.contains(&json!("validation_failed")));
    }
}
