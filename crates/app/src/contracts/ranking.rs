//! 高校院所科技成果转化排行榜 (art. 2): computed from the year's registered contracts whose
//! seller is a university (022) or research institute (021).
//!
//! The plain sorts are those of the national annual report (《中国科技成果转化年度报告》):
//! the contract amount (成交额) over 转让/许可/作价投资/开发/咨询/服务; the two groups
//! 转让·许可·作价投资 and 开发·咨询·服务 separately; the number of contracts; and the in-city
//! conversion share (成交额 with a buyer in Nanjing). An optional composite weighs indicators
//! named in a published data file (`config/ranking-composite.toml`). The admin freezes a
//! year's ranking as a snapshot; `zijin ranking compute --year YYYY --json` prints the same
//! JSON the snapshot holds.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use zijin_domain::{Coded, ContractKind, PartyNature};
use zijin_store::audit::Change;
use zijin_store::contracts::ranking as store;

use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// The indicators a composite may weigh.
pub const INDICATORS: [(&str, &str); 6] = [
    ("total_amount", "合同总金额"),
    ("transfer_group_amount", "转让·许可·作价投资金额"),
    ("service_group_amount", "开发·咨询·服务金额"),
    ("contracts", "合同数"),
    ("in_city_share", "本地转化占比"),
    ("technology_amount", "技术交易额"),
];

/// A composite index, as published in its data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composite {
    /// The index's name (综合指数).
    pub name: String,
    /// Where the weights come from (the document that sets them).
    pub source: String,
    #[serde(rename = "indicator")]
    pub indicators: Vec<Weight>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weight {
    pub key: String,
    /// A decimal share; the weights add up to 1.
    pub weight: Decimal,
}

impl Composite {
    /// Reads and checks a composite file.
    pub fn parse(text: &str) -> Result<Composite, String> {
        let composite: Composite =
            toml::from_str(text).map_err(|e| format!("综合指数文件无法读取：{}", e.message()))?;
        if composite.indicators.is_empty() {
            return Err("综合指数文件中没有指标".into());
        }
        for weight in &composite.indicators {
            if !INDICATORS.iter().any(|(key, _)| *key == weight.key) {
                return Err(format!(
                    "综合指数文件中的指标“{}”无法识别（可用：{}）",
                    weight.key,
                    INDICATORS
                        .iter()
                        .map(|(k, l)| format!("{k} {l}"))
                        .collect::<Vec<_>>()
                        .join("、")
                ));
            }
            if weight.weight <= Decimal::ZERO {
                return Err(format!("指标“{}”的权重应大于零", weight.key));
            }
        }
        let sum: Decimal = composite.indicators.iter().map(|w| w.weight).sum();
        if sum != Decimal::ONE {
            return Err(format!("综合指数各指标权重之和应为1，现为{sum}"));
        }
        Ok(composite)
    }
}

/// One university or institute in the ranking. Amounts are yuan as exact decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub credit_code: String,
    /// 高等院校 or 科研机构.
    pub nature: String,
    pub contracts: i64,
    pub transfer: Decimal,
    pub license: Decimal,
    pub equity: Decimal,
    pub development: Decimal,
    pub consulting: Decimal,
    pub service: Decimal,
    pub total: Decimal,
    pub transfer_group: Decimal,
    pub service_group: Decimal,
    pub technology: Decimal,
    pub in_city: Decimal,
    /// 本地转化占比 in percent, two places.
    pub in_city_share: Decimal,
    /// The composite score (0–100, two places), when a composite is published.
    pub composite: Option<Decimal>,
    /// Ranks by each sort (1 is first; equal values share a rank).
    pub rank_total: usize,
    pub rank_transfer_group: usize,
    pub rank_service_group: usize,
    pub rank_contracts: usize,
    pub rank_in_city_share: usize,
    pub rank_composite: Option<usize>,
}

/// A year's ranking: the method and the entries, ordered by total amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranking {
    pub year: i32,
    pub method: Vec<String>,
    pub composite: Option<Composite>,
    pub entries: Vec<Entry>,
}

