//! Issue 17, daily use: the review queue (waiting time, filters, batch approval all or nothing),
//! the audit log as sentences with its export, the funnel's charts and export, amounts in 万元.

use reqwest::StatusCode;
use zijin_app::Actor;
use zijin_domain::{RecordStatus, Transition};
use zijin_testkit::{BACKENDS, TestServer, spawn_app};

use super::{VALID_CODE, account_of, add_user, assert_error_flashed, log_in};

async fn university(server: &TestServer) -> i64 {
    let input = zijin_domain::InstitutionInput {
        name: "南京测试大学",
        kind: "university",
        credit_code: VALID_CODE,
        district: "栖霞区",
        ..Default::default()
    };
    zijin_app::institutions::create(&server.context.app, &Actor::System("test"), &input)
        .await
        .unwrap()
        .id
}

async fn achievement(server: &TestServer, teacher: &Actor, title: &str, submit: bool) -> i64 {
    let modes = vec!["licence".to_string()];
    let input = zijin_domain::AchievementInput {
        title,
        summary: "一种用于测试审核队列的成果简介。",
        field: "new-energy",
        trl: "5",
        transfer_modes: &modes,
        price: "120万",
        contact_name: "王老师",
        contact_phone: "13800000000",
        ..Default::default()
    };
    let app = &server.context.app;
    let created = zijin_app::records::create_achievement(app, teacher, &input)
        .await
        .unwrap();
    if submit {
        zijin_app::records::transition(
            app,
            teacher,
            zijin_domain::RecordKind::Achievement,
            created.id,
            Transition::Submit,
            "",
        )
        .await
        .unwrap();
    }
    created.id
}

async fn status(server: &TestServer, id: i64) -> RecordStatus {
    let owner = Actor::User(account_of(server, "teacher").await);
    zijin_app::records::get_achievement(&server.context.app, &owner, id)
        .await
        .unwrap()
        .status
}

