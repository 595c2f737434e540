//! `zijin user passwd|unlock|disable|enable`: an admin who is locked out, or has forgotten the
//! password, is helped from the command line.

use std::sync::Arc;

use zijin_app::auth::{self, ClientAddress};
use zijin_app::{App, AppError, SystemClock};

use super::*;

#[tokio::test]
async fn accounts_are_helped_from_the_command_line() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let add = |password: &str| {
            zijin(
                &database,
                &[
                    "user",
                    "add",
                    "--role",
                    "admin",
                    "--username",
                    "chief",
                    "--password-stdin",
                ],
                &format!("{password}\n"),
            )
        };
        let weak = add("password1");
        assert_eq!(weak.status.code(), Some(2), "{backend:?}");
        assert!(
            text(&weak.stderr).contains("至少需要10个字符"),
            "{}",
            text(&weak.stderr)
        );
        assert!(add("Chief-pass-2026").status.success(), "{backend:?}");

        let app = App::new(database.store.clone(), Arc::new(SystemClock));
        let attacker = ClientAddress::from_ip(Some("203.0.113.9".parse().unwrap()));
        for _ in 0..5 {
            let _ = auth::login(&app, "chief", "Wrong-pass-2026", &attacker).await;
        }
        assert!(matches!(
            auth::login(&app, "chief", "Chief-pass-2026", &attacker).await,
            Err(AppError::LoginThrottled { .. })
        ));
        let unlock = zijin(&database, &["user", "unlock", "chief"], "");
        assert!(unlock.status.success(), "{}", text(&unlock.stderr));
        assert!(text(&unlock.stdout).contains("已解除用户 chief 的登录限制"));
        let session = auth::login(&app, "chief", "Chief-pass-2026", &attacker)
            .await
            .unwrap();

        let common = zijin(&database, &["user", "passwd", "chief"], "qwertyuiop\n");
        assert_eq!(common.status.code(), Some(2));
        assert!(
            text(&common.stderr).contains("过于常见"),
            "{}",
            text(&common.stderr)
        );
        let passwd = zijin(&database, &["user", "passwd", "chief"], "Another-chief-7\n");
        assert!(passwd.status.success(), "{}", text(&passwd.stderr));
        // The new password ended the session opened with the old one.
        assert!(auth::session(&app, &session.token).await.unwrap().is_none());
        let here = ClientAddress::local();
        auth::login(&app, "chief", "Another-chief-7", &here)
            .await
            .unwrap();

        assert!(
            zijin(&database, &["user", "disable", "chief"], "")
                .status
                .success()
        );
        assert!(matches!(
            auth::login(&app, "chief", "Another-chief-7", &here).await,
            Err(AppError::AccountDisabled)
        ));
        assert!(
            zijin(&database, &["user", "enable", "chief"], "")
                .status
                .success()
        );
        auth::login(&app, "chief", "Another-chief-7", &here)
            .await
            .unwrap();

        // 技术经理人: flagged and unflagged from the command line, audited.
        let flag = zijin(&database, &["user", "tech-manager", "chief"], "");
        assert!(flag.status.success(), "{}", text(&flag.stderr));
        assert!(text(&flag.stdout).contains("已将用户 chief 登记为技术经理人"));
        let chief = zijin_app::users::by_username(&app, &zijin_app::Actor::System("test"), "chief")
            .await
            .unwrap();
        assert!(chief.is_tech_manager, "{backend:?}");
        let unflag = zijin(&database, &["user", "tech-manager", "chief", "--off"], "");
        assert!(unflag.status.success(), "{}", text(&unflag.stderr));
        let chief = zijin_app::users::by_username(&app, &zijin_app::Actor::System("test"), "chief")
            .await
            .unwrap();
        assert!(!chief.is_tech_manager);

        let unknown = zijin(&database, &["user", "unlock", "nobody"], "");
        assert!(!unknown.status.success());
        assert!(
            text(&unknown.stderr).contains("未找到用户"),
            "{}",
            text(&unknown.stderr)
        );
    }
}
