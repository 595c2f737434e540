//! Use-case tests: permissions, login throttling, accounts, demo data. Each runs on both backends.

use chrono::Duration;
use zijin_app::demo::{self, DEMO_PASSWORD};
use zijin_app::users::NewUserInput;
use zijin_app::{Actor, AppError, auth, institutions, users};
use zijin_domain::{Coded, District, InstitutionInput, InstitutionType, User, UserRole};
use zijin_store::institutions::ListFilter;
use zijin_testkit::{BACKENDS, TestContext};

async fn admin(context: &TestContext) -> Actor {
    let user = users::create_admin_from_cli(&context.app, "admin", "Admin-pass-1")
        .await
        .unwrap();
    Actor::User(user)
}

async fn make_user(
    context: &TestContext,
    admin: &Actor,
    username: &str,
    role: &str,
    unit: &str,
    district: &str,
    institution_id: Option<i64>,
) -> User {
    users::create(
        &context.app,
        admin,
        &NewUserInput {
            username,
            display_name: username,
            password: "Secret-pass-1",
            role,
            responsible_unit: unit,
            district,
            institution_id,
        },
    )
    .await
    .unwrap()
}

fn enterprise<'a>(name: &'a str, code: &'a str, district: &'a str) -> InstitutionInput<'a> {
    InstitutionInput {
        name,
        kind: "企业",
        credit_code: code,
        district,
        contact_phone: "025-84000000",
        ..Default::default()
    }
}

const CODE_A: &str = "91350100M000100Y43";

fn address(text: &str) -> auth::ClientAddress {
    auth::ClientAddress::from_ip(Some(text.parse().unwrap()))
}

#[tokio::test]
async fn wrong_passwords_from_one_address_are_delayed_more_each_time() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        admin(&context).await;
        let attacker = address("203.0.113.66");
        for attempt in 1..=5 {
            let result = auth::login(&context.app, "admin", "wrong-password-1", &attacker).await;
            assert!(
                matches!(result, Err(AppError::LoginFailed)),
                "{backend:?} attempt {attempt}: {result:?}"
            );
        }
        // The sixth attempt from that address is not even checked, right password or not …
        let delayed = auth::login(&context.app, "admin", "Admin-pass-1", &attacker).await;
        let Err(AppError::LoginThrottled {
            retry_after_seconds,
            ..
        }) = delayed
        else {
            panic!("{backend:?}: {delayed:?}")
        };
        assert_eq!(retry_after_seconds, 60);
        // … while the owner, from another address, logs in at once.
        let owner = auth::login(
            &context.app,
            "admin",
            "Admin-pass-1",
            &address("198.51.100.7"),
        )
        .await
        .unwrap();
        assert_eq!(owner.user.username, "admin");
        // After the minute one more guess is allowed, and the next delay is two minutes.
        context.clock.advance(Duration::seconds(61));
        let sixth = auth::login(&context.app, "admin", "wrong-password-1", &attacker).await;
        assert!(matches!(sixth, Err(AppError::LoginFailed)), "{sixth:?}");
        let Err(AppError::LoginThrottled {
            retry_after_seconds,
            ..
        }) = auth::login(&context.app, "admin", "wrong-password-1", &attacker).await
        else {
            panic!("{backend:?}: the seventh guess was checked")
        };
        assert_eq!(retry_after_seconds, 120);
        // The failures were audited with the address and the delay they started.
        let failures = zijin_app::audit::list(
            &context.app,
            &Actor::User(owner.user.clone()),
            &zijin_store::audit::ListFilter {
                action: Some("user.login-failed".into()),
                ..Default::default()
            },
            1,
            20,
        )
        .await
        .unwrap();
        assert_eq!(failures.total, 6);
        // An admin lifts every delay of the account.
        users::unlock(
            &context.app,
            &Actor::User(owner.user.clone()),
            owner.user.id,
        )
        .await
        .unwrap();
        auth::login(&context.app, "admin", "Admin-pass-1", &attacker)
            .await
            .unwrap();
        let verification = zijin_app::audit::verify(&context.app).await.unwrap();
        assert_eq!(verification.first_breach, None);
    }
}

