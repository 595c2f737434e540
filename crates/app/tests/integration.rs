//! Use-case tests: permissions, login lock-out, demo data. Each runs on both backends.

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

#[tokio::test]
async fn five_failed_logins_lock_the_account_for_fifteen_minutes() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        admin(&context).await;
        for attempt in 1..=4 {
            let result = auth::login(&context.app, "admin", "wrong-password-1").await;
            assert!(
                matches!(result, Err(AppError::LoginFailed)),
                "{backend:?} attempt {attempt}: {result:?}"
            );
        }
        let fifth = auth::login(&context.app, "admin", "wrong-password-1").await;
        assert!(
            matches!(fifth, Err(AppError::AccountLocked { .. })),
            "{backend:?}: {fifth:?}"
        );
        // While locked, even the right password is refused.
        context.clock.advance(Duration::minutes(14));
        let locked = auth::login(&context.app, "admin", "Admin-pass-1").await;
        assert!(
            matches!(locked, Err(AppError::AccountLocked { .. })),
            "{backend:?}: {locked:?}"
        );
        context
            .clock
            .advance(Duration::minutes(1) + Duration::seconds(1));
        let session = auth::login(&context.app, "admin", "Admin-pass-1")
            .await
            .unwrap();
        assert_eq!(session.user.username, "admin");
        assert!(
            auth::session(&context.app, &session.token)
                .await
                .unwrap()
                .is_some()
        );
        // The lock was audited.
        let verification = zijin_app::audit::verify(&context.app).await.unwrap();
        assert_eq!(verification.first_breach, None);
        let locks = zijin_app::audit::list(
            &context.app,
            &Actor::User(session.user.clone()),
            &zijin_store::audit::ListFilter {
                action: Some("user.lock".into()),
                ..Default::default()
            },
            1,
            10,
        )
        .await
        .unwrap();
        assert_eq!(locks.total, 1);
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
    let unknown = auth::login(&context.app, "nobody", "whatever-1")
        .await
        .unwrap_err();
    let wrong = auth::login(&context.app, "admin", "whatever-1")
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
    let first = auth::login(&context.app, "admin", "Admin-pass-1")
        .await
        .unwrap();
    let second = auth::login(&context.app, "admin", "Admin-pass-1")
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
        assert_eq!(roles, vec!["admin", "reviewer", "district", "institution"]);
        for account in &summary.accounts {
            auth::login(&context.app, &account.username, DEMO_PASSWORD)
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
        600 + demo::real_institution_count() as i64 + 7
    );
}

#[path = "integration/exchange.rs"]
mod exchange;
#[path = "integration/hostile_files.rs"]
mod hostile_files;
#[path = "integration/matchmaking.rs"]
mod matchmaking;
#[path = "integration/semantic.rs"]
mod semantic;
#[path = "integration/two_lists.rs"]
mod two_lists;
