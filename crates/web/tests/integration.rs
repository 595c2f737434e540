//! HTTP tests against the real router on a free port, on both database backends.

use reqwest::header::{CONTENT_TYPE, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use zijin_app::Backend;
use zijin_app::users;
use zijin_testkit::{BACKENDS, TestServer, spawn_app};

#[path = "integration/access_matrix.rs"]
mod access_matrix;
#[path = "integration/api_keys.rs"]
mod api_keys;
#[path = "integration/applications.rs"]
mod applications;
#[path = "integration/busy.rs"]
mod busy;
#[path = "integration/contracts.rs"]
mod contracts;
#[path = "integration/daily.rs"]
mod daily;
#[path = "integration/deal.rs"]
mod deal;
#[path = "integration/hardening.rs"]
mod hardening;
#[path = "integration/paging.rs"]
mod paging;
#[path = "integration/refusals.rs"]
mod refusals;
#[path = "integration/tech_managers.rs"]
mod tech_managers;

const VALID_CODE: &str = "91350100M000100Y43";

/// A second valid credit code.
fn other_code() -> String {
    zijin_domain::CreditCode::complete("91320102MA1BBBBB0")
        .unwrap()
        .to_string()
}

fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// A redirect that carries its input error in the sealed flash cookie, not in the address.
fn assert_error_flashed(response: &reqwest::Response) {
    let location = response.headers()["location"].to_str().unwrap();
    assert!(!location.contains("error="), "{location}");
    assert!(
        response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .any(|value| value.to_str().unwrap().starts_with("zijin_flash=")),
        "a flash message is set"
    );
}

/// The value of the first hidden `_csrf` field of a page.
fn csrf_of(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("the page has a CSRF field") + marker.len();
    html[start..start + 64].to_string()
}

async fn count(server: &TestServer, table: &'static str) -> i64 {
    let sql = match table {
        "institutions" => "SELECT COUNT(*) FROM institutions",
        "audit_log" => "SELECT COUNT(*) FROM audit_log",
        _ => "SELECT COUNT(*) FROM users",
    };
    let row: (i64,) = sqlx::query_as(sql)
        .fetch_one(server.context.app.store().pool())
        .await
        .unwrap();
    row.0
}

async fn add_user(
    server: &TestServer,
    username: &str,
    role: &str,
    unit: &str,
    district: &str,
    institution_id: Option<i64>,
) {
    let admin = zijin_app::Actor::System("test");
    let input = users::NewUserInput {
        username,
        display_name: username,
        password: "Secret-pass-1",
        role,
        responsible_unit: unit,
        district,
        institution_id,
    };
    users::create(&server.context.app, &admin, &input)
        .await
        .unwrap();
}

/// Logs in through the login form; returns the client and the session's CSRF token.
async fn log_in(server: &TestServer, username: &str) -> (Client, String) {
    let client = client();
    let page = client
        .get(server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = [
        ("_csrf", csrf_of(&page)),
        ("username", username.into()),
        ("password", "Secret-pass-1".into()),
        ("next", "/".into()),
    ];
    let response = client
        .post(server.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "login of {username}"
    );
    let home = client
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&home);
    (client, csrf)
}

fn institution_form(csrf: &str, name: &str, code: &str) -> Vec<(&'static str, String)> {
    vec![
        ("_csrf", csrf.to_string()),
        ("name", name.to_string()),
        ("kind", "enterprise".into()),
        ("credit_code", code.to_string()),
        ("district", "jiangning".into()),
        ("tags", "high-tech".into()),
        ("tags", "specialised-innovative".into()),
        ("contact_phone", "025-52000000".into()),
    ]
}

#[tokio::test]
async fn public_pages_speak_chinese_and_errors_hide_internals() {
    for backend in BACKENDS {
        public_pages_and_errors(backend).await;
    }
}

async fn public_pages_and_errors(backend: Backend) {
    let server = spawn_app(backend).await;
    let client = client();
    let home = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert_eq!(home.headers()["x-frame-options"], "DENY");
    let html = home.text().await.unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">") && html.contains("name=\"viewport\""));
    assert!(html.contains("科技成果转化服务平台"));
    let css = client
        .get(server.url("/static/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()[CONTENT_TYPE], "text/css; charset=utf-8");

    let missing = client
        .get(server.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("页面或记录不存在"));
    let missing_institution = client
        .get(server.url("/institutions/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing_institution.status(), StatusCode::NOT_FOUND);

    // With the database gone, pages fail with a Chinese 500 that names no internals.
    server.context.app.store().close().await;
    let broken = client
        .get(server.url("/institutions"))
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = broken.text().await.unwrap();
    assert!(text.contains("系统内部错误"), "{text}");
    for internal in ["sqlx", "pool", "PoolClosed", "sqlite", "panicked"] {
        assert!(
            !text.to_lowercase().contains(&internal.to_lowercase()),
            "500 page leaks {internal}"
        );
    }
}

#[tokio::test]
async fn login_sets_a_safe_cookie_and_needs_the_form_token() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let client = client();
        let page = client
            .get(server.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let forged = [
            ("_csrf", "0".repeat(64)),
            ("username", "admin".into()),
            ("password", "Secret-pass-1".into()),
        ];
        let refused = client
            .post(server.url("/login"))
            .form(&forged)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{backend:?}");
        assert!(refused.text().await.unwrap().contains("CSRF"));

        let wrong = [
            ("_csrf", csrf_of(&page)),
            ("username", "admin".into()),
            ("password", "nope-nope-1".into()),
        ];
        let response = client
            .post(server.url("/login"))
            .form(&wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.text().await.unwrap().contains("用户名或密码错误"));

        let right = [
            ("_csrf", csrf_of(&page)),
            ("username", "admin".into()),
            ("password", "Secret-pass-1".into()),
            ("next", "//evil.example".into()),
        ];
        let response = client
            .post(server.url("/login"))
            .form(&right)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            response.headers()["location"],
            "/",
            "foreign redirects are not followed"
        );
        let cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("zijin_session="))
            .unwrap();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );

        let home = client
            .get(server.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            home.contains("用户管理") && home.contains("审计日志"),
            "admin navigation"
        );
        let logout = client
            .post(server.url("/logout"))
            .form(&[("_csrf", csrf_of(&home))])
            .send()
            .await
            .unwrap();
        assert_eq!(logout.status(), StatusCode::SEE_OTHER);
        let after = client.get(server.url("/admin/users")).send().await.unwrap();
        assert_eq!(
            after.status(),
            StatusCode::SEE_OTHER,
            "logged out: sent to the login page"
        );
    }
}

