//! Applications (issue 16): a call, an application computed against the ledger, the review
//! route with a return and its correction, 市级核定 reserving the amount, the budget, the
//! closing time, a year the calendar lacks, the replay of a decision, and 32 approvals at once
//! against one beneficiary's annual cap. Each test runs on both backends.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use zijin_app::applications::{
    self, ApplicationInput, CallInput, DecisionInput, calls, filing, replay, review,
};
use zijin_app::users::{self, NewUserInput};
use zijin_app::{Actor, App, AppError};
use zijin_domain::{ApplicationStatus, ReviewStep};
use zijin_testkit::{BACKENDS, TestContext};

use super::two_lists::{People, people};

/// A payee account, filled in as every applicant must before submitting.
fn payee() -> ApplicationInput {
    ApplicationInput {
        bank_name: "中国工商银行南京新街口支行".into(),
        bank_account: "6222 0202 0000 1234 567".into(),
        account_name: "申报单位".into(),
        ..Default::default()
    }
}

/// a18-empowerment: 50,000 yuan an empowered achievement, at most 1,000,000 a unit a year.
const MEASURE: &str = "a18-empowerment";

struct Route {
    app: App,
    p: People,
    district: Actor,
    district_elsewhere: Actor,
    other_unit: Actor,
}

async fn route(context: &TestContext) -> Route {
    let app = context
        .app
        .clone()
        .with_policies(zijin_testkit::shipped_policies());
    let p = people(context).await;
    let system = Actor::System("test");
    let make = async |username: &str, role: &str, unit: &str, district: &str| {
        let input = NewUserInput {
            username,
            display_name: username,
            password: "Secret-pass-1",
            role,
            responsible_unit: unit,
            district,
            institution_id: None,
        };
        Actor::User(users::create(&app, &system, &input).await.unwrap())
    };
    Route {
        district: make("jiangning", "district", "", "江宁区").await,
        district_elsewhere: make("gulou", "district", "", "鼓楼区").await,
        // 市工信局 is not among article 18's responsible units.
        other_unit: make("gongxin", "reviewer", "市工信局", "").await,
        app,
        p,
    }
}

async fn open_call(app: &App, admin: &Actor, budget: &str) -> i64 {
    let input = CallInput {
        title: "2026年度职务科技成果赋权改革资助申报".into(),
        guidance: "请试点单位如实填报赋权改革成果数。".into(),
        measures: vec![MEASURE.into()],
        opens: "2026-11-28T08:00:00+08:00".into(),
        closes: "2026-12-18T17:00:00+08:00".into(),
        budgets: BTreeMap::from([(MEASURE.to_string(), budget.to_string())]),
        ..Default::default()
    };
    calls::create(app, admin, &input).await.unwrap().call.id
}

fn facts(count: u32) -> serde_json::Map<String, serde_json::Value> {
    serde_json::json!({ "pilot_unit": true, "empowered_count": count })
        .as_object()
        .unwrap()
        .clone()
}

fn decision(decision: &str, comment: &str, amount: Option<&str>) -> DecisionInput {
    DecisionInput {
        decision: decision.into(),
        comment: comment.into(),
        amount: amount.map(str::to_string),
    }
}