#[tokio::test]
async fn the_review_queue_shows_waiting_time_filters_and_approves_a_batch_all_or_nothing() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let institution = university(&server).await;
        add_user(&server, "teacher", "institution", "", "", Some(institution)).await;
        add_user(&server, "reviewer", "reviewer", "市科技局", "", None).await;
        let teacher = Actor::User(account_of(&server, "teacher").await);
        let first = achievement(&server, &teacher, "低温电池电解液", true).await;
        let second = achievement(&server, &teacher, "光伏组件清洗机器人", true).await;
        let third = achievement(&server, &teacher, "海水淡化膜材料", true).await;
        let draft = achievement(&server, &teacher, "尚未提交的草稿成果", false).await;
        // "120万" is read as 1,200,000 元.
        let price = zijin_app::records::get_achievement(&server.context.app, &teacher, first)
            .await
            .unwrap()
            .details
            .price;
        assert_eq!(price.label(), "1,200,000.00 元（120 万元）", "{backend:?}");

        let (reviewer, csrf) = log_in(&server, "reviewer").await;
        let page = reviewer
            .get(server.url("/review"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for title in ["低温电池电解液", "光伏组件清洗机器人", "海水淡化膜材料"]
        {
            assert!(page.contains(title), "{backend:?}: {title} waits");
        }
        assert!(
            page.contains("已等待") && page.contains("不到 1 小时"),
            "{backend:?}"
        );
        assert!(
            !page.contains("尚未提交的草稿成果"),
            "{backend:?}: drafts do not wait"
        );
        let demands_only = reviewer
            .get(server.url("/review?kind=demand"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!demands_only.contains("低温电池电解液"), "{backend:?}");

        let post = |items: Vec<String>, confirm: bool| {
            let mut form: Vec<(&str, String)> = vec![("_csrf", csrf.clone())];
            form.extend(items.into_iter().map(|item| ("item", item)));
            if confirm {
                form.push(("confirm", "yes".into()));
            }
            reviewer
                .post(server.url("/review/approve"))
                .form(&form)
                .send()
        };
        // Without the confirmation nothing happens.
        let unconfirmed = post(vec![format!("achievement:{first}")], false)
            .await
            .unwrap();
        assert_eq!(unconfirmed.status(), StatusCode::SEE_OTHER);
        assert_error_flashed(&unconfirmed);
        assert_eq!(status(&server, first).await, RecordStatus::Submitted);
        // One record that may not be approved (a draft) stops the whole batch.
        let mixed = post(
            vec![
                format!("achievement:{first}"),
                format!("achievement:{draft}"),
            ],
            true,
        )
        .await
        .unwrap();
        assert_error_flashed(&mixed);
        assert_eq!(
            status(&server, first).await,
            RecordStatus::Submitted,
            "{backend:?}"
        );
        assert_eq!(
            status(&server, draft).await,
            RecordStatus::Draft,
            "{backend:?}"
        );
        // A confirmed batch approves every record in it.
        let approved = post(
            vec![
                format!("achievement:{first}"),
                format!("achievement:{second}"),
            ],
            true,
        )
        .await
        .unwrap();
        assert_eq!(approved.status(), StatusCode::SEE_OTHER);
        assert_eq!(approved.headers()["location"], "/review?approved=2");
        assert_eq!(status(&server, first).await, RecordStatus::Approved);
        assert_eq!(status(&server, second).await, RecordStatus::Approved);
        assert_eq!(status(&server, third).await, RecordStatus::Submitted);
        let after = reviewer
            .get(server.url("/review?approved=2"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(after.contains("已批量通过 2 条"), "{backend:?}");
        assert!(after.contains("海水淡化膜材料") && !after.contains("光伏组件清洗机器人"));
    }
}

#[tokio::test]
async fn the_audit_log_reads_as_sentences_filters_by_kind_and_exports() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let institution = university(&server).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        add_user(&server, "teacher", "institution", "", "", Some(institution)).await;
        let teacher = Actor::User(account_of(&server, "teacher").await);
        achievement(&server, &teacher, "低温电池电解液", true).await;
        let (admin, _) = log_in(&server, "admin").await;
        let page = admin
            .get(server.url("/admin/audit?entity=achievement"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("teacher 提交了成果「低温电池电解液」"),
            "{backend:?}: {page}"
        );
        assert!(page.contains("<b>状态</b>：草稿 → 待审核"), "{backend:?}");
        // Filtered by kind: the institution's creation is not among the achievements' entries.
        assert!(!page.contains("新建了机构"), "{backend:?}");
        for code in ["achievement.submit", "user:", "submitted", "new-energy"] {
            assert!(!page.contains(code), "{backend:?}: {code} shown");
        }
        let export = admin
            .get(server.url("/admin/audit/export.xlsx?entity=achievement"))
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), StatusCode::OK);
        let bytes = export.bytes().await.unwrap();
        let mut workbook: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = calamine::Reader::worksheet_range(&mut workbook, "审计日志").unwrap();
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|row| row.iter().map(|cell| cell.to_string()).collect())
            .collect();
        assert_eq!(rows[0][3], "操作");
        assert!(
            rows.iter()
                .any(|row| row[4] == "成果「低温电池电解液」"
                    && row[5].contains("状态：草稿 → 待审核")),
            "{backend:?}: {rows:?}"
        );
        assert!(
            rows.iter().skip(1).all(|row| !row[4].contains("机构")),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn the_funnel_draws_its_charts_checks_its_dates_and_exports() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let (admin, _) = log_in(&server, "admin").await;
        let page = admin
            .get(server.url("/admin/matches?from=2026-01-01&until=2026-12-31"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let page = page.text().await.unwrap();
        // No matches yet: the bars still stand (at zero) and say so; the dates are kept.
        assert!(
            page.contains("<svg role=\"img\" aria-label=\"各阶段对接数"),
            "{backend:?}"
        );
        assert!(page.contains("value=\"2026-01-01\""), "{backend:?}");
        let backwards = admin
            .get(server.url("/admin/matches?from=2026-12-31&until=2026-01-01"))
            .send()
            .await
            .unwrap();
        assert_eq!(backwards.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            backwards
                .text()
                .await
                .unwrap()
                .contains("截止日期不能早于起始日期")
        );
        let export = admin
            .get(server.url("/admin/matches/export.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), StatusCode::OK);
        let bytes = export.bytes().await.unwrap();
        let mut workbook: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = calamine::Reader::worksheet_range(&mut workbook, "对接漏斗").unwrap();
        let header: Vec<String> = sheet
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(header[..3], ["技术领域", "所在区（需求方）", "推荐"]);
        let last: Vec<String> = sheet
            .rows()
            .next_back()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(last[0], "合计");
    }
}

#[tokio::test]
async fn a_district_page_shows_its_own_records_and_figures_to_its_officer_only() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let institution = university(&server).await; // 栖霞区
        add_user(&server, "teacher", "institution", "", "", Some(institution)).await;
        add_user(&server, "qixia", "district", "", "栖霞区", None).await;
        add_user(&server, "jiangning", "district", "", "江宁区", None).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let teacher = Actor::User(account_of(&server, "teacher").await);
        achievement(&server, &teacher, "低温电池电解液", true).await;
        achievement(&server, &teacher, "尚未提交的草稿成果", false).await;
        let text = |client: reqwest::Client, path: &'static str| {
            let url = server.url(path);
            async move {
                let response = client.get(url).send().await.unwrap();
                (response.status(), response.text().await.unwrap())
            }
        };
        let (qixia, _) = log_in(&server, "qixia").await;
        let (status, page) = text(qixia.clone(), "/district").await;
        assert_eq!(status, StatusCode::OK, "{backend:?}");
        assert!(page.contains("本区概况：栖霞区"), "{backend:?}");
        assert!(
            page.contains("低温电池电解液") && page.contains("待审核"),
            "{backend:?}"
        );
        assert!(
            !page.contains("尚未提交的草稿成果"),
            "{backend:?}: drafts stay private"
        );
        assert!(
            page.contains("<svg role=\"img\" aria-label=\"栖霞区各类机构数\""),
            "{backend:?}"
        );
        // Not readable by the officer yet (not published): named, not linked.
        assert!(
            page.contains("<td data-label=\"名称\">低温电池电解液</td>"),
            "{backend:?}"
        );

        let (jiangning, _) = log_in(&server, "jiangning").await;
        let (_, other) = text(jiangning.clone(), "/district").await;
        assert!(!other.contains("低温电池电解液"), "{backend:?}");
        let (refused, _) = text(jiangning, "/district?district=qixia").await;
        assert_eq!(refused, StatusCode::FORBIDDEN, "{backend:?}");

        let (admin, _) = log_in(&server, "admin").await;
        let (status, chosen) = text(admin.clone(), "/district?district=qixia").await;
        assert_eq!(status, StatusCode::OK);
        assert!(chosen.contains("各区概况：栖霞区"), "{chosen}");
        assert!(chosen.contains("1\">低温电池电解液</a>"), "{backend:?}");
        let export = admin
            .get(server.url("/district/export.xlsx?district=qixia"))
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), StatusCode::OK);
        let bytes = export.bytes().await.unwrap();
        let mut workbook: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = calamine::Reader::worksheet_range(&mut workbook, "栖霞区成果和需求").unwrap();
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|row| row.iter().map(|cell| cell.to_string()).collect())
            .collect();
        assert_eq!(rows.len(), 2, "{backend:?}: {rows:?}");
        assert_eq!(rows[1][..3], ["科技成果", "低温电池电解液", "南京测试大学"]);
    }
}

#[tokio::test]
async fn withdrawing_a_record_asks_for_a_confirmation() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let institution = university(&server).await;
        add_user(&server, "teacher", "institution", "", "", Some(institution)).await;
        let teacher = Actor::User(account_of(&server, "teacher").await);
        let id = achievement(&server, &teacher, "低温电池电解液", true).await;
        let (client, csrf) = log_in(&server, "teacher").await;
        let page = client
            .get(server.url(&format!("/records/achievement/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("撤回后该记录不再出现在清单中"), "{backend:?}");
        let url = server.url(&format!("/records/achievement/{id}/withdraw"));
        let unconfirmed = client
            .post(&url)
            .form(&[("_csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_error_flashed(&unconfirmed);
        assert_eq!(
            status(&server, id).await,
            RecordStatus::Submitted,
            "{backend:?}"
        );
        let confirmed = client
            .post(&url)
            .form(&[("_csrf", csrf.as_str()), ("confirm", "yes")])
            .send()
            .await
            .unwrap();
        assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            status(&server, id).await,
            RecordStatus::Closed(zijin_domain::CloseReason::Withdrawn),
            "{backend:?}"
        );
    }
}
