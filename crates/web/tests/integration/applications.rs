//! 申报 on the pages (issue 16): the admin opens a call through the form (budget in 万元), an
//! enterprise applies with an amount written as “12万”, sees the computed amount with
//! separators and in 万元 and its explanation, must confirm to submit, and the district officer
//! and the unit's reviewer decide on the application's page. Both backends.

use reqwest::StatusCode;
use zijin_testkit::{BACKENDS, spawn_app};

use super::{add_user, log_in};

async fn text(response: reqwest::Response) -> String {
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_call_is_opened_applied_for_and_reviewed_on_the_pages() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let system = zijin_app::Actor::System("test");
        let code = zijin_domain::CreditCode::complete("91320115MA1AAAAA0").unwrap();
        let enterprise = zijin_app::institutions::create(
            &server.context.app,
            &system,
            &zijin_domain::InstitutionInput {
                name: "南京紫峰科技有限公司",
                kind: "enterprise",
                credit_code: code.as_str(),
                district: "江宁区",
                contact_phone: "025-84000000",
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
        add_user(&server, "admin", "admin", "", "", None).await;
        add_user(&server, "company", "institution", "", "", Some(enterprise)).await;
        add_user(&server, "jiangning", "district", "", "江宁区", None).await;
        add_user(&server, "jinrong", "reviewer", "市委金融办", "", None).await;

        // The admin opens a call for 保费补贴 with a budget of 50 万元.
        let (admin, csrf) = log_in(&server, "admin").await;
        let form = admin.get(server.url("/calls/new")).send().await.unwrap();
        assert_eq!(form.status(), StatusCode::OK);
        let refused = admin
            .post(server.url("/calls"))
            .form(&[("_csrf", csrf.as_str()), ("title", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = text(refused).await;
        assert!(
            page.contains("请填写通知标题") && page.contains("请至少选择一项政策措施"),
            "{page}"
        );
        let opened = admin
            .post(server.url("/calls"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("title", "2026年度科技保险保费补贴申报"),
                ("opens", "2026-11-28T08:00"),
                ("closes", "2026-12-18T17:00"),
                ("measure", "a15-insurance"),
                ("budget_a15-insurance", "50"),
                ("notice_days", "5"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            opened.status(),
            StatusCode::SEE_OTHER,
            "{}",
            text(opened).await
        );
        let call_path = opened.headers()["location"].to_str().unwrap().to_string();
        let call_id = call_path.trim_start_matches("/calls/").to_string();
        let notices = text(reqwest::get(server.url("/calls")).await.unwrap()).await;
        assert!(notices.contains("2026年度科技保险保费补贴申报") && notices.contains("申报中"));
        assert!(notices.contains("距截止还有"), "{notices}");

        // The enterprise applies: “12万” of premium, half of it subsidised.
        let (company, csrf) = log_in(&server, "company").await;
        let call_page = text(company.get(server.url(&call_path)).send().await.unwrap()).await;
        assert!(
            call_page.contains("500,000.00 元（50 万元）"),
            "{call_page}"
        );
        assert!(call_page.contains("我要申报"));
        let new = format!("/applications/new?call={call_id}&measure=a15-insurance");
        let form = text(company.get(server.url(&new)).send().await.unwrap()).await;
        assert!(form.contains("研发费用损失险、专利险实缴保费") && form.contains("科研诚信承诺书"));
        let drafted = company
            .post(server.url("/applications"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("call", call_id.as_str()),
                ("measure", "a15-insurance"),
                ("premium", "12万"),
                ("enterprise_tags", "高新技术企业"),
                ("integrity_accepted", "yes"),
                ("account_name", "南京紫峰科技有限公司"),
                ("bank_name", "中国银行南京江宁支行"),
                ("bank_account", "4646 1234 5678 9012"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(drafted.status(), StatusCode::SEE_OTHER);
        let path = drafted.headers()["location"].to_str().unwrap().to_string();
        let page = text(company.get(server.url(&path)).send().await.unwrap()).await;
        assert!(page.contains("60,000.00 元（6 万元）"), "{page}");
        assert!(page.contains("120,000.00 元（12 万元）"), "{page}");
        assert!(page.contains("第15条"), "the explanation cites the article");
        // Submitting asks for a confirmation first.
        let unconfirmed = company
            .post(server.url(&format!("{path}/submit")))
            .form(&[("_csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text(unconfirmed).await.contains("确认提交"));
        let submitted = company
            .post(server.url(&format!("{path}/submit")))
            .form(&[("_csrf", csrf.as_str()), ("confirm", "yes")])
            .send()
            .await
            .unwrap();
        assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
        let page = text(company.get(server.url(&path)).send().await.unwrap()).await;
        assert!(
            page.contains("已提交，请等待区级初审推荐") && page.contains("区级初审推荐"),
            "{page}"
        );

        // The district officer finds it waiting and recommends it; the unit returns it.
        let (officer, csrf) = log_in(&server, "jiangning").await;
        let queue = text(
            officer
                .get(server.url("/applications"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(
            queue.contains("申报审核") && queue.contains("南京紫峰科技有限公司"),
            "{queue}"
        );
        let approved = officer
            .post(server.url(&format!("{path}/decision")))
            .form(&[("_csrf", csrf.as_str()), ("decision", "approve")])
            .send()
            .await
            .unwrap();
        assert_eq!(approved.status(), StatusCode::SEE_OTHER);
        let (reviewer, csrf) = log_in(&server, "jinrong").await;
        let without_comment = reviewer
            .post(server.url(&format!("{path}/decision")))
            .form(&[("_csrf", csrf.as_str()), ("decision", "return")])
            .send()
            .await
            .unwrap();
        assert_eq!(without_comment.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            text(without_comment)
                .await
                .contains("退回修改时请写明需要修改的内容")
        );
        let returned = reviewer
            .post(server.url(&format!("{path}/decision")))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("decision", "return"),
                ("comment", "请补充保单"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(returned.status(), StatusCode::SEE_OTHER);
        let page = text(company.get(server.url(&path)).send().await.unwrap()).await;
        assert!(
            page.contains("退回修改") && page.contains("请补充保单"),
            "{page}"
        );
        assert!(
            page.contains("修改申报内容"),
            "the applicant may correct it"
        );
    }
}