/// A submitted application of `applicant` waiting at 市级核定.
async fn at_final(r: &Route, call: i64, applicant: &Actor, count: u32) -> i64 {
    let input = ApplicationInput {
        call,
        measure: MEASURE.into(),
        facts: facts(count),
        integrity_accepted: true,
        ..payee()
    };
    let id = filing::draft(&r.app, applicant, &input)
        .await
        .unwrap()
        .application
        .id;
    filing::submit(&r.app, applicant, id).await.unwrap();
    review::decide(&r.app, &r.district, id, &decision("approve", "", None))
        .await
        .unwrap();
    review::decide(
        &r.app,
        &r.p.reviewer,
        id,
        &decision("approve", "同意", None),
    )
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn an_application_runs_the_route_and_its_amount_is_reserved_in_the_ledger() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let r = route(&context).await;
        let call = open_call(&r.app, &r.p.admin, "2000000").await;

        // The draft's amount is computed at once: 4 × 50,000.
        let input = ApplicationInput {
            call,
            measure: MEASURE.into(),
            facts: facts(4),
            integrity_accepted: false,
            ..payee()
        };
        let view = filing::draft(&r.app, &r.p.university, &input)
            .await
            .unwrap();
        let id = view.application.id;
        assert_eq!(view.application.status, ApplicationStatus::Draft);
        assert!(view.application.eligible);
        assert_eq!(view.application.amount_fen, 20_000_000);
        assert!(view.trace.iter().any(|s| s.source.contains("第18条")));
        // Nobody else sees a draft; the pledge is required to submit.
        for other in [&r.p.other_university, &r.district, &r.p.reviewer] {
            assert!(matches!(
                applications::get(&r.app, other, id).await,
                Err(AppError::NotFound(_))
            ));
        }
        let refused = filing::submit(&r.app, &r.p.university, id)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("科研诚信承诺书"), "{refused}");
        filing::update(
            &r.app,
            &r.p.university,
            id,
            &ApplicationInput {
                facts: facts(4),
                integrity_accepted: true,
                ..payee()
            },
        )
        .await
        .unwrap();
        let view = filing::submit(&r.app, &r.p.university, id).await.unwrap();
        assert_eq!(view.application.step, Some(ReviewStep::District));

        // Only the district's officer decides first; a reviewer must wait, another district
        // and another unit do not see it.
        assert!(matches!(
            review::decide(&r.app, &r.p.reviewer, id, &decision("approve", "", None)).await,
            Err(AppError::WrongState(_))
        ));
        for outsider in [&r.district_elsewhere, &r.other_unit, &r.p.other_university] {
            assert!(matches!(
                applications::get(&r.app, outsider, id).await,
                Err(AppError::NotFound(_))
            ));
        }
        review::decide(&r.app, &r.district, id, &decision("approve", "推荐", None))
            .await
            .unwrap();
        // The unit returns it with a comment; the applicant corrects and it comes back there.
        let empty = review::decide(&r.app, &r.p.reviewer, id, &decision("return", " ", None))
            .await
            .unwrap_err();
        assert!(empty.to_string().contains("需要修改"), "{empty}");
        let view = review::decide(
            &r.app,
            &r.p.reviewer,
            id,
            &decision("return", "请补充赋权协议", None),
        )
        .await
        .unwrap();
        assert_eq!(view.application.status, ApplicationStatus::Returned);
        filing::update(
            &r.app,
            &r.p.university,
            id,
            &ApplicationInput {
                facts: facts(6),
                integrity_accepted: true,
                ..payee()
            },
        )
        .await
        .unwrap();
        let view = filing::submit(&r.app, &r.p.university, id).await.unwrap();
        assert_eq!(view.application.step, Some(ReviewStep::Unit));
        review::decide(
            &r.app,
            &r.p.reviewer,
            id,
            &decision("approve", "同意", None),
        )
        .await
        .unwrap();

        // 市级核定: never above the computed 300,000; lower only with a reason.
        let above = review::decide(
            &r.app,
            &r.p.admin,
            id,
            &decision("approve", "", Some("300000.01")),
        )
        .await
        .unwrap_err();
        assert!(above.to_string().contains("不能高于"), "{above}");
        let unexplained = review::decide(
            &r.app,
            &r.p.admin,
            id,
            &decision("approve", "", Some("250000")),
        )
        .await
        .unwrap_err();
        assert!(unexplained.to_string().contains("理由"), "{unexplained}");
        let view = review::decide(
            &r.app,
            &r.p.admin,
            id,
            &decision("approve", "按实际赋权协议核减一项", Some("250000")),
        )
        .await
        .unwrap();
        assert_eq!(view.application.status, ApplicationStatus::Approved);
        assert_eq!(view.application.amount_fen, 30_000_000);
        assert_eq!(view.application.approved_fen, Some(25_000_000));
        let actions: Vec<&str> = view.history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "submit", "approve", "return", "submit", "approve", "approve"
            ]
        );

        // The ledger holds the reservation; the next draft of the year sees it.
        let code = view.application.credit_code.clone();
        let (entries, total) = applications::ledger(&r.app, &r.p.admin, &code, 2026)
            .await
            .unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(total, Decimal::new(250_000, 0));
        assert!(matches!(
            applications::ledger(&r.app, &r.p.university, &code, 2026).await,
            Err(AppError::Forbidden)
        ));
        // So does the policy calculator, given the beneficiary's credit code.
        let mut asked = facts(20);
        asked.insert(
            "beneficiary".into(),
            serde_json::Value::String(code.clone()),
        );
        let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let outcome = zijin_app::policy::calculate(&r.app, MEASURE, &asked, on)
            .await
            .unwrap();
        assert_eq!(outcome.amount, Decimal::new(750_000, 0));
        // The next call's draft sees the reservation.
        let next_call = open_call(&r.app, &r.p.admin, "2000000").await;
        let next = filing::draft(
            &r.app,
            &r.p.university,
            &ApplicationInput {
                call: next_call,
                measure: MEASURE.into(),
                facts: facts(20),
                integrity_accepted: true,
                ..payee()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            next.application.amount_fen, 75_000_000,
            "1,000,000 a year less the 250,000 reserved"
        );

        // The decision replays to the same amount with its own files and today's.
        let replayed = replay::replay(&r.app, &r.p.admin, id).await.unwrap();
        assert_eq!(replayed.computed, Decimal::new(300_000, 0));
        assert!(!replayed.with_decision_files.differs);
        assert!(!replayed.with_current_files.differs);
        assert_eq!(
            replayed.with_decision_files.policy_version,
            replayed.with_current_files.policy_version
        );
    }
}

