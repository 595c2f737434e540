//! The deal flow on a match through pages and the API (issue 15): 匹配度 and reasons in words,
//! the counterpart named, contacts revealed on mutual interest, the thread, ending with a reason
//! and a confirmation, technology managers, the matched record readable by the other side.

use reqwest::StatusCode;
use serde_json::{Value, json};
use zijin_app::{Actor, records, users};
use zijin_domain::{AchievementInput, DemandInput, RecordKind, Transition};
use zijin_testkit::{BACKENDS, TestServer, spawn_app};

use super::{VALID_CODE, add_user, api_login, log_in, other_code, problem};

struct Setup {
    match_id: i64,
    achievement: i64,
    manager_id: i64,
}

/// A university's approved (unlisted) achievement, an enterprise's approved demand, a third
/// institution, a technology manager, and a recommendation between the two records.
async fn setup(server: &TestServer) -> Setup {
    let app = &server.context.app;
    let system = Actor::System("test");
    let third_code = zijin_domain::CreditCode::complete("12320102MB1CCCCC0")
        .unwrap()
        .to_string();
    let mut ids = Vec::new();
    for (name, kind, code) in [
        ("南京测试大学", "university", VALID_CODE.to_string()),
        ("南京测试科技有限公司", "enterprise", other_code()),
        ("南京另一所大学", "university", third_code),
    ] {
        let input = zijin_domain::InstitutionInput {
            name,
            kind,
            credit_code: &code,
            district: "江宁区",
            contact_name: "办公室",
            contact_phone: "025-83590000",
            ..Default::default()
        };
        ids.push(
            zijin_app::institutions::create(app, &system, &input)
                .await
                .unwrap()
                .id,
        );
    }
    add_user(server, "admin", "admin", "", "", None).await;
    add_user(server, "reviewer", "reviewer", "市科技局", "", None).await;
    add_user(server, "university", "institution", "", "", Some(ids[0])).await;
    add_user(server, "enterprise", "institution", "", "", Some(ids[1])).await;
    add_user(server, "other", "institution", "", "", Some(ids[2])).await;
    add_user(server, "manager", "institution", "", "", Some(ids[2])).await;
    let account = |name: &'static str| async move {
        Actor::User(
            users::by_username(app, &system_actor(), name)
                .await
                .unwrap(),
        )
    };
    let (university, enterprise, reviewer) = (
        account("university").await,
        account("enterprise").await,
        account("reviewer").await,
    );
    let modes = vec!["许可".to_string()];
    let achievement = records::create_achievement(
        app,
        &university,
        &AchievementInput {
            title: "低温锂电池电解液",
            summary: "可在零下40摄氏度稳定工作的锂离子电池电解液配方。",
            field: "新能源",
            keywords: "锂电池、电解液、低温",
            trl: "6",
            ip_items: &[],
            transfer_modes: &modes,
            price: "1500000",
            contact_name: "王老师",
            contact_phone: "13812345678",
            source_flags: &[],
        },
    )
    .await
    .unwrap()
    .id;
    let demand = records::create_demand(
        app,
        &enterprise,
        &DemandInput {
            title: "冬季电动车续航提升",
            description: "希望合作开发低温电池技术。",
            field: "new-energy",
            keywords: "续航、低温电池",
            cooperation_modes: &modes,
            budget_min: "",
            budget_max: "",
            wanted_trl: "",
            deadline: "",
            contact_name: "李经理",
            contact_phone: "025-52000000",
        },
    )
    .await
    .unwrap()
    .id;
    for (owner, kind, id) in [
        (&university, RecordKind::Achievement, achievement),
        (&enterprise, RecordKind::Demand, demand),
    ] {
        records::transition(app, owner, kind, id, Transition::Submit, "")
            .await
            .unwrap();
        records::transition(app, &reviewer, kind, id, Transition::Approve, "")
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO matches (demand_id, achievement_id, score_milli, reasons, stage, field, district, \
         recommended_at, updated_at) VALUES ($1, $2, 823, $3, 'recommended', 'new-energy', 'jiangning', \
         '2026-11-28T09:00:00.000Z', '2026-11-28T09:00:00.000Z')",
    )
    .bind(demand)
    .bind(achievement)
    .bind(r#"["技术领域一致：新能源（+0.123）","转化方式一致：许可（+0.050）"]"#)
    .execute(app.store().pool())
    .await
    .unwrap();
    let match_id: (i64,) = sqlx::query_as("SELECT MAX(id) FROM matches")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    let manager = users::by_username(app, &system_actor(), "manager")
        .await
        .unwrap();
    Setup {
        match_id: match_id.0,
        achievement,
        manager_id: manager.id,
    }
}

fn system_actor() -> Actor {
    Actor::System("test")
}

