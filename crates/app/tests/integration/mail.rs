//! E-mail reminders (issue 16, optional): messages of the notification centre are mailed to the
//! accounts they reach that entered an address, through a real SMTP client talking to a local
//! sink started by the test, on both backends — once each, never twice (also when two
//! processes deliver at the same moment), failures retried a bounded number of times, and
//! nothing older than a day mailed when mail is switched on.

use chrono::Duration;
use zijin_app::mail::{self, MAX_ATTEMPTS, Mailer};
use zijin_app::{Actor, AppError, users};
use zijin_domain::UserRole;
use zijin_store::notifications;
use zijin_testkit::smtp_sink::SmtpSink;
use zijin_testkit::{BACKENDS, TestContext};

use super::two_lists::people;

const FROM: &str = "紫金平台 <noreply@kjcg.example.gov.cn>";
const SITE: &str = "https://kjcg.example.gov.cn/";

fn institution_of(actor: &Actor) -> i64 {
    match actor.user().unwrap().role {
        UserRole::InstitutionUser(id) => id,
        ref other => panic!("not an institution user: {other:?}"),
    }
}

async fn message_to_user(context: &TestContext, user: i64, text: &str, link: &str) {
    let at = zijin_store::timestamp(context.app.now());
    let mut tx = context.app.store().begin_write().await.unwrap();
    notifications::notify_user(&mut tx, user, text, link, &at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn messages_are_mailed_once_to_accounts_with_an_address() {
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let app = &context.app;
        let p = people(&context).await;
        let sink = SmtpSink::start().await;
        let mailer = Mailer::new(&sink.url(), FROM, SITE).unwrap();

        // An address is checked, in Chinese, and can be removed again.
        let refused = users::set_own_email(app, &p.university, "zhangsan@").await;
        match refused {
            Err(AppError::Validation(errors)) => {
                let text = errors.iter().map(|e| e.message.clone()).collect::<String>();
                assert!(text.contains("请填写有效的电子邮箱"), "{backend:?}: {text}");
            }
            other => panic!("{backend:?}: {other:?}"),
        }
        assert_eq!(
            users::set_own_email(app, &p.university, " keyanchu@njtest.edu.cn ")
                .await
                .unwrap()
                .as_deref(),
            Some("keyanchu@njtest.edu.cn")
        );
        assert_eq!(
            users::own_email(app, &p.university)
                .await
                .unwrap()
                .as_deref(),
            Some("keyanchu@njtest.edu.cn")
        );
        users::set_own_email(app, &p.enterprise, "boss@njtest-tech.com")
            .await
            .unwrap();
        users::set_own_email(app, &p.enterprise, "").await.unwrap();
        assert_eq!(users::own_email(app, &p.enterprise).await.unwrap(), None);

        // A message from two days ago, before mail was on: never mailed.
        let university = p.university.user().unwrap().id;
        message_to_user(&context, university, "很久以前的消息", "/old").await;
        context.clock.advance(Duration::days(2));
        // Three new messages: to the university user, to the university (its users with an
        // address get it), and to the enterprise user, who has no address.
        message_to_user(
            &context,
            university,
            "您的申报“2026年度赋权改革资助”已通过区级初审推荐",
            "/applications/7",
        )
        .await;
        {
            let at = zijin_store::timestamp(app.now());
            let mut tx = app.store().begin_write().await.unwrap();
            notifications::notify(
                &mut tx,
                institution_of(&p.university),
                "需求方对您的成果表达了对接意向",
                "/matches/3",
                &at,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        message_to_user(
            &context,
            p.enterprise.user().unwrap().id,
            "企业的消息",
            "/matches/4",
        )
        .await;

        let round = mail::deliver_pending(app, &mailer).await.unwrap();
        assert_eq!(
            (round.claimed, round.sent, round.failed),
            (3, 2, 0),
            "{backend:?}"
        );
        let mails = sink.messages();
        assert_eq!(mails.len(), 2, "{backend:?}");
        for mail in &mails {
            assert_eq!(mail.to, vec!["keyanchu@njtest.edu.cn".to_string()]);
            assert_eq!(mail.from, "noreply@kjcg.example.gov.cn");
            assert!(mail.header("Subject").is_some());
        }
        let first = mails[0].body_text();
        assert!(
            first.contains("您的申报“2026年度赋权改革资助”已通过区级初审推荐"),
            "{first}"
        );
        assert!(
            first.contains("https://kjcg.example.gov.cn/applications/7"),
            "{first}"
        );
        assert!(
            mails[1]
                .body_text()
                .contains("https://kjcg.example.gov.cn/matches/3")
        );
        assert!(!mails.iter().any(|m| m.body_text().contains("很久以前")));

        // Nothing is mailed twice.
        let again = mail::deliver_pending(app, &mailer).await.unwrap();
        assert_eq!(again.claimed, 0, "{backend:?}");
        assert_eq!(sink.messages().len(), 2);

        // Two processes delivering at the same moment share the messages: ten messages,
        // ten mails, none twice.
        for n in 0..10 {
            message_to_user(
                &context,
                university,
                &format!("批量消息{n}"),
                "/notifications",
            )
            .await;
        }
        let second_process = app.clone();
        let second_mailer = mailer.clone();
        let (a, b) = tokio::join!(
            mail::deliver_pending(app, &mailer),
            mail::deliver_pending(&second_process, &second_mailer)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.claimed + b.claimed, 10, "{backend:?}: {a:?} {b:?}");
        let mut texts: Vec<String> = sink.messages()[2..].iter().map(|m| m.body_text()).collect();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), 10, "{backend:?}");

        // A server that does not answer: the message is tried again, MAX_ATTEMPTS times in all,
        // then given up; nothing reaches the sink.
        let nobody = Mailer::new("smtp://127.0.0.1:9", FROM, SITE).unwrap();
        message_to_user(&context, university, "发送失败的消息", "/notifications").await;
        for attempt in 1..=MAX_ATTEMPTS {
            let round = mail::deliver_pending(app, &nobody).await.unwrap();
            assert_eq!(
                (round.claimed, round.failed),
                (1, 1),
                "{backend:?}: attempt {attempt}"
            );
        }
        let given_up = mail::deliver_pending(app, &nobody).await.unwrap();
        assert_eq!(given_up.claimed, 0, "{backend:?}");
        assert_eq!(sink.messages().len(), 12);
    }
}

#[tokio::test]
async fn a_wrong_smtp_url_or_sender_is_refused_in_words() {
    let error = Mailer::new("http://mail.example.com", FROM, SITE).unwrap_err();
    assert!(error.contains("--smtp-url"), "{error}");
    let error = Mailer::new("smtp://127.0.0.1:25", "不是地址", SITE).unwrap_err();
    assert!(error.contains("--smtp-from"), "{error}");
}
