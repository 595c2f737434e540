//! Demo applications (issue 16): an open call for 赋权改革资助 (art. 18) and 科技保险保费补贴
//! (art. 15) with expert review, with applications at every step of the route — a draft, one
//! waiting for the 江宁区 officer, one for the 市科技局 reviewer, one returned for correction,
//! one at 专家评审 with two of three scores in, one waiting for 市级核定, and one approved with
//! its amount reserved in the ledger — each made through the same use cases a user's clicks
//! run, documents attached. `past_calls` adds a call in 公示 and one paid.
//!
//! The call closes ten days from now; when the working-day calendar does not hold the year the
//! notice after it would fall in, no call is made (and the log says so) rather than a guess.

use std::collections::{BTreeMap, HashMap};

use zijin_domain::{Coded, District, InstitutionDetails, InstitutionTag, InstitutionType, Role};

use crate::applications::{
    ApplicationInput, CallInput, DecisionInput, RubricItem, calls, experts, files, filing, review,
};
use crate::users::NewUserInput;
use crate::{Actor, App, AppError, AppResult};

/// A payee account, filled in as every applicant must before submitting.
fn payee() -> ApplicationInput {
    ApplicationInput {
        bank_name: "中国工商银行南京新街口支行".into(),
        bank_account: "6222 0202 0000 1234 567".into(),
        account_name: "申报单位".into(),
        ..Default::default()
    }
}

/// The accounts the demo acts through (admin, reviewer, district officer, university and
/// enterprise users), by their demo user names.
pub(super) struct DemoActors<'a> {
    pub admin: &'a Actor,
    /// 评审专家: four professors of universities that do not apply.
    pub experts: &'a [Actor],
    pub reviewer: &'a Actor,
    pub district: &'a Actor,
    pub university: &'a Actor,
    pub enterprise: &'a Actor,
}