#[tokio::test]
async fn a_call_refuses_late_submissions_a_budget_holds_and_an_unknown_year_is_refused() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let r = route(&context).await;
        // A budget of 500,000: the first 300,000 fits, the second does not.
        let call = open_call(&r.app, &r.p.admin, "500000").await;
        let first = at_final(&r, call, &r.p.university, 6).await;
        let second = at_final(&r, call, &r.p.other_university, 6).await;
        review::decide(&r.app, &r.p.admin, first, &decision("approve", "", None))
            .await
            .unwrap();
        // One application per institution, measure and call.
        let again = filing::draft(
            &r.app,
            &r.p.university,
            &ApplicationInput {
                call,
                measure: MEASURE.into(),
                facts: facts(1),
                integrity_accepted: true,
                ..payee()
            },
        )
        .await
        .unwrap_err();
        assert!(again.to_string().contains("不能重复申报"), "{again}");
        let over = review::decide(&r.app, &r.p.admin, second, &decision("approve", "", None))
            .await
            .unwrap_err();
        assert!(matches!(over, AppError::BudgetExceeded(_)), "{over}");
        assert!(over.to_string().contains("余额 200,000.00 元"), "{over}");

        // After the closing time nothing is drafted or submitted.
        let draft = filing::draft(
            &r.app,
            &r.p.enterprise,
            &ApplicationInput {
                call,
                measure: MEASURE.into(),
                facts: facts(1),
                integrity_accepted: true,
                ..payee()
            },
        )
        .await
        .unwrap();
        context.clock.advance(chrono::Duration::days(30));
        let late = filing::submit(&r.app, &r.p.enterprise, draft.application.id)
            .await
            .unwrap_err();
        assert!(matches!(late, AppError::CallClosed(_)), "{late}");
        assert!(late.to_string().contains("截止"), "{late}");

        // A call whose notice would fall in a year the calendar does not hold is refused.
        let input = CallInput {
            title: "2027年度申报".into(),
            measures: vec![MEASURE.into()],
            opens: "2027-12-01T09:00:00+08:00".into(),
            closes: "2027-12-20T17:00:00+08:00".into(),
            budgets: BTreeMap::from([(MEASURE.to_string(), "1000000".to_string())]),
            ..Default::default()
        };
        let error = calls::create(&r.app, &r.p.admin, &input).await.unwrap_err();
        assert!(error.to_string().contains("2027"), "{error}");
        // A call for universities only: an enterprise is told so, before and when it applies.
        let only = calls::create(
            &r.app,
            &r.p.admin,
            &CallInput {
                title: "高校专项".into(),
                measures: vec![MEASURE.into()],
                opens: "2026-12-28T09:00:00+08:00".into(),
                closes: "2026-12-29T17:00:00+08:00".into(),
                budgets: BTreeMap::from([(MEASURE.to_string(), "1000000".to_string())]),
                applicant_types: vec!["高校".into()],
                notice_days: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let refusal = calls::refusal_for_actor(&r.app, &r.p.enterprise, &only.call)
            .await
            .unwrap();
        assert_eq!(refusal.as_deref(), Some("本通知不接受企业申报"));
        assert_eq!(
            calls::refusal_for_actor(&r.app, &r.p.university, &only.call)
                .await
                .unwrap(),
            None
        );
        // Only admins open calls.
        assert!(matches!(
            calls::create(&r.app, &r.p.reviewer, &input).await,
            Err(AppError::Forbidden)
        ));
    }
}

