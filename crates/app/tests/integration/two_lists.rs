//! The two lists: drafting, review, publication in frozen list issues, and the difference
//! between issues. Each test runs on both backends.

use zijin_app::lists::{self, IssueFilter};
use zijin_app::records;
use zijin_app::users::NewUserInput;
use zijin_app::{Actor, AppError, institutions, users};
use zijin_domain::{
    AchievementInput, CloseReason, DemandInput, InstitutionInput, RecordKind, RecordStatus,
    Transition,
};
use zijin_testkit::{BACKENDS, TestContext};

pub struct People {
    pub admin: Actor,
    pub reviewer: Actor,
    pub university: Actor,
    pub enterprise: Actor,
    pub other_university: Actor,
}

pub async fn people(context: &TestContext) -> People {
    let system = Actor::System("test");
    let mut ids = Vec::new();
    for (name, kind, code) in [
        ("南京测试大学", "高校", "12320102MB1AAAAA0"),
        ("南京测试科技有限公司", "企业", "91320115MA1BBBBB0"),
        ("南京另一所大学", "高校", "12320102MB1CCCCC0"),
    ] {
        let code = zijin_domain::CreditCode::complete(code).unwrap();
        let input = InstitutionInput {
            name,
            kind,
            credit_code: code.as_str(),
            district: "江宁区",
            ..Default::default()
        };
        ids.push(
            institutions::create(&context.app, &system, &input)
                .await
                .unwrap()
                .id,
        );
    }
    let make = async |username: &str, role: &str, unit: &str, institution_id: Option<i64>| {
        let input = NewUserInput {
            username,
            display_name: username,
            password: "Secret-pass-1",
            role,
            responsible_unit: unit,
            district: "",
            institution_id,
        };
        Actor::User(users::create(&context.app, &system, &input).await.unwrap())
    };
    People {
        admin: make("admin", "admin", "", None).await,
        reviewer: make("reviewer", "reviewer", "市科技局", None).await,
        university: make("university", "institution", "", Some(ids[0])).await,
        enterprise: make("enterprise", "institution", "", Some(ids[1])).await,
        other_university: make("other", "institution", "", Some(ids[2])).await,
    }
}

pub fn achievement<'a>(
    title: &'a str,
    modes: &'a [String],
    ip: &'a [String],
) -> AchievementInput<'a> {
    AchievementInput {
        title,
        summary: "可在零下40摄氏度稳定工作的锂离子电池电解液配方。",
        field: "新能源",
        keywords: "锂电池、电解液、低温",
        trl: "6",
        ip_items: ip,
        transfer_modes: modes,
        price: "1500000",
        contact_name: "王老师",
        contact_phone: "13812345678",
        source_flags: &[],
    }
}

pub fn demand<'a>(title: &'a str, modes: &'a [String]) -> DemandInput<'a> {
    DemandInput {
        title,
        description: "冬季电动车续航下降明显，希望合作开发低温电池技术。",
        field: "new-energy",
        keywords: "续航、低温电池",
        cooperation_modes: modes,
        budget_min: "300000",
        budget_max: "1000000",
        wanted_trl: "",
        deadline: "2027-06-30",
        contact_name: "李经理",
        contact_phone: "025-52000000",
    }
}

