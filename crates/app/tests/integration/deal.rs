//! The deal flow on a match (issue 15): contacts revealed on mutual interest (every view
//! audited), the thread between the two sides and the assigned technology manager, ending a
//! match with a reason and a confirmation, technology managers moving the matches assigned to
//! them, the other side reading a matched record before it is listed, and the filters of 我的对接.
//! Each test runs on both backends.

use zijin_app::matchmaking::{self, MatchListing, MatchQuery};
use zijin_app::users::{self, NewUserInput};
use zijin_app::{Actor, App, AppError, records};
use zijin_domain::{MatchStep, RecordKind, Transition};
use zijin_store::audit::ListFilter;
use zijin_testkit::{BACKENDS, TestContext};

use super::two_lists::{People, achievement, demand, people};

/// An approved (not yet listed) achievement of the university and demand of the enterprise,
/// and a stored recommendation between them whose reasons still carry the old weights.
struct Deal {
    achievement: i64,
    demand: i64,
    match_id: i64,
}

async fn approved(app: &App, p: &People, kind: RecordKind, title: &str) -> i64 {
    let modes = vec!["许可".to_string()];
    let (owner, id) = match kind {
        RecordKind::Achievement => (
            &p.university,
            records::create_achievement(app, &p.university, &achievement(title, &modes, &[]))
                .await
                .unwrap()
                .id,
        ),
        RecordKind::Demand => (
            &p.enterprise,
            records::create_demand(app, &p.enterprise, &demand(title, &modes))
                .await
                .unwrap()
                .id,
        ),
    };
    records::transition(app, owner, kind, id, Transition::Submit, "")
        .await
        .unwrap();
    records::transition(app, &p.reviewer, kind, id, Transition::Approve, "")
        .await
        .unwrap();
    id
}

