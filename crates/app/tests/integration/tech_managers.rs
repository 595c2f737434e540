//! 技术经理人 profiles and the public directory (issue 19 item 4), on both backends: only a
//! flagged account keeps a profile; every problem is named by field; a certificate number is
//! one person's, also when two save it at once; the directory lists those who agreed, with the
//! registered contracts they brokered read from the registry.

use zijin_app::contracts::{self, Decision};
use zijin_app::{AppError, tech_managers};
use zijin_domain::TechManagerProfileInput;
use zijin_testkit::BACKENDS;

use super::contracts::{submission, world};

fn profile(number: &str, listed: bool) -> TechManagerProfileInput {
    TechManagerProfileInput {
        certificate_level: "高级技术经理人".into(),
        certificate_number: number.into(),
        fields: vec!["new-energy".into()],
        introduction: "专注储能技术转移。".into(),
        listed,
    }
}

fn field_of(error: &AppError) -> Vec<&'static str> {
    match error {
        AppError::Validation(errors) => errors.iter().map(|e| e.field).collect(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_managers_profile_and_the_directory() {
    for backend in BACKENDS {
        let w = world(backend).await;
        let app = &w.context.app;
        let (_, people) = super::contracts::managers(&w, ["zhou", "qian", "sun"]).await;
        // An account that is not flagged keeps no profile.
        assert!(matches!(
            tech_managers::save_profile(app, &w.seller, &profile("JS-0001", true)).await,
            Err(AppError::Forbidden)
        ));
        let bad = tech_managers::save_profile(
            app,
            &people[0],
            &TechManagerProfileInput {
                certificate_level: "特级".into(),
                fields: vec![],
                ..profile("号", true)
            },
        )
        .await
        .unwrap_err();
        assert_eq!(
            field_of(&bad),
            vec!["certificate_level", "certificate_number", "fields"]
        );
        let saved = tech_managers::save_profile(app, &people[0], &profile("js-0001", true))
            .await
            .unwrap();
        assert_eq!(saved.profile.number.as_str(), "JS-0001");
        // Another person cannot take the number.
        let taken = tech_managers::save_profile(app, &people[1], &profile("JS-0001", true))
            .await
            .unwrap_err();
        assert_eq!(field_of(&taken), vec!["certificate_number"]);
        // Two people saving one new number at once: one has it, the other is told why.
        let (listed_one, unlisted_one) = (profile("JS-0002", true), profile("JS-0002", false));
        let (a, b) = tokio::join!(
            tech_managers::save_profile(app, &people[1], &listed_one),
            tech_managers::save_profile(app, &people[2], &unlisted_one),
        );
        let refused: Vec<_> = [&a, &b].into_iter().filter(|r| r.is_err()).collect();
        assert_eq!(refused.len(), 1, "{a:?} {b:?}");
        assert_eq!(
            field_of(refused[0].as_ref().unwrap_err()),
            vec!["certificate_number"]
        );
        // zhou brokered a registered contract this year (技术交易额 = 成交额 − 10万).
        let mut brokered = submission(&w, "1500000");
        brokered.broker_user_id = Some(people[0].user().unwrap().id);
        let id = contracts::submit(app, &w.seller, brokered).await.unwrap();
        contracts::decide(app, &w.registrar, id, Decision::Register)
            .await
            .unwrap();
        let directory = tech_managers::directory(app).await.unwrap();
        let listed: Vec<&str> = directory.iter().map(|e| e.profile.name.as_str()).collect();
        // sun did not agree to be listed (whether or not sun's save won the race).
        assert!(listed.contains(&"zhou"), "{listed:?}");
        assert!(!listed.contains(&"sun"), "{listed:?}");
        let zhou = directory.iter().find(|e| e.profile.name == "zhou").unwrap();
        assert_eq!(
            zhou.profile.institution.as_deref(),
            Some("南京测试技术转移中心")
        );
        let (year, figures) = &zhou.years[0];
        assert_eq!(*year, 2026);
        assert_eq!(figures.contracts, 1);
        assert_eq!(figures.technology_fen, 140_000_000);
        assert_eq!(zhou.years[1].1.contracts, 0);
        // Taking the flag away takes the person out of the directory.
        zijin_app::users::set_tech_manager(app, &w.admin, people[0].user().unwrap().id, false)
            .await
            .unwrap();
        let directory = tech_managers::directory(app).await.unwrap();
        assert!(directory.iter().all(|e| e.profile.name != "zhou"));
    }
}