/// The method as shown on the page and printed in the snapshot.
fn method(composite: Option<&Composite>) -> Vec<String> {
    let mut lines = vec![
        "数据来源：本年度已登记的技术合同（按登记日期计年度），卖方为高等院校或科研机构；已注销的合同不计。".to_string(),
        "金额为合同成交额；转化方式按合同类型归类：技术转让、技术许可、作价投资（以科技成果作价入股的转让或许可）、技术开发、技术咨询、技术服务。".to_string(),
        "总榜按六种方式的合同总金额排序；分榜分别按“转让·许可·作价投资”和“开发·咨询·服务”金额排序；另按合同数排序。".to_string(),
        "本地转化占比＝买方在南京市的合同金额÷合同总金额。金额相同者并列，名次相同。".to_string(),
    ];
    if let Some(c) = composite {
        let parts: Vec<String> = c
            .indicators
            .iter()
            .map(|w| {
                let label = INDICATORS
                    .iter()
                    .find(|(k, _)| *k == w.key)
                    .map_or("", |(_, l)| l);
                format!("{label}×{}", w.weight.normalize())
            })
            .collect();
        lines.push(format!(
            "{}：各指标除以该指标最高值后乘以权重求和，再乘以100（{}；权重来源：{}）。",
            c.name,
            parts.join("＋"),
            c.source
        ));
    }
    lines
}

