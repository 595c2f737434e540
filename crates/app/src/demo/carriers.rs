//! Demo carriers (issue 19): some of the demo institutions run recognised carriers (dated back
//! to mid-2023), so the directory shows every kind and the quotas in use; their 2024 and 2025
//! reports are filed and scored and both years confirmed — the exit rule withdraws the carriers
//! that reported neither year — while 2026's reports are coming in; two applications for
//! recognition wait for the bureau.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use zijin_domain::carrier_evaluation::IndicatorSource;
use zijin_domain::{InstitutionDetails, InstitutionType};
use zijin_store::carriers::evaluation::StoredReport;

use crate::carriers::{evaluation, recognition, reports};
use crate::{Actor, App, AppResult, access};

/// (institution type, carrier type code, how many) recognised from the demo institutions.
const PLAN: &[(InstitutionType, &str, usize)] = &[
    (InstitutionType::University, "university-science-park", 3),
    (InstitutionType::University, "transfer-center", 4),
    (InstitutionType::University, "innovation-harbor", 2),
    (InstitutionType::University, "poc-center", 3),
    (InstitutionType::ResearchInstitute, "poc-center", 2),
    (
        InstitutionType::ResearchInstitute,
        "public-service-platform",
        2,
    ),
    (InstitutionType::NewRdInstitution, "new-rd-institution", 4),
    (InstitutionType::NewRdInstitution, "pilot-platform", 2),
    (InstitutionType::Enterprise, "pilot-platform", 2),
    (InstitutionType::ServiceOrganization, "transfer-org", 3),
    (InstitutionType::ServiceOrganization, "service-org", 2),
    (InstitutionType::ServiceOrganization, "ip-operation", 1),
    (
        InstitutionType::ServiceOrganization,
        "benchmark-incubator",
        1,
    ),
    (InstitutionType::FinancialInstitution, "finance-station", 2),
];

/// How well the k-th carrier does in a year (2024: 85–99; later: 70–99), deterministic.
fn quality(k: usize, year: i32) -> i64 {
    let spread = (k * 37 + year as usize * 11) as i64;
    if year <= 2024 {
        85 + spread % 15
    } else {
        70 + spread % 30
    }
}

/// The k-th carrier's report of a year: every reported value at `quality`% of its full marks,
/// and the reviewers' points likewise (to the half point).
fn report_of(
    k: usize,
    carrier: &zijin_store::carriers::StoredCarrier,
    year: i32,
    submitted: bool,
) -> Option<(StoredReport, BTreeMap<String, String>)> {
    let scheme = evaluation::scheme_for(&carrier.carrier_type, year)?;
    let q = rust_decimal::Decimal::from(quality(k, year)) / rust_decimal::Decimal::ONE_HUNDRED;
    let mut report = StoredReport {
        carrier_id: carrier.id,
        year,
        submitted,
        summary: format!("{}{year}年度工作总结（演示）", carrier.name),
        ..StoredReport::default()
    };
    let mut scores = BTreeMap::new();
    for i in &scheme.indicators {
        match i.source {
            IndicatorSource::Report => {
                let full = i.full_at.unwrap_or_default();
                report
                    .reported
                    .insert(i.code.clone(), (full * q).round().normalize().to_string());
                if !i.evidence.is_empty() {
                    report
                        .evidence
                        .insert(i.code.clone(), format!("{}（演示）", i.evidence));
                }
            }
            IndicatorSource::Review => {
                let half = (i.points * q * rust_decimal::Decimal::TWO).round()
                    / rust_decimal::Decimal::TWO;
                scores.insert(i.code.clone(), half.normalize().to_string());
            }
            IndicatorSource::Platform(_) => {}
        }
    }
    Some((report, scores))
}

pub(super) async fn seed(
    app: &App,
    institutions: &[(i64, InstitutionDetails)],
    university: &Actor,
    enterprise: &Actor,
) -> AppResult<()> {
    let system = Actor::System("demo");
    let since = NaiveDate::from_ymd_opt(2023, 6, 15);
    for (kind, carrier_type, count) in PLAN {
        for (_, details) in institutions
            .iter()
            .filter(|(_, d)| d.kind == *kind)
            .take(*count)
        {
            // An institution may run one carrier of a type; the plan never asks twice.
            crate::carriers::recognise_as(
                app,
                &system,
                details.credit_code.as_str(),
                carrier_type,
                "",
                since,
            )
            .await?;
        }
    }
    let carriers = zijin_store::carriers::recognised(app.store().pool()).await?;
    // 2024 and 2025: reported and scored, then confirmed. Every eleventh carrier reports neither
    // year and leaves by the exit rule; a few others skip 2025 only.
    for year in [2024, 2025] {
        for (k, carrier) in carriers.iter().enumerate() {
            if k % 11 == 3 || (year == 2025 && k % 13 == 5) {
                continue;
            }
            if let Some((report, scores)) = report_of(k, carrier, year, true) {
                reports::demo_report(app, &report, Some(&scores)).await?;
            }
        }
        evaluation::evaluate(app, &system, year).await?;
        evaluation::confirm(app, &system, year, true).await?;
    }
    // 2026: half the carriers have submitted (not yet scored); the university account's
    // carrier has a draft.
    let own = access::own_institution_id(university);
    for (k, carrier) in carriers.iter().enumerate().filter(|(k, _)| k % 2 == 0) {
        if Some(carrier.institution_id) == own {
            continue;
        }
        if let Some((report, _)) = report_of(k, carrier, 2026, true) {
            reports::demo_report(app, &report, None).await?;
        }
    }
    if let Some((k, carrier)) = carriers
        .iter()
        .enumerate()
        .find(|(_, c)| Some(c.institution_id) == own && c.recognised)
        && let Some((mut report, _)) = report_of(k, carrier, 2026, false)
    {
        report.reported.pop_first();
        reports::demo_report(app, &report, None).await?;
    }
    // Two applications for recognition wait for the bureau.
    for (actor, kind, description) in [
        (
            university,
            "pilot-platform",
            "依托学校化工学科建设中试基地，中试车间 3,000 平方米，专职工程师 15 人，2025 年为 23 家企业完成中试验证。",
        ),
        (
            enterprise,
            "public-service-platform",
            "面向集成电路企业提供芯片测试与失效分析服务，检测设备原值 4,200 万元，年服务企业 160 家次。",
        ),
    ] {
        recognition::apply(app, actor, kind, "", description).await?;
    }
    Ok(())
}

