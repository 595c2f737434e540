//! Issue 18 through the pages and the API: a seller submits a contract with its file, the
//! registrar of its registry registers it (another registry's registrar cannot see it), the
//! statistics page shows it with charts and exports it, the import page refuses a bad file by
//! row and column, and the admin freezes the ranking (PDF and .xlsx downloads).

use reqwest::StatusCode;
use zijin_app::Actor;
use zijin_testkit::{BACKENDS, TestServer, spawn_app};

use super::{add_user, log_in};

fn code(stem: &str) -> String {
    zijin_domain::CreditCode::complete(stem)
        .unwrap()
        .as_str()
        .to_string()
}

async fn institution(
    server: &TestServer,
    name: &str,
    kind: &str,
    code: &str,
    district: &str,
) -> i64 {
    let input = zijin_domain::InstitutionInput {
        name,
        kind,
        credit_code: code,
        district,
        ..Default::default()
    };
    zijin_app::institutions::create(&server.context.app, &Actor::System("test"), &input)
        .await
        .unwrap()
        .id
}

fn text(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn a_contract_goes_from_seller_to_registry_to_statistics_and_ranking() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        let university_code = code("12320102MB1AAAAA0");
        let buyer_code = code("91320115MA1BBBBB0");
        let university =
            institution(&server, "南京测试大学", "高校", &university_code, "玄武区").await;
        institution(
            &server,
            "南京测试科技有限公司",
            "企业",
            &buyer_code,
            "江宁区",
        )
        .await;
        let registry = institution(
            &server,
            "测试技术合同登记处",
            "合同登记机构",
            &code("11320102MB1CCCCC0"),
            "玄武区",
        )
        .await;
        let other = institution(
            &server,
            "另一登记站",
            "合同登记机构",
            &code("11320115MB1DDDDD0"),
            "江宁区",
        )
        .await;
        add_user(&server, "teacher", "institution", "", "", Some(university)).await;
        add_user(
            &server,
            "registrar",
            "contract-registrar",
            "",
            "",
            Some(registry),
        )
        .await;
        add_user(
            &server,
            "registrar2",
            "contract-registrar",
            "",
            "",
            Some(other),
        )
        .await;
        add_user(&server, "boss", "admin", "", "", None).await;

        // The seller's form comes with the seller filled in.
        let (teacher, csrf) = log_in(&server, "teacher").await;
        let form = teacher
            .get(server.url("/contracts/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            form.contains(&university_code),
            "seller's credit code pre-filled"
        );
        assert!(form.contains("测试技术合同登记处"));
        let fields = |with_file: bool| {
            let mut parts = reqwest::multipart::Form::new();
            for (name, value) in [
                ("_csrf", csrf.as_str()),
                ("title", "钙钛矿电池制备技术开发"),
                ("contract_type", "development-commissioned"),
                ("signed_on", "2026-10-08"),
                ("seller_name", "南京测试大学"),
                ("seller_credit_code", university_code.as_str()),
                ("seller_nature", "022"),
                ("seller_region", "320102"),
                ("buyer_name", "南京测试科技有限公司"),
                ("buyer_credit_code", buyer_code.as_str()),
                ("buyer_nature", "150"),
                ("buyer_region", "320115"),
                ("field", "new-energy"),
                ("ip_type", "patent"),
                ("total", "120"),
                ("total_unit", "wan"),
                ("deduction_item_1", "设备"),
                ("deduction_amount_1", "200000"),
                ("registry", &registry.to_string()),
            ] {
                parts = parts.text(name.to_string(), value.to_string());
            }
            if with_file {
                parts = parts.part(
                    "file",
                    reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
                        .file_name("合同.pdf"),
                );
            }
            parts
        };
        // Without the contract file: refused, in Chinese, the form kept.
        let refused = teacher
            .post(server.url("/contracts"))
            .multipart(fields(false))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(page.contains("请上传合同文本"), "{}", text(&page));
        assert!(page.contains("钙钛矿电池制备技术开发"));
        let created = teacher
            .post(server.url("/contracts"))
            .multipart(fields(true))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        let at = created.headers()["location"].to_str().unwrap().to_string();
        let detail = text(
            &teacher
                .get(server.url(&at))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        assert!(
            detail.contains("待登记") && detail.contains("1,000,000.00"),
            "{detail}"
        );
        assert!(detail.contains("15 个工作日"));

        // The other registry's registrar does not see it; this one registers it.
        let (other_registrar, _) = log_in(&server, "registrar2").await;
        assert_eq!(
            other_registrar
                .get(server.url(&at))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND
        );
        let (registrar, registrar_csrf) = log_in(&server, "registrar").await;
        let queue = text(
            &registrar
                .get(server.url("/contracts?status=submitted"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        assert!(
            queue.contains("钙钛矿电池制备技术开发") && queue.contains("办理期限"),
            "{queue}"
        );
        let decided = registrar
            .post(server.url(&format!("{at}/decide")))
            .form(&[("_csrf", registrar_csrf.as_str()), ("decision", "register")])
            .send()
            .await
            .unwrap();
        assert_eq!(decided.status(), StatusCode::SEE_OTHER);
        let registered = text(
            &registrar
                .get(server.url(&at))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        assert!(
            registered.contains("已登记") && registered.contains("2026320102000001"),
            "{registered}"
        );
        // The seller may not decide.
        let id = at.trim_start_matches("/contracts/");
        let api = teacher
            .post(server.url(&format!("/api/v1/contracts/{id}/decision")))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({ "decision": "refuse", "reason": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::FORBIDDEN);
        assert!(
            api.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/problem+json")
        );

        // Public statistics: the figures, a chart drawn on the server, the table beside it.
        let stats = reqwest::get(server.url("/stats/contracts?year=2026"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(stats.contains("<svg"), "charts are SVG");
        let words = text(&stats);
        assert!(
            words.contains("1,000,000.00")
                && words.contains("新能源与高效节能")
                && words.contains("江宁区"),
            "{words}"
        );
        assert!(
            !stats.contains("stats-details"),
            "the public sees figures, not contracts"
        );
        let export = reqwest::get(server.url("/stats/contracts/export.xlsx?year=2026"))
            .await
            .unwrap();
        assert_eq!(export.status(), StatusCode::OK);
        assert!(export.bytes().await.unwrap().starts_with(b"PK"));
        let api_stats: serde_json::Value =
            reqwest::get(server.url("/api/v1/stats/contracts?year=2026"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        assert_eq!(api_stats["total"]["technology_amount"], "1000000.00");
        assert_eq!(api_stats["in_city_share"], "100.0");

        // Import refused by row and column; nothing written.
        let (boss, boss_csrf) = log_in(&server, "boss").await;
        let bad = "合同登记编号,项目名称,合同类型,签订日期,卖方名称,卖方统一社会信用代码,卖方性质,卖方行政区划,买方名称,买方统一社会信用代码,买方性质,买方行政区划,技术领域,知识产权类型,成交额,技术交易额,登记日期\n123,某项目,技术开发,2026-01-05,某大学,x,022,320102,某公司,y,150,320115,电子信息,专利,100,100,2026-01-09\n";
        let import = boss
            .post(server.url("/contracts/import"))
            .multipart(
                reqwest::multipart::Form::new()
                    .text("_csrf", boss_csrf.clone())
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(bad.as_bytes().to_vec())
                            .file_name("合同.csv"),
                    ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(import.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let report = text(&import.text().await.unwrap());
        assert!(
            report.contains("第2行【合同登记编号】合同登记编号应为16位数字"),
            "{report}"
        );
        assert!(report.contains("第2行【卖方统一社会信用代码】"), "{report}");

        // The ranking: computed live; a year still running cannot be frozen.
        let live = text(
            &reqwest::get(server.url("/rankings?year=2026"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        assert!(
            live.contains("南京测试大学") && live.contains("尚未发布"),
            "{live}"
        );
        let running = boss
            .post(server.url("/rankings/freeze"))
            .form(&[
                ("_csrf", boss_csrf.as_str()),
                ("year", "2026"),
                ("confirm", "yes"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(running.status(), StatusCode::SEE_OTHER);
        let said = text(
            &boss
                .get(server.url("/rankings?year=2026"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        assert!(said.contains("只能发布已结束年度"), "{said}");

        // Last year's contracts come from the national export; the admin freezes that year.
        let good = format!(
            "合同登记编号,项目名称,合同类型,签订日期,卖方名称,卖方统一社会信用代码,卖方性质,卖方行政区划,买方名称,买方统一社会信用代码,买方性质,买方行政区划,技术领域,知识产权类型,成交额,技术交易额,登记日期\n2025320102000123,低温电解液专利转让,技术转让（专利权）,2025-03-02,南京测试大学,{university_code},022,320102,南京测试科技有限公司,{buyer_code},150,320115,新能源与高效节能,专利,800000,800000,2025-03-20\n"
        );
        let imported = boss
            .post(server.url("/contracts/import"))
            .multipart(
                reqwest::multipart::Form::new()
                    .text("_csrf", boss_csrf.clone())
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(good.into_bytes()).file_name("合同.csv"),
                    ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(imported.status(), StatusCode::OK);
        assert!(text(&imported.text().await.unwrap()).contains("已导入 1 份"));
        let unconfirmed = boss
            .post(server.url("/rankings/freeze"))
            .form(&[("_csrf", boss_csrf.as_str()), ("year", "2025")])
            .send()
            .await
            .unwrap();
        assert_eq!(unconfirmed.status(), StatusCode::SEE_OTHER);
        assert!(
            text(
                &reqwest::get(server.url("/rankings?year=2025"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            )
            .contains("尚未发布")
        );
        let frozen = boss
            .post(server.url("/rankings/freeze"))
            .form(&[
                ("_csrf", boss_csrf.as_str()),
                ("year", "2025"),
                ("confirm", "yes"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(frozen.status(), StatusCode::SEE_OTHER);
        let page = text(
            &reqwest::get(server.url("/rankings?year=2025"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        assert!(page.contains("已于") && page.contains("数据冻结"), "{page}");
        let pdf = reqwest::get(server.url("/rankings/2025.pdf"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(zijin_testkit::pdf_text(&pdf).contains("南京测试大学"));
        let api: serde_json::Value = reqwest::get(server.url("/api/v1/rankings/2025"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(api["frozen_at"].is_string());
        assert_eq!(api["ranking"]["entries"][0]["total"], "800000.00");
    }
}
