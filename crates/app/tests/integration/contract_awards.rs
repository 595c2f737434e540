//! Contract-based awards (issue 18), on both backends: `a03-transfer-org` takes its amounts
//! from registered contracts; with the example supplement (宁科〔2021〕34号) loaded, a
//! 免申即享 pass drafts the buyer subsidy from payments received and the broker award per
//! 技术经理人, related-party contracts excluded, the cap holding per person.

use std::sync::Arc;

use chrono::TimeZone;
use zijin_app::applications::ApplicationInput;
use zijin_app::contracts::{self, Decision, ListQuery, Submission, import};
use zijin_app::{Actor, App};
use zijin_testkit::BACKENDS;

use super::contracts::{HEADER, World, code, form, institution, row, world};

/// The shipped policies with the example supplement loaded.
fn with_example(app: &App) -> App {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policy/examples/ningke-2021-34/a03-ningke-2021-34.toml");
    let text = std::fs::read_to_string(&example).unwrap();
    let shipped = zijin_testkit::shipped_policies();
    let mut articles = shipped.sources.articles.clone();
    articles.push(zijin_policy::SourceFile {
        name: example.display().to_string(),
        text,
    });
    let policies =
        zijin_policy::PolicySet::compile(&articles, &shipped.sources.supplements).unwrap();
    app.clone().with_policies(policies)
}

/// An open call of `measure` with a budget.
async fn call(app: &App, admin: &Actor, title: &str, measure: &str) -> i64 {
    use std::collections::BTreeMap;
    use zijin_app::applications::{CallInput, calls};
    let input = CallInput {
        title: title.into(),
        measures: vec![measure.into()],
        opens: "2026-11-28T08:00:00+08:00".into(),
        closes: "2026-12-18T17:00:00+08:00".into(),
        budgets: BTreeMap::from([(measure.to_string(), "5000000".to_string())]),
        ..Default::default()
    };
    calls::create(app, admin, &input).await.unwrap().call.id
}

/// Tiers for every role of art. 3 (the seed leaves them to implementing rules): a test's own.
const TIERS: &str = r#"
document = "测试用分档标准"
[[set]]
measure = "a03-transfer-org"
parameter = "tiers_seller"
from = "2025-01-01"
value = [{ min = "0", max = "1000000", amount = "100000" }, { min = "1000000", amount = "300000" }]
[[set]]
measure = "a03-transfer-org"
parameter = "tiers_buyer"
from = "2025-01-01"
value = [{ min = "0", amount = "50000" }]
[[set]]
measure = "a03-transfer-org"
parameter = "tiers_transfer_org"
from = "2025-01-01"
value = [{ min = "0", amount = "50000" }]
[[set]]
measure = "a03-transfer-org"
parameter = "tiers_registry_org"
from = "2025-01-01"
value = [{ min = "0", amount = "50000" }]
"#;

#[tokio::test]
async fn the_transfer_award_takes_its_amount_from_registered_contracts() {
    use zijin_app::applications::exempt;
    for backend in BACKENDS {
        let w = world(backend).await;
        let shipped = zijin_testkit::shipped_policies();
        let app = w.context.app.clone().with_policies(shipped.clone());
        // Last year the university sold 900,000 of technology (registered 2025-06-01).
        let file = [
            HEADER.to_string(),
            row(
                "2025320102000201",
                ("南京测试大学", &w.university_code, "022"),
                "技术开发",
                "320115",
                ("1000000", "900000"),
                "2025-06-01",
            ),
        ]
        .join("\n");
        import::import(&app, &w.admin, file.as_bytes(), &|_, _| {})
            .await
            .unwrap();
        let call = call(&app, &w.admin, "2026年度技术转移奖励", "a03-transfer-org").await;
        // The tiers are pending: the candidate is passed over, saying why.
        let report = exempt::run(&app, &w.admin, call, "a03-transfer-org")
            .await
            .unwrap();
        assert!(report.drafted.is_empty());
        assert!(
            report
                .skipped
                .iter()
                .any(|(name, why)| name == "南京测试大学" && why.contains("尚未设定")),
            "{:?}",
            report.skipped
        );
        // With tiers set by a supplement, the pass drafts the award from the registry's figure.
        let with_tiers = zijin_policy::PolicySet::compile(
            &shipped.sources.articles,
            &[zijin_policy::SourceFile {
                name: "tiers.toml".into(),
                text: TIERS.into(),
            }],
        )
        .unwrap();
        let app = w.context.app.clone().with_policies(with_tiers);
        let report = exempt::run(&app, &w.admin, call, "a03-transfer-org")
            .await
            .unwrap();
        let drafted: Vec<(String, String)> = report
            .drafted
            .iter()
            .map(|(_, n, a)| (n.clone(), a.to_string()))
            .collect();
        assert!(
            drafted.contains(&("南京测试大学".to_string(), "100000".to_string())),
            "{drafted:?} {:?}",
            report.skipped
        );
        let (id, _, _) = report
            .drafted
            .iter()
            .find(|(_, n, _)| n == "南京测试大学")
            .unwrap();
        let view = zijin_app::applications::get(&app, &w.seller, *id)
            .await
            .unwrap();
        assert!(
            view.application.facts.contains("900000.00"),
            "{}",
            view.application.facts
        );
    }
}