fn yuan(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

/// Competition ranks (1, 2, 2, 4) of `values`, larger first.
fn ranks(values: &[Decimal]) -> Vec<usize> {
    values
        .iter()
        .map(|v| 1 + values.iter().filter(|other| *other > v).count())
        .collect()
}

/// Computes the ranking of `year` from the registered contracts, as it stands now.
pub async fn compute(app: &App, year: i32) -> AppResult<Ranking> {
    let sums = store::seller_sums(app.store().pool(), year).await?;
    let mut by_seller: BTreeMap<String, Entry> = BTreeMap::new();
    for s in sums {
        let entry = by_seller
            .entry(s.credit_code.clone())
            .or_insert_with(|| Entry {
                name: s.name.clone(),
                credit_code: s.credit_code.clone(),
                nature: PartyNature::parse(&s.nature)
                    .map_or("", |n| n.label())
                    .to_string(),
                contracts: 0,
                transfer: Decimal::new(0, 2),
                license: Decimal::new(0, 2),
                equity: Decimal::new(0, 2),
                development: Decimal::new(0, 2),
                consulting: Decimal::new(0, 2),
                service: Decimal::new(0, 2),
                total: Decimal::new(0, 2),
                transfer_group: Decimal::new(0, 2),
                service_group: Decimal::new(0, 2),
                technology: Decimal::new(0, 2),
                in_city: Decimal::new(0, 2),
                in_city_share: Decimal::new(0, 2),
                composite: None,
                rank_total: 0,
                rank_transfer_group: 0,
                rank_service_group: 0,
                rank_contracts: 0,
                rank_in_city_share: 0,
                rank_composite: None,
            });
        let amount = yuan(s.total_fen);
        entry.contracts += s.contracts;
        entry.total += amount;
        entry.technology += yuan(s.technology_fen);
        if s.in_city {
            entry.in_city += amount;
        }
        let kind = ContractKind::from_code(&s.kind)
            .ok_or_else(|| AppError::Internal(format!("合同类型无效：{}", s.kind)))?;
        match (s.equity_investment, kind) {
            (true, _) => entry.equity += amount,
            (false, ContractKind::Transfer) => entry.transfer += amount,
            (false, ContractKind::License) => entry.license += amount,
            (false, ContractKind::Development) => entry.development += amount,
            (false, ContractKind::Consulting) => entry.consulting += amount,
            (false, ContractKind::Service) => entry.service += amount,
        }
    }
    let mut entries: Vec<Entry> = by_seller.into_values().collect();
    for e in &mut entries {
        e.transfer_group = e.transfer + e.license + e.equity;
        e.service_group = e.development + e.consulting + e.service;
        e.in_city_share = if e.total > Decimal::ZERO {
            (e.in_city * Decimal::from(100) / e.total).round_dp(2)
        } else {
            Decimal::ZERO
        };
        e.in_city_share.rescale(2);
    }
    let composite = app.ranking_composite().cloned();
    if let Some(c) = &composite {
        let value = |e: &Entry, key: &str| match key {
            "total_amount" => e.total,
            "transfer_group_amount" => e.transfer_group,
            "service_group_amount" => e.service_group,
            "contracts" => Decimal::from(e.contracts),
            "in_city_share" => e.in_city_share,
            _ => e.technology,
        };
        let maxima: Vec<Decimal> = c
            .indicators
            .iter()
            .map(|w| {
                entries
                    .iter()
                    .map(|e| value(e, &w.key))
                    .max()
                    .unwrap_or(Decimal::ZERO)
            })
            .collect();
        for e in &mut entries {
            let mut score = Decimal::ZERO;
            for (w, max) in c.indicators.iter().zip(&maxima) {
                if *max > Decimal::ZERO {
                    score += w.weight * value(e, &w.key) / *max;
                }
            }
            let mut composite = (score * Decimal::from(100)).round_dp(2);
            composite.rescale(2);
            e.composite = Some(composite);
        }
    }
    let column = |f: fn(&Entry) -> Decimal, entries: &[Entry]| {
        ranks(&entries.iter().map(f).collect::<Vec<_>>())
    };
    let total = column(|e| e.total, &entries);
    let transfer = column(|e| e.transfer_group, &entries);
    let service = column(|e| e.service_group, &entries);
    let count = column(|e| Decimal::from(e.contracts), &entries);
    let share = column(|e| e.in_city_share, &entries);
    let composite_ranks = column(|e| e.composite.unwrap_or(Decimal::ZERO), &entries);
    for (i, e) in entries.iter_mut().enumerate() {
        e.rank_total = total[i];
        e.rank_transfer_group = transfer[i];
        e.rank_service_group = service[i];
        e.rank_contracts = count[i];
        e.rank_in_city_share = share[i];
        e.rank_composite = e.composite.map(|_| composite_ranks[i]);
    }
    entries.sort_by(|a, b| {
        a.rank_total
            .cmp(&b.rank_total)
            .then(a.credit_code.cmp(&b.credit_code))
    });
    Ok(Ranking {
        year,
        method: method(composite.as_ref()),
        composite,
        entries,
    })
}

/// The one JSON form of a ranking: what a snapshot stores and what the command prints.
pub fn to_json(ranking: &Ranking) -> AppResult<String> {
    serde_json::to_string_pretty(ranking).map_err(|e| AppError::Internal(e.to_string()))
}

/// A year's ranking as shown: frozen (the snapshot) or current (computed now).
#[derive(Debug, Clone)]
pub struct Shown {
    pub ranking: Ranking,
    /// When it was frozen, if it was.
    pub frozen_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Years that have a frozen ranking, newest first.
    pub frozen_years: Vec<i32>,
}

pub async fn shown(app: &App, year: i32) -> AppResult<Shown> {
    let pool = app.store().pool();
    let frozen_years = store::frozen_years(pool).await?;
    match store::snapshot_of(pool, year).await? {
        Some(snapshot) => Ok(Shown {
            ranking: serde_json::from_str(&snapshot.figures)
                .map_err(|e| AppError::Internal(format!("排行榜快照无法读取：{e}")))?,
            frozen_at: Some(snapshot.frozen_at),
            frozen_years,
        }),
        None => Ok(Shown {
            ranking: compute(app, year).await?,
            frozen_at: None,
            frozen_years,
        }),
    }
}

/// The years a ranking can be shown for: those with registered contracts and those frozen,
/// newest first.
pub async fn years(app: &App) -> AppResult<Vec<i32>> {
    let pool = app.store().pool();
    let mut years: Vec<i32> =
        zijin_store::contracts::totals::by_year(pool, zijin_store::contracts::totals::CITY)
            .await?
            .into_iter()
            .map(|(year, _)| year)
            .collect();
    years.extend(store::frozen_years(pool).await?);
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    Ok(years)
}

/// The frozen ranking of a year, if any.
pub async fn snapshot(app: &App, year: i32) -> AppResult<Option<Ranking>> {
    store::snapshot_of(app.store().pool(), year)
        .await?
        .map(|s| {
            serde_json::from_str(&s.figures)
                .map_err(|e| AppError::Internal(format!("排行榜快照无法读取：{e}")))
        })
        .transpose()
}

/// Freezes a year's ranking (admins): computed and stored in one transaction, once.
pub async fn freeze(app: &App, actor: &Actor, year: i32) -> AppResult<Ranking> {
    access::require(actor, Area::RankingFreeze)?;
    if year >= chrono::Datelike::year(&app.today()) {
        return Err(AppError::WrongState(
            "只能发布已结束年度的排行榜：本年度的合同还在登记".into(),
        ));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    if store::snapshot_of(&mut **work.tx(), year).await?.is_some() {
        return Err(AppError::WrongState(format!(
            "{year}年度排行榜已发布，不能重复发布"
        )));
    }
    // Computed inside the write transaction: no contract changes between computing and storing.
    let ranking = compute(app, year).await?;
    if ranking.entries.is_empty() {
        return Err(AppError::WrongState(format!(
            "{year}年度没有高校院所作为卖方的已登记技术合同，无法发布排行榜"
        )));
    }
    let text = to_json(&ranking)?;
    // Two admins freezing at once on PostgreSQL: the second meets the first's row.
    store::freeze(work.tx(), year, &text, now, actor.user().map(|u| u.id))
        .await
        .map_err(|error| match error {
            zijin_store::StoreError::Duplicate { .. } => {
                AppError::WrongState(format!("{year}年度排行榜已发布，不能重复发布"))
            }
            other => other.into(),
        })?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "ranking.freeze",
        entity: "ranking",
        entity_id: year.to_string(),
        before: None,
        after: Some(json!({ "year": year, "entries": ranking.entries.len() })),
    });
    work.commit().await?;
    Ok(ranking)
}