#[tokio::test]
async fn records_go_from_draft_through_review_into_frozen_issues() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = &context.app;
        let p = people(&context).await;
        let modes = vec!["转让".to_string(), "许可".to_string()];
        let ip = vec!["ZL202110123456.7".to_string()];

        let a1 = records::create_achievement(
            app,
            &p.university,
            &achievement("低温锂电池电解液", &modes, &ip),
        )
        .await
        .unwrap();
        assert_eq!(a1.status, RecordStatus::Draft);
        let coop = vec!["合作开发".to_string()];
        let d1 = records::create_demand(app, &p.enterprise, &demand("冬季电动车续航提升", &coop))
            .await
            .unwrap();
        let refused =
            records::create_demand(app, &p.university, &demand("高校不能发需求", &coop)).await;
        // Only enterprises (and new R&D institutions) publish demands: a university may not (403).
        assert!(
            matches!(refused, Err(AppError::Forbidden)),
            "{backend:?}: {refused:?}"
        );

        // Drafts are private to their institution.
        for outsider in [&p.other_university, &p.reviewer, &Actor::Anonymous] {
            assert!(matches!(
                records::get_achievement(app, outsider, a1.id).await,
                Err(AppError::NotFound(_))
            ));
        }
        let edit = records::update_achievement(
            app,
            &p.other_university,
            a1.id,
            &achievement("篡改", &modes, &ip),
        )
        .await;
        // Another institution's draft is "not found" for an edit too, as for reading: a refusal
        // would reveal that it exists.
        assert!(
            matches!(edit, Err(AppError::NotFound(_))),
            "{backend:?}: {edit:?}"
        );

        // Submit, return with a comment, edit, resubmit, approve.
        let step = |actor: &Actor, kind, id, transition, comment: &'static str| {
            let actor = actor.clone();
            async move { records::transition(app, &actor, kind, id, transition, comment).await }
        };
        assert_eq!(
            step(
                &p.university,
                RecordKind::Achievement,
                a1.id,
                Transition::Submit,
                ""
            )
            .await
            .unwrap(),
            RecordStatus::Submitted
        );
        assert!(matches!(
            step(
                &p.university,
                RecordKind::Achievement,
                a1.id,
                Transition::Approve,
                ""
            )
            .await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            step(
                &p.reviewer,
                RecordKind::Achievement,
                a1.id,
                Transition::Return,
                "  "
            )
            .await,
            Err(AppError::Validation(_))
        ));
        assert_eq!(
            step(
                &p.reviewer,
                RecordKind::Achievement,
                a1.id,
                Transition::Return,
                "请补充专利权属说明"
            )
            .await
            .unwrap(),
            RecordStatus::Returned
        );
        let returned = records::get_achievement(app, &p.university, a1.id)
            .await
            .unwrap();
        assert_eq!(
            returned.review_comment.as_deref(),
            Some("请补充专利权属说明")
        );
        records::update_achievement(
            app,
            &p.university,
            a1.id,
            &achievement("低温锂电池电解液（专利已授权）", &modes, &ip),
        )
        .await
        .unwrap();
        step(
            &p.university,
            RecordKind::Achievement,
            a1.id,
            Transition::Submit,
            "",
        )
        .await
        .unwrap();
        assert_eq!(
            step(
                &p.reviewer,
                RecordKind::Achievement,
                a1.id,
                Transition::Approve,
                ""
            )
            .await
            .unwrap(),
            RecordStatus::Approved
        );
        let locked = records::update_achievement(
            app,
            &p.university,
            a1.id,
            &achievement("审核后改动", &modes, &ip),
        )
        .await;
        assert!(
            matches!(locked, Err(AppError::Validation(_))),
            "approved records are not edited"
        );
        step(
            &p.enterprise,
            RecordKind::Demand,
            d1.id,
            Transition::Submit,
            "",
        )
        .await
        .unwrap();
        step(
            &p.reviewer,
            RecordKind::Demand,
            d1.id,
            Transition::Approve,
            "",
        )
        .await
        .unwrap();

        let preview = lists::preview(app, &p.admin).await.unwrap();
        assert_eq!(
            (
                preview.achievements,
                preview.demands,
                preview.newly_approved
            ),
            (1, 1, 2)
        );
        assert!(matches!(
            lists::preview(app, &p.reviewer).await,
            Err(AppError::Forbidden)
        ));

        let first = lists::open_issue(app, &p.admin, "2026年第4期")
            .await
            .unwrap();
        assert!(matches!(
            lists::open_issue(app, &p.admin, "2026年第4期").await,
            Err(AppError::Duplicate(_))
        ));
        assert!(matches!(
            lists::open_issue(app, &p.reviewer, "2026年第9期").await,
            Err(AppError::Forbidden)
        ));
        assert!(
            matches!(
                lists::entries(
                    app,
                    &Actor::Anonymous,
                    first.id,
                    RecordKind::Achievement,
                    &IssueFilter::default(),
                    lists::PageAt::Number(1),
                    20
                )
                .await,
                Err(AppError::NotFound(_))
            ),
            "unpublished issues are not public"
        );
        let first = lists::publish(app, &p.admin, first.id).await.unwrap();
        assert!(first.published);
        assert!(
            matches!(
                lists::publish(app, &p.admin, first.id).await,
                Err(AppError::Validation(_))
            ),
            "a published issue is frozen"
        );

        let listed = lists::entries(
            app,
            &Actor::Anonymous,
            first.id,
            RecordKind::Achievement,
            &IssueFilter::default(),
            lists::PageAt::Number(1),
            20,
        )
        .await
        .unwrap();
        assert_eq!(listed.total, 1);
        let entry = &listed.items[0];
        assert_eq!(entry.title, "低温锂电池电解液（专利已授权）");
        assert!(
            entry.snapshot.contains("138****5678") && !entry.snapshot.contains("13812345678"),
            "public contacts are masked"
        );
        assert!(entry.snapshot.contains("南京测试大学"));
        assert_eq!(
            records::get_achievement(app, &Actor::Anonymous, a1.id)
                .await
                .unwrap()
                .status,
            RecordStatus::Published
        );

        // Filters of the public lists.
        let by_mode = IssueFilter {
            mode: Some("licence".into()),
            ..Default::default()
        };
        assert_eq!(
            lists::entries(
                app,
                &Actor::Anonymous,
                first.id,
                RecordKind::Achievement,
                &by_mode,
                lists::PageAt::Number(1),
                20
            )
            .await
            .unwrap()
            .total,
            1
        );
        let by_stage = IssueFilter {
            trl_range: Some((8, 9)),
            ..Default::default()
        };
        assert_eq!(
            lists::entries(
                app,
                &Actor::Anonymous,
                first.id,
                RecordKind::Achievement,
                &by_stage,
                lists::PageAt::Number(1),
                20
            )
            .await
            .unwrap()
            .total,
            0
        );
        let by_kind = IssueFilter {
            institution_kind: Some("university".into()),
            district: Some("jiangning".into()),
            field: Some("new-energy".into()),
            ..Default::default()
        };
        assert_eq!(
            lists::entries(
                app,
                &Actor::Anonymous,
                first.id,
                RecordKind::Achievement,
                &by_kind,
                lists::PageAt::Number(1),
                20
            )
            .await
            .unwrap()
            .total,
            1
        );

        // The next issue: one new achievement, the demand withdrawn, the first achievement marked.
        let a2 = records::create_achievement(
            app,
            &p.other_university,
            &achievement("固态电池隔膜", &modes, &[]),
        )
        .await
        .unwrap();
        step(
            &p.other_university,
            RecordKind::Achievement,
            a2.id,
            Transition::Submit,
            "",
        )
        .await
        .unwrap();
        step(
            &p.reviewer,
            RecordKind::Achievement,
            a2.id,
            Transition::Approve,
            "",
        )
        .await
        .unwrap();
        assert_eq!(
            step(
                &p.enterprise,
                RecordKind::Demand,
                d1.id,
                Transition::Close(CloseReason::Withdrawn),
                ""
            )
            .await
            .unwrap(),
            RecordStatus::Closed(CloseReason::Withdrawn)
        );
        records::set_priority(app, &p.admin, RecordKind::Achievement, a1.id, true)
            .await
            .unwrap();
        assert!(matches!(
            records::set_priority(app, &p.reviewer, RecordKind::Achievement, a1.id, true).await,
            Err(AppError::Forbidden)
        ));

        let second = lists::open_issue(app, &p.admin, "2026年第5期")
            .await
            .unwrap();
        lists::publish(app, &p.admin, second.id).await.unwrap();
        let (previous, achievements) = lists::difference(app, second.id, RecordKind::Achievement)
            .await
            .unwrap();
        assert_eq!(
            previous.map(|issue| issue.title),
            Some("2026年第4期".into())
        );
        assert_eq!(
            (
                achievements.new,
                achievements.changed,
                achievements.withdrawn
            ),
            (vec![a2.id], vec![a1.id], vec![])
        );
        let (_, demands) = lists::difference(app, second.id, RecordKind::Demand)
            .await
            .unwrap();
        assert_eq!(
            (demands.new, demands.changed, demands.withdrawn),
            (vec![], vec![], vec![d1.id])
        );
        let (none, everything) = lists::difference(app, first.id, RecordKind::Achievement)
            .await
            .unwrap();
        assert_eq!((none, everything.new), (None, vec![a1.id]));

        // The first issue is frozen: unmarked, one achievement, the demand still there.
        let frozen = lists::entries(
            app,
            &Actor::Anonymous,
            first.id,
            RecordKind::Achievement,
            &IssueFilter::default(),
            lists::PageAt::Number(1),
            20,
        )
        .await
        .unwrap();
        assert_eq!((frozen.total, frozen.items[0].priority), (1, false));
        assert_eq!(
            lists::entries(
                app,
                &Actor::Anonymous,
                first.id,
                RecordKind::Demand,
                &IssueFilter::default(),
                lists::PageAt::Number(1),
                20
            )
            .await
            .unwrap()
            .total,
            1
        );
        let marked = IssueFilter {
            priority_only: true,
            ..Default::default()
        };
        assert_eq!(
            lists::entries(
                app,
                &Actor::Anonymous,
                second.id,
                RecordKind::Achievement,
                &marked,
                lists::PageAt::Number(1),
                20
            )
            .await
            .unwrap()
            .total,
            1
        );

        let verification = zijin_app::audit::verify(app).await.unwrap();
        assert_eq!(verification.first_breach, None, "{backend:?}");
        let publications = zijin_app::audit::list(
            app,
            &p.admin,
            &zijin_app::audit::ListFilter {
                action: Some(".publish".into()),
                ..Default::default()
            },
            1,
            50,
        )
        .await
        .unwrap();
        assert_eq!(
            publications.total,
            2 + 1 + 2,
            "{backend:?}: two issues, a1 and d1 in the first, a2 in the second"
        );
    }
}

#[tokio::test]
async fn the_field_list_lives_in_the_database() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let fields = records::technical_fields(&context.app).await.unwrap();
        assert_eq!(
            fields,
            zijin_domain::TechnicalField::defaults(),
            "{backend:?}: the migration seeds the seed's fields"
        );
    }
}