async fn recommend(app: &App, demand: i64, achievement: i64, score_milli: i64) -> i64 {
    let reasons = vec![
        "技术领域一致：新能源（+0.123）".to_string(),
        "转化方式一致：许可（+0.050）".to_string(),
    ];
    let mut tx = app.store().begin_write().await.unwrap();
    assert!(
        zijin_store::matches::recommend(
            &mut tx,
            demand,
            achievement,
            score_milli,
            &reasons,
            "new-energy",
            "jiangning",
            "2026-11-28T09:00:00.000Z",
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
    let rows = zijin_store::matches::list(
        app.store().pool(),
        &zijin_store::matches::ListFilter {
            record: Some((RecordKind::Demand, demand)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    rows.iter()
        .find(|row| row.achievement_id == achievement)
        .unwrap()
        .id
}

async fn deal(app: &App, p: &People) -> Deal {
    let achievement = approved(app, p, RecordKind::Achievement, "低温锂电池电解液").await;
    let demand = approved(app, p, RecordKind::Demand, "冬季电动车续航提升").await;
    let match_id = recommend(app, demand, achievement, 823).await;
    Deal {
        achievement,
        demand,
        match_id,
    }
}

/// A technology manager: an account of the third institution, flagged by the admin.
async fn tech_manager(context: &TestContext, p: &People) -> Actor {
    let app = &context.app;
    let other = p.other_university.user().unwrap();
    let institution_id = match other.role {
        zijin_domain::UserRole::InstitutionUser(id) => Some(id),
        _ => None,
    };
    let input = NewUserInput {
        username: "manager",
        display_name: "张经理",
        password: "Secret-pass-1",
        role: "institution",
        responsible_unit: "",
        district: "",
        institution_id,
    };
    let user = users::create(app, &p.admin, &input).await.unwrap();
    Actor::User(
        users::set_tech_manager(app, &p.admin, user.id, true)
            .await
            .unwrap(),
    )
}

async fn audited(app: &App, p: &People, action: &str) -> Vec<zijin_store::audit::Entry> {
    zijin_app::audit::list(
        app,
        &p.admin,
        &ListFilter {
            action: Some(action.into()),
            ..Default::default()
        },
        1,
        100,
    )
    .await
    .unwrap()
    .items
}

#[tokio::test]
async fn contacts_are_hidden_until_both_sides_are_interested_and_every_view_is_audited() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = &context.app;
        let p = people(&context).await;
        let d = deal(app, &p).await;

        // Before: the other side named, its record's phone masked as the public sees it, the
        // institution's contacts hidden; nothing audited.
        let seen = matchmaking::detail(app, &p.enterprise, d.match_id)
            .await
            .unwrap();
        assert_eq!(seen.seen.counterpart_institution(), Some("南京测试大学"));
        assert_eq!(seen.seen.score_percent(), 82);
        assert_eq!(
            seen.seen.row.reasons,
            vec!["技术领域一致：新能源", "转化方式一致：许可"],
            "{backend:?}: reasons without weights"
        );
        assert_eq!(seen.contacts.len(), 1);
        let contact = &seen.contacts[0];
        assert_eq!(contact.institution_name, "南京测试大学");
        assert_eq!(contact.contact_phone, "138****5678");
        assert!(!contact.revealed && contact.institution_contact_phone.is_none());
        assert!(!seen.seen.capabilities.see_contacts);

        // One side's interest is not enough.
        matchmaking::take_step(app, &p.enterprise, d.match_id, MatchStep::Interest)
            .await
            .unwrap();
        let one_sided = matchmaking::detail(app, &p.enterprise, d.match_id)
            .await
            .unwrap();
        assert!(!one_sided.contacts[0].revealed);
        assert_eq!(one_sided.contacts[0].contact_phone, "138****5678");
        assert!(audited(app, &p, "match.contact_view").await.is_empty());

        // Both: each side sees the other's contacts in full, and every view is recorded.
        matchmaking::take_step(app, &p.university, d.match_id, MatchStep::Interest)
            .await
            .unwrap();
        let revealed = matchmaking::detail(app, &p.enterprise, d.match_id)
            .await
            .unwrap();
        let contact = &revealed.contacts[0];
        assert!(contact.revealed && revealed.seen.capabilities.see_contacts);
        assert_eq!(contact.contact_name, "王老师");
        assert_eq!(contact.contact_phone, "13812345678");
        assert!(contact.institution_contact_phone.is_some());
        matchmaking::detail(app, &p.enterprise, d.match_id)
            .await
            .unwrap();
        let theirs = matchmaking::detail(app, &p.university, d.match_id)
            .await
            .unwrap();
        assert_eq!(theirs.contacts[0].contact_phone, "025-52000000");
        assert_eq!(
            theirs.seen.counterpart_institution(),
            Some("南京测试科技有限公司")
        );
        let views = audited(app, &p, "match.contact_view").await;
        assert_eq!(views.len(), 3, "{backend:?}: one entry per view");
        assert!(
            views
                .iter()
                .all(|entry| entry.record.entity_id == d.match_id.to_string())
        );
        assert!(views[0].record.actor.contains("university"));
        // Admins read the match but are not shown contacts through it; outsiders see nothing.
        let admin_view = matchmaking::detail(app, &p.admin, d.match_id)
            .await
            .unwrap();
        assert!(admin_view.contacts.is_empty());
        for outsider in [&p.other_university, &p.reviewer] {
            assert!(matches!(
                matchmaking::detail(app, outsider, d.match_id).await,
                Err(AppError::NotFound(_))
            ));
        }
        assert!(matches!(
            matchmaking::detail(app, &Actor::Anonymous, d.match_id).await,
            Err(AppError::Unauthenticated)
        ));
        assert_eq!(audited(app, &p, "match.contact_view").await.len(), 3);
        assert_eq!(
            zijin_app::audit::verify(app).await.unwrap().first_breach,
            None
        );
    }
}

#[tokio::test]
async fn the_thread_is_for_the_two_sides_and_the_assigned_tech_manager() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = &context.app;
        let p = people(&context).await;
        let d = deal(app, &p).await;
        let manager = tech_manager(&context, &p).await;

        matchmaking::post_message(app, &p.enterprise, d.match_id, "您好，想了解低温性能数据")
            .await
            .unwrap();
        matchmaking::post_message(app, &p.university, d.match_id, "可以，\n下周可面谈")
            .await
            .unwrap();
        // The other side is told, with a link to the match.
        let list = matchmaking::list(
            app,
            &p.university,
            MatchListing::Own,
            &MatchQuery::default(),
        )
        .await
        .unwrap();
        let note = &list.notifications[0];
        assert!(note.message.contains("南京测试科技有限公司"), "{note:?}");
        assert_eq!(note.link, format!("/matches/{}", d.match_id));

        // A third institution, reviewers and the unassigned manager cannot read or post;
        // admins read only.
        for outsider in [&p.other_university, &p.reviewer, &manager] {
            assert!(
                matches!(
                    matchmaking::post_message(app, outsider, d.match_id, "打扰了").await,
                    Err(AppError::NotFound(_))
                ),
                "{backend:?}"
            );
            assert!(matches!(
                matchmaking::detail(app, outsider, d.match_id).await,
                Err(AppError::NotFound(_))
            ));
        }
        assert!(matches!(
            matchmaking::post_message(app, &p.admin, d.match_id, "管理员留言").await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            matchmaking::post_message(app, &Actor::Anonymous, d.match_id, "匿名").await,
            Err(AppError::Unauthenticated)
        ));
        let thread = matchmaking::detail(app, &p.admin, d.match_id)
            .await
            .unwrap();
        assert_eq!(thread.messages.len(), 2);
        assert_eq!(thread.messages[0].author_role, "demand");
        assert_eq!(
            thread.messages[1].author_institution.as_deref(),
            Some("南京测试大学")
        );
        assert_eq!(thread.messages[1].body, "可以，\n下周可面谈");

        // Limits, in Chinese; nothing is written.
        for (text, expected) in [
            ("   ", "请填写留言内容"),
            (&*"字".repeat(2001), "不能超过2000个字符"),
        ] {
            let Err(AppError::Validation(errors)) =
                matchmaking::post_message(app, &p.enterprise, d.match_id, text).await
            else {
                panic!("{backend:?}: {expected}")
            };
            assert!(errors.get("body").unwrap().contains(expected), "{errors}");
        }

        // Assigned, the manager reads and writes in the thread and is told of new messages.
        matchmaking::assign_tech_manager(
            app,
            &p.admin,
            d.match_id,
            &manager.user().unwrap().id.to_string(),
        )
        .await
        .unwrap();
        matchmaking::post_message(app, &manager, d.match_id, "我来协助安排面谈")
            .await
            .unwrap();
        matchmaking::post_message(app, &p.enterprise, d.match_id, "好的")
            .await
            .unwrap();
        let thread = matchmaking::detail(app, &manager, d.match_id)
            .await
            .unwrap();
        assert_eq!(thread.messages.len(), 4);
        assert_eq!(thread.messages[2].author_role, "tech-manager");
        assert_eq!(thread.messages[2].author_name, "张经理");
        let assigned = matchmaking::list(
            app,
            &manager,
            MatchListing::Assigned,
            &MatchQuery::default(),
        )
        .await
        .unwrap();
        assert_eq!(assigned.matches.len(), 1);
        assert!(
            assigned
                .notifications
                .iter()
                .any(|n| n.message.contains("技术经理人")),
            "{:?}",
            assigned.notifications
        );
        assert!(assigned.notifications[0].message.contains("留言"));
        // Another user of the manager's institution still sees nothing.
        assert!(matches!(
            matchmaking::detail(app, &p.other_university, d.match_id).await,
            Err(AppError::NotFound(_))
        ));
        assert_eq!(audited(app, &p, "match.message").await.len(), 4);
    }
}

#[tokio::test]
async fn ending_needs_a_reason_and_a_confirmation_and_a_closed_match_takes_no_messages() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = &context.app;
        let p = people(&context).await;
        let d = deal(app, &p).await;

        let Err(AppError::Validation(errors)) =
            matchmaking::terminate(app, &p.enterprise, d.match_id, "预算不足", false).await
        else {
            panic!("{backend:?}: ended without confirmation")
        };
        assert!(errors.get("confirm").unwrap().contains("确认终止"));
        let Err(AppError::Validation(errors)) =
            matchmaking::terminate(app, &p.enterprise, d.match_id, " ", true).await
        else {
            panic!("{backend:?}: ended without a reason")
        };
        assert_eq!(errors.get("reason"), Some("请填写终止原因"));
        // The plain step asks for the reason too.
        assert!(matches!(
            matchmaking::take_step(app, &p.enterprise, d.match_id, MatchStep::Terminate).await,
            Err(AppError::Validation(_))
        ));
        // Outsiders are told the match does not exist, before their input is judged.
        assert!(matches!(
            matchmaking::terminate(app, &p.other_university, d.match_id, "", false).await,
            Err(AppError::NotFound(_))
        ));
        let unchanged = matchmaking::summary(app, &p.enterprise, d.match_id)
            .await
            .unwrap();
        assert_eq!(unchanged.row.stage, "recommended");
        assert!(audited(app, &p, "match.terminate").await.is_empty());

        let ended =
            matchmaking::terminate(app, &p.enterprise, d.match_id, "需求已由其他方案解决", true)
                .await
                .unwrap();
        assert_eq!(ended.stage, "terminated");
        assert_eq!(
            ended.termination_reason.as_deref(),
            Some("需求已由其他方案解决")
        );
        assert!(ended.closed_at.is_some());
        // Shown on the match to both sides; the other side was told why.
        let theirs = matchmaking::summary(app, &p.university, d.match_id)
            .await
            .unwrap();
        assert_eq!(
            theirs.row.termination_reason.as_deref(),
            Some("需求已由其他方案解决")
        );
        let list = matchmaking::list(
            app,
            &p.university,
            MatchListing::Own,
            &MatchQuery::default(),
        )
        .await
        .unwrap();
        assert!(
            list.notifications[0]
                .message
                .contains("需求已由其他方案解决")
        );
        let entries = audited(app, &p, "match.terminate").await;
        assert_eq!(entries.len(), 1);
        assert!(
            entries[0]
                .record
                .after
                .as_deref()
                .unwrap()
                .contains("需求已由其他方案解决")
        );

        // Closed: no more messages, steps or assignments.
        let Err(AppError::WrongState(reason)) =
            matchmaking::post_message(app, &p.university, d.match_id, "还能谈吗").await
        else {
            panic!("{backend:?}: posted to a closed match")
        };
        assert!(reason.contains("终止"), "{reason}");
        assert!(
            matchmaking::take_step(app, &p.university, d.match_id, MatchStep::Interest)
                .await
                .is_err()
        );
        assert!(matches!(
            matchmaking::assign_tech_manager(app, &p.admin, d.match_id, "none").await,
            Err(AppError::WrongState(_))
        ));
        let closed = matchmaking::detail(app, &p.university, d.match_id)
            .await
            .unwrap();
        assert!(!closed.seen.capabilities.post_message && !closed.seen.capabilities.terminate);
        assert!(closed.messages.is_empty());
    }
}

