//! Demo technology contracts (issue 18): two 合同登记机构 with a registrar account, a few
//! hundred fictitious contracts over last year and this one — sold mostly by the universities
//! and institutes, bought by the demo enterprises and by fictitious companies elsewhere — with
//! payments received, and a few waiting in the registrar's queue (one overdue, one returned).
//! The statistics, the ranking and the contract-based awards show something real from them.

use chrono::{Datelike, Duration, NaiveDate};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use zijin_domain::{
    Coded, ContractDetails, ContractField, ContractStatus, ContractType, CreditCode, Deduction,
    District, InstitutionDetails, InstitutionProfile, InstitutionType, IpType, Money, NumberInputs,
    Party, PartyNature, RegionCode, Role,
};
use zijin_store::contracts::{self as store, ContractSource, NewContract, Receipt, totals};
use zijin_store::{audit, institutions};

use super::{DEMO_PASSWORD, DemoAccount};
use crate::unit::UnitOfWork;
use crate::users::NewUserInput;
use crate::{Actor, App, AppError, AppResult};

const SEED: u64 = 20_261_204;
/// Registered contracts per year.
const PER_YEAR: usize = 160;

const REGISTRIES: &[(&str, District)] = &[
    ("南京市技术合同登记服务中心", District::Xuanwu),
    ("江宁区技术合同登记站", District::Jiangning),
];

/// Fictitious buyers outside Nanjing: name stem and six-digit division code.
const ELSEWHERE: &[(&str, &str)] = &[
    ("苏州", "320505"),
    ("无锡", "320214"),
    ("常州", "320411"),
    ("南通", "320612"),
    ("扬州", "321002"),
    ("上海", "310115"),
    ("杭州", "330106"),
    ("合肥", "340104"),
    ("深圳", "440305"),
    ("北京", "110108"),
];

const TOPICS: &[(&str, ContractField)] = &[
    ("毫米波通信芯片", ContractField::ElectronicInformation),
    ("工业视觉检测系统", ContractField::ElectronicInformation),
    ("数控机床误差补偿", ContractField::AdvancedManufacturing),
    ("工业机器人关节减速器", ContractField::AdvancedManufacturing),
    ("无人机飞控", ContractField::Aerospace),
    ("轨道交通弓网监测", ContractField::ModernTransport),
    ("水稻抗病育种", ContractField::Agriculture),
    ("设施蔬菜水肥一体化", ContractField::Agriculture),
    ("抗肿瘤小分子药物", ContractField::Biomedicine),
    ("医用可降解支架", ContractField::Biomedicine),
    ("高性能碳纤维复合材料", ContractField::NewMaterials),
    ("钙钛矿太阳能电池", ContractField::NewEnergy),
    ("储能电池热管理", ContractField::NewEnergy),
    ("工业废水深度处理", ContractField::Environment),
    ("土壤重金属修复", ContractField::Environment),
    ("辐照灭菌工艺", ContractField::Nuclear),
    ("城市内涝预警", ContractField::UrbanSocial),
];

const WORKS: &[(ContractType, &str)] = &[
    (ContractType::DevelopmentCommissioned, "技术开发"),
    (ContractType::DevelopmentCommissioned, "关键技术研发"),
    (ContractType::DevelopmentCooperative, "联合开发"),
    (ContractType::Service, "技术服务"),
    (ContractType::Service, "测试分析服务"),
    (ContractType::Training, "技术培训"),
    (ContractType::TransferPatent, "专利权转让"),
    (ContractType::TransferTechSecret, "技术秘密转让"),
    (ContractType::License, "专利实施许可"),
    (ContractType::Consulting, "可行性论证咨询"),
];

struct Rand(ChaCha8Rng);

impl Rand {
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.0.next_u64() % 100 < percent
    }
    fn credit_code(&mut self, prefix: &str, region: &str) -> AppResult<CreditCode> {
        let body: String = (0..9)
            .map(|_| CreditCode::alphabet_character(self.below(31)))
            .collect();
        CreditCode::complete(&format!("{prefix}{region}{body}"))
            .ok_or_else(|| AppError::Internal("演示信用代码无效".into()))
    }
    /// An amount in yuan: mostly tens to hundreds of 万元, a few millions.
    fn amount(&mut self) -> i64 {
        let wan = match self.below(10) {
            0..=4 => 5 + self.below(45),
            5..=7 => 50 + self.below(250),
            8 => 300 + self.below(700),
            _ => 1_000 + self.below(2_000),
        };
        wan as i64 * 10_000 + self.below(100) as i64 * 100
    }
}