/// 32 final approvals at the same moment for one beneficiary: 500,000 each against its
/// 1,000,000 annual cap. Exactly two are reserved, whatever the interleaving.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_approvals_at_once_never_exceed_the_annual_cap() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let r = route(&context).await;
        // One application per call: 32 calls for the same measure.
        let mut waiting = Vec::new();
        for _ in 0..32 {
            let call = open_call(&r.app, &r.p.admin, "100000000").await;
            waiting.push(at_final(&r, call, &r.p.university, 10).await);
        }
        let mut tasks = Vec::new();
        for id in waiting {
            let app = r.app.clone();
            let admin = r.p.admin.clone();
            tasks.push(tokio::spawn(async move {
                review::decide(&app, &admin, id, &decision("approve", "", None)).await
            }));
        }
        let mut approved = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(view) => {
                    assert_eq!(view.application.approved_fen, Some(50_000_000));
                    approved += 1;
                }
                Err(AppError::WrongState(message)) => {
                    assert!(message.contains("年度上限"), "{message}")
                }
                Err(AppError::Busy) => {}
                Err(other) => panic!("{backend:?}: {other}"),
            }
        }
        let code = applications::get(&r.app, &r.p.university, 1)
            .await
            .map(|v| v.application.credit_code)
            .unwrap();
        let (_, total) = applications::ledger(&r.app, &r.p.admin, &code, 2026)
            .await
            .unwrap();
        assert_eq!(approved, 2, "{backend:?}");
        assert_eq!(total, Decimal::new(1_000_000, 0), "{backend:?}");
    }
}