#[tokio::test]
async fn admins_register_institutions_and_bad_forms_write_nothing() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let (client, csrf) = log_in(&server, "admin").await;

        let created = client
            .post(server.url("/admin/institutions"))
            .form(&institution_form(&csrf, "南京紫峰科技有限公司", VALID_CODE))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::SEE_OTHER, "{backend:?}");
        let location = created.headers()["location"].to_str().unwrap().to_string();
        let detail = client
            .get(server.url(&location))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            detail.contains("南京紫峰科技有限公司")
                && detail.contains("高新技术企业")
                && detail.contains("专精特新")
        );
        let (institutions, audit) = (
            count(&server, "institutions").await,
            count(&server, "audit_log").await,
        );

        let long_name = "名".repeat(101);
        let bad_forms = [
            (
                institution_form(&csrf, "南京乙公司", "91350100M000100Y44"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "校验位错误",
            ),
            (
                institution_form(&csrf, "南京乙公司", VALID_CODE),
                StatusCode::UNPROCESSABLE_ENTITY,
                "已被其他机构使用",
            ),
            (
                institution_form(&csrf, &long_name, &other_code()),
                StatusCode::UNPROCESSABLE_ENTITY,
                "不能超过100个字符",
            ),
            (
                institution_form("", "南京乙公司", &other_code()),
                StatusCode::FORBIDDEN,
                "CSRF",
            ),
            (
                institution_form(&"f".repeat(64), "南京乙公司", &other_code()),
                StatusCode::FORBIDDEN,
                "CSRF",
            ),
        ];
        for (form, status, message) in bad_forms {
            let response = client
                .post(server.url("/admin/institutions"))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), status, "{backend:?}: {message}");
            let html = response.text().await.unwrap();
            assert!(html.contains(message), "{backend:?}: expected {message}");
        }
        assert_eq!(
            count(&server, "institutions").await,
            institutions,
            "{backend:?}: nothing written"
        );
        assert_eq!(
            count(&server, "audit_log").await,
            audit,
            "{backend:?}: nothing audited"
        );

        // Editing is audited with before and after.
        let id = location
            .trim_start_matches("/institutions/")
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let edited = client
            .post(server.url(&format!("/admin/institutions/{id}")))
            .form(&institution_form(
                &csrf,
                "南京紫峰科技股份有限公司",
                VALID_CODE,
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(edited.status(), StatusCode::SEE_OTHER);
        let audit_page = client
            .get(server.url(&format!("/admin/audit?entity=institution&entity_id={id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            audit_page.contains("修改了机构「南京紫峰科技股份有限公司」")
                && audit_page
                    .contains("<b>名称</b>：南京紫峰科技有限公司 → 南京紫峰科技股份有限公司")
                && !audit_page.contains("institution.update"),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn roles_that_may_not_act_are_refused() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let (admin, admin_csrf) = log_in(&server, "admin").await;
        for (name, code, district) in [
            ("江宁企业", VALID_CODE.to_string(), "jiangning"),
            ("玄武企业", other_code(), "xuanwu"),
        ] {
            let mut form = institution_form(&admin_csrf, name, &code);
            form[4].1 = district.to_string();
            assert_eq!(
                admin
                    .post(server.url("/admin/institutions"))
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
                    .status(),
                StatusCode::SEE_OTHER
            );
        }
        add_user(&server, "reviewer", "reviewer", "市科技局", "", None).await;
        add_user(&server, "officer", "district", "", "江宁区", None).await;
        add_user(&server, "member", "institution", "", "", Some(1)).await;

        let before = count(&server, "institutions").await;
        for username in ["reviewer", "officer", "member"] {
            let (client, csrf) = log_in(&server, username).await;
            let response = client
                .post(server.url("/admin/institutions"))
                .form(&institution_form(&csrf, "越权机构", "91320106MA1CCCCC0"))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{backend:?} {username}"
            );
            assert!(response.text().await.unwrap().contains("没有权限"));
            assert_eq!(
                client
                    .get(server.url("/admin/audit"))
                    .send()
                    .await
                    .unwrap()
                    .status(),
                StatusCode::FORBIDDEN
            );
            assert_eq!(
                client
                    .get(server.url("/admin/users"))
                    .send()
                    .await
                    .unwrap()
                    .status(),
                StatusCode::FORBIDDEN
            );
        }
        assert_eq!(count(&server, "institutions").await, before);

        // The district officer's list holds only their district, with contacts.
        let (officer, _) = log_in(&server, "officer").await;
        let list = officer
            .get(server.url("/manage/institutions?district=xuanwu"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            list.contains("江宁企业") && !list.contains("玄武企业"),
            "{backend:?}"
        );
        // Anonymous visitors see the directory without contacts.
        let public = client()
            .get(server.url("/institutions/2"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(public.contains("玄武企业") && !public.contains("025-52000000"));

        // The member edits its own profile only.
        let (member, member_csrf) = log_in(&server, "member").await;
        let profile = [
            ("_csrf", member_csrf.clone()),
            ("contact_name", "赵工".into()),
            ("contact_phone", "13900000000".into()),
        ];
        assert_eq!(
            member
                .post(server.url("/my/institution"))
                .form(&profile)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::SEE_OTHER
        );
        let own = member
            .get(server.url("/institutions/1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(own.contains("赵工"));
        let other = member
            .get(server.url("/institutions/2"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !other.contains("025-52000000"),
            "another institution's contacts stay hidden"
        );
    }
}

async fn api_login(server: &TestServer, username: &str) -> (Client, String) {
    let client = client();
    let response = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": "Secret-pass-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    (client, body["csrf_token"].as_str().unwrap().to_string())
}

async fn problem(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn the_api_answers_bad_input_with_problem_documents() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        add_user(&server, "reviewer", "reviewer", "市科技局", "", None).await;
        let (client, csrf) = api_login(&server, "admin").await;
        let body = json!({"name": "南京紫峰科技有限公司", "kind": "enterprise", "credit_code": VALID_CODE, "district": "江宁区", "tags": ["高新技术企业"]});
        let created = client
            .post(server.url("/api/v1/institutions"))
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED, "{backend:?}");
        let created: Value = created.json().await.unwrap();
        assert_eq!(created["tag_codes"], json!(["high-tech"]));
        let (reviewer, reviewer_csrf) = api_login(&server, "reviewer").await;
        let (institutions, audit) = (
            count(&server, "institutions").await,
            count(&server, "audit_log").await,
        );

        let post = |body: String, csrf: Option<&str>, content_type: &str| {
            let mut request = client
                .post(server.url("/api/v1/institutions"))
                .header(CONTENT_TYPE, content_type.to_string())
                .body(body);
            if let Some(csrf) = csrf {
                request = request.header("x-csrf-token", csrf.to_string());
            }
            request.send()
        };
        let cases: Vec<(reqwest::Response, StatusCode, &str)> = vec![
            (post(body.to_string(), Some(&csrf), "application/json").await.unwrap(), StatusCode::CONFLICT, "duplicate"),
            (post("{\"name\": ".into(), Some(&csrf), "application/json").await.unwrap(), StatusCode::BAD_REQUEST, "invalid_json"),
            (post("{\"name\": 5}".into(), Some(&csrf), "application/json").await.unwrap(), StatusCode::BAD_REQUEST, "invalid_json"),
            (post(body.to_string(), Some(&csrf), "text/plain").await.unwrap(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            (post(body.to_string(), None, "application/json").await.unwrap(), StatusCode::FORBIDDEN, "csrf_failed"),
            (post(body.to_string(), Some("forged"), "application/json").await.unwrap(), StatusCode::FORBIDDEN, "csrf_failed"),
            (post(json!({"name": "乙", "kind": "enterprise", "credit_code": "91350100M000100Y44", "district": "江宁区"}).to_string(), Some(&csrf), "application/json").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            (post(json!({"name": "名".repeat(101), "kind": "enterprise", "credit_code": &other_code(), "district": "江宁区"}).to_string(), Some(&csrf), "application/json").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        ];
        for (response, status, code) in cases {
            let (got, document) = problem(response).await;
            assert_eq!(
                (got, document["code"].as_str().unwrap()),
                (status, code),
                "{backend:?}: {document}"
            );
            assert!(!document["detail"].as_str().unwrap().is_empty());
            assert_eq!(document["status"], status.as_u16());
        }
        let (_, document) = problem(post(json!({"name": "乙", "kind": "enterprise", "credit_code": "bad", "district": "江宁区"}).to_string(), Some(&csrf), "application/json").await.unwrap()).await;
        assert_eq!(document["errors"][0]["field"], "credit_code");
        assert!(
            document["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("18位")
        );

        // A reviewer may read but not register.
        let refused = reviewer.post(server.url("/api/v1/institutions")).header("x-csrf-token", reviewer_csrf).json(&json!({"name": "乙", "kind": "enterprise", "credit_code": &other_code(), "district": "江宁区"})).send().await.unwrap();
        let (status, document) = problem(refused).await;
        assert_eq!(
            (status, document["code"].as_str().unwrap()),
            (StatusCode::FORBIDDEN, "forbidden")
        );
        let anonymous = self::client()
            .post(server.url("/api/v1/institutions"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(problem(anonymous).await.0, StatusCode::UNAUTHORIZED);

        assert_eq!(
            count(&server, "institutions").await,
            institutions,
            "{backend:?}: nothing written"
        );
        assert_eq!(
            count(&server, "audit_log").await,
            audit,
            "{backend:?}: nothing audited"
        );

        let listed: Value = self::client()
            .get(server.url("/api/v1/institutions?district=jiangning"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed["total"], 1);
        assert_eq!(
            listed["items"][0]["contact_phone"],
            Value::Null,
            "contacts are not public"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let server = spawn_app(Backend::Sqlite).await;
    let document: Value = client()
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/institutions",
        "/api/v1/institutions/{id}",
        "/api/v1/auth/login",
        "/api/v1/users",
        "/api/v1/audit",
    ] {
        assert!(document["paths"][path].is_object(), "{path} is documented");
    }
    assert!(document["components"]["schemas"]["Problem"].is_object());
    let unknown = client()
        .get(server.url("/api/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(unknown).await.1["code"], "not_found");
}

#[tokio::test]
async fn admins_create_accounts_and_lift_login_delays_in_the_ui() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let (admin, csrf) = log_in(&server, "admin").await;
        let created = admin
            .post(server.url("/admin/institutions"))
            .form(&institution_form(&csrf, "南京甲公司", VALID_CODE))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::SEE_OTHER);

        let user_form = |username: &str, role: &str, district: &str, credit_code: &str| {
            vec![
                ("_csrf", csrf.clone()),
                ("username", username.to_string()),
                ("display_name", format!("{username} 同志")),
                ("password", "Secret-pass-1".to_string()),
                ("role", role.to_string()),
                ("district", district.to_string()),
                ("institution_credit_code", credit_code.to_string()),
            ]
        };
        let users_before = count(&server, "users").await;
        let refused = admin
            .post(server.url("/admin/users"))
            .form(&user_form(
                "orphan",
                "institution",
                "",
                "91350100M000100Y44",
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("机构用户须选择一个已登记的机构")
        );
        let refused = admin
            .post(server.url("/admin/users"))
            .form(&user_form("officer", "district", "", ""))
            .send()
            .await
            .unwrap();
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("区级管理员须选择所辖区")
        );
        assert_eq!(
            count(&server, "users").await,
            users_before,
            "{backend:?}: nothing written"
        );

        for form in [
            user_form("officer", "district", "gaochun", ""),
            user_form("member", "institution", "", VALID_CODE),
        ] {
            let response = admin
                .post(server.url("/admin/users"))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{backend:?}");
        }
        let list = admin
            .get(server.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            list.contains("高淳区") && list.contains("南京甲公司"),
            "{backend:?}: bindings shown"
        );
        let (member, _) = log_in(&server, "member").await;
        let home = member
            .get(server.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            home.contains("本机构资料") && !home.contains("用户管理"),
            "institution navigation"
        );

        // Five wrong passwords delay logins from that address; the admin lifts the delay.
        let client = client();
        for _ in 0..5 {
            let page = client
                .get(server.url("/login"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let form = [
                ("_csrf", csrf_of(&page)),
                ("username", "officer".into()),
                ("password", "wrong-pass-1".into()),
            ];
            client
                .post(server.url("/login"))
                .form(&form)
                .send()
                .await
                .unwrap();
        }
        let page = client
            .get(server.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let form = [
            ("_csrf", csrf_of(&page)),
            ("username", "officer".into()),
            ("password", "Secret-pass-1".into()),
        ];
        let locked = client
            .post(server.url("/login"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            locked.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{backend:?}"
        );
        assert_eq!(locked.headers()["retry-after"], "60");
        assert!(locked.text().await.unwrap().contains("登录尝试过于频繁"));
        let list = admin
            .get(server.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(list.contains("解除登录限制"));
        let officer_id: (i64,) = sqlx::query_as("SELECT id FROM users WHERE username = 'officer'")
            .fetch_one(server.context.app.store().pool())
            .await
            .unwrap();
        let unlocked = admin
            .post(server.url(&format!("/admin/users/{}/unlock", officer_id.0)))
            .form(&[("_csrf", csrf.clone())])
            .send()
            .await
            .unwrap();
        assert_eq!(unlocked.status(), StatusCode::SEE_OTHER);
        log_in(&server, "officer").await;
        let audit = admin
            .get(server.url("/admin/audit?action=user."))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // As sentences: who (the test's system actor, the officer) did what to which account.
        for sentence in [
            "新建了用户「officer 同志」",
            "用户「officer 同志」登录失败",
            "解除了锁定：用户「officer 同志」",
        ] {
            assert!(audit.contains(sentence), "{backend:?}: {sentence} audited");
        }
        assert!(
            !audit.contains("user.unlock"),
            "{backend:?}: no action codes"
        );
    }
}

#[tokio::test]
async fn the_two_lists_flow_through_pages() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let system = zijin_app::Actor::System("test");
        let mut ids = Vec::new();
        for (name, kind, code) in [
            ("南京测试大学", "university", VALID_CODE.to_string()),
            ("南京测试科技有限公司", "enterprise", other_code()),
        ] {
            let input = zijin_domain::InstitutionInput {
                name,
                kind,
                credit_code: &code,
                district: "鼓楼区",
                ..Default::default()
            };
            ids.push(
                zijin_app::institutions::create(&server.context.app, &system, &input)
                    .await
                    .unwrap()
                    .id,
            );
        }
        add_user(&server, "admin", "admin", "", "", None).await;
        add_user(&server, "reviewer", "reviewer", "市科技局", "", None).await;
        add_user(&server, "university", "institution", "", "", Some(ids[0])).await;
        add_user(&server, "enterprise", "institution", "", "", Some(ids[1])).await;

        let (university, u_csrf) = log_in(&server, "university").await;
        let bad = [
            ("_csrf", u_csrf.clone()),
            ("title", "低温电解液".into()),
            ("summary", "简介".into()),
            ("field", "new-energy".into()),
            ("trl", "6".into()),
            ("ip_items", "ZL202110123456.8".into()),
            ("transfer_modes", "assignment".into()),
            ("price", "-5".into()),
            ("contact_name", "王老师".into()),
            ("contact_phone", "13812345678".into()),
        ];
        let refused = university
            .post(server.url("/my/achievements"))
            .form(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );
        let page = refused.text().await.unwrap();
        assert!(
            page.contains("校验位错误") && page.contains("负数"),
            "{backend:?}"
        );
        let mut good = bad.to_vec();
        good[5].1 = "ZL202110123456.7".into();
        good[7].1 = "1500000".into();
        let created = university
            .post(server.url("/my/achievements"))
            .form(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::SEE_OTHER, "{backend:?}");
        let record = created.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        assert_eq!(
            client()
                .get(server.url(&record))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND,
            "drafts are private"
        );
        assert_eq!(
            university
                .post(server.url(&format!("{record}/submit")))
                .form(&[("_csrf", u_csrf.clone())])
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::SEE_OTHER
        );

        let (enterprise, e_csrf) = log_in(&server, "enterprise").await;
        let demand = [
            ("_csrf", e_csrf.clone()),
            ("title", "冬季电动车续航提升".into()),
            ("description", "低温续航下降".into()),
            ("field", "新能源".into()),
            ("cooperation_modes", "joint-development".into()),
            ("budget_min", "300000".into()),
            ("budget_max", "1000000".into()),
            ("contact_name", "李经理".into()),
            ("contact_phone", "025-52000000".into()),
            ("wanted_trl", "6".into()),
        ];
        let created = enterprise
            .post(server.url("/my/demands"))
            .form(&demand)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        let demand_record = created.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        // 期望成熟度 is chosen from the same list as an achievement's, and the edit form keeps it.
        let demand_id = demand_record.rsplit('/').next().unwrap();
        let edit = enterprise
            .get(server.url(&format!("/my/demands/{demand_id}/edit")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(edit.contains("<select id=\"f-wanted_trl\""), "{backend:?}");
        assert!(
            edit.contains("<option value=\"6\" selected>"),
            "{backend:?}"
        );
        enterprise
            .post(server.url(&format!("{demand_record}/submit")))
            .form(&[("_csrf", e_csrf.clone())])
            .send()
            .await
            .unwrap();

        // The reviewer returns the achievement with a comment, then approves the corrected one.
        let (reviewer, r_csrf) = log_in(&server, "reviewer").await;
        // 我的待办 on the reviewer's home page counts both records waiting.
        let home = reviewer
            .get(server.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            home.contains("成果和需求待审核</a> <span class=\"badge\">2</span>"),
            "{backend:?}"
        );
        let queue = reviewer
            .get(server.url("/review"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(queue.contains("低温电解液") && queue.contains("冬季电动车续航提升"));
        let no_comment = reviewer
            .post(server.url(&format!("{record}/return")))
            .form(&[("_csrf", r_csrf.clone()), ("comment", String::new())])
            .send()
            .await
            .unwrap();
        assert_error_flashed(&no_comment);
        reviewer
            .post(server.url(&format!("{record}/return")))
            .form(&[
                ("_csrf", r_csrf.clone()),
                ("comment", "请补充专利权属说明".into()),
            ])
            .send()
            .await
            .unwrap();
        let returned = university
            .get(server.url(&record))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(returned.contains("已退回") && returned.contains("请补充专利权属说明"));
        let id = record.rsplit('/').next().unwrap();
        good[1].1 = "低温电解液（专利已授权）".into();
        assert_eq!(
            university
                .post(server.url(&format!("/my/achievements/{id}")))
                .form(&good)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::SEE_OTHER
        );
        university
            .post(server.url(&format!("{record}/submit")))
            .form(&[("_csrf", u_csrf.clone())])
            .send()
            .await
            .unwrap();
        for path in [&record, &demand_record] {
            let approved = reviewer
                .post(server.url(&format!("{path}/approve")))
                .form(&[("_csrf", r_csrf.clone()), ("comment", String::new())])
                .send()
                .await
                .unwrap();
            let location = approved.headers()["location"].to_str().unwrap().to_string();
            assert!(location.ends_with("saved=1"), "{backend:?}");
            // The page says what happened and leads to the next record waiting, if any.
            let page = reviewer
                .get(server.url(&location))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(page.contains("已审核通过"), "{backend:?}");
            if path == &record {
                assert!(page.contains("id=\"next-waiting\""), "{backend:?}");
            } else {
                assert!(page.contains("待审核的记录已全部处理"), "{backend:?}");
            }
        }
        let forbidden = university
            .post(server.url("/admin/lists"))
            .form(&[("_csrf", u_csrf.clone()), ("title", "2026年第4期".into())])
            .send()
            .await
            .unwrap();
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

        let (admin, a_csrf) = log_in(&server, "admin").await;
        let lists = admin
            .get(server.url("/lists"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            lists.contains("id=\"preview-achievements\">1<")
                && lists.contains("id=\"preview-demands\">1<"),
            "{backend:?}: preview"
        );
        admin
            .post(server.url("/admin/lists"))
            .form(&[("_csrf", a_csrf.clone()), ("title", "2026年第4期".into())])
            .send()
            .await
            .unwrap();
        let duplicate = admin
            .post(server.url("/admin/lists"))
            .form(&[("_csrf", a_csrf.clone()), ("title", "2026年第4期".into())])
            .send()
            .await
            .unwrap();
        assert_error_flashed(&duplicate);
        // An issue not yet published is not anyone else's to download.
        let early = client()
            .get(server.url("/lists/1/export.pdf"))
            .send()
            .await
            .unwrap();
        assert_eq!(early.status(), StatusCode::NOT_FOUND, "{backend:?}");
        // The draft shows what goes in, to the admin only; 发布 without the confirmation
        // ticked publishes nothing.
        let draft = admin
            .get(server.url("/lists/1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(draft.contains("发布后本期将纳入"), "{backend:?}");
        assert!(draft.contains("id=\"draft-total\">"), "{backend:?}");
        assert_eq!(
            client()
                .get(server.url("/lists/1"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND
        );
        let unconfirmed = admin
            .post(server.url("/admin/lists/1/publish"))
            .form(&[("_csrf", a_csrf.clone())])
            .send()
            .await
            .unwrap();
        assert_eq!(unconfirmed.headers()["location"], "/lists/1");
        let still_draft = admin
            .get(server.url("/lists/1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            still_draft.contains("勾选“确认发布”后再发布"),
            "{backend:?}"
        );
        assert!(still_draft.contains("发布后本期将纳入"), "{backend:?}");
        let published = admin
            .post(server.url("/admin/lists/1/publish"))
            .form(&[("_csrf", a_csrf.clone()), ("confirm", "yes".into())])
            .send()
            .await
            .unwrap();
        assert_eq!(published.headers()["location"], "/lists/1?published=1");

        // The published issue as PDF, for anyone.
        let pdf = client()
            .get(server.url("/lists/1/export.pdf"))
            .send()
            .await
            .unwrap();
        assert_eq!(pdf.status(), StatusCode::OK);
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        let pdf_text = zijin_testkit::pdf_text(&pdf.bytes().await.unwrap());
        assert!(
            pdf_text.contains("低温电解液（专利已授权）")
                && pdf_text.contains("冬季电动车续航提升")
                && pdf_text.contains("138****5678")
                && !pdf_text.contains("13812345678"),
            "{backend:?}: {pdf_text}"
        );

        // Anyone finds both in the public lists, with the phone masked.
        let public = client();
        let achievements = public
            .get(
                server
                    .url("/lists/1?kind=achievement&field=new-energy&institution_kind=university"),
            )
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            achievements.contains("低温电解液（专利已授权）")
                && achievements.contains("南京测试大学")
                && achievements.contains("id=\"page-total\">共 1 条"),
            "{backend:?}"
        );
        let demands = public
            .get(server.url("/lists/1?kind=demand&mode=joint-development"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(demands.contains("冬季电动车续航提升"));
        // The issue shows the audit chain's head at its publication, as kept in the database.
        let anchor = zijin_app::audit::issue_anchor(&server.context.app, 1)
            .await
            .unwrap()
            .expect("publication records an audit anchor");
        assert!(
            demands.contains(&format!("审计锚点：第 {} 条", anchor.seq))
                && demands.contains(&anchor.hash),
            "{backend:?}"
        );
        let head = zijin_app::audit::verify(&server.context.app).await.unwrap();
        assert_eq!((head.first_breach, head.anchors_checked), (None, 1));
        let entry = public
            .get(server.url(&format!("/lists/1/achievement/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(entry.contains("138****5678") && !entry.contains("13812345678"));
        let diff = public
            .get(server.url("/lists/1/diff"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(diff.contains("id=\"count-new\">1<"));
    }
}

#[tokio::test]
async fn spreadsheets_download_and_oversized_uploads_are_refused() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let template = client()
            .get(server.url("/templates/achievements.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(template.status(), StatusCode::OK);
        assert!(
            template.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("filename*=UTF-8''")
        );
        let bytes = template.bytes().await.unwrap();
        assert_eq!(
            zijin_app::exchange::read_table(&bytes).unwrap().headers[0],
            "成果名称"
        );

        let (admin, csrf) = log_in(&server, "admin").await;
        let page = admin.get(server.url("/import")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let audit_before = count(&server, "audit_log").await;
        let huge = vec![b'a'; 50 * 1024 * 1024];
        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .text("kind", "achievement")
            .part(
                "file",
                reqwest::multipart::Part::bytes(huge).file_name("big.xlsx"),
            );
        let response = admin
            .post(server.url("/import"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{backend:?}"
        );
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("文件不能超过 20 MB")
        );

        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .text("kind", "achievement")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"this is not a spreadsheet".to_vec())
                    .file_name("fake.xlsx"),
            );
        let response = admin
            .post(server.url("/import"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(
            html.contains("缺少列") || html.contains("不是 .xlsx"),
            "{backend:?}"
        );
        assert_eq!(
            count(&server, "audit_log").await,
            audit_before,
            "nothing written"
        );

        let form = reqwest::multipart::Form::new()
            .text("_csrf", "forged".to_string())
            .text("kind", "achievement")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("t.xlsx"),
            );
        assert_eq!(
            admin
                .post(server.url("/import"))
                .multipart(form)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            client()
                .get(server.url("/import"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::SEE_OTHER,
            "anonymous visitors are sent to log in"
        );
    }
}

#[tokio::test]
async fn the_two_lists_through_the_api() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let system = zijin_app::Actor::System("test");
        let input = zijin_domain::InstitutionInput {
            name: "南京测试大学",
            kind: "university",
            credit_code: VALID_CODE,
            district: "栖霞区",
            ..Default::default()
        };
        let university = zijin_app::institutions::create(&server.context.app, &system, &input)
            .await
            .unwrap()
            .id;
        add_user(&server, "teacher", "institution", "", "", Some(university)).await;
        add_user(&server, "reviewer", "reviewer", "市科技局", "", None).await;
        add_user(&server, "admin", "admin", "", "", None).await;

        let (teacher, csrf) = api_login(&server, "teacher").await;
        let body = json!({"title": "宽温域电解液", "summary": "低温可用", "field": "新能源", "keywords": ["锂电池"], "trl": "中试",
            "ip_items": ["CN114081026A"], "transfer_modes": ["licence"], "price": "1500000.10", "contact_name": "王老师", "contact_phone": "13812345678"});
        let created = teacher
            .post(server.url("/api/v1/achievements"))
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED, "{backend:?}");
        let created: Value = created.json().await.unwrap();
        assert_eq!(
            (created["status"].as_str(), created["money"].as_str()),
            (Some("draft"), Some("1,500,000.10 元（150.00001 万元）"))
        );
        let id = created["id"].as_i64().unwrap();

        let mut bad = body.clone();
        bad["ip_items"] = json!(["ZL202110123456.8"]);
        let (status, document) = problem(
            teacher
                .post(server.url("/api/v1/achievements"))
                .header("x-csrf-token", &csrf)
                .json(&bad)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, document["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("ip_items"))
        );
        let private = client()
            .get(server.url(&format!("/api/v1/records/achievement/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(private).await.0,
            StatusCode::NOT_FOUND,
            "drafts stay private"
        );

        let step = |client: &Client, csrf: &str, action: &str| {
            client
                .post(server.url(&format!("/api/v1/records/achievement/{id}/transitions")))
                .header("x-csrf-token", csrf.to_string())
                .json(&json!({"action": action}))
                .send()
        };
        assert_eq!(
            step(&teacher, &csrf, "submit").await.unwrap().status(),
            StatusCode::OK
        );
        assert_eq!(
            problem(step(&teacher, &csrf, "approve").await.unwrap())
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (reviewer, reviewer_csrf) = api_login(&server, "reviewer").await;
        let approved: Value = step(&reviewer, &reviewer_csrf, "approve")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(approved["status"], "approved");

        let admin = zijin_app::Actor::User(account_of(&server, "admin").await);
        let issue = zijin_app::lists::open_issue(&server.context.app, &admin, "2026年第4期")
            .await
            .unwrap();
        zijin_app::lists::publish(&server.context.app, &admin, issue.id)
            .await
            .unwrap();
        let issues: Value = client()
            .get(server.url("/api/v1/lists"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(issues[0]["title"], "2026年第4期");
        let entries: Value = client()
            .get(server.url(&format!(
                "/api/v1/lists/{}/achievements?field=new-energy&trl_min=6&trl_max=7",
                issue.id
            )))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(entries["total"], 1, "{backend:?}: {entries}");
        assert_eq!(
            entries["items"][0]["snapshot"]["contact_phone"],
            "138****5678"
        );
        assert_eq!(entries["items"][0]["snapshot"]["price"], "1500000.10");
        // Two filters together are counted on the spot; one page, so no cursors.
        assert_eq!(entries["total_is_lower_bound"], false);
        assert_eq!(entries["page"], 1);
        assert!(entries["next_after"].is_null() && entries["previous_before"].is_null());
        let record_id = entries["items"][0]["record_id"].as_i64().unwrap();
        // A published issue is frozen: its answer carries an ETag, and asking again with it gets
        // 304 and no body.
        let url = server.url(&format!("/api/v1/lists/{}/achievements", issue.id));
        let first = client().get(&url).send().await.unwrap();
        let tag = first.headers()["etag"].to_str().unwrap().to_string();
        assert!(tag.starts_with('"') && tag.len() > 10, "{tag}");
        let again = client()
            .get(&url)
            .header("if-none-match", &tag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(again.text().await.unwrap().is_empty());
        let other = client()
            .get(&url)
            .header("if-none-match", "\"something-else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), StatusCode::OK);
        let after: Value = client()
            .get(server.url(&format!(
                "/api/v1/lists/{}/achievements?after={record_id}",
                issue.id
            )))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(after["items"].as_array().map(Vec::len), Some(0), "{after}");
        assert!(after["page"].is_null());
        assert_eq!(
            after["previous_before"],
            Value::Null,
            "an empty page has no first id"
        );
    }
}

/// The stored account of a user name (logging in returns it).
async fn account_of(server: &TestServer, username: &str) -> zijin_domain::User {
    zijin_app::auth::login(
        &server.context.app,
        username,
        "Secret-pass-1",
        &zijin_app::auth::ClientAddress::local(),
    )
    .await
    .unwrap()
    .user
}

#[tokio::test]
async fn admins_keep_the_technical_field_list() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        add_user(&server, "reviewer", "reviewer", "市科技局", "", None).await;
        let (admin, csrf) = log_in(&server, "admin").await;
        // A clerk gives only the name; the page shows names, never codes.
        let page = admin
            .get(server.url("/admin/fields"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("生物医药") && !page.contains("<code>"),
            "{backend:?}"
        );
        assert!(!page.contains("marine-engineering"));
        let added = admin
            .post(server.url("/admin/fields"))
            .form(&[("_csrf", csrf.clone()), ("label", "海洋工程".into())])
            .send()
            .await
            .unwrap();
        assert_eq!(
            added.headers()["location"],
            "/admin/fields?saved=1",
            "{backend:?}"
        );
        let renamed = admin
            .post(server.url("/admin/fields"))
            .form(&[
                ("_csrf", csrf.clone()),
                ("code", "other".into()),
                ("label", "其他领域".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(renamed.headers()["location"], "/admin/fields?saved=1");
        let clash = admin
            .post(server.url("/admin/fields"))
            .form(&[
                ("_csrf", csrf.clone()),
                ("code", "bio-2".into()),
                ("label", "生物医药".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_error_flashed(&clash);
        let fields = zijin_app::records::technical_fields(&server.context.app)
            .await
            .unwrap();
        assert_eq!(fields.len(), 14);
        let marine = fields.iter().find(|f| f.label == "海洋工程").unwrap();
        assert!(marine.code.starts_with("field-"), "{}", marine.code);
        assert!(
            fields
                .iter()
                .any(|f| f.code == "other" && f.label == "其他领域")
        );
        let (reviewer, reviewer_csrf) = log_in(&server, "reviewer").await;
        let refused = reviewer
            .post(server.url("/admin/fields"))
            .form(&[
                ("_csrf", reviewer_csrf),
                ("code", "x-y".into()),
                ("label", "越权".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn attachments_are_checked_by_content_and_stay_private_with_their_draft() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let system = zijin_app::Actor::System("test");
        let mut ids = Vec::new();
        for (name, code) in [
            ("南京测试大学", VALID_CODE.to_string()),
            ("南京另一大学", other_code()),
        ] {
            let input = zijin_domain::InstitutionInput {
                name,
                kind: "university",
                credit_code: &code,
                district: "栖霞区",
                ..Default::default()
            };
            ids.push(
                zijin_app::institutions::create(&server.context.app, &system, &input)
                    .await
                    .unwrap()
                    .id,
            );
        }
        add_user(&server, "teacher", "institution", "", "", Some(ids[0])).await;
        add_user(&server, "outsider", "institution", "", "", Some(ids[1])).await;
        let teacher_user = account_of(&server, "teacher").await;
        let modes = vec!["licence".to_string()];
        let input = zijin_domain::AchievementInput {
            title: "带附件的成果",
            summary: "简介",
            field: "new-energy",
            trl: "5",
            transfer_modes: &modes,
            contact_name: "王老师",
            contact_phone: "13800000000",
            ..Default::default()
        };
        let achievement = zijin_app::records::create_achievement(
            &server.context.app,
            &zijin_app::Actor::User(teacher_user),
            &input,
        )
        .await
        .unwrap();
        let (teacher, csrf) = log_in(&server, "teacher").await;
        let upload = |bytes: Vec<u8>, name: &'static str| {
            let form = reqwest::multipart::Form::new()
                .text("_csrf", csrf.clone())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                );
            teacher
                .post(server.url(&format!(
                    "/records/achievement/{}/attachments",
                    achievement.id
                )))
                .multipart(form)
                .send()
        };
        let refused = upload(b"MZ\x90\x00 an executable".to_vec(), "report.pdf")
            .await
            .unwrap();
        // Renamed files are refused, with a message.
        assert_error_flashed(&refused);
        let accepted = upload(b"%PDF-1.7\n% a tiny pdf\n".to_vec(), "成果说明.exe")
            .await
            .unwrap();
        assert!(
            accepted.headers()["location"]
                .to_str()
                .unwrap()
                .ends_with("saved=1"),
            "{backend:?}"
        );
        let detail = teacher
            .get(server.url(&format!("/records/achievement/{}", achievement.id)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            detail.contains("成果说明.pdf"),
            "the name gets the extension of the content"
        );
        let attachment_id: (i64,) = sqlx::query_as("SELECT id FROM attachments")
            .fetch_one(server.context.app.store().pool())
            .await
            .unwrap();
        let file = teacher
            .get(server.url(&format!("/attachments/{}", attachment_id.0)))
            .send()
            .await
            .unwrap();
        assert_eq!(file.headers()["content-type"], "application/pdf");
        assert!(file.bytes().await.unwrap().starts_with(b"%PDF-"));
        let (outsider, _) = log_in(&server, "outsider").await;
        assert_eq!(
            outsider
                .get(server.url(&format!("/attachments/{}", attachment_id.0)))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            client()
                .get(server.url(&format!("/attachments/{}", attachment_id.0)))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn the_policy_calculator_explains_every_yuan() {
    // Nothing here touches the database; one backend is enough.
    let server = spawn_app(Backend::Sqlite).await;
    let page = |path: &str| {
        let url = server.url(path);
        async move {
            let response = client().get(url).send().await.unwrap();
            let status = response.status();
            (status, response.text().await.unwrap())
        }
    };
    let (status, index) = page("/policy").await;
    assert_eq!(status, StatusCode::OK);
    assert!(index.contains("id=\"measure-a08-jiebang\">揭榜制项目资助"));
    assert!(index.contains("第18条 深化职务科技成果赋权改革"));

    let (status, capped) =
        page("/policy/a08-jiebang?calculate=1&enterprise_investment=30000000&on=2026-06-01").await;
    assert_eq!(status, StatusCode::OK);
    assert!(capped.contains("id=\"amount\">2,000,000.00<"), "{capped}");
    assert!(capped.contains("超过上限，取 2,000,000.00 元"));
    assert!(capped.contains("实施意见第8条"));

    let (status, negative) =
        page("/policy/a08-jiebang?calculate=1&enterprise_investment=-1&on=2026-06-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(negative.contains("金额不能为负数"), "{negative}");

    let (status, pending) = page(
        "/policy/a03-transfer-org?calculate=1&role=seller&technology_amount=5000000&on=2026-06-01",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        pending.contains("第3条输出方分档奖励标准尚未设定"),
        "{pending}"
    );
    assert!(pending.contains("尚未设定：按技术交易额分档，由实施细则确定"));

    let (status, _) = page("/policy/a99-nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[path = "integration/accounts.rs"]
mod accounts;
