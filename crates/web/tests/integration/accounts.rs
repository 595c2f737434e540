//! Login throttling behind a proxy, 修改密码, and the admin's reset and disable — pages and API.

use super::*;

/// Whether the account is disabled, read from the database (logging in would be refused).
async fn is_disabled(server: &TestServer, username: &str) -> bool {
    let (disabled,): (i64,) = sqlx::query_as("SELECT disabled FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(server.context.app.store().pool())
        .await
        .unwrap();
    disabled != 0
}

async fn api_attempt(
    server: &TestServer,
    username: &str,
    password: &str,
    forwarded_for: &str,
) -> reqwest::Response {
    client()
        .post(server.url("/api/v1/auth/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_and_nobody_else_can() {
    for backend in BACKENDS {
        let config = zijin_web::WebConfig {
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            ..Default::default()
        };
        let server = zijin_testkit::spawn_app_with(backend, config).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        for _ in 0..5 {
            let response =
                api_attempt(&server, "admin", "wrong-pass-1", "10.1.1.1, 203.0.113.5").await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{backend:?}");
        }
        let throttled = api_attempt(&server, "admin", "Secret-pass-1", "203.0.113.5").await;
        assert_eq!(
            throttled.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{backend:?}"
        );
        assert_eq!(throttled.headers()["retry-after"], "60");
        let (_, body) = problem(throttled).await;
        assert_eq!(body["code"], "login_throttled");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("登录尝试过于频繁")
        );
        // The owner behind the same proxy, from another address, gets in.
        let owner = api_attempt(&server, "admin", "Secret-pass-1", "198.51.100.9").await;
        assert_eq!(owner.status(), StatusCode::OK, "{backend:?}");

        // Without a trusted proxy the header is the client's own word: changing it gains nothing.
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        for n in 0..5 {
            let response =
                api_attempt(&server, "admin", "wrong-pass-1", &format!("192.0.2.{n}")).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{backend:?}");
        }
        let spoofed = api_attempt(&server, "admin", "wrong-pass-1", "192.0.2.77").await;
        assert_eq!(
            spoofed.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn people_change_their_own_password_and_other_sessions_end() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "clerk", "reviewer", "市科技局", "", None).await;
        let (phone, _) = log_in(&server, "clerk").await;
        let (laptop, csrf) = log_in(&server, "clerk").await;
        let page = laptop
            .get(server.url("/account/password"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("修改密码"));

        let submit = |current: &str, new: &str, again: &str| {
            let form = [
                ("_csrf", csrf.clone()),
                ("current_password", current.to_string()),
                ("password", new.to_string()),
                ("password_again", again.to_string()),
            ];
            laptop
                .post(server.url("/account/password"))
                .form(&form)
                .send()
        };
        let mismatch = submit("Secret-pass-1", "Better-pass-22", "Better-pass-23")
            .await
            .unwrap();
        assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            mismatch
                .text()
                .await
                .unwrap()
                .contains("两次输入的新密码不一致")
        );
        let common = submit("Secret-pass-1", "password123", "password123")
            .await
            .unwrap();
        assert_eq!(common.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(common.text().await.unwrap().contains("过于常见"));
        let wrong = submit("not-my-pass-1", "Better-pass-22", "Better-pass-22")
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().await.unwrap().contains("当前密码不正确"));
        let changed = submit("Secret-pass-1", "Better-pass-22", "Better-pass-22")
            .await
            .unwrap();
        assert_eq!(changed.status(), StatusCode::SEE_OTHER, "{backend:?}");
        let after = laptop
            .get(server.url("/account/password?saved=1"))
            .send()
            .await
            .unwrap();
        assert!(after.text().await.unwrap().contains("密码已修改"));
        // The phone's session ended: it is sent to the login page.
        let ended = phone
            .get(server.url("/account/password"))
            .send()
            .await
            .unwrap();
        assert_eq!(ended.status(), StatusCode::SEE_OTHER);
        assert_eq!(ended.headers()["location"], "/login");

        // The API twin.
        let client = client();
        let login = client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"username": "clerk", "password": "Better-pass-22"}))
            .send()
            .await
            .unwrap();
        let token: Value = login.json().await.unwrap();
        let token = token["csrf_token"].as_str().unwrap().to_string();
        let refused = client
            .post(server.url("/api/v1/me/password"))
            .header("x-csrf-token", &token)
            .json(&json!({"current_password": "Better-pass-22", "new_password": "clerk"}))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(refused).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["field"], "password");
        let done = client
            .post(server.url("/api/v1/me/password"))
            .header("x-csrf-token", &token)
            .json(&json!({"current_password": "Better-pass-22", "new_password": "Third-pass-333"}))
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), StatusCode::NO_CONTENT, "{backend:?}");
        // The laptop's session, not the one that changed it, ended.
        let ended = laptop
            .get(server.url("/account/password"))
            .send()
            .await
            .unwrap();
        assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn admins_reset_passwords_and_disable_accounts_with_confirmation() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        add_user(&server, "clerk", "reviewer", "市科技局", "", None).await;
        let clerk = account_of(&server, "clerk").await;
        let (admin, csrf) = log_in(&server, "admin").await;
        let (clerk_client, clerk_csrf) = log_in(&server, "clerk").await;
        let page = admin
            .get(server.url(&format!("/admin/users/{}", clerk.id)))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let page = page.text().await.unwrap();
        assert!(page.contains("重置密码") && page.contains("我确认停用该账号"));

        // Disabling asks for confirmation first.
        let unconfirmed = admin
            .post(server.url(&format!("/admin/users/{}/disable", clerk.id)))
            .form(&[("_csrf", csrf.clone())])
            .send()
            .await
            .unwrap();
        assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unconfirmed.text().await.unwrap().contains("请勾选"));
        assert!(!is_disabled(&server, "clerk").await);
        let disabled = admin
            .post(server.url(&format!("/admin/users/{}/disable", clerk.id)))
            .form(&[("_csrf", csrf.clone()), ("confirm", "yes".into())])
            .send()
            .await
            .unwrap();
        assert_eq!(disabled.status(), StatusCode::SEE_OTHER, "{backend:?}");
        assert!(is_disabled(&server, "clerk").await);
        // The clerk's session is gone and the right password no longer opens one.
        let gone = clerk_client
            .get(server.url("/account/password"))
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), StatusCode::SEE_OTHER);
        let refused = client()
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"username": "clerk", "password": "Secret-pass-1"}))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(refused).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["code"], "account_disabled");
        let _ = clerk_csrf;

        // A reviewer may not do any of it, through the API either.
        add_user(&server, "other", "reviewer", "市科技局", "", None).await;
        let (reviewer, token) = api_login(&server, "other").await;
        let forbidden = reviewer
            .post(server.url(&format!("/api/v1/users/{}/enable", clerk.id)))
            .header("x-csrf-token", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

        let (admin_api, admin_token) = api_login(&server, "admin").await;
        let enabled = admin_api
            .post(server.url(&format!("/api/v1/users/{}/enable", clerk.id)))
            .header("x-csrf-token", &admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(enabled.status(), StatusCode::OK);
        let view: Value = enabled.json().await.unwrap();
        assert_eq!(view["disabled"], false);

        let reset = admin
            .post(server.url(&format!("/admin/users/{}/password", clerk.id)))
            .form(&[("_csrf", csrf.clone()), ("password", "admin123".into())])
            .send()
            .await
            .unwrap();
        assert_eq!(reset.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reset.text().await.unwrap().contains("至少需要10个字符"));
        let reset = admin
            .post(server.url(&format!("/admin/users/{}/password", clerk.id)))
            .form(&[
                ("_csrf", csrf.clone()),
                ("password", "Given-by-chief-7".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(reset.status(), StatusCode::SEE_OTHER, "{backend:?}");
        let welcome = client()
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"username": "clerk", "password": "Given-by-chief-7"}))
            .send()
            .await
            .unwrap();
        assert_eq!(welcome.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn people_enter_an_email_address_for_reminders_on_the_page_and_through_the_api() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "clerk", "reviewer", "市科技局", "", None).await;
        let (browser, csrf) = log_in(&server, "clerk").await;
        let page = browser
            .get(server.url("/account/password"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("邮件提醒") && page.contains("id=\"email-form\""));
        let refused = browser
            .post(server.url("/account/email"))
            .form(&[("_csrf", csrf.as_str()), ("email", "clerk@@example.com")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = refused.text().await.unwrap();
        assert!(text.contains("请填写有效的电子邮箱"), "{backend:?}");
        // What was typed stays in the field.
        assert!(text.contains("value=\"clerk@@example.com\""));
        let saved = browser
            .post(server.url("/account/email"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("email", "clerk@kjj.example.gov.cn"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let page = browser
            .get(server.url("/account/password?email_saved=1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("邮箱已保存，平台的消息将同时发送到 clerk@kjj.example.gov.cn"));

        // The API twin reads and changes the same address.
        let (api, token) = api_login(&server, "clerk").await;
        let read: Value = api
            .get(server.url("/api/v1/me/email"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(read["email"], "clerk@kjj.example.gov.cn");
        let refused = api
            .put(server.url("/api/v1/me/email"))
            .header("x-csrf-token", &token)
            .json(&json!({"email": "clerk"}))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(refused).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["field"], "email");
        let removed: Value = api
            .put(server.url("/api/v1/me/email"))
            .header("x-csrf-token", &token)
            .json(&json!({"email": ""}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(removed["email"], "");
    }
}

#[tokio::test]
async fn error_pages_keep_the_signed_in_header() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "clerk", "reviewer", "市科技局", "", None).await;
        let (browser, _) = log_in(&server, "clerk").await;
        // A page that does not exist, and one the reviewer may not open.
        for (path, status) in [
            ("/no-such-page", StatusCode::NOT_FOUND),
            ("/my/achievements", StatusCode::FORBIDDEN),
        ] {
            let page = browser.get(server.url(path)).send().await.unwrap();
            assert_eq!(page.status(), status, "{backend:?} {path}");
            let text = page.text().await.unwrap();
            assert!(text.contains("class=\"whoami\""), "{backend:?} {path}");
            assert!(text.contains("退出"), "{backend:?} {path}");
            assert!(!text.contains("href=\"/login\""), "{backend:?} {path}");
        }
        // The home page greets a signed-in user with 我的待办 (nothing waits on a new clerk).
        let home = browser
            .get(server.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            home.contains("我的待办") && home.contains("暂无待办事项"),
            "{backend:?}"
        );
        assert!(home.contains("id=\"home-search\""), "{backend:?}");
        // An anonymous visitor gets the same page with 登录.
        let anonymous = client()
            .get(server.url("/no-such-page"))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::NOT_FOUND);
        assert!(anonymous.text().await.unwrap().contains("href=\"/login\""));
    }
}
