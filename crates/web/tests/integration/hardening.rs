//! Issue 14, hole 10 and the headers: the alert box shows only what the platform sealed,
//! private answers are not cached, HTTPS deployments pin HTTPS, and text or file names that
//! would disguise themselves are refused or cleaned.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_DISPOSITION, SET_COOKIE};
use serde_json::{Value, json};
use zijin_testkit::{BACKENDS, TestServer, spawn_app};

use super::refusals::assert_problem;
use super::{VALID_CODE, add_user, api_login, client, log_in};

fn flash_cookie_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("zijin_flash="))
        .map(str::to_string)
}

#[tokio::test]
async fn the_alert_box_shows_only_what_the_platform_sealed() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let phishing = "您的账号已冻结，请拨打400";

        // A link's text is never shown.
        let page = client()
            .get(server.url(&format!("/lists?error={phishing}&notice={phishing}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!page.contains(phishing), "{backend:?}: query text shown");

        // A real refusal still reaches the page after the redirect, once.
        let (admin, csrf) = log_in(&server, "admin").await;
        let refused = admin
            .post(server.url("/admin/lists"))
            .form(&[("_csrf", csrf.as_str()), ("title", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::SEE_OTHER, "{backend:?}");
        assert_eq!(
            refused.headers()["location"],
            "/lists",
            "no message in the address"
        );
        let cookie = flash_cookie_of(&refused).expect("a sealed message");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let shown = admin.get(server.url("/lists")).send().await.unwrap();
        assert!(
            flash_cookie_of(&shown).is_some_and(|c| c.contains("Max-Age=0")),
            "{backend:?}: the message is cleared once shown"
        );
        let shown = shown.text().await.unwrap();
        assert!(shown.contains("id=\"list-error\""), "{backend:?}: {shown}");
        assert!(shown.contains("请填写期次名称"), "{backend:?}");
        let again = admin
            .get(server.url("/lists"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !again.contains("id=\"list-error\""),
            "{backend:?}: shown once"
        );

        // A forged cookie, or a sealed one altered, shows nothing.
        let sealed = cookie
            .trim_start_matches("zijin_flash=")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let (text, mac) = sealed.split_once('.').unwrap();
        let forged_text = hex_encode(phishing.as_bytes());
        for forged in [
            format!("{forged_text}.{mac}"),
            format!("{forged_text}.{}", "0".repeat(64)),
            forged_text.clone(),
        ] {
            let page = client()
                .get(server.url("/lists"))
                .header("cookie", format!("zijin_flash={forged}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                !page.contains(phishing) && !page.contains("id=\"list-error\""),
                "{backend:?}: {forged}"
            );
        }

        // Another server process over the same database accepts the sealed message.
        let other = serve(server.context.app.clone(), Default::default()).await;
        let page = client()
            .get(format!("{other}/lists"))
            .header("cookie", format!("zijin_flash={text}.{mac}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("请填写期次名称"), "{backend:?}: shared key");
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Serves `app` with `config` on a free port; the address.
async fn serve(app: zijin_app::App, config: zijin_web::WebConfig) -> String {
    let router = zijin_web::router(app, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    address
}

fn cache_control(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(CACHE_CONTROL)
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn private_answers_are_not_stored_and_https_is_pinned() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let (admin, _) = log_in(&server, "admin").await;
        for path in ["/", "/lists", "/admin/users", "/my/achievements", "/audit"] {
            let response = admin.get(server.url(path)).send().await.unwrap();
            assert_eq!(
                cache_control(&response),
                "no-store",
                "{backend:?}: {path} signed in"
            );
        }
        let (api, _) = api_login(&server, "admin").await;
        for path in ["/api/v1/me", "/api/v1/users", "/api/v1/institutions"] {
            let response = api.get(server.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(cache_control(&response), "no-store", "{backend:?}: {path}");
        }
        let refused = client()
            .get(server.url("/admin/users"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            cache_control(&refused),
            "no-store",
            "a redirect to the login"
        );
        let login = client().get(server.url("/login")).send().await.unwrap();
        assert_eq!(
            cache_control(&login),
            "no-store",
            "the login form carries a token"
        );
        // The stylesheet is the same for everyone.
        let css = admin
            .get(server.url("/static/app.css"))
            .send()
            .await
            .unwrap();
        assert!(cache_control(&css).contains("max-age"), "{backend:?}");
        assert!(
            !css.headers().contains_key("strict-transport-security"),
            "no HSTS over plain HTTP"
        );
    }
}

/// The session cookie's value and the CSRF token of an API login against `address`.
async fn raw_api_login(address: &str, username: &str) -> (String, String) {
    let response = client()
        .post(format!("{address}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": "Secret-pass-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("zijin_session="))
        .unwrap()
        .to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_string();
    let body: Value = response.json().await.unwrap();
    (session, body["csrf_token"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn secure_deployments_send_hsts_and_keep_the_secure_flag_on_logout() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let config = zijin_web::WebConfig {
            secure_cookies: true,
            ..Default::default()
        };
        let address = serve(server.context.app.clone(), config).await;
        for path in ["/", "/static/app.css", "/api/v1/reference"] {
            let response = client()
                .get(format!("{address}{path}"))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.headers()["strict-transport-security"],
                "max-age=31536000",
                "{backend:?}: {path}"
            );
        }
        let (session, csrf) = raw_api_login(&address, "admin").await;
        let logout = client()
            .post(format!("{address}/api/v1/auth/logout"))
            .header("cookie", &session)
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(logout.status(), StatusCode::NO_CONTENT, "{backend:?}");
        let expired = logout.headers()[SET_COOKIE].to_str().unwrap();
        assert!(
            expired.starts_with("zijin_session=;")
                && expired.contains("Secure")
                && expired.contains("Max-Age=0"),
            "{backend:?}: {expired}"
        );
        // The page logout too.
        let (session, _) = raw_api_login(&address, "admin").await;
        let home = client()
            .get(format!("{address}/"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = super::csrf_of(&home);
        let logout = client()
            .post(format!("{address}/logout"))
            .header("cookie", &session)
            .form(&[("_csrf", csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(logout.status(), StatusCode::SEE_OTHER, "{backend:?}");
        let expired = logout.headers()[SET_COOKIE].to_str().unwrap();
        assert!(
            expired.contains("Secure") && expired.contains("Max-Age=0"),
            "{expired}"
        );
    }
}

#[tokio::test]
async fn single_line_text_refuses_breaks_overrides_and_invisible_names() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let (api, csrf) = api_login(&server, "admin").await;
        let institution = |name: &str| json!({"name": name, "kind": "enterprise", "credit_code": VALID_CODE, "district": "江宁区"});
        for (name, message) in [
            (
                "南京紫峰\r\nSet-Cookie: x",
                "机构名称不能包含换行符或其他控制字符",
            ),
            ("南京\u{202E}司公技科", "机构名称不能包含文字方向控制字符"),
            ("\u{200B}\u{200B}", "请填写机构名称"),
        ] {
            let document = assert_problem(
                api.post(server.url("/api/v1/institutions"))
                    .header("x-csrf-token", &csrf)
                    .json(&institution(name))
                    .send()
                    .await
                    .unwrap(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                &format!("{backend:?}: {name:?}"),
            )
            .await;
            assert_eq!(document["errors"][0]["field"], "name");
            assert_eq!(document["errors"][0]["message"], message);
        }
        let created = api
            .post(server.url("/api/v1/institutions"))
            .header("x-csrf-token", &csrf)
            .json(&institution("南京紫峰科技有限公司"))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED, "{backend:?}");

        // An issue title is one line too; refused through the page with a message.
        let (admin, page_csrf) = log_in(&server, "admin").await;
        let refused = admin
            .post(server.url("/admin/lists"))
            .form(&[
                ("_csrf", page_csrf.as_str()),
                ("title", "2026年第4期\r\n伪造"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::SEE_OTHER);
        let page = admin
            .get(server.url("/lists"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("期次名称不能包含换行符或其他控制字符"),
            "{backend:?}"
        );
        assert_eq!(
            zijin_app::lists::issues(&server.context.app, &zijin_app::Actor::System("test"))
                .await
                .unwrap()
                .len(),
            0
        );
    }
}

#[tokio::test]
async fn download_names_are_cleaned() {
    for backend in BACKENDS {
        let server: TestServer = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let (admin, csrf) = log_in(&server, "admin").await;
        let opened = admin
            .post(server.url("/admin/lists"))
            .form(&[("_csrf", csrf.as_str()), ("title", "2026/第4期 \"终稿\"")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            opened.headers()["location"],
            "/lists?saved=1",
            "{backend:?}"
        );
        let published = admin
            .post(server.url("/admin/lists/1/publish"))
            .form(&[("_csrf", csrf.as_str()), ("confirm", "yes")])
            .send()
            .await
            .unwrap();
        assert_eq!(published.status(), StatusCode::SEE_OTHER, "{backend:?}");
        let export = client()
            .get(server.url("/lists/1/export.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), StatusCode::OK, "{backend:?}");
        let disposition = export.headers()[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_string();
        let encoded = disposition.split("filename*=UTF-8''").nth(1).unwrap();
        assert!(
            disposition.starts_with("attachment; filename=\"zijin.xlsx\""),
            "{disposition}"
        );
        assert!(
            !encoded.contains("%2F") && !encoded.contains("%22") && !encoded.contains('"'),
            "{disposition}"
        );
        assert!(encoded.ends_with(".xlsx"), "{disposition}");
    }
}