#[tokio::test]
async fn the_example_buyer_subsidy_is_drafted_from_payments_received() {
    use zijin_app::applications::exempt;
    for backend in BACKENDS {
        let w = world(backend).await;
        let app = with_example(&w.context.app);
        let line = format!(
            "2025320102000301,低温电解液技术转让,技术转让（专利权）,2025-02-20,南京测试大学,{},022,320102,南京测试科技有限公司,{},150,320115,新能源与高效节能,专利,2200000,2000000,2025-03-01",
            w.university_code, w.buyer_code
        );
        let file = [HEADER.to_string(), line].join("\n");
        import::import(&app, &w.admin, file.as_bytes(), &|_, _| {})
            .await
            .unwrap();
        let id = contracts::list(&app, &w.admin, &ListQuery::default(), 1)
            .await
            .unwrap()
            .items[0]
            .id;
        // The seller records what came in: 150万 last year, 50万 this year (not counted).
        contracts::record_receipt(&app, &w.seller, id, "2025-05-01", "150万", "首期")
            .await
            .unwrap();
        contracts::record_receipt(&app, &w.seller, id, "2026-01-10", "50万", "尾款")
            .await
            .unwrap();
        let call = call(
            &app,
            &w.admin,
            "技术交易补贴（示例）",
            "a03-x2021-buyer-subsidy",
        )
        .await;
        let report = exempt::run(&app, &w.admin, call, "a03-x2021-buyer-subsidy")
            .await
            .unwrap();
        let drafted: Vec<(String, String)> = report
            .drafted
            .iter()
            .map(|(_, n, a)| (n.clone(), a.to_string()))
            .collect();
        assert_eq!(
            drafted,
            vec![("南京测试科技有限公司".to_string(), "75000.00".to_string())],
            "{:?}",
            report.skipped
        );
    }
}

