//! Issue 14, hole 9: every refusal speaks Chinese in the platform's own forms — an error
//! page, or problem+json under `/api/` — and no framework text reaches a user.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use zijin_testkit::{BACKENDS, spawn_app};

use super::{add_user, api_login, client, log_in};

/// Words of axum's, serde's and hyper's own refusals; none may reach a user.
const FRAMEWORK_WORDS: [&str; 9] = [
    "Failed to",
    "deserialize",
    "Expected request",
    "Content-Type`",
    "missing field",
    "invalid digit",
    "Method Not Allowed",
    "length limit",
    "number too large",
];

fn assert_no_framework_text(body: &str, what: &str) {
    for word in FRAMEWORK_WORDS {
        assert!(
            !body.contains(word),
            "{what}: framework text {word:?} in {body}"
        );
    }
}

/// A refusal of a page: the status, a Chinese HTML page with `title`, no field names.
async fn assert_page(response: reqwest::Response, status: StatusCode, title: &str, what: &str) {
    assert_eq!(response.status(), status, "{what}");
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/html"),
        "{what}: {content_type}"
    );
    let body = response.text().await.unwrap();
    assert!(body.contains(title), "{what}: {body}");
    assert!(body.contains("lang=\"zh-CN\""), "{what}");
    assert_no_framework_text(&body, what);
    for field in ["per_page", "_csrf", "next"] {
        assert!(
            !body.contains(&format!(">{field}")) && !body.contains(&format!(" {field} ")),
            "{what}: field name {field} shown"
        );
    }
}

/// A refusal of the API: the status, problem+json with `code`, Chinese detail.
pub async fn assert_problem(
    response: reqwest::Response,
    status: StatusCode,
    code: &str,
    what: &str,
) -> Value {
    assert_eq!(response.status(), status, "{what}");
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "application/problem+json",
        "{what}"
    );
    let text = response.text().await.unwrap();
    assert_no_framework_text(&text, what);
    let document: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["code"], code, "{what}: {document}");
    assert_eq!(document["status"], status.as_u16(), "{what}");
    let detail = document["detail"].as_str().unwrap();
    assert!(
        detail
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{what}: detail in Chinese: {detail}"
    );
    document
}

#[tokio::test]
async fn every_refusal_speaks_chinese_on_pages_and_in_the_api() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let (admin, csrf) = log_in(&server, "admin").await;
        let (api, api_csrf) = api_login(&server, "admin").await;
        let what = |case: &str| format!("{backend:?}: {case}");

        // Query strings the handler's types refuse.
        let document = assert_problem(
            api.get(server.url("/api/v1/institutions?per_page=abc"))
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
            &what("per_page=abc"),
        )
        .await;
        assert_eq!(
            document["errors"][0]["field"], "per_page",
            "the API may name the parameter"
        );
        let document = assert_problem(
            client()
                .get(server.url("/api/v1/lists/1/achievements?trl_min=1e309"))
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
            &what("trl_min=1e309"),
        )
        .await;
        assert_eq!(document["errors"][0]["field"], "trl_min");
        assert_page(
            client()
                .get(server.url("/login?next=/a&next=/b"))
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "查询条件无效",
            &what("a page's query given twice"),
        )
        .await;

        // Path values that are not ids name nothing.
        assert_page(
            admin
                .post(server.url("/matches/abc/interest"))
                .form(&[("_csrf", csrf.clone())])
                .send()
                .await
                .unwrap(),
            StatusCode::NOT_FOUND,
            "页面或记录不存在",
            &what("/matches/abc/interest"),
        )
        .await;

        // Forms: without their content type, without their token, too large.
        assert_page(
            admin
                .post(server.url("/admin/lists"))
                .header(CONTENT_TYPE, "text/plain")
                .body(format!("_csrf={csrf}&title=x"))
                .send()
                .await
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "请求体格式不受支持",
            &what("form without its content type"),
        )
        .await;
        assert_page(
            admin
                .post(server.url("/matches/1/interest"))
                .form(&[("other", "1")])
                .send()
                .await
                .unwrap(),
            StatusCode::FORBIDDEN,
            "请求来源校验失败",
            &what("form without _csrf"),
        )
        .await;
        let big = "x".repeat(3 * 1024 * 1024);
        assert_page(
            admin
                .post(server.url("/admin/lists"))
                .form(&[("_csrf", csrf.as_str()), ("title", big.as_str())])
                .send()
                .await
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "提交的内容过大",
            &what("form over 2 MB"),
        )
        .await;
        assert_problem(
            api.post(server.url("/api/v1/institutions"))
                .header("x-csrf-token", &api_csrf)
                .json(&json!({"name": big}))
                .send()
                .await
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            &what("JSON over 2 MB"),
        )
        .await;

        // JSON of the wrong shape names the field, in Chinese.
        let document = assert_problem(
            api.post(server.url("/api/v1/institutions"))
                .header("x-csrf-token", &api_csrf)
                .header(CONTENT_TYPE, "application/json")
                .body(r#"{"name": 5}"#)
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
            &what("JSON of the wrong type"),
        )
        .await;
        assert_eq!(document["errors"][0]["field"], "name");
        assert_problem(
            api.post(server.url("/api/v1/institutions"))
                .header("x-csrf-token", &api_csrf)
                .header(CONTENT_TYPE, "application/json")
                .body("{\"name\": ")
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
            &what("JSON cut off"),
        )
        .await;

        // Wrong methods keep their Allow header.
        let wrong = client().delete(server.url("/lists")).send().await.unwrap();
        assert!(wrong.headers().contains_key("allow"), "{backend:?}");
        assert_page(
            wrong,
            StatusCode::METHOD_NOT_ALLOWED,
            "不支持的请求方式",
            &what("DELETE /lists"),
        )
        .await;
        assert_problem(
            api.delete(server.url("/api/v1/institutions"))
                .header("x-csrf-token", &api_csrf)
                .send()
                .await
                .unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            &what("DELETE /api/v1/institutions"),
        )
        .await;
        assert_problem(
            client()
                .get(server.url("/api/v1/nothing-here"))
                .send()
                .await
                .unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
            &what("unknown API path"),
        )
        .await;
    }
}
