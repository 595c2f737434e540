//! 创新产品应用推荐目录 (art. 9, issue 19), on both backends: applications are checked field by
//! field; approved products are published as one frozen batch with the single-source flag for
//! products first marketed within three years; two publications at once make one batch.

use zijin_app::catalogue::{self, ProductInput};
use zijin_app::{Actor, AppError};
use zijin_testkit::BACKENDS;

use super::contracts::{account, code, institution, world};

fn product(name: &str, first: &str) -> ProductInput {
    ProductInput {
        name: name.into(),
        field: "新能源".into(),
        first_market_on: first.into(),
        certificates: vec![
            "检测报告（CNAS）".into(),
            "首台（套）重大技术装备认定证书".into(),
        ],
        description: "低温环境下循环寿命提高一倍的储能电池管理系统。".into(),
    }
}

#[tokio::test]
async fn approved_products_are_published_as_a_frozen_batch_with_the_single_source_flag() {
    for backend in BACKENDS {
        let w = world(backend).await;
        let app = &w.context.app;
        let admin = &w.admin;
        let company = institution(
            &w.context,
            "南京储能科技有限公司",
            "企业",
            &code("91320115MA1XXXXX0"),
            "江宁区",
        )
        .await;
        let staff = account(&w.context, "company-staff", "institution", Some(company)).await;
        // Every problem named by its field, in words.
        let AppError::Validation(errors) = catalogue::apply(
            app,
            &staff,
            &ProductInput {
                name: String::new(),
                field: "不存在的领域".into(),
                first_market_on: "2099-01-01".into(),
                certificates: vec![],
                description: String::new(),
            },
        )
        .await
        .unwrap_err() else {
            panic!("expected field errors")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "field",
                "first_market_on",
                "certificates",
                "description"
            ]
        );
        assert!(errors.iter().any(|e| e.message.contains("不能晚于今天")));
        // Today is 2026-11-28: first marketed 2024-03-01 is within three years, 2022-05-01 not.
        let recent = catalogue::apply(app, &staff, &product("储能电池管理系统", "2024-03-01"))
            .await
            .unwrap();
        let older = catalogue::apply(app, &staff, &product("光伏逆变器", "2022-05-01"))
            .await
            .unwrap();
        let refused = catalogue::apply(app, &staff, &product("普通充电桩", "2025-01-01"))
            .await
            .unwrap();
        // Only the bureau decides; a refusal needs its reason.
        assert!(matches!(
            catalogue::decide(app, &staff, recent, true, "").await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            catalogue::decide(app, admin, refused, false, "").await,
            Err(AppError::Validation(_))
        ));
        catalogue::decide(app, admin, refused, false, "创新性不足")
            .await
            .unwrap();
        catalogue::decide(app, admin, recent, true, "")
            .await
            .unwrap();
        catalogue::decide(app, admin, older, true, "")
            .await
            .unwrap();
        assert!(matches!(
            catalogue::decide(app, admin, older, false, "改主意").await,
            Err(AppError::WrongState(_))
        ));
        assert!(matches!(
            catalogue::publish(app, admin, false).await,
            Err(AppError::Validation(_))
        ));
        // Two publications at once: one batch with both products; the other is told.
        let (a, b) = tokio::join!(
            catalogue::publish(app, admin, true),
            catalogue::publish(app, admin, true)
        );
        let outcomes = [a, b];
        assert_eq!(
            outcomes.iter().filter(|r| r.is_ok()).count(),
            1,
            "{outcomes:?}"
        );
        let id = *outcomes.iter().find_map(|r| r.as_ref().ok()).unwrap();
        let batch = catalogue::batch(app, id).await.unwrap();
        assert_eq!(batch.catalogue.title, "南京市创新产品应用推荐目录（第1批）");
        let listed: Vec<(&str, bool)> = batch
            .entries
            .iter()
            .map(|(e, single)| (e.name.as_str(), *single))
            .collect();
        assert_eq!(listed, [("储能电池管理系统", true), ("光伏逆变器", false)]);
        assert_eq!(batch.entries[0].0.company, "南京储能科技有限公司");
        assert_eq!(batch.entries[0].0.district, "江宁区");
        // Nothing left to publish; the batch is downloadable.
        assert!(matches!(
            catalogue::publish(app, admin, true).await,
            Err(AppError::WrongState(_))
        ));
        let pdf = catalogue::export_pdf(&batch).await.unwrap();
        let text = zijin_testkit::pdf_text(&pdf);
        assert!(
            text.contains("创新产品应用推荐目录") && text.contains("储能电池管理系统"),
            "{text}"
        );
        assert!(catalogue::export_xlsx(&batch).unwrap().starts_with(b"PK"));
        // The applicant sees where its products stand; an anonymous visitor sees none.
        let own = catalogue::products(app, &staff).await.unwrap();
        assert_eq!(own.iter().filter(|p| p.catalogue_id == Some(id)).count(), 2);
        assert!(catalogue::products(app, &Actor::Anonymous).await.is_err());
    }
}