#[tokio::test]
async fn sixty_four_parallel_guesses_get_five_checks() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        admin(&context).await;
        // Enough hashing places that no attempt is turned away for load: only the throttle counts.
        let app = context.app.clone().with_login_concurrency(16);
        let attacker = address("203.0.113.66");
        let mut attempts = Vec::new();
        for n in 0..64 {
            let (app, attacker) = (app.clone(), attacker.clone());
            // One of the 64 is the right password: being right does not get past the throttle.
            let password = if n == 40 {
                "Admin-pass-1"
            } else {
                "wrong-password-1"
            };
            attempts.push(tokio::spawn(async move {
                auth::login(&app, "admin", password, &attacker).await
            }));
        }
        let (mut checked, mut throttled) = (0, 0);
        for attempt in attempts {
            match attempt.await.unwrap() {
                Err(AppError::LoginThrottled { .. }) => throttled += 1,
                Err(AppError::LoginFailed) | Ok(_) => checked += 1,
                other => panic!("{backend:?}: {other:?}"),
            }
        }
        assert!(checked <= 5, "{backend:?}: {checked} passwords checked");
        assert_eq!(checked + throttled, 64);
        assert!(checked >= 1, "{backend:?}: nothing was checked");
    }
}

#[tokio::test]
async fn a_flood_of_logins_waits_for_a_bounded_number_of_hashes() {
    // One hash at a time, five places in all: the sixth attempt at once is "too many requests".
    let context = TestContext::new(zijin_app::Backend::Sqlite).await;
    admin(&context).await;
    let app = context.app.clone().with_login_concurrency(1);
    let mut attempts = Vec::new();
    for n in 0..40 {
        let app = app.clone();
        let from = address(&format!("198.51.100.{n}"));
        attempts.push(tokio::spawn(async move {
            auth::login(&app, &format!("nobody{n}"), "wrong-password-1", &from).await
        }));
    }
    let mut busy = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Err(AppError::TooManyRequests) => busy += 1,
            Err(AppError::LoginFailed) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(busy > 0, "40 logins at once all got a hash of their own");
}

#[tokio::test]
async fn accounts_are_disabled_and_passwords_changed_with_sessions_ended() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let chief = admin(&context).await;
        let clerk = make_user(&context, &chief, "clerk", "reviewer", "市科技局", "", None).await;
        let here = auth::ClientAddress::local();
        let phone = auth::login(&context.app, "clerk", "Secret-pass-1", &here)
            .await
            .unwrap();
        let laptop = auth::login(&context.app, "clerk", "Secret-pass-1", &here)
            .await
            .unwrap();
        let me = Actor::User(laptop.user.clone());
        // The policy: too short, the user name, a common password, spaces around it.
        for weak in ["short-1", "clerk", "Password123", " Secret-pass-2 "] {
            let refused = users::change_own_password(
                &context.app,
                &me,
                "Secret-pass-1",
                weak,
                Some(&laptop.token),
                &here,
            )
            .await;
            assert!(
                matches!(refused, Err(AppError::Validation(_))),
                "{weak}: {refused:?}"
            );
        }
        let wrong_current = users::change_own_password(
            &context.app,
            &me,
            "not-my-password",
            "Better-pass-22",
            Some(&laptop.token),
            &here,
        )
        .await;
        let Err(AppError::Validation(fields)) = wrong_current else {
            panic!("{wrong_current:?}")
        };
        assert_eq!(fields.iter().next().unwrap().field, "current_password");
        users::change_own_password(
            &context.app,
            &me,
            "Secret-pass-1",
            "Better-pass-22",
            Some(&laptop.token),
            &here,
        )
        .await
        .unwrap();
        // The other session ended; the one that changed it goes on.
        assert!(
            auth::session(&context.app, &phone.token)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            auth::session(&context.app, &laptop.token)
                .await
                .unwrap()
                .is_some()
        );
        assert!(matches!(
            auth::login(&context.app, "clerk", "Secret-pass-1", &here).await,
            Err(AppError::LoginFailed)
        ));
        // Disabled: sessions end, login refused even with the right password; enabled again.
        users::set_disabled(&context.app, &chief, clerk.id, true)
            .await
            .unwrap();
        assert!(
            auth::session(&context.app, &laptop.token)
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            auth::login(&context.app, "clerk", "Better-pass-22", &here).await,
            Err(AppError::AccountDisabled)
        ));
        // Only admins, and not on themselves.
        assert!(matches!(
            users::set_disabled(&context.app, &me, clerk.id, false).await,
            Err(AppError::Forbidden)
        ));
        let chief_id = chief.user().unwrap().id;
        assert!(matches!(
            users::set_disabled(&context.app, &chief, chief_id, true).await,
            Err(AppError::WrongState(ref why)) if why.contains("不能停用自己的账号")
        ));
        users::set_disabled(&context.app, &chief, clerk.id, false)
            .await
            .unwrap();
        // An admin's reset ends every session of the account.
        let session = auth::login(&context.app, "clerk", "Better-pass-22", &here)
            .await
            .unwrap();
        users::reset_password(&context.app, &chief, clerk.id, "Reset-by-admin-9")
            .await
            .unwrap();
        assert!(
            auth::session(&context.app, &session.token)
                .await
                .unwrap()
                .is_none()
        );
        auth::login(&context.app, "clerk", "Reset-by-admin-9", &here)
            .await
            .unwrap();
        let verification = zijin_app::audit::verify(&context.app).await.unwrap();
        assert_eq!(verification.first_breach, None);
    }
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    for backend in BACKENDS {
        same_answer(backend).await;
    }
}

