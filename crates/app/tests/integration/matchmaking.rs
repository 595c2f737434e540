//! Matchmaking: recommendations made when a record is approved, seen by both sides, interest
//! that notifies the other side, the stages to a contract, the funnel. Both backends.

use zijin_app::matchmaking;
use zijin_app::records;
use zijin_app::search::{MatchConfig, Search};
use zijin_app::{Actor, AppError};
use zijin_domain::{MatchStep, RecordKind, Transition};
use zijin_testkit::{BACKENDS, TestContext};

use super::two_lists::{achievement, demand, people};

#[tokio::test]
async fn an_approved_demand_gets_recommendations_followed_to_a_contract() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let p = people(&context).await;
        let directory = tempfile::tempdir().unwrap();
        let search = Search::open(&context.app, directory.path(), MatchConfig::shipped(), None)
            .await
            .unwrap();
        let app = &context.app.clone().with_search(search);

        let modes = vec!["转让".to_string(), "许可".to_string()];
        let a = records::create_achievement(
            app,
            &p.university,
            &achievement("低温锂电池电解液", &modes, &[]),
        )
        .await
        .unwrap();
        records::transition(
            app,
            &p.university,
            RecordKind::Achievement,
            a.id,
            Transition::Submit,
            "",
        )
        .await
        .unwrap();
        records::transition(
            app,
            &p.reviewer,
            RecordKind::Achievement,
            a.id,
            Transition::Approve,
            "",
        )
        .await
        .unwrap();
        let coop = vec!["许可".to_string()];
        let d = records::create_demand(app, &p.enterprise, &demand("冬季电动车续航提升", &coop))
            .await
            .unwrap();
        records::transition(
            app,
            &p.enterprise,
            RecordKind::Demand,
            d.id,
            Transition::Submit,
            "",
        )
        .await
        .unwrap();
        records::transition(
            app,
            &p.reviewer,
            RecordKind::Demand,
            d.id,
            Transition::Approve,
            "",
        )
        .await
        .unwrap();

        // Both sides see the pair, with reasons; a third institution does not.
        let (mine, _) = matchmaking::mine(app, &p.enterprise).await.unwrap();
        assert_eq!(mine.len(), 1, "{backend:?}: {mine:?}");
        let m = &mine[0];
        assert_eq!(
            (m.demand_id, m.achievement_id, m.stage.as_str()),
            (d.id, a.id, "recommended")
        );
        let reasons = m.reasons.join("；");
        assert!(reasons.contains("技术领域一致：新能源"), "{reasons}");
        assert!(reasons.contains("转化方式一致：许可"), "{reasons}");
        assert!(
            reasons.contains("“电解液”") || reasons.contains("“低温”"),
            "{reasons}"
        );
        let (theirs, _) = matchmaking::mine(app, &p.university).await.unwrap();
        assert_eq!(theirs.len(), 1);
        let (none, _) = matchmaking::mine(app, &p.other_university).await.unwrap();
        assert!(none.is_empty());
        assert!(matches!(
            matchmaking::take_step(app, &p.other_university, m.id, MatchStep::Interest).await,
            Err(AppError::NotFound(_))
        ));

        // Interest notifies the other side; it cannot be marked twice.
        let row = matchmaking::take_step(app, &p.enterprise, m.id, MatchStep::Interest)
            .await
            .unwrap();
        assert_eq!(row.stage, "interested");
        assert!(row.interested_at.is_some());
        let (_, notes) = matchmaking::mine(app, &p.university).await.unwrap();
        assert!(notes[0].message.contains("表示有意向"), "{notes:?}");
        assert!(
            matchmaking::take_step(app, &p.enterprise, m.id, MatchStep::Interest)
                .await
                .is_err()
        );
        // Stages go forward only.
        assert!(
            matchmaking::take_step(app, &p.university, m.id, MatchStep::Sign)
                .await
                .is_err()
        );
        matchmaking::take_step(app, &p.university, m.id, MatchStep::Negotiate)
            .await
            .unwrap();
        // Signing closes the match for good: it is confirmed.
        assert!(matches!(
            matchmaking::take_step(app, &p.enterprise, m.id, MatchStep::Sign).await,
            Err(AppError::Validation(_))
        ));
        let signed = matchmaking::sign(app, &p.enterprise, m.id, true)
            .await
            .unwrap();
        assert_eq!(signed.stage, "signed");
        assert!(signed.negotiating_at.is_some() && signed.closed_at.is_some());
        assert!(
            matchmaking::take_step(app, &p.enterprise, m.id, MatchStep::Terminate)
                .await
                .is_err()
        );

        // The bureau's funnel; an institution may not see it.
        let funnel = matchmaking::funnel(app, &p.admin).await.unwrap();
        assert_eq!(funnel.totals, [0, 0, 0, 1, 0]);
        assert_eq!(funnel.rows[0].0, "new-energy");
        assert_eq!(funnel.conversion_percent().as_deref(), Some("100.0%"));
        assert!(matches!(
            matchmaking::funnel(app, &p.enterprise).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            matchmaking::funnel(app, &Actor::Anonymous).await,
            Err(AppError::Unauthenticated)
        ));
        // Every step is in the audit chain.
        let verification = zijin_app::audit::verify(app).await.unwrap();
        assert_eq!(verification.first_breach, None);
        let steps = zijin_app::audit::list(
            app,
            &p.admin,
            &zijin_store::audit::ListFilter {
                action: Some("match.sign".into()),
                ..Default::default()
            },
            1,
            10,
        )
        .await
        .unwrap();
        assert_eq!(steps.total, 1);
    }
}
