//! Carriers (issue 19), on both backends: recognition respects the type's quota also when two
//! recognitions arrive at once; an institution has at most one recognised carrier of a type;
//! the directory lists them by type and district.

use zijin_app::{Actor, AppError, carriers};
use zijin_testkit::{BACKENDS, TestContext};

use super::contracts::{code, institution};

/// Eleven institutions' credit codes (two districts).
async fn institutions(context: &TestContext) -> Vec<String> {
    let mut codes = Vec::new();
    for n in 0..11 {
        let credit = code(&format!("12320115MB1{n:05}0"));
        let district = if n % 2 == 0 { "江宁区" } else { "玄武区" };
        institution(
            context,
            &format!("测试研究院{n}"),
            "科研院所",
            &credit,
            district,
        )
        .await;
        codes.push(credit);
    }
    codes
}

fn refusal(error: AppError) -> String {
    match error {
        AppError::WrongState(reason) => reason,
        other => panic!("expected a refusal with its reason, got {other:?}"),
    }
}

#[tokio::test]
async fn recognitions_stay_within_the_quota_when_they_arrive_at_once() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = &context.app;
        let admin = Actor::System("test");
        let codes = institutions(&context).await;
        // 概念验证中心: 10 (art. 10). Eight recognised one by one.
        for credit in &codes[..8] {
            carriers::recognise(app, &admin, credit, "概念验证中心", "")
                .await
                .unwrap();
        }
        // One institution, one carrier of a type.
        let twice = carriers::recognise(app, &admin, &codes[0], "poc-center", "第二中心")
            .await
            .unwrap_err();
        assert!(refusal(twice).contains("已有一个已认定的概念验证中心"));
        // Three at once for the last two places: two land, one is refused with the reason.
        let (a, b, c) = tokio::join!(
            carriers::recognise(app, &admin, &codes[8], "poc-center", ""),
            carriers::recognise(app, &admin, &codes[9], "poc-center", ""),
            carriers::recognise(app, &admin, &codes[10], "poc-center", ""),
        );
        let refused: Vec<String> = [a, b, c]
            .into_iter()
            .filter_map(|r| r.err())
            .map(refusal)
            .collect();
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(
            refused[0].contains("名额已满") && refused[0].contains("第10条"),
            "{}",
            refused[0]
        );
        let directory = carriers::directory(app, None).await.unwrap();
        let poc = directory
            .iter()
            .find(|t| t.kind.code == "poc-center")
            .unwrap();
        assert_eq!(poc.carriers.len(), 10);
        assert_eq!(poc.carriers[0].name, "测试研究院0概念验证中心");
        // A withdrawal (reason and confirmation required) frees a place, and the institution
        // hears of it.
        let first = poc.carriers[0].id;
        assert!(matches!(
            carriers::withdraw(app, &admin, first, "", true).await,
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            carriers::withdraw(app, &admin, first, "连续两年考核不合格", false).await,
            Err(AppError::Validation(_))
        ));
        carriers::withdraw(app, &admin, first, "连续两年考核不合格", true)
            .await
            .unwrap();
        assert!(
            refusal(
                carriers::withdraw(app, &admin, first, "再次撤销", true)
                    .await
                    .unwrap_err()
            )
            .contains("已撤销")
        );
        // The one of the three refused for want of a place gets it now; the other two
        // already have theirs.
        let mut landed = 0;
        for credit in &codes[8..] {
            if carriers::recognise(app, &admin, credit, "poc-center", "")
                .await
                .is_ok()
            {
                landed += 1;
            }
        }
        assert_eq!(landed, 1);
        let notices: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE message LIKE '%撤销认定%'",
        )
        .fetch_one(app.store().pool())
        .await
        .unwrap();
        assert_eq!(notices, 1);
        // A type without a quota takes the eleventh; an unknown type is named as such.
        carriers::recognise(app, &admin, &codes[10], "科技服务机构", "")
            .await
            .unwrap();
        assert!(matches!(
            carriers::recognise(app, &admin, &codes[10], "孵化园", "").await,
            Err(AppError::Validation(_))
        ));
        let jiangning = carriers::directory(app, Some("jiangning")).await.unwrap();
        let poc = jiangning
            .iter()
            .find(|t| t.kind.code == "poc-center")
            .unwrap();
        assert!(poc.carriers.iter().all(|c| c.district == "jiangning"));
        assert!(!poc.carriers.is_empty() && poc.carriers.len() < 10);
        let all = carriers::directory(app, None).await.unwrap();
        let poc = all.iter().find(|t| t.kind.code == "poc-center").unwrap();
        assert_eq!(
            poc.carriers.len(),
            10,
            "still within the quota after the exit"
        );
        // Only the bureau recognises.
        let visitor = carriers::recognise(app, &Actor::Anonymous, &codes[10], "中试平台", "").await;
        assert!(visitor.is_err());
    }
}
