//! Demo calls that ran before today (issue 16), so a visitor sees the whole path at once: one
//! whose 拟支持名单 is in 公示 now with an objection waiting for the bureau's ruling, and one
//! that was noticed, batched and paid. Each is told through the same use cases, on a clock set
//! to the day each step happened (the audit log and history carry those days).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use zijin_domain::{District, InstitutionDetails};

use super::applications::{
    DOCUMENTS, DemoActors, attach, decision, district_officer, expert_review, finance_reviewer,
    rubric,
};
use crate::applications::{ApplicationInput, CallInput, calls, filing, notice, payments, review};
use crate::{Actor, App, AppError, AppResult, ManualClock};

/// How far a past call went.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reached {
    /// Its notice is open today, with an objection not yet ruled.
    Notice,
    /// Its notice ended, the batch was exported and every payment marked 已拨付.
    Paid,
}

/// The platform as it was `days_ago` days before `now`, at 10:00 Beijing time.
fn back_then(app: &App, now: DateTime<Utc>, days_ago: i64) -> (App, Arc<ManualClock>) {
    let day = (now - Duration::days(days_ago)).date_naive();
    let at = day.and_hms_opt(2, 0, 0).map_or(now, |t| t.and_utc());
    let clock = Arc::new(ManualClock::new(at));
    (app.clone().with_clock(clock.clone()), clock)
}

pub(super) async fn seed(
    app: &App,
    people: &DemoActors<'_>,
    institutions: &[(i64, InstitutionDetails)],
) -> AppResult<()> {
    let now = app.now();
    for (reached, started) in [(Reached::Paid, 60), (Reached::Notice, 12)] {
        match run(app, people, institutions, now, reached, started).await {
            Ok(()) => {}
            // A year the working-day calendar does not hold: no call rather than a guess.
            Err(AppError::Validation(errors)) => {
                let reasons: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
                tracing::warn!(reasons = %reasons.join("；"), "演示往期申报通知未生成");
            }
            Err(AppError::WrongState(reason)) => {
                tracing::warn!(%reason, "演示往期申报通知未走完");
            }
            Err(other) => return Err(other),
        }
    }
    Ok(())
}

fn district_of(institutions: &[(i64, InstitutionDetails)], who: &Actor) -> District {
    institutions
        .iter()
        .find(|(i, _)| Some(*i) == crate::access::own_institution_id(who))
        .map_or(District::Jiangning, |(_, d)| d.district)
}