fn facts(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// The rubric of the demo's calls.
pub(super) fn rubric() -> Vec<RubricItem> {
    [
        ("技术先进性与成果质量", 40),
        ("转化成效与示范带动", 40),
        ("申报材料规范性", 20),
    ]
    .into_iter()
    .map(|(item, points)| RubricItem {
        item: item.into(),
        points,
    })
    .collect()
}

/// Attaches a sample PDF for each document the call asks for.
pub(super) async fn attach(app: &App, who: &Actor, id: i64, documents: &[&str]) -> AppResult<()> {
    for (n, document) in documents.iter().enumerate() {
        let pdf = super::documents::sample_pdf(&format!("Application {id}, document {}", n + 1));
        files::add(app, who, id, document, &format!("{document}.pdf"), &pdf).await?;
    }
    Ok(())
}

/// The bureau assigns the first three experts and `scores` of them hand in their points.
pub(super) async fn expert_review(
    app: &App,
    admin: &Actor,
    panel: &[Actor],
    id: i64,
    scores: &[[u32; 3]],
) -> AppResult<()> {
    // Experts of the applicant's own institution must recuse themselves (回避): the panel is
    // the first three who need not.
    let applicant = crate::applications::get(app, admin, id)
        .await?
        .application
        .institution_id;
    let chosen: Vec<&Actor> = panel
        .iter()
        .filter(|e| {
            e.user()
                .is_some_and(|u| u.role != zijin_domain::UserRole::InstitutionUser(applicant))
        })
        .take(3)
        .collect();
    let ids: Vec<i64> = chosen
        .iter()
        .filter_map(|e| e.user().map(|u| u.id))
        .collect();
    experts::assign(app, admin, id, &ids).await?;
    for (expert, points) in chosen.into_iter().zip(scores) {
        let input = experts::ScoreInput {
            scores: points.iter().map(u32::to_string).collect(),
            comment: "技术路线清晰，转化成效明显，材料齐全。".into(),
        };
        experts::score(app, expert, id, &input).await?;
    }
    Ok(())
}

pub(super) fn decision(decision: &str, comment: &str) -> DecisionInput {
    DecisionInput {
        decision: decision.into(),
        comment: comment.into(),
        amount: None,
    }
}

/// An unlisted district officer for a district other than the demo officer's.
pub(super) async fn district_officer(app: &App, district: District) -> AppResult<Actor> {
    let username = format!("district-{}", district.code());
    if let Some(user) = zijin_store::users::get_by_username(app.store.pool(), &username).await? {
        return Ok(Actor::User(user));
    }
    let user = crate::users::create_unchecked(
        app,
        &Actor::System("demo"),
        &NewUserInput {
            username: &format!("district-{}", district.code()),
            display_name: &format!("{} 区级管理员", district.label()),
            password: super::DEMO_PASSWORD,
            role: Role::DistrictOfficer.code(),
            responsible_unit: "",
            district: district.code(),
            institution_id: None,
        },
        true,
    )
    .await?;
    Ok(Actor::User(user))
}

/// Four 评审专家: professors at universities and institutes that are not 赋权改革试点单位 (the
/// demo's applicants), so none is ever in conflict with them. Log in as `expert1` … `expert4`.
pub(super) async fn experts(
    app: &App,
    admin: &Actor,
    institutions: &[(i64, InstitutionDetails)],
) -> AppResult<Vec<Actor>> {
    let names = ["张明远", "李静怡", "王志刚", "陈雪梅"];
    let homes: Vec<&(i64, InstitutionDetails)> = institutions
        .iter()
        .filter(|(_, d)| {
            matches!(
                d.kind,
                InstitutionType::University | InstitutionType::ResearchInstitute
            ) && !d.tags.contains(&InstitutionTag::EmpowermentPilot)
        })
        .collect();
    let mut panel = Vec::new();
    for (n, (name, (id, details))) in names.iter().zip(homes.iter().cycle()).enumerate() {
        let user = crate::users::create_unchecked(
            app,
            &Actor::System("demo"),
            &NewUserInput {
                username: &format!("expert{}", n + 1),
                display_name: &format!("{name}（{}）", details.name),
                password: super::DEMO_PASSWORD,
                role: Role::InstitutionUser.code(),
                responsible_unit: "",
                district: "",
                institution_id: Some(*id),
            },
            true,
        )
        .await?;
        let user = crate::users::set_designation(
            app,
            admin,
            user.id,
            zijin_domain::Designation::Expert,
            true,
        )
        .await?;
        panel.push(Actor::User(user));
    }
    Ok(panel)
}

/// Seeds the call and its applications. `institutions` are the demo's institutions with their
/// ids; other applicants act through unlisted accounts of their own, and districts other than
/// 江宁区 through unlisted officers.
pub(super) async fn seed(
    app: &App,
    people: &DemoActors<'_>,
    institutions: &[(i64, InstitutionDetails)],
) -> AppResult<()> {
    let now = app.now();
    let beijing = now + chrono::Duration::hours(8);
    let opens = (beijing - chrono::Duration::days(3)).format("%Y-%m-%dT09:00:00+08:00");
    let closes = (beijing + chrono::Duration::days(10)).format("%Y-%m-%dT17:00:00+08:00");
    let input = CallInput {
        title: "关于组织申报2026年度职务科技成果赋权改革资助和科技保险保费补贴的通知".into(),
        guidance: "一、申报范围：国家及省市赋权改革试点单位按赋权改革成果数申报（每项5万元，年度最高100万元）；\
                   高新技术企业、专精特新企业按实缴研发费用损失险、专利险保费申报（最高50%）。\n\
                   二、申报程序：申报单位在线填报并签署科研诚信承诺书，经所在区初审推荐、责任单位审核、市科技局核定后公示。\n\
                   三、联系方式：市科技局成果转化处，025-00000000。"
            .into(),
        measures: vec!["a18-empowerment".into(), "a15-insurance".into()],
        opens: opens.to_string(),
        closes: closes.to_string(),
        budgets: BTreeMap::from([
            ("a18-empowerment".to_string(), "3000000".to_string()),
            ("a15-insurance".to_string(), "1000000".to_string()),
        ]),
        attachments: DOCUMENTS.iter().map(|d| d.to_string()).collect(),
        expert_review: true,
        rubric: rubric(),
        ..Default::default()
    };
    let call = match calls::create(app, people.admin, &input).await {
        Ok(view) => view.call.id,
        Err(AppError::Validation(errors)) => {
            let reasons: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            tracing::warn!(reasons = %reasons.join("；"), "演示申报通知未生成");
            return Ok(());
        }
        Err(other) => return Err(other),
    };

    // Pilot universities and institutes, those of 江宁区 first (the demo officer's district).
    let mut pilots: Vec<&(i64, InstitutionDetails)> = institutions
        .iter()
        .filter(|(_, d)| {
            matches!(
                d.kind,
                InstitutionType::University | InstitutionType::ResearchInstitute
            ) && d.tags.contains(&InstitutionTag::EmpowermentPilot)
        })
        .collect();
    pilots.sort_by_key(|(_, d)| d.district != District::Jiangning);
    let mut officers: HashMap<District, Actor> = HashMap::new();
    officers.insert(District::Jiangning, people.district.clone());
    // The demo university's district has an officer too, so its draft can go the whole way.
    let university_district = institutions
        .iter()
        .find(|(i, _)| Some(*i) == crate::access::own_institution_id(people.university))
        .map(|(_, d)| d.district);
    if let Some(district) = university_district
        && let std::collections::hash_map::Entry::Vacant(slot) = officers.entry(district)
    {
        slot.insert(district_officer(app, district).await?);
    }
    let mut applicants = Vec::new();
    for (n, (id, details)) in pilots.iter().take(5).enumerate() {
        let user = crate::users::create_unchecked(
            app,
            &Actor::System("demo"),
            &NewUserInput {
                username: &format!("applicant{}", n + 1),
                display_name: &format!("{} 科研处", details.name),
                password: super::DEMO_PASSWORD,
                role: Role::InstitutionUser.code(),
                responsible_unit: "",
                district: "",
                institution_id: Some(*id),
            },
            true,
        )
        .await?;
        if let std::collections::hash_map::Entry::Vacant(slot) = officers.entry(details.district) {
            slot.insert(district_officer(app, details.district).await?);
        }
        applicants.push((Actor::User(user), details.district));
    }

    let apply = async |who: &Actor, measure: &str, value: serde_json::Value| -> AppResult<i64> {
        let input = ApplicationInput {
            call,
            measure: measure.into(),
            facts: facts(value),
            integrity_accepted: true,
            ..payee()
        };
        let id = filing::draft(app, who, &input).await?.application.id;
        attach(app, who, id, DOCUMENTS).await?;
        Ok(id)
    };
    // 南京大学 (the demo university account): a draft still being written.
    apply(
        people.university,
        "a18-empowerment",
        serde_json::json!({ "pilot_unit": true, "empowered_count": 4 }),
    )
    .await?;
    // The pilots: waiting for the district, for the unit, returned, at 专家评审, waiting for 核定.
    let stops = [
        ("district", 6),
        ("unit", 4),
        ("returned", 8),
        ("experts", 3),
        ("final", 5),
    ];
    for ((who, district), (stop, count)) in applicants.iter().zip(stops) {
        let id = apply(
            who,
            "a18-empowerment",
            serde_json::json!({ "pilot_unit": true, "empowered_count": count }),
        )
        .await?;
        filing::submit(app, who, id).await?;
        if stop == "district" {
            continue;
        }
        let officer = officers.get(district).unwrap_or(people.district);
        review::decide(
            app,
            officer,
            id,
            &decision("approve", "符合申报条件，同意推荐"),
        )
        .await?;
        match stop {
            "returned" => {
                review::decide(
                    app,
                    people.reviewer,
                    id,
                    &decision("return", "请补充赋权协议扫描件和赋权成果清单"),
                )
                .await?;
            }
            "experts" => {
                review::decide(app, people.reviewer, id, &decision("approve", "审核通过")).await?;
                expert_review(
                    app,
                    people.admin,
                    people.experts,
                    id,
                    &[[36, 35, 18], [32, 30, 17]],
                )
                .await?;
            }
            "final" => {
                review::decide(app, people.reviewer, id, &decision("approve", "审核通过")).await?;
                expert_review(
                    app,
                    people.admin,
                    people.experts,
                    id,
                    &[[36, 35, 18], [34, 33, 19], [38, 36, 18]],
                )
                .await?;
                review::decide(app, people.admin, id, &decision("approve", "")).await?;
            }
            _ => {}
        }
    }
    // The demo enterprise: 12万 of premium, approved by every step with half of it reserved.
    let id = apply(
        people.enterprise,
        "a15-insurance",
        serde_json::json!({ "premium": "120000", "enterprise_tags": ["高新技术企业"] }),
    )
    .await?;
    filing::submit(app, people.enterprise, id).await?;
    let enterprise_district = institutions
        .iter()
        .find(|(i, _)| Some(*i) == crate::access::own_institution_id(people.enterprise))
        .map(|(_, d)| d.district);
    let district = enterprise_district.unwrap_or(District::Jiangning);
    let officer = match officers.get(&district) {
        Some(officer) => officer.clone(),
        None => district_officer(app, district).await?,
    };
    review::decide(app, &officer, id, &decision("approve", "同意推荐")).await?;
    let finance = finance_reviewer(app).await?;
    review::decide(app, &finance, id, &decision("approve", "保单真实有效")).await?;
    expert_review(
        app,
        people.admin,
        people.experts,
        id,
        &[[35, 36, 19], [33, 34, 18], [37, 35, 19]],
    )
    .await?;
    review::decide(app, people.admin, id, &decision("approve", "")).await?;
    review::decide(app, people.admin, id, &decision("approve", "")).await?;
    Ok(())
}

/// 科技保险 is reviewed by 市委金融办 among others: an unlisted reviewer of that unit.
pub(super) async fn finance_reviewer(app: &App) -> AppResult<Actor> {
    if let Some(user) =
        zijin_store::users::get_by_username(app.store.pool(), "reviewer-finance").await?
    {
        return Ok(Actor::User(user));
    }
    Ok(Actor::User(
        crate::users::create_unchecked(
            app,
            &Actor::System("demo"),
            &NewUserInput {
                username: "reviewer-finance",
                display_name: "审核员（市委金融办）",
                password: super::DEMO_PASSWORD,
                role: Role::Reviewer.code(),
                responsible_unit: zijin_domain::ResponsibleUnit::FinancialAffairsOffice.code(),
                district: "",
                institution_id: None,
            },
            true,
        )
        .await?,
    ))
}

/// The documents the demo's calls ask for.
pub(super) const DOCUMENTS: &[&str] = &["赋权协议或保单", "科研诚信承诺书"];