/// 公示: the approved applications are listed for five working days; objections need a real
/// name, a phone and reasons, and a phone may object only three times; an upheld objection
/// takes the application off the list and releases its money; after the last working day the
/// notice takes no more objections.
#[tokio::test]
async fn a_notice_takes_objections_and_an_upheld_one_releases_the_reservation() {
    use zijin_app::applications::notice::{self, ObjectionInput};
    use zijin_app::auth::ClientAddress;
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let r = route(&context).await;
        let call = open_call(&r.app, &r.p.admin, "2000000").await;
        let first = at_final(&r, call, &r.p.university, 4).await;
        let second = at_final(&r, call, &r.p.other_university, 2).await;
        // Nothing approved yet: nothing to notice.
        assert!(matches!(
            notice::publish(&r.app, &r.p.admin, call).await,
            Err(AppError::WrongState(_))
        ));
        for id in [first, second] {
            review::decide(&r.app, &r.p.admin, id, &decision("approve", "", None))
                .await
                .unwrap();
        }
        assert!(matches!(
            notice::publish(&r.app, &r.p.reviewer, call).await,
            Err(AppError::Forbidden)
        ));
        // Published on Saturday 2026-11-28 (Beijing): five working days end on Friday 12-04.
        let view = notice::publish(&r.app, &r.p.admin, call).await.unwrap();
        assert_eq!(view.notice.ends_on, "2026-12-04");
        assert_eq!(view.entries.len(), 2);
        assert!(view.open);
        let id = view.notice.id;
        assert!(matches!(
            zijin_app::applications::payments::make_batch(&r.app, &r.p.admin, call).await,
            Err(AppError::WrongState(_))
        ));
        let address = ClientAddress::from_ip(Some("203.0.113.9".parse().unwrap()));
        let anonymous = notice::object(
            &r.app,
            &address,
            id,
            &ObjectionInput {
                application: Some(first),
                name: String::new(),
                phone: "1234".into(),
                reason: "不对".into(),
            },
        )
        .await
        .unwrap_err();
        let text = anonymous.to_string();
        assert!(
            text.contains("真实姓名") && text.contains("联系电话") && text.contains("至少 10 个字"),
            "{text}"
        );
        let objection = ObjectionInput {
            application: Some(first),
            name: "张三".into(),
            phone: "13812345678".into(),
            reason: "该单位申报的赋权成果中有两项并未签订赋权协议。".into(),
        };
        // An application the notice does not list names nothing here (404, as in the API).
        let elsewhere = ObjectionInput {
            application: Some(first + 10_000),
            ..objection.clone()
        };
        assert!(matches!(
            notice::object(&r.app, &address, id, &elsewhere).await,
            Err(AppError::NotFound(_))
        ));
        let objection_id = notice::object(&r.app, &address, id, &objection)
            .await
            .unwrap();
        for _ in 0..2 {
            notice::object(&r.app, &address, id, &objection)
                .await
                .unwrap();
        }
        assert!(matches!(
            notice::object(&r.app, &address, id, &objection).await,
            Err(AppError::TooManyRequests)
        ));
        // The notice as a PDF for publication.
        let pdf = notice::pdf(&r.app, id).await.unwrap();
        let text = zijin_testkit::pdf_text(&pdf);
        assert!(text.contains("拟支持名单公示"), "{text}");
        assert!(
            text.contains("南京测试大学") && text.contains("200,000.00"),
            "{text}"
        );
        assert!(text.contains("2026-12-04"), "{text}");
        // Only admins see the objector.
        let public = notice::get(&r.app, &Actor::Anonymous, id).await.unwrap();
        assert!(public.objections.is_empty());
        let admin_view = notice::get(&r.app, &r.p.admin, id).await.unwrap();
        assert_eq!(admin_view.objections[0].name, "张三");

        // Upheld: off the list, the money free again.
        let code = applications::get(&r.app, &r.p.university, first)
            .await
            .unwrap()
            .application
            .credit_code;
        notice::rule(
            &r.app,
            &r.p.admin,
            objection_id,
            true,
            "经核实，两项成果未签订赋权协议",
        )
        .await
        .unwrap();
        assert!(matches!(
            notice::rule(&r.app, &r.p.admin, objection_id, false, "再议").await,
            Err(AppError::WrongState(_))
        ));
        let (entries, total) = applications::ledger(&r.app, &r.p.admin, &code, 2026)
            .await
            .unwrap();
        assert_eq!(entries[0].state, zijin_domain::LedgerState::Released);
        assert_eq!(total, Decimal::ZERO);
        let public = notice::get(&r.app, &Actor::Anonymous, id).await.unwrap();
        assert_eq!(public.entries.len(), 1);
        let first_view = applications::get(&r.app, &r.p.university, first)
            .await
            .unwrap();
        assert_eq!(first_view.application.status, ApplicationStatus::Rejected);

        // After Friday 12-04 (Beijing) the notice is over.
        context.clock.advance(chrono::Duration::days(7));
        let late = notice::object(
            &r.app,
            &ClientAddress::from_ip(Some("203.0.113.10".parse().unwrap())),
            id,
            &ObjectionInput {
                phone: "025-83590000".into(),
                ..objection
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(late, AppError::WrongState(_)), "{late}");
        assert!(
            !notice::get(&r.app, &Actor::Anonymous, id)
                .await
                .unwrap()
                .open
        );

        // 拨付: the remaining entry is paid from the ledger, exported, and marked with its
        // voucher.
        use zijin_app::applications::payments;
        let (batch, list) = payments::make_batch(&r.app, &r.p.admin, call)
            .await
            .unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].application_id, second);
        assert!(matches!(
            payments::make_batch(&r.app, &r.p.admin, call).await,
            Err(AppError::WrongState(_))
        ));
        let other_code = applications::get(&r.app, &r.p.other_university, second)
            .await
            .unwrap()
            .application
            .credit_code;
        let (entries, total) = applications::ledger(&r.app, &r.p.admin, &other_code, 2026)
            .await
            .unwrap();
        assert_eq!(entries[0].state, zijin_domain::LedgerState::Paid);
        assert_eq!(total, Decimal::new(100_000, 0));
        let xlsx = payments::export(&r.app, &r.p.admin, batch).await.unwrap();
        let mut workbook: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
        let sheet = calamine::Reader::worksheet_range(&mut workbook, "拨付清单").unwrap();
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(rows[0][1], "收款单位");
        assert_eq!(rows[1][1], "南京另一所大学");
        assert_eq!(rows[1][2], other_code);
        assert_eq!(rows[0][5], "银行账号");
        assert_eq!(rows[1][3], "申报单位");
        assert_eq!(rows[1][4], "中国工商银行南京新街口支行");
        assert_eq!(rows[1][5], "6222020200001234567", "every digit, as text");
        assert_eq!(rows[1][7], "实施意见第18条");
        assert_eq!(rows[1][8], "100,000.00");
        assert_eq!(rows[2][8], "100,000.00", "the total");
        assert!(matches!(
            payments::mark_paid(&r.app, &r.p.admin, list[0].id, "明天", "").await,
            Err(AppError::Validation(_))
        ));
        payments::mark_paid(
            &r.app,
            &r.p.admin,
            list[0].id,
            "2026-12-08",
            "财拨〔2026〕118号",
        )
        .await
        .unwrap();
        let paid = applications::get(&r.app, &r.p.other_university, second)
            .await
            .unwrap();
        assert_eq!(paid.application.status, ApplicationStatus::Paid);
        assert!(matches!(
            payments::mark_paid(&r.app, &r.p.admin, list[0].id, "2026-12-08", "x").await,
            Err(AppError::WrongState(_))
        ));
    }
}