async fn run(
    app: &App,
    people: &DemoActors<'_>,
    institutions: &[(i64, InstitutionDetails)],
    now: DateTime<Utc>,
    reached: Reached,
    started: i64,
) -> AppResult<()> {
    let (then, clock) = back_then(app, now, started);
    let day = |d: i64| {
        (now - Duration::days(started - d) + Duration::hours(8))
            .format("%Y-%m-%dT%H:%M:%S+08:00")
            .to_string()
    };
    let (title, year_part) = match reached {
        Reached::Paid => (
            "关于组织申报2026年度第一批科技保险保费补贴和赋权改革资助的通知",
            "第一批",
        ),
        Reached::Notice => (
            "关于组织申报2026年度第二批科技保险保费补贴和赋权改革资助的通知",
            "第二批",
        ),
    };
    let input = CallInput {
        title: title.into(),
        guidance: format!(
            "本批次（{year_part}）支持科技保险保费补贴和职务科技成果赋权改革资助。申报单位在线填报、上传材料，\
             经区级初审推荐、责任单位审核、专家评审和市级核定后，拟支持名单公示 5 个工作日。"
        ),
        measures: vec!["a15-insurance".into(), "a18-empowerment".into()],
        opens: day(-1),
        closes: day(6),
        budgets: BTreeMap::from([
            ("a15-insurance".to_string(), "500000".to_string()),
            ("a18-empowerment".to_string(), "1000000".to_string()),
        ]),
        attachments: DOCUMENTS.iter().map(|d| d.to_string()).collect(),
        expert_review: true,
        rubric: rubric(),
        ..Default::default()
    };
    let call = calls::create(&then, people.admin, &input).await?.call.id;

    // The university for 赋权改革 and the enterprise for 科技保险, each with its documents.
    let filed = [
        (
            people.university,
            "a18-empowerment",
            serde_json::json!({ "pilot_unit": true, "empowered_count": 2 }),
            "中国工商银行南京汉口路支行",
            "4301 0112 0900 0012 345",
        ),
        (
            people.enterprise,
            "a15-insurance",
            serde_json::json!({ "premium": "60000", "enterprise_tags": ["高新技术企业"] }),
            "中国银行南京江宁开发区支行",
            "5366 0123 4567 8901",
        ),
    ];
    let mut ids = Vec::new();
    for (who, measure, facts, bank, number) in filed {
        let institution = institutions
            .iter()
            .find(|(i, _)| Some(*i) == crate::access::own_institution_id(who))
            .map(|(_, d)| d.name.clone())
            .unwrap_or_default();
        let input = ApplicationInput {
            call,
            measure: measure.into(),
            facts: facts.as_object().cloned().unwrap_or_default(),
            integrity_accepted: true,
            bank_name: bank.into(),
            bank_account: number.into(),
            account_name: institution,
        };
        let id = filing::draft(&then, who, &input).await?.application.id;
        attach(&then, who, id, DOCUMENTS).await?;
        filing::submit(&then, who, id).await?;
        ids.push((who, id));
    }

    // The route, a day a step.
    clock.advance(Duration::days(1));
    for (who, id) in &ids {
        let officer = district_officer(&then, district_of(institutions, who)).await?;
        review::decide(
            &then,
            &officer,
            *id,
            &decision("approve", "符合申报条件，同意推荐"),
        )
        .await?;
    }
    clock.advance(Duration::days(1));
    let finance = finance_reviewer(&then).await?;
    for (who, id) in &ids {
        let reviewer = if std::ptr::eq(*who, people.enterprise) {
            &finance
        } else {
            people.reviewer
        };
        review::decide(&then, reviewer, *id, &decision("approve", "审核通过")).await?;
    }
    clock.advance(Duration::days(2));
    for (_, id) in &ids {
        expert_review(
            &then,
            people.admin,
            people.experts,
            *id,
            &[[35, 34, 18], [36, 33, 19], [34, 35, 17]],
        )
        .await?;
        review::decide(&then, people.admin, *id, &decision("approve", "")).await?;
    }
    clock.advance(Duration::days(1));
    for (_, id) in &ids {
        review::decide(&then, people.admin, *id, &decision("approve", "")).await?;
    }

    // After the call closed: the list goes up for 公示.
    clock.advance(Duration::days(4));
    let published = notice::publish(&then, people.admin, call).await?;
    clock.advance(Duration::days(1));
    let objection = notice::ObjectionInput {
        application: ids.first().map(|(_, id)| *id),
        name: "赵立新".into(),
        phone: "13905170000".into(),
        reason:
            "该单位申报的赋权改革成果中有一项的赋权协议签订于上一年度，请核实是否应计入本年度。"
                .into(),
    };
    let address = crate::auth::ClientAddress::from_ip("198.51.100.7".parse().ok());
    let objection = notice::object(&then, &address, published.notice.id, &objection).await?;
    if reached == Reached::Notice {
        return Ok(());
    }
    clock.advance(Duration::days(2));
    notice::rule(
        &then,
        people.admin,
        objection,
        false,
        "经核实，该项赋权协议签订于本年度1月，计入本年度无误，异议不成立。",
    )
    .await?;

    // The notice ended: the batch for the finance bureau, then each payment as it is made.
    clock.advance(Duration::days(10));
    let (batch, payments_made) = payments::make_batch(&then, people.admin, call).await?;
    payments::export(&then, people.admin, batch).await?;
    clock.advance(Duration::days(5));
    let paid_on = (then.now() + Duration::hours(8))
        .format("%Y-%m-%d")
        .to_string();
    for (n, payment) in payments_made.iter().enumerate() {
        payments::mark_paid(
            &then,
            people.admin,
            payment.id,
            &paid_on,
            &format!("宁财拨〔2026〕{}号", 301 + n),
        )
        .await?;
    }
    Ok(())
}
