//! Carriers' yearly performance evaluation (issue 19), on both backends: platform figures fill
//! their indicators (a value typed for them is ignored), the report needs its values and
//! evidence, reviewers score the judgement indicators, the year is confirmed once even when two
//! confirmations arrive at once, a confirmed grade feeds the performance award, and two 不合格
//! in a row withdraw the recognition and free the place.

use std::collections::BTreeMap;

use chrono::Duration;
use zijin_app::applications::{ApplicationInput, CallInput, calls};
use zijin_app::carriers::{self, evaluation, recognition, reports};
use zijin_app::contracts::import;
use zijin_app::{App, AppError};
use zijin_domain::Grade;
use zijin_testkit::BACKENDS;

use super::contracts::{HEADER, account, code, institution, row, world};

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// a01-performance with an assumed table (the seed gives no amounts): a test's own.
const AWARDS: &str = r#"
document = "测试用绩效奖励标准"
[[set]]
measure = "a01-performance"
parameter = "grade_awards"
from = "2025-01-01"
value = { excellent = "500000", good = "300000", pass = "100000", fail = "0" }
"#;

fn with_awards(app: &App) -> App {
    let shipped = zijin_testkit::shipped_policies();
    let policies = zijin_policy::PolicySet::compile(
        &shipped.sources.articles,
        &[zijin_policy::SourceFile {
            name: "awards.toml".into(),
            text: AWARDS.into(),
        }],
    )
    .unwrap();
    // A test's own 2027 arrangement (the shipped calendar ends with 2026).
    let calendar = zijin_domain::WorkCalendar::shipped()
        .merged(zijin_domain::WorkCalendar::parse("[2027]\n休 2027-01-01..2027-01-03\n").unwrap());
    app.clone().with_policies(policies).with_calendar(calendar)
}