async fn same_answer(backend: zijin_app::Backend) {
    let context = TestContext::new(backend).await;
    admin(&context).await;
    let unknown = auth::login(
        &context.app,
        "nobody",
        "whatever-1",
        &zijin_app::auth::ClientAddress::local(),
    )
    .await
    .unwrap_err();
    let wrong = auth::login(
        &context.app,
        "admin",
        "whatever-1",
        &zijin_app::auth::ClientAddress::local(),
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.to_string(), wrong.to_string());
}

#[tokio::test]
async fn sessions_end_at_logout_and_after_twelve_hours() {
    for backend in BACKENDS {
        sessions_end(backend).await;
    }
}

async fn sessions_end(backend: zijin_app::Backend) {
    let context = TestContext::new(backend).await;
    admin(&context).await;
    let first = auth::login(
        &context.app,
        "admin",
        "Admin-pass-1",
        &zijin_app::auth::ClientAddress::local(),
    )
    .await
    .unwrap();
    let second = auth::login(
        &context.app,
        "admin",
        "Admin-pass-1",
        &zijin_app::auth::ClientAddress::local(),
    )
    .await
    .unwrap();
    auth::logout(&context.app, &first.token, &Actor::User(first.user.clone()))
        .await
        .unwrap();
    assert!(
        auth::session(&context.app, &first.token)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        auth::session(&context.app, &second.token)
            .await
            .unwrap()
            .is_some()
    );
    context.clock.advance(auth::SESSION_DURATION);
    assert!(
        auth::session(&context.app, &second.token)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn only_admins_register_institutions_and_roles_see_their_scope() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let admin = admin(&context).await;
        let in_jiangning = institutions::create(
            &context.app,
            &admin,
            &enterprise("南京甲公司", CODE_A, "江宁区"),
        )
        .await
        .unwrap();
        let other_code = zijin_domain::CreditCode::complete("91320102MA1BBBBB0").unwrap();
        let in_xuanwu = institutions::create(
            &context.app,
            &admin,
            &enterprise("南京乙公司", other_code.as_str(), "玄武区"),
        )
        .await
        .unwrap();

        let reviewer = Actor::User(
            make_user(
                &context,
                &admin,
                "reviewer",
                "reviewer",
                "市科技局",
                "",
                None,
            )
            .await,
        );
        let officer = Actor::User(
            make_user(&context, &admin, "officer", "district", "", "江宁区", None).await,
        );
        let member = Actor::User(
            make_user(
                &context,
                &admin,
                "member",
                "institution",
                "",
                "",
                Some(in_jiangning.id),
            )
            .await,
        );

        let third = enterprise("南京丙公司", "91320106MA1CCCCC0", "鼓楼区");
        for actor in [&reviewer, &officer, &member, &Actor::Anonymous] {
            let result = institutions::create(&context.app, actor, &third).await;
            assert!(
                matches!(result, Err(AppError::Forbidden | AppError::Unauthenticated)),
                "{backend:?}: {result:?}"
            );
        }
        assert_eq!(
            institutions::list(&context.app, &ListFilter::default(), 1, 50)
                .await
                .unwrap()
                .total,
            2
        );

        // A district officer sees only their district, whatever the filter asks for.
        let asked_for_xuanwu = ListFilter {
            district: Some(District::Xuanwu),
            ..Default::default()
        };
        let seen = institutions::list_managed(&context.app, &officer, &asked_for_xuanwu, 1, 50)
            .await
            .unwrap();
        assert_eq!(
            seen.items.iter().map(|i| i.id).collect::<Vec<_>>(),
            vec![in_jiangning.id]
        );
        assert_eq!(
            institutions::list_managed(&context.app, &reviewer, &ListFilter::default(), 1, 50)
                .await
                .unwrap()
                .total,
            2
        );
        assert!(matches!(
            institutions::list_managed(&context.app, &member, &ListFilter::default(), 1, 50).await,
            Err(AppError::Forbidden)
        ));
        assert!(institutions::can_see_details(&officer, &in_jiangning));
        assert!(!institutions::can_see_details(&officer, &in_xuanwu));
        assert!(!institutions::can_see_details(
            &Actor::Anonymous,
            &in_xuanwu
        ));

        // An institution user edits its own profile, not another's.
        let profile = ("南京市江宁区秣陵街道", "李工", "13800000000", "新的简介");
        let updated = institutions::update_profile(&context.app, &member, in_jiangning.id, profile)
            .await
            .unwrap();
        assert_eq!(updated.details.profile.contact_name, "李工");
        let refused =
            institutions::update_profile(&context.app, &member, in_xuanwu.id, profile).await;
        assert!(
            matches!(refused, Err(AppError::Forbidden)),
            "{backend:?}: {refused:?}"
        );
        assert_eq!(
            institutions::get(&context.app, in_xuanwu.id)
                .await
                .unwrap()
                .details
                .profile
                .contact_name,
            ""
        );
    }
}