#[tokio::test]
async fn admins_assign_tech_managers_who_move_the_matches_assigned_to_them() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = &context.app;
        let p = people(&context).await;
        let d = deal(app, &p).await;
        let manager = tech_manager(&context, &p).await;
        let manager_id = manager.user().unwrap().id;

        // Not yet assigned: nothing to see or move.
        let none = matchmaking::list(
            app,
            &manager,
            MatchListing::Assigned,
            &MatchQuery::default(),
        )
        .await
        .unwrap();
        assert!(none.matches.is_empty());
        assert!(matches!(
            matchmaking::take_step(app, &manager, d.match_id, MatchStep::Terminate).await,
            Err(AppError::NotFound(_))
        ));
        // Only admins assign, and only flagged accounts.
        assert!(matches!(
            matchmaking::assign_tech_manager(
                app,
                &p.enterprise,
                d.match_id,
                &manager_id.to_string()
            )
            .await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            matchmaking::assign_tech_manager(
                app,
                &p.other_university,
                d.match_id,
                &manager_id.to_string()
            )
            .await,
            Err(AppError::NotFound(_))
        ));
        let unflagged = p.other_university.user().unwrap().id.to_string();
        assert!(matches!(
            matchmaking::assign_tech_manager(app, &p.admin, d.match_id, &unflagged).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            matchmaking::assign_tech_manager(app, &p.admin, d.match_id, "").await,
            Err(AppError::Validation(_))
        ));
        let choices = matchmaking::tech_managers(app, &p.admin).await.unwrap();
        assert_eq!(choices.len(), 1);
        assert_eq!(choices[0].label, "张经理（南京另一所大学）");
        matchmaking::assign_tech_manager(app, &p.admin, d.match_id, &manager_id.to_string())
            .await
            .unwrap();
        let assigned = matchmaking::list(
            app,
            &manager,
            MatchListing::Assigned,
            &MatchQuery::default(),
        )
        .await
        .unwrap();
        assert_eq!(assigned.matches.len(), 1);
        assert_eq!(
            assigned.matches[0].row.tech_manager_name.as_deref(),
            Some("张经理")
        );
        assert!(
            assigned.notifications[0].message.contains("指派您为对接"),
            "{:?}",
            assigned.notifications
        );
        assert_eq!(audited(app, &p, "match.assign-tech-manager").await.len(), 1);

        // The manager moves the match for the process; interest stays the sides' own.
        assert!(matches!(
            matchmaking::take_step(app, &manager, d.match_id, MatchStep::Interest).await,
            Err(AppError::Forbidden)
        ));
        matchmaking::take_step(app, &p.enterprise, d.match_id, MatchStep::Interest)
            .await
            .unwrap();
        let seen = matchmaking::detail(app, &manager, d.match_id)
            .await
            .unwrap();
        assert!(seen.seen.capabilities.negotiate && seen.seen.capabilities.terminate);
        assert_eq!(
            seen.contacts.len(),
            2,
            "the manager sees both sides' contacts"
        );
        assert!(seen.contacts.iter().all(|c| c.revealed));
        matchmaking::take_step(app, &manager, d.match_id, MatchStep::Negotiate)
            .await
            .unwrap();
        let Err(AppError::Validation(errors)) =
            matchmaking::sign(app, &manager, d.match_id, false).await
        else {
            panic!("{backend:?}: signed without confirmation")
        };
        assert!(errors.get("confirm").unwrap().contains("确认已签约"));
        let signed = matchmaking::sign(app, &manager, d.match_id, true)
            .await
            .unwrap();
        assert_eq!(signed.stage, "signed");
        let signs = audited(app, &p, "match.sign").await;
        assert!(signs[0].record.actor.contains("manager"));
        assert!(
            signs[0]
                .record
                .after
                .as_deref()
                .unwrap()
                .contains("tech-manager")
        );
        // Both sides were told.
        let list = matchmaking::list(
            app,
            &p.enterprise,
            MatchListing::Own,
            &MatchQuery::default(),
        )
        .await
        .unwrap();
        assert!(list.notifications[0].message.contains("已签约"));

        // Without the flag the account loses the match and the listing.
        users::set_tech_manager(app, &p.admin, manager_id, false)
            .await
            .unwrap();
        let former = Actor::User(users::get(app, &p.admin, manager_id).await.unwrap());
        assert!(matches!(
            matchmaking::detail(app, &former, d.match_id).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            matchmaking::list(app, &former, MatchListing::Assigned, &MatchQuery::default()).await,
            Err(AppError::Forbidden)
        ));
        // Only admins flag accounts.
        assert!(matches!(
            users::set_tech_manager(app, &p.enterprise, manager_id, true).await,
            Err(AppError::Forbidden)
        ));
    }
}