fn region(district: District) -> AppResult<RegionCode> {
    RegionCode::of_district(district)
        .or_else(|| RegionCode::parse("320111"))
        .ok_or_else(|| AppError::Internal("行政区划代码无效".into()))
}

fn party_of(institution: &zijin_domain::Institution) -> AppResult<Party> {
    Ok(Party {
        name: institution.details.name.clone(),
        credit_code: institution.details.credit_code.clone(),
        nature: crate::contracts::nature_of(institution.details.kind),
        region: region(institution.details.district)?,
    })
}

/// Adds the registries, the registrar account and the contracts; returns the account.
pub(super) async fn seed(app: &App) -> AppResult<Vec<DemoAccount>> {
    let mut rand = Rand(ChaCha8Rng::seed_from_u64(SEED));
    let system = Actor::System("demo");
    let mut registry_ids = Vec::new();
    {
        let now = app.now();
        let mut tx = app.store().begin_write().await?;
        for (name, district) in REGISTRIES {
            let details = InstitutionDetails {
                name: name.to_string(),
                kind: InstitutionType::ContractRegistry,
                credit_code: rand.credit_code("11", &region(*district)?.code())?,
                district: *district,
                tags: vec![],
                profile: InstitutionProfile {
                    address: format!("南京市{}", district.label()),
                    contact_name: "登记处".into(),
                    contact_phone: format!("025-{}", 84_000_000 + rand.below(1_000_000)),
                    description: "（演示数据）虚构的技术合同登记机构。".into(),
                },
            };
            let id = institutions::insert(&mut tx, &details, true, now).await?;
            let stored = institutions::get(&mut *tx, id)
                .await?
                .ok_or(AppError::NotFound("机构"))?;
            audit::append(
                &mut tx,
                now,
                audit::Change {
                    actor: system.audit_name(),
                    action: "institution.create",
                    entity: "institution",
                    entity_id: id.to_string(),
                    before: None,
                    after: Some(crate::institutions::audit_snapshot(&stored)),
                },
            )
            .await?;
            registry_ids.push((id, *district));
        }
        tx.commit().await.map_err(zijin_store::StoreError::from)?;
    }
    let registrar = crate::users::create_unchecked(
        app,
        &system,
        &NewUserInput {
            username: "registrar",
            display_name: "合同登记员（市登记服务中心）",
            password: DEMO_PASSWORD,
            role: Role::ContractRegistrar.code(),
            responsible_unit: "",
            district: "",
            institution_id: Some(registry_ids[0].0),
        },
        true,
    )
    .await?;
    let all = institutions::all(app.store().pool()).await?;
    let sellers: Vec<&zijin_domain::Institution> = all
        .iter()
        .filter(|i| {
            matches!(
                i.details.kind,
                InstitutionType::University | InstitutionType::ResearchInstitute
            )
        })
        .collect();
    let enterprises: Vec<&zijin_domain::Institution> = all
        .iter()
        .filter(|i| i.details.kind == InstitutionType::Enterprise)
        .collect();
    let brokers: Vec<i64> = all
        .iter()
        .filter(|i| i.details.kind == InstitutionType::ServiceOrganization)
        .map(|i| i.id)
        .collect();
    // The demo's 技术经理人 (the `manager` account) brokered some of the contracts.
    let manager =
        zijin_store::users::designated(app.store().pool(), zijin_domain::Designation::TechManager)
            .await?
            .into_iter()
            .next();
    if sellers.is_empty() || enterprises.is_empty() {
        return Ok(Vec::new());
    }
    let today = app.today();
    let this_year = today.year();
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let mut deltas = totals::Deltas::new();
    let mut made = 0usize;
    for year in [this_year - 1, this_year] {
        let first = NaiveDate::from_ymd_opt(year, 1, 1)
            .ok_or_else(|| AppError::Internal("日期无效".into()))?;
        let last = if year == this_year {
            today
        } else {
            NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today)
        };
        let span = (last - first).num_days().max(1) as usize;
        let count = if year == this_year {
            PER_YEAR * span / 365
        } else {
            PER_YEAR
        };
        for n in 0..count {
            // The first seller is 南京大学 (the demo university account's): it sells often.
            let seller_institution = if n % 6 == 0 {
                sellers[0]
            } else {
                sellers[rand.below(sellers.len())]
            };
            let enterprise_seller = rand.chance(12);
            let seller_institution = if enterprise_seller {
                enterprises[rand.below(enterprises.len())]
            } else {
                seller_institution
            };
            let (topic, field) = TOPICS[rand.below(TOPICS.len())];
            let (contract_type, work_name) = WORKS[rand.below(WORKS.len())];
            let buyer = if rand.chance(30) {
                let (city, code) = ELSEWHERE[rand.below(ELSEWHERE.len())];
                Party {
                    name: format!(
                        "{city}{}科技有限公司",
                        ["恒信", "创远", "博达", "新源", "华科", "远景"][rand.below(6)]
                    ),
                    credit_code: rand.credit_code("91", code)?,
                    nature: if rand.chance(70) {
                        PartyNature::LIMITED_COMPANY
                    } else {
                        PartyNature::PRIVATE
                    },
                    region: RegionCode::parse(code)
                        .ok_or_else(|| AppError::Internal("行政区划代码无效".into()))?,
                }
            } else {
                let e = enterprises[rand.below(enterprises.len())];
                if e.id == seller_institution.id {
                    continue;
                }
                party_of(e)?
            };
            let total = rand.amount();
            let deduction = if rand.chance(20) {
                total * (10 + rand.below(20) as i64) / 100
            } else {
                0
            };
            let registered_on = first + Duration::days(rand.below(span) as i64);
            let signed_on = registered_on - Duration::days(5 + rand.below(30) as i64);
            let details = ContractDetails {
                title: format!("{topic}{work_name}"),
                contract_type,
                equity_investment: matches!(
                    contract_type,
                    ContractType::TransferPatent | ContractType::License
                ) && rand.chance(15),
                signed_on,
                valid_until: Some(signed_on + Duration::days(365 + rand.below(730) as i64)),
                seller: party_of(seller_institution)?,
                buyer,
                field,
                ip_type: match contract_type.kind() {
                    zijin_domain::ContractKind::Transfer | zijin_domain::ContractKind::License => {
                        IpType::Patent
                    }
                    zijin_domain::ContractKind::Development => {
                        if rand.chance(50) {
                            IpType::Patent
                        } else {
                            IpType::TechSecret
                        }
                    }
                    _ => IpType::None,
                },
                total: Money::from_fen(total * 100)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                technology: Money::from_fen((total - deduction) * 100)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                deductions: if deduction > 0 {
                    vec![Deduction {
                        item: "设备及材料".into(),
                        amount: Money::from_fen(deduction * 100)
                            .map_err(|e| AppError::Internal(e.to_string()))?,
                    }]
                } else {
                    vec![]
                },
                related_party: rand.chance(3),
            };
            // The last few of this year wait in the demo registrar's queue: submitted lately,
            // not yet registered.
            let waiting = year == this_year && n + 6 >= count;
            let (registry_id, registry_district) = if waiting {
                registry_ids[0]
            } else {
                registry_ids[rand.below(registry_ids.len())]
            };
            let (status, number, registered) = if waiting {
                (ContractStatus::Submitted, None, None)
            } else {
                let prefix = app.contract_numbers().prefix(NumberInputs {
                    year,
                    region: region(registry_district)?,
                    registry: u32::try_from(registry_id).unwrap_or(0),
                });
                let serial = store::next_serial(work.tx(), &prefix).await?;
                let number = u64::try_from(serial)
                    .ok()
                    .and_then(|s| app.contract_numbers().number(&prefix, s))
                    .ok_or_else(|| AppError::Internal("演示合同编号用完".into()))?;
                (
                    ContractStatus::Registered,
                    Some(number),
                    Some(registered_on),
                )
            };
            let accepted_on = if waiting {
                today - Duration::days(rand.below(25) as i64)
            } else {
                registered_on - Duration::days(3)
            };
            let broker_institution_id = if rand.chance(25) && !brokers.is_empty() {
                Some(brokers[rand.below(brokers.len())])
            } else {
                None
            };
            let brokered = manager.as_ref().filter(|_| rand.chance(20));
            let id = store::insert(
                work.tx(),
                &NewContract {
                    details: &details,
                    number: number.as_ref(),
                    status,
                    registry_id: Some(registry_id),
                    seller_institution_id: Some(seller_institution.id),
                    broker_institution_id,
                    broker_user_id: brokered.map(|user| user.id),
                    broker_name: brokered.map_or("", |user| user.display_name.as_str()),
                    match_id: None,
                    achievement_id: None,
                    source: ContractSource::Platform,
                    accepted_on: Some(accepted_on),
                    due_on: details.registration_due(app.calendar(), accepted_on).ok(),
                    registered_on: registered,
                    submitted_by: None,
                    is_demo: true,
                },
                now,
            )
            .await?;
            store::add_history(work.tx(), id, now, "演示数据", "submit", "", None).await?;
            if let Some(on) = registered {
                store::add_history(work.tx(), id, now, "演示数据", "register", "", None).await?;
                totals::add_contract(&mut deltas, &details, on.year(), on.month(), 1);
                // Payments received: most contracts have some, a few in full.
                if rand.chance(65) {
                    let parts = 1 + rand.below(2);
                    for part in 0..parts {
                        let share = if part + 1 == parts && rand.chance(50) {
                            100 / parts as i64
                        } else {
                            30
                        };
                        let received_on = (on
                            + Duration::days(10 + 40 * part as i64 + rand.below(30) as i64))
                        .min(today);
                        store::add_receipt(
                            work.tx(),
                            id,
                            &Receipt {
                                received_on,
                                amount: Money::from_fen(total * 100 * share / 100)
                                    .map_err(|e| AppError::Internal(e.to_string()))?,
                                note: if part == 0 {
                                    "首期款".into()
                                } else {
                                    "进度款".into()
                                },
                            },
                            now,
                            None,
                        )
                        .await?;
                    }
                }
            }
            made += 1;
        }
    }
    totals::apply(work.tx(), &deltas).await?;
    work.audit(audit::Change {
        actor: system.audit_name(),
        action: "contract.import",
        entity: "contract",
        entity_id: String::new(),
        before: None,
        after: Some(serde_json::json!({ "count": made, "demo": true })),
    });
    work.commit().await?;
    // One waiting contract goes back for documents, as a registrar would send it.
    let registrar_actor = Actor::User(registrar.clone());
    let queue = crate::contracts::list(
        app,
        &registrar_actor,
        &crate::contracts::ListQuery {
            status: Some(ContractStatus::Submitted),
            ..Default::default()
        },
        1,
    )
    .await?;
    if let Some(first) = queue.items.first() {
        crate::contracts::decide(
            app,
            &registrar_actor,
            first.id,
            crate::contracts::Decision::Return("合同文本缺少双方签章页，请补充后重新提交".into()),
        )
        .await?;
    }
    example_awards(app).await?;
    Ok(vec![DemoAccount {
        username: registrar.username.clone(),
        password: DEMO_PASSWORD.to_string(),
        role: Role::ContractRegistrar,
        description: format!("合同登记员，所属合同登记机构：{}", REGISTRIES[0].0),
    }])
}

