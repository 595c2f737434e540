//! The rest of the applications path (issue 16), on both backends: the call's documents and the
//! account are required to submit; 专家评审 refuses conflicts and fewer than three experts,
//! checks scores against the rubric and closes only on complete scores, with the mean; an
//! expert who stands down loses sight of the application; 免申即享 drafts from the platform's
//! data and the beneficiary's confirmation goes straight to 市级核定; the next actor is told.

use std::collections::BTreeMap;

use zijin_app::applications::{
    self, ApplicationInput, CallInput, DecisionInput, RubricItem, calls, exempt, experts, files,
    filing, review,
};
use zijin_app::users::{self, NewUserInput};
use zijin_app::{Actor, AppError, institutions, notifications, records};
use zijin_domain::{
    ApplicationOrigin, ApplicationStatus, Designation, RecordKind, ReviewStep, Transition,
};
use zijin_testkit::{BACKENDS, TestContext};

use super::two_lists::{achievement, people};

const MEASURE: &str = "a18-empowerment";
const PDF: &[u8] = b"%PDF-1.4\n% a test document\n";

fn messages(error: &AppError) -> String {
    match error {
        AppError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("；"),
        other => other.to_string(),
    }
}

fn decision(decision: &str) -> DecisionInput {
    DecisionInput {
        decision: decision.into(),
        comment: String::new(),
        amount: None,
    }
}

async fn account(
    app: &zijin_app::App,
    username: &str,
    role: &str,
    unit: &str,
    institution_id: Option<i64>,
) -> Actor {
    let input = NewUserInput {
        username,
        display_name: username,
        password: "Secret-pass-1",
        role,
        responsible_unit: unit,
        district: if role == "district" { "江宁区" } else { "" },
        institution_id,
    };
    Actor::User(
        users::create(app, &Actor::System("test"), &input)
            .await
            .unwrap(),
    )
}