/// Two drafts of one institution for one measure at the same moment, and two publications of
/// one call's notice: one succeeds, the other is refused in words (never a database error).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_draft_or_notice_at_the_same_moment_is_refused_in_words() {
    use zijin_app::applications::notice;
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let r = route(&context).await;
        let call = open_call(&r.app, &r.p.admin, "2000000").await;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (app, who) = (r.app.clone(), r.p.university.clone());
            tasks.push(tokio::spawn(async move {
                let input = ApplicationInput {
                    call,
                    measure: MEASURE.into(),
                    facts: facts(2),
                    integrity_accepted: true,
                    ..payee()
                };
                filing::draft(&app, &who, &input).await
            }));
        }
        let mut drafted = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => drafted += 1,
                Err(AppError::WrongState(message)) => assert!(message.contains("重复申报")),
                Err(AppError::Busy) => {}
                Err(other) => panic!("{backend:?}: {other}"),
            }
        }
        assert_eq!(drafted, 1, "{backend:?}");

        let approved = at_final(&r, call, &r.p.other_university, 2).await;
        review::decide(&r.app, &r.p.admin, approved, &decision("approve", "", None))
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let (app, admin) = (r.app.clone(), r.p.admin.clone());
            tasks.push(tokio::spawn(async move {
                notice::publish(&app, &admin, call).await
            }));
        }
        let mut published = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => published += 1,
                Err(AppError::WrongState(_) | AppError::Busy) => {}
                Err(other) => panic!("{backend:?}: {other}"),
            }
        }
        assert_eq!(published, 1, "{backend:?}");
    }
}
