//! 技术经理人 through the pages and the API (issue 19 item 4): a flagged account fills in its
//! profile (a bad form is refused in Chinese by field and saves nothing), the public directory
//! shows those who agreed to be listed, and the API answers the same.

use reqwest::StatusCode;
use zijin_testkit::{BACKENDS, spawn_app};

use super::log_in;

#[tokio::test]
async fn a_manager_fills_in_the_profile_and_the_directory_shows_it() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let app = &server.context.app;
        let code = zijin_domain::CreditCode::complete("52320102MJ1EEEEE0")
            .unwrap()
            .to_string();
        let center = zijin_app::institutions::create(
            app,
            &zijin_app::Actor::System("test"),
            &zijin_domain::InstitutionInput {
                name: "南京测试技术转移中心",
                kind: "service",
                credit_code: &code,
                district: "玄武区",
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
        let id = zijin_app::users::create(
            app,
            &zijin_app::Actor::System("test"),
            &zijin_app::users::NewUserInput {
                username: "zhou",
                display_name: "zhou",
                password: "Secret-pass-1",
                role: "institution",
                responsible_unit: "",
                district: "",
                institution_id: Some(center),
            },
        )
        .await
        .unwrap()
        .id;
        zijin_app::users::set_tech_manager(app, &zijin_app::Actor::System("test"), id, true)
            .await
            .unwrap();
        let (client, csrf) = log_in(&server, "zhou").await;
        let home = client
            .get(server.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            home.contains("技术经理人资料"),
            "the menu offers the profile"
        );
        let form = client
            .get(server.url("/tech-manager/profile"))
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), StatusCode::OK);
        let bad = client
            .post(server.url("/tech-manager/profile"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("certificate_level", "特级"),
                ("certificate_number", "编号"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = bad.text().await.unwrap();
        for message in [
            "请选择证书等级",
            "证书编号应为",
            "请至少选择一个擅长的技术领域",
        ] {
            assert!(page.contains(message), "{message}");
        }
        let directory = client
            .get(server.url("/brokers"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(directory.contains("暂无公开的技术经理人"));
        let saved = client
            .post(server.url("/tech-manager/profile"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("certificate_level", "senior"),
                ("certificate_number", "JS-2025-0042"),
                ("fields", "new-energy"),
                ("fields", "biomedicine"),
                ("introduction", "专注储能与医疗器械技术转移。"),
                ("listed", "yes"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let anonymous = reqwest::Client::new();
        let directory = anonymous
            .get(server.url("/brokers"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for shown in [
            "zhou",
            "南京测试技术转移中心",
            "高级技术经理人",
            "新能源与高效节能、生物医药和医疗器械",
            "专注储能",
        ] {
            assert!(directory.contains(shown), "{shown}");
        }
        // The certificate number is the person's own business, not the directory's.
        assert!(!directory.contains("JS-2025-0042"));
        let api: serde_json::Value = anonymous
            .get(server.url("/api/v1/brokers"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(api[0]["profile"]["name"], "zhou");
        assert_eq!(api[0]["profile"]["certificate_level"], "senior");
        assert!(api[0]["profile"]["certificate_number"].is_null());
        assert_eq!(api[0]["years"][0]["contracts"], 0);
        let own: serde_json::Value = client
            .get(server.url("/api/v1/tech-manager/profile"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(own["certificate_number"], "JS-2025-0042");
        let refused = client
            .put(server.url("/api/v1/tech-manager/profile"))
            .header("X-CSRF-Token", &csrf)
            .json(&serde_json::json!({"certificate_level": "senior", "certificate_number": "x", "fields": ["new-energy"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            refused.headers()["content-type"],
            "application/problem+json"
        );
    }
}
