//! 企业融资白名单 (art. 15, issue 19), on both backends: the criteria select enterprises from the
//! platform's data (a qualification tag, registered contracts of the year before, an incubatee
//! of a recognised carrier); the bureau confirms; a 金融机构 user reads the list with each
//! enterprise's profile, other institutions may not.

use zijin_app::{AppError, carriers, institutions, white_list};
use zijin_domain::InstitutionInput;
use zijin_testkit::BACKENDS;

use super::contracts::{HEADER, account, code, institution, row, world};

#[tokio::test]
async fn the_white_list_is_computed_from_the_platform_confirmed_and_read_by_banks() {
    for backend in BACKENDS {
        let w = world(backend).await;
        let app = &w.context.app;
        let admin = &w.admin;
        // A high-tech enterprise, one that traded 1,200,000 of technology last year, one that is
        // an incubator's incubatee, and one that meets nothing.
        let tagged = institutions::create(
            app,
            admin,
            &InstitutionInput {
                name: "南京高新示范有限公司",
                kind: "企业",
                credit_code: &code("91320115MA1HT0000"),
                district: "江宁区",
                tags: &["高新技术企业".to_string()],
                contact_phone: "025-84000001",
                description: "智能传感器研发生产",
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
        let trader_code = code("91320115MA1TR0000");
        institution(
            &w.context,
            "南京交易活跃有限公司",
            "企业",
            &trader_code,
            "江宁区",
        )
        .await;
        let incubatee_code = code("91320115MA1GN0000");
        institution(
            &w.context,
            "南京孵化新星有限公司",
            "企业",
            &incubatee_code,
            "江宁区",
        )
        .await;
        institution(
            &w.context,
            "南京普通贸易有限公司",
            "企业",
            &code("91320115MA1PL0000"),
            "江宁区",
        )
        .await;
        let file = [
            HEADER.to_string(),
            row(
                "2025320102000401",
                ("南京交易活跃有限公司", &trader_code, "150"),
                "技术开发",
                "320115",
                ("1500000", "1200000"),
                "2025-05-01",
            ),
        ]
        .join("\n");
        zijin_app::contracts::import::import(app, admin, file.as_bytes(), &|_, _| {})
            .await
            .unwrap();
        let incubator = carriers::recognise(app, admin, &w.university_code, "大学科技园", "")
            .await
            .unwrap();
        // Only the carrier's institution registers its incubatees, and only enterprises.
        let elsewhere = institution(
            &w.context,
            "别的研究院",
            "科研院所",
            &code("12320115MB1YYYYY0"),
            "江宁区",
        )
        .await;
        let stranger = account(&w.context, "stranger", "institution", Some(elsewhere)).await;
        assert!(matches!(
            white_list::add_incubatee(app, &stranger, incubator, &incubatee_code).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            white_list::add_incubatee(app, &w.seller, incubator, &code("12320115MB1YYYYY0")).await,
            Err(AppError::Validation(_))
        ));
        // A valid code no institution holds names nothing to register (404).
        assert!(matches!(
            white_list::add_incubatee(app, &w.seller, incubator, &code("91320106MA1QQQQQ0")).await,
            Err(AppError::NotFound(_))
        ));
        white_list::add_incubatee(app, &w.seller, incubator, &incubatee_code)
            .await
            .unwrap();
        assert!(matches!(
            white_list::add_incubatee(app, &w.seller, incubator, &incubatee_code).await,
            Err(AppError::WrongState(_))
        ));

        let found = white_list::candidates(app, admin).await.unwrap();
        let names: Vec<(&str, &Vec<String>)> = found
            .iter()
            .map(|c| (c.institution.details.name.as_str(), &c.met))
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        let met = |name: &str| {
            names
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, m)| m.join("；"))
                .unwrap_or_default()
        };
        assert_eq!(met("南京高新示范有限公司"), "高新技术企业");
        assert!(met("南京交易活跃有限公司").contains("不少于 100 万元"));
        assert_eq!(met("南京孵化新星有限公司"), "经认定载体的在孵企业");
        assert!(met("南京普通贸易有限公司").is_empty());
        // Nobody reads a list before the bureau confirms one; then a bank's user reads it.
        let bank = institution(
            &w.context,
            "南京测试银行科技支行",
            "金融机构",
            &code("91320100MA1BK0000"),
            "玄武区",
        )
        .await;
        let banker = account(&w.context, "banker", "institution", Some(bank)).await;
        assert!(white_list::latest(app, &banker).await.unwrap().is_none());
        assert!(matches!(
            white_list::confirm(app, admin, false).await,
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            white_list::confirm(app, &banker, true).await,
            Err(AppError::Forbidden)
        ));
        white_list::confirm(app, admin, true).await.unwrap();
        let list = white_list::latest(app, &banker).await.unwrap().unwrap();
        assert_eq!(list.data_year, 2025);
        assert_eq!(list.entries.len(), 3);
        let profile = list
            .entries
            .iter()
            .find(|e| e.institution.id == tagged)
            .unwrap();
        assert_eq!(
            profile.institution.details.profile.description,
            "智能传感器研发生产"
        );
        assert!(matches!(
            white_list::latest(app, &w.seller).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            white_list::latest(app, &zijin_app::Actor::Anonymous).await,
            Err(AppError::Unauthenticated)
        ));
    }
}