/// A contract of 2025 brokered by `broker`, registered: 技术交易额 = `technology`.
async fn brokered_2025(
    w: &World,
    app_2025: &App,
    broker: i64,
    technology: i64,
    related_party: bool,
) {
    let mut input = form(w, &(technology + 100_000).to_string());
    input.signed_on = "2025-04-20".into();
    input.related_party = related_party;
    let id = contracts::submit(
        app_2025,
        &w.seller,
        Submission {
            form: input,
            registry_id: Some(w.registry),
            broker_user_id: Some(broker),
            file: Some(("合同.pdf".into(), super::contracts::PDF.to_vec())),
            ..Submission::default()
        },
    )
    .await
    .unwrap();
    contracts::decide(app_2025, &w.registrar, id, Decision::Register)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_example_broker_award_is_drafted_per_person_within_the_cap() {
    use zijin_app::applications::{self, exempt, review};
    for backend in BACKENDS {
        let w = world(backend).await;
        let app = with_example(&w.context.app);
        let (center, managers) =
            super::contracts::managers(&w, ["manager-a", "manager-b", "manager-c"]).await;
        let id_of = |a: &Actor| a.user().unwrap().id;
        let (a, b, c) = (
            id_of(&managers[0]),
            id_of(&managers[1]),
            id_of(&managers[2]),
        );
        // Only a flagged 技术经理人 may be named as broker.
        let mut plain = super::contracts::submission(&w, "500000");
        plain.broker_user_id = Some(id_of(&w.seller));
        let refused = contracts::submit(&app, &w.seller, plain).await.unwrap_err();
        assert!(
            format!("{refused:?}").contains("broker_user"),
            "{refused:?}"
        );
        // Last year: A brokered 400万 and 200万 (1% = 6万, capped at 5万); B 30万 and a
        // related-party 100万 (not counted); C only a related-party contract.
        let start = chrono::Utc
            .with_ymd_and_hms(2025, 5, 6, 2, 0, 0)
            .single()
            .unwrap();
        let app_2025 = app
            .clone()
            .with_clock(Arc::new(zijin_app::ManualClock::new(start)));
        brokered_2025(&w, &app_2025, a, 4_000_000, false).await;
        brokered_2025(&w, &app_2025, a, 2_000_000, false).await;
        brokered_2025(&w, &app_2025, b, 300_000, false).await;
        brokered_2025(&w, &app_2025, b, 1_000_000, true).await;
        brokered_2025(&w, &app_2025, c, 800_000, true).await;
        // The person's 技术转移机构 is taken as the broker institution; another one is refused.
        let taken: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM tech_contracts WHERE broker_institution_id = $1",
        )
        .bind(center)
        .fetch_one(app.store().pool())
        .await
        .unwrap();
        assert_eq!(taken, 5);
        let elsewhere = institution(
            &w.context,
            "另一技术转移公司",
            "服务机构",
            &code("91320102MA1FFFFF0"),
            "玄武区",
        )
        .await;
        let mut mismatched = super::contracts::submission(&w, "500000");
        mismatched.broker_institution_id = Some(elsewhere);
        mismatched.broker_user_id = Some(a);
        let refused = contracts::submit(&app, &w.seller, mismatched)
            .await
            .unwrap_err();
        assert!(
            format!("{refused:?}").contains("与所选技术转移机构不一致"),
            "{refused:?}"
        );
        // A waiting contract's seller may correct its 技术经理人; the history names the seller.
        let mut waiting = super::contracts::submission(&w, "500000");
        waiting.broker_user_id = Some(a);
        let id = contracts::submit(&app, &w.seller, waiting).await.unwrap();
        let mut corrected = super::contracts::submission(&w, "500000");
        corrected.broker_user_id = Some(b);
        contracts::edit(&app, &w.seller, id, corrected)
            .await
            .unwrap();
        let view = contracts::get(&app, &w.seller, id).await.unwrap();
        assert_eq!(view.contract.broker_user_id, Some(b));
        assert_eq!(view.contract.broker_name, "manager-b");
        assert!(
            view.history.iter().all(|h| !h.actor.starts_with("user:")),
            "{:?}",
            view.history
        );
        // The award is never filed: the pass drafts it.
        let first = call(
            &app,
            &w.admin,
            "技术经理人奖励（示例）",
            "a03-x2021-broker-award",
        )
        .await;
        let filed = applications::filing::draft(
            &app,
            &managers[0],
            &ApplicationInput {
                call: first,
                measure: "a03-x2021-broker-award".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert!(format!("{filed:?}").contains("免申即享"), "{filed:?}");
        let report = exempt::run(&app, &w.admin, first, "a03-x2021-broker-award")
            .await
            .unwrap();
        let drafted: Vec<(String, String)> = report
            .drafted
            .iter()
            .map(|(_, n, a)| (n.clone(), format!("{a:.2}")))
            .collect();
        assert_eq!(
            drafted,
            vec![
                (
                    "manager-a（南京测试技术转移中心）".to_string(),
                    "50000.00".to_string()
                ),
                (
                    "manager-b（南京测试技术转移中心）".to_string(),
                    "3000.00".to_string()
                ),
            ],
            "{:?}",
            report.skipped
        );
        // Two drafts of one institution, one per person; a second pass drafts nothing new.
        let again = exempt::run(&app, &w.admin, first, "a03-x2021-broker-award")
            .await
            .unwrap();
        assert!(again.drafted.is_empty());
        assert_eq!(again.skipped.len(), 2, "{:?}", again.skipped);
        // The center confirms A's draft for A; the bureau grants it.
        let (id_a, _, _) = report.drafted[0].clone();
        let view = applications::get(&app, &managers[1], id_a).await.unwrap();
        assert_eq!(view.application.beneficiary_user_id, Some(a));
        assert_eq!(
            view.application.beneficiary_name.as_deref(),
            Some("manager-a")
        );
        exempt::confirm(
            &app,
            &managers[1],
            id_a,
            &ApplicationInput {
                integrity_accepted: true,
                bank_name: "中国银行南京分行".into(),
                bank_account: "4301011209000054321".into(),
                account_name: "manager-a".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        review::decide(
            &app,
            &w.admin,
            id_a,
            &review::DecisionInput {
                decision: "approve".into(),
                comment: String::new(),
                amount: None,
            },
        )
        .await
        .unwrap();
        // A second call of the same year pays nobody twice for last year's contracts.
        let second = call(
            &app,
            &w.admin,
            "技术经理人奖励（示例·第二批）",
            "a03-x2021-broker-award",
        )
        .await;
        let report = exempt::run(&app, &w.admin, second, "a03-x2021-broker-award")
            .await
            .unwrap();
        assert!(report.drafted.is_empty(), "{:?}", report.drafted);
        assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
        assert!(
            report
                .skipped
                .iter()
                .all(|(_, why)| why.contains("另一批申报")),
            "{:?}",
            report.skipped
        );
        // The grant is kept in the ledger for the person, not for the institution.
        let entries = zijin_store::applications::live_entries_of_beneficiary(
            app.store().pool(),
            "a03-x2021-broker-award",
            &zijin_domain::person_beneficiary("manager-a"),
        )
        .await
        .unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].amount_fen, 5_000_000);
    }
}