#[tokio::test]
async fn a_year_is_evaluated_from_platform_figures_reports_and_scores_then_confirmed() {
    for backend in BACKENDS {
        let w = world(backend).await;
        let app = &w.context.app;
        let admin = &w.admin;
        // The university's science park applies; the bureau recognises it. The registry runs a
        // 技术转移机构 that will never report.
        let applied = recognition::apply(
            app,
            &w.seller,
            "university-science-park",
            "",
            "场地 2 万平方米，专职人员 12 人",
        )
        .await
        .unwrap();
        let twice = recognition::apply(app, &w.seller, "大学科技园", "", "再申请一次")
            .await
            .unwrap_err();
        assert!(matches!(twice, AppError::WrongState(ref m) if m.contains("待认定")));
        let park = recognition::decide(app, admin, applied, true, "", true)
            .await
            .unwrap()
            .unwrap();
        let silent_code = code("11320102MB1CCCCC0");
        let silent = carriers::recognise(app, admin, &silent_code, "transfer-org", "")
            .await
            .unwrap();
        // This year the university sold 900,000 of technology under one registered contract.
        let file = [
            HEADER.to_string(),
            row(
                "2026320102000301",
                ("南京测试大学", &w.university_code, "022"),
                "技术开发",
                "320115",
                ("1000000", "900000"),
                "2026-06-01",
            ),
        ]
        .join("\n");
        import::import(app, admin, file.as_bytes(), &|_, _| {})
            .await
            .unwrap();

        // Submitting needs every reported value and its evidence; each problem names its
        // indicator.
        let incomplete = reports::ReportInput {
            values: map(&[("staff", "１０"), ("tenants", "-3"), ("graduated", "1e5")]),
            submit: true,
            ..Default::default()
        };
        let AppError::Validation(errors) = reports::save(app, &w.seller, park, 2026, &incomplete)
            .await
            .unwrap_err()
        else {
            panic!("expected field errors")
        };
        let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("在园（在港）企业") && m.contains("-3")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("毕业或落地转化企业") && m.contains("1e5")),
            "{messages:?}"
        );
        assert!(
            !messages
                .iter()
                .any(|m| m.contains("专职成果转化人员") && m.contains("不小于零")),
            "full-width digits are read: {messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("请填写“当年新孵化企业”")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("须附证明材料：人员名单")),
            "{messages:?}"
        );
        // Another institution may not file it.
        let elsewhere = institution(
            &w.context,
            "别家研究院",
            "科研院所",
            &code("12320115MB1HHHHH0"),
            "江宁区",
        )
        .await;
        let stranger = account(&w.context, "stranger", "institution", Some(elsewhere)).await;
        assert!(
            reports::save(app, &stranger, park, 2026, &incomplete)
                .await
                .is_err()
        );
        let complete = reports::ReportInput {
            // `sold` is a platform indicator: a value typed for it is not kept.
            values: map(&[
                ("staff", "10"),
                ("tenants", "30"),
                ("incubated", "20"),
                ("graduated", "12"),
                ("sold", "999"),
            ]),
            evidence: map(&[
                ("staff", "人员名单.pdf"),
                ("tenants", "入驻协议.pdf"),
                ("incubated", "营业执照.pdf"),
                ("graduated", "落地证明.pdf"),
            ]),
            summary: "全年孵化企业 20 家".into(),
            submit: true,
        };
        reports::save(app, &w.seller, park, 2026, &complete)
            .await
            .unwrap();
        let again = reports::save(app, &w.seller, park, 2026, &complete)
            .await
            .unwrap_err();
        assert!(matches!(again, AppError::WrongState(ref m) if m.contains("已提交")));
        let view = reports::view(app, &w.seller, park, 2026).await.unwrap();
        let stored = view.report.as_ref().unwrap();
        assert!(!stored.reported.contains_key("sold"));
        assert_eq!(
            view.platform.get("sold-amount").map(String::as_str),
            Some("90 万元")
        );
        assert!(!view.may_edit);
        // The owner may not score; a score beyond the indicator's points is refused.
        assert!(
            reports::score(app, &w.seller, park, 2026, &map(&[]), "")
                .await
                .is_err()
        );
        let over = map(&[
            ("ability", "16"),
            ("management", "20"),
            ("reputation", "10"),
        ]);
        assert!(matches!(
            reports::score(app, admin, park, 2026, &over, "").await,
            Err(AppError::Validation(_))
        ));
        let scores = map(&[
            ("ability", "10"),
            ("management", "20"),
            ("reputation", "10"),
        ]);
        reports::score(app, admin, park, 2026, &scores, "运行规范")
            .await
            .unwrap();

        // 5 + 5 (reported, at full marks) + 0.16 (1 of 50 contracts × 8) + 0.18 (90 of 5,000
        // 万元 × 10) + 6 + 9 (incubated, graduated: full marks) + 40 (scores) = 65.34: 合格.
        let year = evaluation::evaluate(app, admin, 2026).await.unwrap();
        assert_eq!(year.results.len(), 2);
        let result = year.results.iter().find(|r| r.carrier.id == park).unwrap();
        assert_eq!(result.total.normalize().to_string(), "65.34");
        assert_eq!(result.grade, Grade::Pass);
        let amount = result
            .indicators
            .iter()
            .find(|i| i.code == "sold-amount")
            .unwrap();
        assert_eq!(amount.value.as_deref(), Some("90"));
        assert_eq!(amount.points, "0.18");
        assert!(amount.source.contains("技术合同登记"), "{}", amount.source);
        let json = result.to_json();
        assert_eq!(json["grade"], "合格");
        assert_eq!(json["type"], "大学科技园");
        assert_eq!(json["indicators"][3]["value"], 90.0);
        // The carrier's institution sees its result on its report.
        let seen = reports::view(app, &w.seller, park, 2026)
            .await
            .unwrap()
            .result
            .unwrap();
        assert_eq!((seen.total, seen.grade), (result.total, Grade::Pass));
        let never = year
            .results
            .iter()
            .find(|r| r.carrier.id == silent)
            .unwrap();
        assert_eq!(never.grade, Grade::Fail);
        assert!(
            never
                .indicators
                .iter()
                .any(|i| i.explanation == "未提交绩效报告，不计分")
        );

        // The year is not over: it cannot be confirmed yet.
        let early = evaluation::confirm(app, admin, 2026, true)
            .await
            .unwrap_err();
        assert!(matches!(early, AppError::WrongState(ref m) if m.contains("尚未结束")));
        w.context.clock.advance(Duration::days(45)); // 2027-01-12
        assert!(matches!(
            evaluation::confirm(app, admin, 2026, false).await,
            Err(AppError::Validation(_))
        ));
        // Two confirmations at once: one lands, the other is told.
        let (a, b) = tokio::join!(
            evaluation::confirm(app, admin, 2026, true),
            evaluation::confirm(app, admin, 2026, true),
        );
        let landed: Vec<_> = [a, b].into_iter().collect();
        assert_eq!(landed.iter().filter(|r| r.is_ok()).count(), 1, "{landed:?}");
        let done = landed.into_iter().find_map(Result::ok).unwrap();
        assert!(done.withdrawn.is_empty(), "one 不合格 is not yet an exit");
        // A confirmed year is frozen: a report, a score or a new evaluation changes nothing.
        assert!(
            reports::score(app, admin, park, 2026, &scores, "")
                .await
                .is_err()
        );
        let frozen = evaluation::evaluate(app, admin, 2026).await.unwrap();
        assert!(frozen.confirmed_at.is_some());
        assert_eq!(frozen.results.len(), 2);

        // The confirmed grade feeds the award: a typed grade is replaced by 合格 (100,000).
        let app = &with_awards(app);
        let call = calls::create(
            app,
            admin,
            &CallInput {
                title: "2027年度大学科技园绩效奖励".into(),
                measures: vec!["a01-performance".into()],
                opens: "2027-01-10T08:00:00+08:00".into(),
                closes: "2027-02-18T17:00:00+08:00".into(),
                budgets: BTreeMap::from([("a01-performance".to_string(), "5000000".to_string())]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .call
        .id;
        let mut facts = serde_json::Map::new();
        facts.insert("grade".into(), "excellent".into());
        let filed = zijin_app::applications::filing::draft(
            app,
            &w.seller,
            &ApplicationInput {
                call,
                measure: "a01-performance".into(),
                facts,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            filed.application.amount_fen, 10_000_000,
            "{:?}",
            filed.application
        );
        // An institution without a confirmed grade of such a carrier cannot file it.
        let registrar_inst = account(
            &w.context,
            "registry-staff",
            "institution",
            Some(w.registry),
        )
        .await;
        let refused = zijin_app::applications::filing::draft(
            app,
            &registrar_inst,
            &ApplicationInput {
                call,
                measure: "a01-performance".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert!(
            format!("{refused:?}").contains("绩效评价结果"),
            "{refused:?}"
        );

        // 2027: nobody reports. Confirming it withdraws the 技术转移机构 (不合格 in 2026 and
        // 2027) and notifies its institution; the park (合格, then 不合格) stays.
        w.context.clock.advance(Duration::days(365)); // 2028-01-12
        evaluation::evaluate(app, admin, 2027).await.unwrap();
        let done = evaluation::confirm(app, admin, 2027, true).await.unwrap();
        assert_eq!(done.withdrawn.len(), 1, "{:?}", done.withdrawn);
        assert!(
            done.withdrawn[0].2.contains("2026、2027年度"),
            "{:?}",
            done.withdrawn
        );
        let directory = carriers::directory(app, None).await.unwrap();
        let recognised: Vec<i64> = directory
            .iter()
            .flat_map(|t| t.carriers.iter().map(|c| c.id))
            .collect();
        assert!(recognised.contains(&park) && !recognised.contains(&silent));
        // The place is free again: the registry may be recognised anew.
        carriers::recognise(app, admin, &silent_code, "transfer-org", "")
            .await
            .unwrap();
    }
}