#[tokio::test]
async fn bad_institution_input_is_refused_and_writes_nothing() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let admin = admin(&context).await;
        institutions::create(
            &context.app,
            &admin,
            &enterprise("南京甲公司", CODE_A, "江宁区"),
        )
        .await
        .unwrap();
        let audit_before = zijin_app::audit::verify(&context.app)
            .await
            .unwrap()
            .entries_checked;

        let long_name = "长".repeat(101);
        let cases = [
            (
                enterprise("南京乙公司", "91350100M000100Y44", "江宁区"),
                "credit_code",
            ),
            (enterprise("南京乙公司", CODE_A, "江宁区"), "credit_code"),
            (
                enterprise(&long_name, "91320102MA1BBBBB0", "江宁区"),
                "name",
            ),
            (
                enterprise("南京乙公司", "91320102MA1BBBBB0", "朝阳区"),
                "district",
            ),
        ];
        for (input, field) in &cases {
            let error = institutions::create(&context.app, &admin, input)
                .await
                .unwrap_err();
            let fields = match &error {
                AppError::Validation(fields) | AppError::Duplicate(fields) => fields,
                other => panic!("{backend:?}: {other:?}"),
            };
            assert!(
                fields.get(field).is_some(),
                "{backend:?}: {field} in {fields}"
            );
        }
        assert_eq!(
            institutions::list(&context.app, &ListFilter::default(), 1, 50)
                .await
                .unwrap()
                .total,
            1
        );
        assert_eq!(
            zijin_app::audit::verify(&context.app)
                .await
                .unwrap()
                .entries_checked,
            audit_before
        );
    }
}

#[tokio::test]
async fn accounts_need_a_binding_that_fits_their_role() {
    for backend in BACKENDS {
        accounts_need_a_binding(backend).await;
    }
}

async fn accounts_need_a_binding(backend: zijin_app::Backend) {
    let context = TestContext::new(backend).await;
    let admin = admin(&context).await;
    let cases = [
        ("reviewer", "", "", None, "responsible_unit"),
        ("district", "", "", None, "district"),
        ("institution", "", "", Some(404), "institution_id"),
        ("superuser", "", "", None, "role"),
    ];
    for (role, unit, district, institution, field) in cases {
        let input = NewUserInput {
            username: "someone",
            display_name: "",
            password: "Secret-pass-1",
            role,
            responsible_unit: unit,
            district,
            institution_id: institution,
        };
        match users::create(&context.app, &admin, &input).await {
            Err(AppError::Validation(fields)) => {
                assert!(fields.get(field).is_some(), "{role}: {fields}")
            }
            other => panic!("{role}: {other:?}"),
        }
    }
    let reviewer = make_user(
        &context,
        &admin,
        "reviewer",
        "reviewer",
        "市委金融办",
        "",
        None,
    )
    .await;
    assert_eq!(
        reviewer.role,
        UserRole::Reviewer(zijin_domain::ResponsibleUnit::FinancialAffairsOffice)
    );
    let duplicate = NewUserInput {
        username: "reviewer",
        display_name: "",
        password: "Secret-pass-1",
        role: "admin",
        ..Default::default()
    };
    assert!(matches!(
        users::create(&context.app, &admin, &duplicate).await,
        Err(AppError::Duplicate(_))
    ));
    assert!(matches!(
        users::create(&context.app, &Actor::User(reviewer), &duplicate).await,
        Err(AppError::Forbidden)
    ));
}