#[tokio::test]
async fn the_other_side_reads_a_matched_record_before_it_is_listed_and_nobody_else_does() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = &context.app;
        let p = people(&context).await;
        let lone = approved(app, &p, RecordKind::Achievement, "无人匹配的成果").await;
        let d = deal(app, &p).await;
        let manager = tech_manager(&context, &p).await;

        // The demand's enterprise reads the university's approved, unlisted achievement, with
        // the phone masked and no right beyond reading; and the other way round.
        let seen = records::seen(app, &p.enterprise, RecordKind::Achievement, d.achievement)
            .await
            .unwrap();
        assert!(seen.capabilities.read);
        assert!(!(seen.capabilities.edit || seen.capabilities.see_contacts));
        let records::Record::Achievement(a) = &seen.record else {
            panic!("an achievement")
        };
        assert_eq!(a.details.contact_phone, "138****5678");
        assert!(
            records::get_demand(app, &p.university, d.demand)
                .await
                .is_ok()
        );
        // Not a record outside the match; not a third institution, the public, or a manager
        // who was not assigned.
        assert!(matches!(
            records::get_achievement(app, &p.enterprise, lone).await,
            Err(AppError::NotFound(_))
        ));
        for outsider in [&p.other_university, &Actor::Anonymous, &manager] {
            assert!(
                matches!(
                    records::get_achievement(app, outsider, d.achievement).await,
                    Err(AppError::NotFound(_))
                ),
                "{backend:?}: {outsider:?}"
            );
            assert!(matches!(
                records::get_demand(app, outsider, d.demand).await,
                Err(AppError::NotFound(_))
            ));
        }
        // Assigned, the manager reads both.
        matchmaking::assign_tech_manager(
            app,
            &p.admin,
            d.match_id,
            &manager.user().unwrap().id.to_string(),
        )
        .await
        .unwrap();
        assert!(
            records::get_achievement(app, &manager, d.achievement)
                .await
                .is_ok()
        );
        assert!(records::get_demand(app, &manager, d.demand).await.is_ok());
        assert!(matches!(
            records::get_achievement(app, &p.other_university, d.achievement).await,
            Err(AppError::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn my_matches_are_filtered_by_stage_and_record_and_sorted_by_score() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = &context.app;
        let p = people(&context).await;
        let d = deal(app, &p).await;
        let second = approved(app, &p, RecordKind::Achievement, "宽温域电解液").await;
        let better = recommend(app, d.demand, second, 915).await;
        context.clock.advance(chrono::Duration::minutes(5));
        matchmaking::take_step(app, &p.enterprise, d.match_id, MatchStep::Interest)
            .await
            .unwrap();

        let list = |query: MatchQuery<'static>| {
            let p = &p;
            async move { matchmaking::list(app, &p.enterprise, MatchListing::Own, &query).await }
        };
        // Latest move first by default; by 匹配度 on request.
        let recent = list(MatchQuery::default()).await.unwrap();
        assert_eq!(
            recent.matches.iter().map(|m| m.row.id).collect::<Vec<_>>(),
            vec![d.match_id, better]
        );
        let by_score = list(MatchQuery {
            sort: "score",
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(
            by_score
                .matches
                .iter()
                .map(|m| m.score_percent())
                .collect::<Vec<_>>(),
            vec![91, 82]
        );
        let interested = list(MatchQuery {
            stage: "interested",
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(interested.matches.len(), 1);
        assert_eq!(interested.matches[0].row.id, d.match_id);
        // The university filters by one of its records.
        let record = format!("achievement-{second}");
        let one = matchmaking::list(
            app,
            &p.university,
            MatchListing::Own,
            &MatchQuery {
                record: &record,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(one.matches.len(), 1);
        assert_eq!(
            one.matches[0].counterpart_institution(),
            Some("南京测试科技有限公司")
        );
        assert_eq!(one.own_records.len(), 2);
        // The bureau narrows all matches to the same record, and gets the same one.
        let all_of_record = matchmaking::list(
            app,
            &p.admin,
            MatchListing::All,
            &MatchQuery {
                record: &record,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            all_of_record
                .matches
                .iter()
                .map(|m| m.row.id)
                .collect::<Vec<_>>(),
            one.matches.iter().map(|m| m.row.id).collect::<Vec<_>>()
        );
        // Bad parameters: every one named, in Chinese.
        let Err(AppError::Validation(errors)) = list(MatchQuery {
            sort: "best",
            stage: "won",
            record: "x",
        })
        .await
        else {
            panic!("{backend:?}: a bad filter was accepted")
        };
        assert_eq!(errors.iter().count(), 3, "{errors}");
        assert!(
            errors
                .get("stage")
                .unwrap()
                .contains("推荐、意向、洽谈、签约或终止")
        );
        // A listing one may not open is refused before its filter is judged.
        assert!(matches!(
            matchmaking::list(
                app,
                &p.reviewer,
                MatchListing::Own,
                &MatchQuery {
                    sort: "best",
                    ..Default::default()
                }
            )
            .await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            matchmaking::list(
                app,
                &p.enterprise,
                MatchListing::All,
                &MatchQuery::default()
            )
            .await,
            Err(AppError::Forbidden)
        ));
        let all = matchmaking::list(app, &p.admin, MatchListing::All, &MatchQuery::default())
            .await
            .unwrap();
        assert_eq!(all.matches.len(), 2);
    }
}

#[tokio::test]
async fn both_sides_marking_interest_at_once_are_both_kept() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = &context.app;
        let p = people(&context).await;
        let d = deal(app, &p).await;
        // Each reads the match and writes both interest flags back: without the row lock the
        // later write would undo the earlier one on PostgreSQL.
        let (demand_side, achievement_side) = tokio::join!(
            matchmaking::take_step(app, &p.enterprise, d.match_id, MatchStep::Interest),
            matchmaking::take_step(app, &p.university, d.match_id, MatchStep::Interest),
        );
        demand_side.unwrap();
        achievement_side.unwrap();
        let row = matchmaking::summary(app, &p.admin, d.match_id)
            .await
            .unwrap()
            .row;
        assert!(
            row.demand_interested && row.achievement_interested,
            "{backend:?}: {row:?}"
        );
    }
}