async fn text(response: reqwest::Response) -> (StatusCode, String) {
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_match_leads_somewhere_through_the_pages() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let s = setup(&server).await;
        let id = s.match_id;
        let (enterprise, e_csrf) = log_in(&server, "enterprise").await;
        let (university, u_csrf) = log_in(&server, "university").await;
        let (other, _) = log_in(&server, "other").await;
        let get = |client: &reqwest::Client, path: &str| client.get(server.url(path)).send();

        // 我的对接: the counterpart named, 匹配度 in percent, reasons without weights.
        let (status, page) = text(get(&enterprise, "/my/matches").await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{backend:?}");
        assert!(page.contains("对方：<strong class=\"counterpart-name\">南京测试大学</strong>"));
        assert!(page.contains("匹配度 82%"), "{page}");
        assert!(page.contains("技术领域一致：新能源</li>"));
        assert!(!page.contains("（+0.") && !page.contains("0.823"));
        let (status, page) = text(
            get(&enterprise, "/my/matches?sort=score&stage=recommended")
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!("id=\"match-{id}\"")));
        let (status, page) =
            text(get(&enterprise, "/my/matches?stage=signed").await.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("没有符合筛选条件的对接"));
        let (status, page) = text(get(&enterprise, "/my/matches?sort=best").await.unwrap()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("排序方式只能是“匹配度”或“最近更新”"),
            "{page}"
        );

        // The other side's unlisted record is readable from the match; not by a third party.
        let record = format!("/records/achievement/{}", s.achievement);
        assert_eq!(
            get(&enterprise, &record).await.unwrap().status(),
            StatusCode::OK
        );
        assert_eq!(
            get(&other, &record).await.unwrap().status(),
            StatusCode::NOT_FOUND
        );

        // The match page: contacts masked until both sides are interested.
        let path = format!("/matches/{id}");
        let (status, page) = text(get(&enterprise, &path).await.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("138****5678") && !page.contains("13812345678"));
        assert!(page.contains("id=\"contacts-hidden\""));
        assert_eq!(
            get(&other, &path).await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
        for (client, csrf) in [(&enterprise, &e_csrf), (&university, &u_csrf)] {
            let response = client
                .post(server.url(&format!("/matches/{id}/interest")))
                .form(&[("_csrf", csrf.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
        let (_, page) = text(get(&enterprise, &path).await.unwrap()).await;
        assert!(
            page.contains("13812345678") && page.contains("025-83590000"),
            "{backend:?}"
        );

        // The thread: a message with its institution and Beijing time (09:00 UTC = 17:00).
        let posted = enterprise
            .post(server.url(&format!("/matches/{id}/messages")))
            .form(&[("_csrf", e_csrf.as_str()), ("body", "想约下周面谈")])
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), StatusCode::SEE_OTHER);
        let (_, page) = text(get(&university, &path).await.unwrap()).await;
        assert!(
            page.contains("想约下周面谈")
                && page.contains("南京测试科技有限公司</strong>（需求方）")
        );
        assert!(page.contains("2026-11-28 17:00"), "Beijing time");
        let empty = enterprise
            .post(server.url(&format!("/matches/{id}/messages")))
            .form(&[("_csrf", e_csrf.as_str()), ("body", " ")])
            .send()
            .await
            .unwrap();
        let (status, page) = text(empty).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("请填写留言内容"));

        // Ending: the reason and the checkbox are required.
        let terminate = |fields: Vec<(&'static str, &'static str)>| {
            let mut form = vec![("_csrf", u_csrf.as_str())];
            form.extend(fields);
            university
                .post(server.url(&format!("/matches/{id}/terminate")))
                .form(&form)
                .send()
        };
        let (status, page) = text(terminate(vec![("reason", "预算不足")]).await.unwrap()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("请勾选“确认终止”"), "{page}");
        assert!(page.contains(">预算不足</textarea>"), "the reason is kept");
        let done = terminate(vec![("reason", "预算不足"), ("confirm", "yes")])
            .await
            .unwrap();
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        let (_, page) = text(get(&enterprise, &path).await.unwrap()).await;
        assert!(page.contains("终止原因") && page.contains("预算不足"));
        assert!(
            !page.contains("id=\"message-form\""),
            "a closed match takes no messages"
        );
        let late = enterprise
            .post(server.url(&format!("/matches/{id}/messages")))
            .form(&[("_csrf", e_csrf.as_str()), ("body", "还在吗")])
            .send()
            .await
            .unwrap();
        // The match is closed: a conflict with its stage, shown on the page with the reason.
        assert_eq!(late.status(), StatusCode::CONFLICT);
        assert!(late.text().await.unwrap().contains("不能再留言"));
    }
}

#[tokio::test]
async fn technology_managers_and_the_api() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let s = setup(&server).await;
        let id = s.match_id;

        // The admin flags the account on its page and assigns it on the match's page.
        let (admin, a_csrf) = log_in(&server, "admin").await;
        let flagged = admin
            .post(server.url(&format!("/admin/users/{}/tech-manager", s.manager_id)))
            .form(&[("_csrf", a_csrf.as_str()), ("is_tech_manager", "yes")])
            .send()
            .await
            .unwrap();
        assert_eq!(flagged.status(), StatusCode::SEE_OTHER, "{backend:?}");
        let page = admin
            .get(server.url(&format!("/admin/users/{}", s.manager_id)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("id=\"account-tech-manager\">是<"),
            "{backend:?}"
        );
        let page = admin
            .get(server.url(&format!("/matches/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"assign-form\"") && page.contains("manager（南京另一所大学）"));
        assert!(
            !page.contains("id=\"message-form\""),
            "admins read the thread only"
        );
        let unchosen = admin
            .post(server.url(&format!("/matches/{id}/tech-manager")))
            .form(&[("_csrf", a_csrf.as_str()), ("tech_manager", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(unchosen.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let manager_id = s.manager_id.to_string();
        let assigned = admin
            .post(server.url(&format!("/matches/{id}/tech-manager")))
            .form(&[
                ("_csrf", a_csrf.as_str()),
                ("tech_manager", manager_id.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(assigned.status(), StatusCode::SEE_OTHER);
        let (status, page) = text(
            admin
                .get(server.url("/admin/matches?sort=score"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"all-matches-table\"") && page.contains("82%"));

        // The manager's page and API list the match; the manager moves it.
        let (manager, m_csrf) = log_in(&server, "manager").await;
        let (status, page) = text(
            manager
                .get(server.url("/tech-manager/matches"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("我负责的对接") && page.contains("平台指派您为对接"));
        let record = format!("/records/demand/{}", {
            let body: Value = manager
                .get(server.url(&format!("/api/v1/matches/{id}")))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(body["contacts"].as_array().unwrap().len(), 2);
            assert_eq!(body["tech_manager"], "manager");
            body["demand"]["id"].as_i64().unwrap()
        });
        assert_eq!(
            manager
                .get(server.url(&record))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        let interest = manager
            .post(server.url(&format!("/matches/{id}/interest")))
            .form(&[("_csrf", m_csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(
            interest.status(),
            StatusCode::FORBIDDEN,
            "interest is a side's own"
        );

        // The API twins.
        let (api, token) = api_login(&server, "enterprise").await;
        let list: Value = api
            .get(server.url("/api/v1/my/matches?sort=score"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let item = &list["items"][0];
        assert_eq!(item["score_label"], "匹配度 82%");
        assert_eq!(item["score_percent"], 82);
        assert_eq!(item["counterpart_institution"], "南京测试大学");
        assert_eq!(item["reasons"][0], "技术领域一致：新能源");
        assert_eq!(item["tech_manager"], "manager");
        let (status, body) = problem(
            api.get(server.url("/api/v1/my/matches?stage=won"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["errors"][0]["field"], "stage");
        let one: Value = api
            .get(server.url(&format!("/api/v1/matches/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(one["contacts"][0]["contact_phone"], "138****5678");
        assert_eq!(one["contacts"][0]["revealed"], false);
        assert_eq!(one["capabilities"]["post_message"], true);
        let posted = api
            .post(server.url(&format!("/api/v1/matches/{id}/messages")))
            .header("x-csrf-token", &token)
            .json(&json!({"body": "您好"}))
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), StatusCode::CREATED);
        let (status, body) = problem(
            api.post(server.url(&format!("/api/v1/matches/{id}/transitions")))
                .header("x-csrf-token", &token)
                .json(&json!({"action": "terminate", "reason": "预算不足"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["field"], "confirm");
        let ended = api
            .post(server.url(&format!("/api/v1/matches/{id}/transitions")))
            .header("x-csrf-token", &token)
            .json(&json!({"action": "terminate", "reason": "预算不足", "confirm": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(ended.status(), StatusCode::OK);
        let ended: Value = ended.json().await.unwrap();
        assert_eq!(ended["stage_label"], "终止");
        assert_eq!(ended["termination_reason"], "预算不足");
        let (status, body) = problem(
            api.post(server.url(&format!("/api/v1/matches/{id}/messages")))
                .header("x-csrf-token", &token)
                .json(&json!({"body": "还在吗"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(body["detail"].as_str().unwrap().contains("不能再留言"));

        // The manager's API listing; the admin's flag endpoint.
        let (m_api, _) = api_login(&server, "manager").await;
        let listed: Value = m_api
            .get(server.url("/api/v1/tech-manager/matches"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        let (a_api, a_token) = api_login(&server, "admin").await;
        let unflagged: Value = a_api
            .post(server.url(&format!("/api/v1/users/{}/tech-manager", s.manager_id)))
            .header("x-csrf-token", &a_token)
            .json(&json!({"is_tech_manager": false}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(unflagged["is_tech_manager"], false);
        assert_eq!(
            m_api
                .get(server.url("/api/v1/tech-manager/matches"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN
        );
        // The OpenAPI document describes the new paths.
        let document: Value = a_api
            .get(server.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for path in [
            "/api/v1/my/matches",
            "/api/v1/matches/{id}",
            "/api/v1/matches/{id}/messages",
            "/api/v1/matches/{id}/transitions",
            "/api/v1/matches/{id}/tech-manager",
            "/api/v1/tech-manager/matches",
            "/api/v1/users/{id}/tech-manager",
        ] {
            assert!(document["paths"][path].is_object(), "{path} is documented");
        }
    }
}