#[tokio::test]
async fn demo_data_is_deterministic_and_complete() {
    let mut snapshots = Vec::new();
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let summary = demo::seed(&context.app, 1, &|_, _| {}).await.unwrap();
        assert!(summary.seeded);
        let all = institutions::list(&context.app, &ListFilter::default(), 1, 200)
            .await
            .unwrap();
        let mut everything = all.items.clone();
        everything.extend(
            institutions::list(&context.app, &ListFilter::default(), 2, 200)
                .await
                .unwrap()
                .items,
        );
        let real: Vec<_> = everything.iter().filter(|i| !i.is_demo).collect();
        let enterprises = everything
            .iter()
            .filter(|i| i.is_demo && i.details.kind == InstitutionType::Enterprise)
            .count();
        assert!(real.len() >= 30, "{} real institutions", real.len());
        assert!(real.iter().any(|i| i.details.name == "紫金山实验室"));
        assert!(enterprises >= 200);
        for district in District::ALL {
            assert!(
                everything
                    .iter()
                    .any(|i| i.details.kind == InstitutionType::Enterprise
                        && i.details.district == *district),
                "no enterprise in {}",
                district.label()
            );
        }
        // One account per role, each able to log in with the printed password.
        let mut roles: Vec<_> = summary.accounts.iter().map(|a| a.role.code()).collect();
        roles.dedup();
        assert_eq!(
            roles,
            vec![
                "admin",
                "reviewer",
                "district",
                "institution",
                "contract-registrar"
            ]
        );
        // Two years of registered contracts, so the statistics and the ranking show something.
        let statistics =
            zijin_app::contracts::stats::statistics(&context.app, &Actor::Anonymous, None, None)
                .await
                .unwrap();
        assert_eq!(statistics.years.len(), 2, "{:?}", statistics.years);
        assert!(statistics.total.contracts > 100);
        for account in &summary.accounts {
            auth::login(
                &context.app,
                &account.username,
                DEMO_PASSWORD,
                &zijin_app::auth::ClientAddress::local(),
            )
            .await
            .unwrap();
        }
        // A second run leaves the data alone.
        let again = demo::seed(&context.app, 1, &|_, _| {}).await.unwrap();
        assert!(!again.seeded);
        assert_eq!(again.accounts.len(), summary.accounts.len());
        snapshots.push(
            everything
                .iter()
                .map(|i| {
                    (
                        i.details.name.clone(),
                        i.details.credit_code.to_string(),
                        i.details.tags.clone(),
                    )
                })
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(
        snapshots[0], snapshots[1],
        "the same demo data on both backends"
    );
}

#[tokio::test]
async fn scale_multiplies_the_enterprises() {
    for backend in BACKENDS {
        scale_multiplies(backend).await;
    }
}

async fn scale_multiplies(backend: zijin_app::Backend) {
    let context = TestContext::new(backend).await;
    let reports = std::sync::Mutex::new(Vec::new());
    let summary = demo::seed(&context.app, 3, &|done, total| {
        reports.lock().unwrap().push((done, total))
    })
    .await
    .unwrap();
    let reports = reports.into_inner().unwrap();
    assert!(reports.len() > 1, "progress is reported batch by batch");
    assert_eq!(
        reports.last(),
        Some(&(summary.institutions, summary.institutions))
    );
    let enterprises = institutions::list(
        &context.app,
        &ListFilter {
            kind: Some(InstitutionType::Enterprise),
            ..Default::default()
        },
        1,
        1,
    )
    .await
    .unwrap()
    .total;
    assert_eq!(enterprises, 600);
    assert_eq!(
        summary.institutions as i64,
        600 + demo::real_institution_count() as i64 + 8
    );
}

#[path = "integration/api_keys.rs"]
mod api_keys;
#[path = "integration/application_review.rs"]
mod application_review;
#[path = "integration/applications.rs"]
mod applications;
#[path = "integration/carrier_evaluation.rs"]
mod carrier_evaluation;
#[path = "integration/carriers.rs"]
mod carriers;
#[path = "integration/catalogue.rs"]
mod catalogue;
#[path = "integration/contract_awards.rs"]
mod contract_awards;
#[path = "integration/contracts.rs"]
mod contracts;
#[path = "integration/deal.rs"]
mod deal;
#[path = "integration/exchange.rs"]
mod exchange;
#[path = "integration/exports.rs"]
mod exports;
#[path = "integration/hostile_files.rs"]
mod hostile_files;
#[path = "integration/mail.rs"]
mod mail;
#[path = "integration/matchmaking.rs"]
mod matchmaking;
#[path = "integration/queue.rs"]
mod queue;
#[path = "integration/semantic.rs"]
mod semantic;
#[path = "integration/tech_managers.rs"]
mod tech_managers;
#[path = "integration/two_lists.rs"]
mod two_lists;
#[path = "integration/white_list.rs"]
mod white_list;