/// With the example supplement loaded (`serve --demo` loads it): an open call of its two
/// awards, and the 免申即享 passes run, so the buyer subsidies and the 技术经理人's award
/// drafted from last year's contracts wait for confirmation.
async fn example_awards(app: &App) -> AppResult<()> {
    use crate::applications::registry_facts::{BROKER_AWARD, BUYER_SUBSIDY};
    use crate::applications::{CallInput, calls, exempt};
    let measures = [BUYER_SUBSIDY, BROKER_AWARD];
    if measures.iter().any(|m| app.policies.measure(m).is_none()) {
        return Ok(());
    }
    let system = Actor::System("demo");
    let beijing = app.now() + Duration::hours(8);
    let input = CallInput {
        title: "关于兑现技术合同奖补（示例·宁科〔2021〕34号）的通知".into(),
        guidance: "【演示数据】依据技术合同登记数据，对吸纳技术的企业和促成技术合同的技术经理人免申即享兑现奖补。\
                   平台已生成申报，请受益单位确认意愿并填写收款账户。"
            .into(),
        measures: measures.iter().map(|m| m.to_string()).collect(),
        opens: (beijing - Duration::days(2))
            .format("%Y-%m-%dT09:00:00+08:00")
            .to_string(),
        closes: (beijing + Duration::days(20))
            .format("%Y-%m-%dT17:00:00+08:00")
            .to_string(),
        budgets: measures
            .iter()
            .map(|m| (m.to_string(), "5000000".to_string()))
            .collect(),
        ..Default::default()
    };
    // When the working-day calendar does not hold the year the notice after the call would
    // fall in (late in December, before the next year's arrangement is published), no call is
    // made and the log says so, as for the applications demo.
    let call = match calls::create(app, &system, &input).await {
        Ok(view) => view.call.id,
        Err(AppError::Validation(errors)) => {
            let reasons: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            tracing::warn!(reasons = %reasons.join("；"), "演示技术合同奖补通知未生成");
            return Ok(());
        }
        Err(other) => return Err(other),
    };
    for measure in measures {
        exempt::run(app, &system, call, measure).await?;
    }
    Ok(())
}