/// Innovative products (fictitious) the demo enterprises list: name, field, first market date,
/// certificates, description.
const PRODUCTS: &[(&str, &str, &str, &[&str], &str)] = &[
    (
        "高精度工业视觉检测一体机",
        "high-end-equipment",
        "2025-04-18",
        &["CNAS 检测报告", "软件著作权登记证书"],
        "面向汽车零部件产线的缺陷检测设备，检出率 99.6%，替代进口同类设备。",
    ),
    (
        "低温型磷酸铁锂储能电池模组",
        "new-energy",
        "2024-09-02",
        &[
            "国家电池质量检验检测中心检测报告",
            "首台（套）重大技术装备认定证书",
        ],
        "零下 30℃ 容量保持率 85%，已在电网侧储能电站示范应用。",
    ),
    (
        "医用一次性内窥镜",
        "biomedicine",
        "2023-06-20",
        &["医疗器械注册证（二类）", "ISO 13485 证书"],
        "一次性使用，避免交叉感染，成本较复用内窥镜降低 40%。",
    ),
    (
        "城市道路病害智能巡检系统",
        "software",
        "2025-11-03",
        &["软件产品证书", "第三方测评报告"],
        "车载摄像头与边缘计算结合，自动识别裂缝、坑槽等 12 类病害。",
    ),
    (
        "高纯电子级氢氟酸",
        "new-materials",
        "2022-03-15",
        &["SEMI G5 等级检测报告"],
        "满足 12 英寸晶圆清洗要求，已进入两家晶圆厂供应链。",
    ),
    (
        "农业病虫害识别与精准施药无人机",
        "modern-agriculture",
        "2024-05-26",
        &["农机推广鉴定证书", "CCC 认证"],
        "识别 38 种常见病虫害，施药量减少 30%。",
    ),
    (
        "工业余热有机朗肯循环发电机组",
        "energy-saving",
        "2025-08-08",
        &["节能产品认证证书", "性能测试报告"],
        "回收 80–150℃ 低温余热发电，投资回收期约 3 年。",
    ),
    (
        "国产化工业控制安全网关",
        "information-communication",
        "2026-02-28",
        &["网络安全专用产品安全检测证书"],
        "支持主流工控协议深度解析，已用于水务、燃气行业。",
    ),
    (
        "可降解骨科固定螺钉",
        "biomedicine",
        "2026-07-12",
        &["医疗器械注册证（三类）"],
        "植入后 18–24 个月逐步降解，免二次手术取出。",
    ),
    (
        "氢燃料电池空压机",
        "new-energy",
        "2025-12-20",
        &["型式试验报告"],
        "无油离心式，功率密度较上一代提高 25%。",
    ),
];

/// The catalogue (two batches published, two products waiting for review), incubatees of the
/// science parks, and a confirmed 融资白名单.
pub(super) async fn seed_finance(
    app: &App,
    institutions: &[(i64, InstitutionDetails)],
) -> AppResult<()> {
    use crate::catalogue::{self, ProductInput};
    let system = Actor::System("demo");
    let enterprises: Vec<i64> = institutions
        .iter()
        .filter(|(_, d)| d.kind == InstitutionType::Enterprise)
        .map(|(id, _)| *id)
        .collect();
    if enterprises.len() < PRODUCTS.len() + 12 {
        return Ok(());
    }
    let mut ids = Vec::new();
    for (k, (name, field, first, certificates, description)) in PRODUCTS.iter().enumerate() {
        let input = ProductInput {
            name: (*name).into(),
            field: (*field).into(),
            first_market_on: (*first).into(),
            certificates: certificates.iter().map(|c| c.to_string()).collect(),
            description: (*description).into(),
        };
        ids.push(catalogue::demo_product(app, enterprises[k], &input).await?);
    }
    for id in &ids[..5] {
        catalogue::decide(app, &system, *id, true, "").await?;
    }
    catalogue::publish(app, &system, true).await?;
    for id in &ids[5..8] {
        catalogue::decide(app, &system, *id, true, "").await?;
    }
    catalogue::publish(app, &system, true).await?;
    // Incubatees: each science park and incubator registers a few enterprises.
    let carriers = zijin_store::carriers::recognised(app.store().pool()).await?;
    let mut next = PRODUCTS.len();
    for carrier in carriers.iter().filter(|c| {
        matches!(
            c.carrier_type.as_str(),
            "university-science-park" | "benchmark-incubator"
        )
    }) {
        for _ in 0..3 {
            crate::white_list::demo_incubatee(app, carrier.id, enterprises[next]).await?;
            next += 1;
        }
    }
    crate::white_list::confirm(app, &system, true).await?;
    Ok(())
}
