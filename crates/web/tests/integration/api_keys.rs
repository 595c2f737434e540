//! API keys (issue 20), on both backends: an admin issues a key through the API (the token is
//! in the answer once); a system calls with `Authorization: Bearer …` and no CSRF token, within
//! its scopes; outside them it gets 403, after revocation 401 — always problem documents.

use reqwest::StatusCode;
use serde_json::{Value, json};
use zijin_testkit::{BACKENDS, spawn_app};

use super::{add_user, api_login, client, problem};

#[tokio::test]
async fn a_system_calls_with_its_key_within_its_scopes_until_revoked() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let app = &server.context.app;
        let code = zijin_domain::CreditCode::complete("91320115MA1KEYAA0")
            .unwrap()
            .to_string();
        let company = zijin_app::institutions::create(
            app,
            &zijin_app::Actor::System("test"),
            &zijin_domain::InstitutionInput {
                name: "南京接口测试有限公司",
                kind: "enterprise",
                credit_code: &code,
                district: "江宁区",
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
        add_user(&server, "admin", "admin", "", "", None).await;
        add_user(&server, "system", "institution", "", "", Some(company)).await;
        let (admin, csrf) = api_login(&server, "admin").await;
        let issued = admin
            .post(server.url("/api/v1/api-keys"))
            .header("x-csrf-token", &csrf)
            .json(&json!({"username": "system", "note": "江宁区科技局系统同步需求", "scopes": ["lists:read", "records:write"], "expires_on": "2027-06-30"}))
            .send()
            .await
            .unwrap();
        assert_eq!(issued.status(), StatusCode::CREATED, "{backend:?}");
        let issued: Value = issued.json().await.unwrap();
        let token = issued["token"].as_str().unwrap().to_string();
        assert!(token.starts_with("zjk_"));
        // No session, no CSRF header: a demand is drafted as the key's account.
        let system = client();
        let drafted = system
            .post(server.url("/api/v1/demands"))
            .bearer_auth(&token)
            .json(&json!({"title": "寻求低温锂电池电解液技术", "description": "我公司生产储能电池，冬季容量衰减严重，希望合作开发耐低温电解液。", "field": "新能源", "keywords": ["电解液", "低温"], "cooperation_modes": ["joint-development"], "contact_name": "王经理", "contact_phone": "13812345678"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            drafted.status(),
            StatusCode::CREATED,
            "{:?}",
            drafted.text().await
        );
        // Outside its scopes: 403 with the reason.
        let (status, body) = problem(
            system
                .get(server.url("/api/v1/contracts"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            body["detail"].as_str().unwrap().contains("技术合同登记"),
            "{body}"
        );
        // A wrong token: 401.
        let (status, _) = problem(
            system
                .get(server.url("/api/v1/my/matches"))
                .bearer_auth("zjk_not-a-key")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // The admin sees its use, then revokes it: 401 from then on.
        let listed: Value = admin
            .get(server.url("/api/v1/api-keys"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed[0]["uses"], 2);
        assert!(listed[0]["last_used_at"].is_string());
        assert!(
            listed[0].get("token").is_none(),
            "the token is never listed"
        );
        let id = issued["id"].as_i64().unwrap();
        let revoked = admin
            .post(server.url(&format!("/api/v1/api-keys/{id}/revoke")))
            .header("x-csrf-token", &csrf)
            .json(&json!({"confirm": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
        let (status, body) = problem(
            system
                .post(server.url("/api/v1/demands"))
                .bearer_auth(&token)
                .json(&json!({}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            body["detail"].as_str().unwrap().contains("已吊销"),
            "{body}"
        );
    }
}