async fn expert(app: &zijin_app::App, admin: &Actor, who: Actor) -> Actor {
    let id = who.user().unwrap().id;
    Actor::User(
        users::set_designation(app, admin, id, Designation::Expert, true)
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn documents_and_account_are_required_and_expert_review_holds_its_rules() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = context
            .app
            .clone()
            .with_policies(zijin_testkit::shipped_policies());
        let p = people(&context).await;
        let district = account(&app, "jiangning", "district", "", None).await;
        let call = CallInput {
            title: "2026年度赋权改革资助（专家评审）".into(),
            measures: vec![MEASURE.into()],
            opens: "2026-11-28T08:00:00+08:00".into(),
            closes: "2026-12-18T17:00:00+08:00".into(),
            budgets: BTreeMap::from([(MEASURE.to_string(), "2000000".to_string())]),
            attachments: vec!["赋权协议".into()],
            expert_review: true,
            rubric: vec![
                RubricItem {
                    item: "技术先进性".into(),
                    points: 60,
                },
                RubricItem {
                    item: "转化前景".into(),
                    points: 40,
                },
            ],
            ..Default::default()
        };
        // Expert review without a rubric, and a rubric item of 0 points, are refused in words.
        let refused = calls::create(
            &app,
            &p.admin,
            &CallInput {
                rubric: vec![],
                ..call.clone()
            },
        )
        .await;
        assert!(messages(&refused.unwrap_err()).contains("请填写评分标准"));
        let zero = CallInput {
            rubric: vec![RubricItem {
                item: "技术先进性".into(),
                points: 0,
            }],
            ..call.clone()
        };
        assert!(
            messages(&calls::create(&app, &p.admin, &zero).await.unwrap_err())
                .contains("第 1 项：分值应为 1 至 100")
        );
        let call = calls::create(&app, &p.admin, &call).await.unwrap().call.id;

        let draft = ApplicationInput {
            call,
            measure: MEASURE.into(),
            facts: serde_json::json!({ "pilot_unit": true, "empowered_count": 3 })
                .as_object()
                .unwrap()
                .clone(),
            integrity_accepted: true,
            ..Default::default()
        };
        let id = filing::draft(&app, &p.university, &draft)
            .await
            .unwrap()
            .application
            .id;
        // Neither the document nor the account: both named, in Chinese.
        let missing = messages(&filing::submit(&app, &p.university, id).await.unwrap_err());
        assert!(
            missing.contains("缺少附件“赋权协议”"),
            "{backend:?}: {missing}"
        );
        assert!(
            missing.contains("请填写开户银行") && missing.contains("请填写银行账号"),
            "{missing}"
        );
        // A malformed account number is refused when typed.
        let bad = ApplicationInput {
            bank_account: "12AB".into(),
            ..draft.clone()
        };
        assert!(
            messages(
                &filing::update(&app, &p.university, id, &bad)
                    .await
                    .unwrap_err()
            )
            .contains("8 至 32 位数字")
        );
        let with_account = ApplicationInput {
            bank_name: "中国银行南京分行".into(),
            bank_account: "4646-1234-5678-9012".into(),
            account_name: "南京测试大学".into(),
            ..draft.clone()
        };
        filing::update(&app, &p.university, id, &with_account)
            .await
            .unwrap();
        // A text file is not a document; a document the call does not ask for is refused.
        let text = files::add(
            &app,
            &p.university,
            id,
            "赋权协议",
            "协议.pdf",
            b"just text",
        )
        .await;
        assert!(messages(&text.unwrap_err()).contains("PDF 或图片"));
        let other = files::add(&app, &p.university, id, "营业执照", "a.pdf", PDF).await;
        assert!(messages(&other.unwrap_err()).contains("请选择附件类别：赋权协议"));
        // Another institution cannot attach to it.
        assert!(
            files::add(&app, &p.other_university, id, "赋权协议", "a.pdf", PDF)
                .await
                .is_err()
        );
        let file = files::add(
            &app,
            &p.university,
            id,
            "赋权协议",
            "C:\\扫描\\赋权协议.PDF",
            PDF,
        )
        .await
        .unwrap();
        assert_eq!(file.filename, "赋权协议.pdf");

        let before = notifications::unread(&app, &district).await.unwrap();
        filing::submit(&app, &p.university, id).await.unwrap();
        // The district officer is told it waits for them.
        assert_eq!(
            notifications::unread(&app, &district).await.unwrap(),
            before + 1
        );
        let inbox = notifications::inbox(&app, &district, 1).await.unwrap();
        assert!(
            inbox[0].message.contains("区级初审推荐")
                && inbox[0].link == format!("/applications/{id}")
        );
        // The file is read by whoever reads the application, not by others.
        assert!(files::read(&app, &district, file.id).await.is_ok());
        assert!(
            files::read(&app, &p.other_university, file.id)
                .await
                .is_err()
        );
        // Submitted: no more uploads.
        assert!(matches!(
            files::add(&app, &p.university, id, "赋权协议", "b.pdf", PDF).await,
            Err(AppError::WrongState(_))
        ));

        review::decide(&app, &district, id, &decision("approve"))
            .await
            .unwrap();
        review::decide(&app, &p.reviewer, id, &decision("approve"))
            .await
            .unwrap();
        let view = applications::get(&app, &p.admin, id).await.unwrap();
        assert_eq!(view.application.step, Some(ReviewStep::Experts));
        assert!(view.capabilities.assign_experts);

        // The panel: one expert of the applicant's own institution, four others.
        let colleague = account(
            &app,
            "colleague",
            "institution",
            "",
            Some(view.application.institution_id),
        )
        .await;
        let colleague = expert(&app, &p.admin, colleague).await;
        let x1 = expert(
            &app,
            &p.admin,
            account(&app, "expert-x1", "reviewer", "市工信局", None).await,
        )
        .await;
        let x2 = expert(&app, &p.admin, p.other_university.clone()).await;
        let x3 = expert(
            &app,
            &p.admin,
            account(&app, "expert-x3", "reviewer", "市发改委", None).await,
        )
        .await;
        let x4 = expert(
            &app,
            &p.admin,
            account(&app, "expert-x4", "reviewer", "市商务局", None).await,
        )
        .await;
        let uid = |a: &Actor| a.user().unwrap().id;

        let conflict =
            experts::assign(&app, &p.admin, id, &[uid(&colleague), uid(&x1), uid(&x2)]).await;
        assert!(
            messages(&conflict.unwrap_err()).contains("本单位人员），应当回避"),
            "{backend:?}"
        );
        let candidates = experts::candidates(&app, &p.admin, id).await.unwrap();
        assert!(
            candidates
                .iter()
                .any(|(u, why)| u.id == uid(&colleague) && why.is_some())
        );
        let two = experts::assign(&app, &p.admin, id, &[uid(&x1), uid(&x2)]).await;
        assert!(messages(&two.unwrap_err()).contains("至少需要 3 位专家"));
        // Nobody but the bureau assigns; experts are not assigned twice.
        assert!(
            experts::assign(&app, &p.reviewer, id, &[uid(&x1), uid(&x2), uid(&x3)])
                .await
                .is_err()
        );
        experts::assign(&app, &p.admin, id, &[uid(&x1), uid(&x2), uid(&x3)])
            .await
            .unwrap();
        assert!(
            messages(
                &experts::assign(&app, &p.admin, id, &[uid(&x1)])
                    .await
                    .unwrap_err()
            )
            .contains("已指派过")
        );
        // An expert not assigned does not see it.
        assert!(matches!(
            applications::get(&app, &x4, id).await,
            Err(AppError::NotFound(_))
        ));

        let closing = review::decide(&app, &p.admin, id, &decision("approve")).await;
        assert!(
            matches!(&closing, Err(AppError::WrongState(m)) if m.contains("专家评审尚未完成")),
            "{closing:?}"
        );
        let score = |points: [&str; 2]| experts::ScoreInput {
            scores: points.iter().map(|s| s.to_string()).collect(),
            comment: "意见".into(),
        };
        let above = experts::score(&app, &x1, id, &score(["61", "30"])).await;
        assert!(messages(&above.unwrap_err()).contains("“技术先进性”最多 60 分"));
        let short = experts::ScoreInput {
            scores: vec!["50".into()],
            comment: String::new(),
        };
        assert!(
            messages(&experts::score(&app, &x1, id, &short).await.unwrap_err())
                .contains("全部 2 个评分项")
        );
        experts::score(&app, &x1, id, &score(["50", "30"]))
            .await
            .unwrap();
        experts::score(&app, &x2, id, &score(["40", "35"]))
            .await
            .unwrap();
        // Experts see their own scores only, and no mean.
        let seen = applications::get(&app, &x2, id)
            .await
            .unwrap()
            .experts
            .unwrap();
        assert_eq!(seen.assignments.len(), 1);
        assert_eq!(seen.mean, None);
        // x3 stands down: it no longer sees the application and cannot be assigned again.
        assert!(
            messages(
                &experts::declare_conflict(&app, &x3, id, " ")
                    .await
                    .unwrap_err()
            )
            .contains("回避的原因")
        );
        experts::declare_conflict(&app, &x3, id, "曾与申报团队合作发表论文")
            .await
            .unwrap();
        assert!(matches!(
            applications::get(&app, &x3, id).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            review::decide(&app, &p.admin, id, &decision("approve")).await,
            Err(AppError::WrongState(_))
        ));
        assert!(
            messages(
                &experts::assign(&app, &p.admin, id, &[uid(&x3)])
                    .await
                    .unwrap_err()
            )
            .contains("已对该申报声明回避")
        );
        experts::assign(&app, &p.admin, id, &[uid(&x4)])
            .await
            .unwrap();
        experts::score(&app, &x4, id, &score(["55", "38"]))
            .await
            .unwrap();

        // The bureau sees every score and the mean: (80 + 75 + 93) / 3 = 82.7.
        let review_view = applications::get(&app, &p.admin, id)
            .await
            .unwrap()
            .experts
            .unwrap();
        assert_eq!(review_view.mean.as_deref(), Some("82.7"), "{backend:?}");
        assert_eq!((review_view.scored, review_view.pending), (3, 0));
        // The applicant does not see the experts at all.
        assert!(
            applications::get(&app, &p.university, id)
                .await
                .unwrap()
                .experts
                .is_none()
        );
        let closed = review::decide(&app, &p.admin, id, &decision("approve"))
            .await
            .unwrap();
        assert_eq!(closed.application.step, Some(ReviewStep::Final));
        assert!(
            closed
                .history
                .iter()
                .any(|e| e.comment.contains("专家评审平均分 82.7 分"))
        );
        // Scores are closed with the step.
        assert!(matches!(
            experts::score(&app, &x1, id, &score(["60", "40"])).await,
            Err(AppError::WrongState(_)) | Err(AppError::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn exempt_pass_drafts_from_the_data_and_confirmation_goes_to_final() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = context
            .app
            .clone()
            .with_policies(zijin_testkit::shipped_policies());
        let p = people(&context).await;
        // A pilot university with three reviewed achievements marked 赋权改革成果 (and one draft,
        // which does not count), and the shared people's universities, which are not pilots.
        let code = zijin_domain::CreditCode::complete("12320102MB1DDDDD0").unwrap();
        let tags = vec!["赋权改革试点单位".to_string()];
        let pilot = institutions::create(
            &app,
            &Actor::System("test"),
            &zijin_domain::InstitutionInput {
                name: "南京试点大学",
                kind: "高校",
                credit_code: code.as_str(),
                district: "鼓楼区",
                tags: &tags,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let staff = account(&app, "pilot", "institution", "", Some(pilot.id)).await;
        let modes = vec!["转让".to_string()];
        let flags = vec!["赋权改革成果".to_string()];
        for n in 0..4 {
            let title = format!("赋权成果{n}");
            let input = zijin_domain::AchievementInput {
                source_flags: &flags,
                ..achievement(&title, &modes, &[])
            };
            let record = records::create_achievement(&app, &staff, &input)
                .await
                .unwrap();
            if n < 3 {
                records::transition(
                    &app,
                    &staff,
                    RecordKind::Achievement,
                    record.id,
                    Transition::Submit,
                    "",
                )
                .await
                .unwrap();
                records::transition(
                    &app,
                    &p.reviewer,
                    RecordKind::Achievement,
                    record.id,
                    Transition::Approve,
                    "",
                )
                .await
                .unwrap();
            }
        }
        let call = CallInput {
            title: "2026年度赋权改革资助".into(),
            measures: vec![MEASURE.into()],
            opens: "2026-11-28T08:00:00+08:00".into(),
            closes: "2026-12-18T17:00:00+08:00".into(),
            budgets: BTreeMap::from([(MEASURE.to_string(), "2000000".to_string())]),
            attachments: vec!["赋权协议".into()],
            ..Default::default()
        };
        let call = calls::create(&app, &p.admin, &call).await.unwrap().call.id;
        assert!(matches!(
            exempt::run(&app, &p.university, call, MEASURE).await,
            Err(AppError::Forbidden) | Err(AppError::NotFound(_))
        ));
        assert!(
            messages(
                &exempt::run(&app, &p.admin, call, "a15-insurance")
                    .await
                    .unwrap_err()
            )
            .contains("暂不支持免申即享")
        );
        let report = exempt::run(&app, &p.admin, call, MEASURE).await.unwrap();
        assert_eq!(report.drafted.len(), 1, "{backend:?}: {:?}", report.skipped);
        let (id, name, amount) = report.drafted[0].clone();
        assert_eq!(name, "南京试点大学");
        assert_eq!(amount, rust_decimal::Decimal::new(150_000, 0), "3 × 50,000");
        // A second pass drafts nothing twice.
        let again = exempt::run(&app, &p.admin, call, MEASURE).await.unwrap();
        assert!(
            again.drafted.is_empty() && again.skipped.iter().any(|(_, why)| why.contains("已有"))
        );
        // Nor does a pass in another call of the same year: this year's achievements are paid
        // once.
        let second = CallInput {
            title: "2026年度赋权改革资助（第二批）".into(),
            measures: vec![MEASURE.into()],
            opens: "2026-11-28T08:00:00+08:00".into(),
            closes: "2026-12-18T17:00:00+08:00".into(),
            budgets: BTreeMap::from([(MEASURE.to_string(), "2000000".to_string())]),
            ..Default::default()
        };
        let second = calls::create(&app, &p.admin, &second)
            .await
            .unwrap()
            .call
            .id;
        let elsewhere = exempt::run(&app, &p.admin, second, MEASURE).await.unwrap();
        assert!(elsewhere.drafted.is_empty(), "{:?}", elsewhere.drafted);
        assert!(
            elsewhere
                .skipped
                .iter()
                .any(|(name, why)| name == "南京试点大学" && why.contains("2026年度的数据")),
            "{:?}",
            elsewhere.skipped
        );

        let view = applications::get(&app, &staff, id).await.unwrap();
        assert_eq!(view.application.origin, ApplicationOrigin::Exempt);
        assert_eq!(view.application.status, ApplicationStatus::Draft);
        assert!(notifications::unread(&app, &staff).await.unwrap() >= 1);
        // The beneficiary neither edits the facts nor submits it as its own.
        assert!(matches!(
            filing::update(&app, &staff, id, &ApplicationInput::default()).await,
            Err(AppError::WrongState(_))
        ));
        assert!(matches!(
            filing::submit(&app, &staff, id).await,
            Err(AppError::WrongState(_))
        ));
        let unsigned = ApplicationInput {
            bank_name: "工行".into(),
            ..Default::default()
        };
        let refused = messages(
            &exempt::confirm(&app, &staff, id, &unsigned)
                .await
                .unwrap_err(),
        );
        assert!(
            refused.contains("科研诚信承诺书") && refused.contains("请填写银行账号"),
            "{refused}"
        );
        assert!(
            exempt::confirm(&app, &p.university, id, &unsigned)
                .await
                .is_err()
        );
        let confirmed = exempt::confirm(
            &app,
            &staff,
            id,
            &ApplicationInput {
                integrity_accepted: true,
                bank_name: "中国工商银行南京汉口路支行".into(),
                bank_account: "4301011209000012345".into(),
                account_name: "南京试点大学".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(confirmed.application.status, ApplicationStatus::InReview);
        assert_eq!(
            confirmed.application.step,
            Some(ReviewStep::Final),
            "straight to 市级核定"
        );
        let fixed = review::decide(&app, &p.admin, id, &decision("approve"))
            .await
            .unwrap();
        assert_eq!(fixed.application.approved_fen, Some(15_000_000));
    }
}
