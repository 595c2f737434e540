//! `zijin calendar check` and `zijin application replay` as scripts use them.

use std::collections::BTreeMap;

use zijin_app::applications::{ApplicationInput, CallInput, DecisionInput, calls, filing, review};
use zijin_app::users::{self, NewUserInput};
use zijin_app::{Actor, institutions};
use zijin_testkit::{BACKENDS, TestContext};

use super::{text, zijin_command, zijin_in};

/// A payee account, filled in as every applicant must before submitting.
fn payee() -> ApplicationInput {
    ApplicationInput {
        bank_name: "中国工商银行南京新街口支行".into(),
        bank_account: "6222 0202 0000 1234 567".into(),
        account_name: "申报单位".into(),
        ..Default::default()
    }
}

#[test]
fn the_calendar_says_which_years_it_holds() {
    let known = zijin_command()
        .args(["calendar", "check", "2026"])
        .output()
        .unwrap();
    assert!(known.status.success());
    assert!(text(&known.stdout).contains("包含2026年"));
    let unknown = zijin_command()
        .args(["calendar", "check", "2027"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stdout).contains("没有2027年"),
        "{}",
        text(&unknown.stdout)
    );
}

#[tokio::test]
async fn an_approved_application_replays_to_its_amount() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = context
            .app
            .clone()
            .with_policies(zijin_testkit::shipped_policies());
        let system = Actor::System("test");
        let code = zijin_domain::CreditCode::complete("12320102MB1AAAAA0").unwrap();
        let institution = institutions::create(
            &app,
            &system,
            &zijin_domain::InstitutionInput {
                name: "南京测试大学",
                kind: "高校",
                credit_code: code.as_str(),
                district: "江宁区",
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
        let make = async |username: &str, role: &str, unit: &str, district: &str, id| {
            let input = NewUserInput {
                username,
                display_name: username,
                password: "Secret-pass-1",
                role,
                responsible_unit: unit,
                district,
                institution_id: id,
            };
            Actor::User(users::create(&app, &system, &input).await.unwrap())
        };
        let admin = make("admin", "admin", "", "", None).await;
        let officer = make("jiangning", "district", "", "江宁区", None).await;
        let reviewer = make("reviewer", "reviewer", "市科技局", "", None).await;
        let applicant = make("university", "institution", "", "", Some(institution)).await;
        let call = calls::create(
            &app,
            &admin,
            &CallInput {
                title: "赋权改革资助申报".into(),
                measures: vec!["a18-empowerment".into()],
                opens: "2026-11-28T08:00:00+08:00".into(),
                closes: "2026-12-18T17:00:00+08:00".into(),
                budgets: BTreeMap::from([("a18-empowerment".into(), "1000000".into())]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .call
        .id;
        let facts = serde_json::json!({"pilot_unit": true, "empowered_count": 3});
        let id = filing::draft(
            &app,
            &applicant,
            &ApplicationInput {
                call,
                measure: "a18-empowerment".into(),
                facts: facts.as_object().unwrap().clone(),
                integrity_accepted: true,
                ..payee()
            },
        )
        .await
        .unwrap()
        .application
        .id;
        filing::submit(&app, &applicant, id).await.unwrap();
        let approve = DecisionInput {
            decision: "approve".into(),
            ..Default::default()
        };
        for actor in [&officer, &reviewer, &admin] {
            review::decide(&app, actor, id, &approve).await.unwrap();
        }
        let data = tempfile::tempdir().unwrap();
        let id_text = id.to_string();
        let replay = zijin_in(
            &context.database,
            data.path(),
            &["application", "replay", &id_text, "--json"],
        );
        assert!(
            replay.status.success(),
            "{backend:?}: {}",
            text(&replay.stderr)
        );
        let out: serde_json::Value = serde_json::from_slice(&replay.stdout).unwrap();
        assert_eq!(out["computed"], "150000.00");
        assert_eq!(out["with_decision_files"]["amount"], "150000.00");
        assert_eq!(out["differs"], false);
        let plain = zijin_in(
            &context.database,
            data.path(),
            &["application", "replay", &id_text],
        );
        assert!(
            text(&plain.stdout).contains("与当时一致"),
            "{}",
            text(&plain.stdout)
        );
        // `policy eval --stored-ledger` reads the same ledger: 19 more items would pass the
        // yearly 1,000,000 after the 150,000 reserved, so 850,000 is what is left.
        let facts_file = data.path().join("facts.json");
        std::fs::write(
            &facts_file,
            serde_json::json!({"beneficiary": code.as_str(), "pilot_unit": true, "empowered_count": 19}).to_string(),
        )
        .unwrap();
        let facts_arg = facts_file.to_string_lossy().into_owned();
        let stored = zijin_in(
            &context.database,
            data.path(),
            &[
                "policy",
                "eval",
                "--measure",
                "a18-empowerment",
                "--facts",
                &facts_arg,
                "--on",
                "2026-12-01",
                "--stored-ledger",
            ],
        );
        assert!(
            stored.status.success(),
            "{backend:?}: {}",
            text(&stored.stderr)
        );
        let outcome: serde_json::Value = serde_json::from_slice(&stored.stdout).unwrap();
        assert_eq!(outcome["amount"], "850000.00", "{outcome}");
        // Without it (no file either) nothing earlier counts: the full 950,000.
        let alone = zijin_in(
            &context.database,
            data.path(),
            &[
                "policy",
                "eval",
                "--measure",
                "a18-empowerment",
                "--facts",
                &facts_arg,
                "--on",
                "2026-12-01",
            ],
        );
        let outcome: serde_json::Value = serde_json::from_slice(&alone.stdout).unwrap();
        assert_eq!(outcome["amount"], "950000.00", "{outcome}");
        // An application without a 核定 has nothing to replay: a Chinese error, exit 1.
        let missing = zijin_in(
            &context.database,
            data.path(),
            &["application", "replay", "9999"],
        );
        assert!(!missing.status.success());
        assert!(
            text(&missing.stderr).contains("未找到申报"),
            "{}",
            text(&missing.stderr)
        );
    }
}