fn shown_money(value: Decimal) -> String {
    zijin_domain::Total::from_yuan(value).grouped()
}

/// The rows of the export and the PDF: rank, name, nature, amounts, share, composite.
fn rows(ranking: &Ranking) -> Vec<Vec<String>> {
    ranking
        .entries
        .iter()
        .map(|e| {
            vec![
                e.rank_total.to_string(),
                e.name.clone(),
                e.nature.clone(),
                e.contracts.to_string(),
                shown_money(e.total),
                shown_money(e.transfer_group),
                shown_money(e.service_group),
                format!("{}%", e.in_city_share),
                e.composite.map_or_else(|| "—".into(), |c| c.to_string()),
            ]
        })
        .collect()
}

const HEADERS: [(&str, f64); 9] = [
    ("名次", 6.0),
    ("单位名称", 30.0),
    ("性质", 10.0),
    ("合同数（项）", 12.0),
    ("合同总金额（元）", 20.0),
    ("转让·许可·作价投资（元）", 22.0),
    ("开发·咨询·服务（元）", 20.0),
    ("本地转化占比", 12.0),
    ("综合指数", 10.0),
];

pub fn export_xlsx(ranking: &Ranking) -> AppResult<Vec<u8>> {
    crate::exports::table_xlsx(
        &format!("{}年度排行榜", ranking.year),
        &HEADERS,
        &rows(ranking),
    )
}

pub async fn export_pdf(
    ranking: &Ranking,
    frozen_at: Option<chrono::DateTime<chrono::Utc>>,
) -> AppResult<Vec<u8>> {
    let mut preamble = vec![match frozen_at {
        Some(at) => format!(
            "发布时间：{}（北京时间）",
            at.with_timezone(&chrono_tz_beijing())
                .format("%Y年%m月%d日 %H:%M")
        ),
        None => "尚未发布：以下为按当前登记数据的计算结果".to_string(),
    }];
    preamble.extend(ranking.method.iter().cloned());
    let aligns = [
        zijin_pdf::Align::Center,
        zijin_pdf::Align::Left,
        zijin_pdf::Align::Center,
        zijin_pdf::Align::Right,
        zijin_pdf::Align::Right,
        zijin_pdf::Align::Right,
        zijin_pdf::Align::Right,
        zijin_pdf::Align::Right,
        zijin_pdf::Align::Right,
    ];
    let weights = [0.6, 3.0, 1.0, 0.9, 1.8, 1.8, 1.8, 1.0, 0.9];
    let publication = zijin_pdf::Publication {
        title: format!("{}年度南京市高校院所科技成果转化排行榜", ranking.year),
        preamble,
        tables: vec![zijin_pdf::Table {
            heading: "总榜（按合同总金额）".into(),
            columns: HEADERS
                .iter()
                .zip(aligns.iter().zip(weights))
                .map(|((h, _), (a, w))| zijin_pdf::Column::new(*h, w).aligned(*a))
                .collect(),
            rows: rows(ranking),
            empty_note: "本年度暂无上榜单位".into(),
        }],
        footer: "紫金科技成果转化服务平台 · 高校院所科技成果转化排行榜".into(),
        date: frozen_at.map(|at| {
            use chrono::Datelike;
            let d = at.with_timezone(&chrono_tz_beijing()).date_naive();
            (d.year() as u16, d.month() as u8, d.day() as u8)
        }),
    };
    crate::exports::render_pdf(publication, "排行榜").await
}

fn chrono_tz_beijing() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_share_a_rank() {
        let v = [
            Decimal::from(5),
            Decimal::from(9),
            Decimal::from(5),
            Decimal::from(1),
        ];
        assert_eq!(ranks(&v), vec![2, 1, 2, 4]);
    }

    #[test]
    fn composite_files_are_checked() {
        let good = "name = \"综合指数\"\nsource = \"示例\"\n[[indicator]]\nkey = \"total_amount\"\nweight = \"0.6\"\n[[indicator]]\nkey = \"in_city_share\"\nweight = \"0.4\"\n";
        assert_eq!(Composite::parse(good).map(|c| c.indicators.len()), Ok(2));
        let bad_sum = good.replace("0.4", "0.5");
        assert!(Composite::parse(&bad_sum).is_err_and(|e| e.contains("之和应为1")));
        let bad_key = good.replace("in_city_share", "papers");
        assert!(Composite::parse(&bad_key).is_err_and(|e| e.contains("无法识别")));
    }
}
