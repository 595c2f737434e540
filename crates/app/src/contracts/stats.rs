//! 技术合同统计 (`/stats/contracts`): counts, 成交额 and 技术交易额 of registered contracts by
//! year and month, type, field, the seller's (输出) and buyer's (吸纳) place and nature, and
//! the in-city share — read from the aggregates kept current as contracts change. The figures
//! are public; the contracts behind them are for the bureau, registrars and district officers
//! (their district).

use rust_decimal::Decimal;
use zijin_domain::{
    Coded, ContractField, ContractKind, ContractType, District, PartyNature, Place, Total,
};
use zijin_store::contracts::totals::{self, Sums};

use crate::access;
use crate::{Actor, App, AppError, AppResult};

/// One row of a table: a label and its sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub label: String,
    pub contracts: i64,
    /// Sums of many contracts: [`Total`], exact and not bounded as one amount is.
    pub total: Total,
    pub technology: Total,
}

/// A table of the page (and a sheet of the export).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    /// What the rows are (按月份, 按合同类型 …).
    pub title: &'static str,
    /// The header of the label column.
    pub by: &'static str,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statistics {
    /// `None`: the whole city.
    pub district: Option<District>,
    /// The year shown; `None` when nothing is registered yet.
    pub year: Option<i32>,
    /// Years with contracts, newest first.
    pub years: Vec<i32>,
    /// The scope's totals of each year, oldest first.
    pub by_year: Vec<Line>,
    /// The year's totals.
    pub total: Line,
    /// 买方在南京: share of the year's 技术交易额 whose buyer is in the city, in percent.
    pub in_city_share: Option<Decimal>,
    pub breakdowns: Vec<Breakdown>,
    /// Whether the actor may open the contracts behind the figures.
    pub details_visible: bool,
}

impl Statistics {
    pub fn scope_label(&self) -> &'static str {
        self.district.map_or("全市", |d| d.label())
    }
}

fn line(label: String, sums: Sums) -> AppResult<Line> {
    Ok(Line {
        label,
        contracts: sums.contracts,
        total: Total::from_fen(sums.total_fen),
        technology: Total::from_fen(sums.technology_fen),
    })
}

fn place_label(code: &str) -> String {
    Place::from_code(code).map_or_else(|| "其他地区".to_string(), Place::label)
}

fn nature_label(code: &str) -> String {
    PartyNature::parse(code).map_or_else(|| "其他".to_string(), |n| n.label().to_string())
}

/// The breakdowns shown, with how each key is labelled and ordered.
const BREAKDOWNS: [(&str, &str, &str); 9] = [
    ("month", "按月份", "月份"),
    ("kind", "按合同类型", "合同类型"),
    ("type", "按合同类型（细分）", "合同类型"),
    ("field", "按技术领域", "技术领域"),
    ("seller_place", "按卖方所在地（技术输出）", "卖方所在地"),
    ("buyer_place", "按买方所在地（技术吸纳）", "买方所在地"),
    ("seller_nature", "按卖方性质", "卖方性质"),
    ("buyer_nature", "按买方性质", "买方性质"),
    ("in_city", "买方是否在南京", "买方所在"),
];

fn label(dimension: &str, key: &str) -> String {
    match dimension {
        "month" => format!("{}月", key.trim_start_matches('0')),
        "kind" => ContractKind::from_code(key)
            .map_or(key, |k| k.label())
            .to_string(),
        "type" => ContractType::from_code(key)
            .map_or(key, |t| t.label())
            .to_string(),
        "field" => ContractField::from_code(key)
            .map_or(key, |f| f.label())
            .to_string(),
        "seller_place" | "buyer_place" => place_label(key),
        "seller_nature" | "buyer_nature" => nature_label(key),
        "in_city" => if key == "1" {
            "南京市内"
        } else {
            "南京市外"
        }
        .to_string(),
        _ => key.to_string(),
    }
}

/// Where a key sits in its table: months and enumerations in their own order, places and
/// natures by amount.
fn order(dimension: &str, key: &str) -> Option<usize> {
    match dimension {
        "month" => key.parse().ok(),
        "kind" => ContractKind::ALL.iter().position(|k| k.code() == key),
        "type" => ContractType::ALL.iter().position(|k| k.code() == key),
        "field" => ContractField::ALL.iter().position(|k| k.code() == key),
        "in_city" => Some(if key == "1" { 0 } else { 1 }),
        _ => None,
    }
}

/// The statistics of `year` (default: the newest with contracts) for the city or a district.
/// District officers always see their own district.
pub async fn statistics(
    app: &App,
    actor: &Actor,
    year: Option<i32>,
    district: Option<District>,
) -> AppResult<Statistics> {
    let district = access::contract::statistics_district(actor, district);
    let scope = match district {
        Some(d) => totals::district_scope(d.code()),
        None => totals::CITY.to_string(),
    };
    let pool = app.store().pool();
    let by_year_sums = totals::by_year(pool, &scope).await?;
    let mut years: Vec<i32> = by_year_sums.iter().map(|(y, _)| *y).collect();
    years.reverse();
    let year = year.or_else(|| years.first().copied());
    let by_year = by_year_sums
        .iter()
        .map(|(y, sums)| line(format!("{y}年"), *sums))
        .collect::<AppResult<Vec<_>>>()?;
    let figures = match year {
        Some(y) => totals::read(pool, &scope, y).await?,
        None => Default::default(),
    };
    let year_sums = figures
        .get("all")
        .and_then(|cells| cells.get(""))
        .copied()
        .unwrap_or_default();
    let in_city = figures
        .get("in_city")
        .and_then(|cells| cells.get("1"))
        .copied()
        .unwrap_or_default();
    let in_city_share = (year_sums.technology_fen > 0).then(|| {
        let mut share = (Decimal::from(in_city.technology_fen) * Decimal::from(100)
            / Decimal::from(year_sums.technology_fen))
        .round_dp(1);
        share.rescale(1);
        share
    });
    let mut breakdowns = Vec::new();
    for (dimension, title, by) in BREAKDOWNS {
        let mut cells: Vec<(&String, &Sums)> = figures
            .get(dimension)
            .map(|cells| cells.iter().collect())
            .unwrap_or_default();
        cells.sort_by(|(a_key, a), (b_key, b)| {
            match (order(dimension, a_key), order(dimension, b_key)) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => b
                    .technology_fen
                    .cmp(&a.technology_fen)
                    .then(a_key.cmp(b_key)),
            }
        });
        let lines = cells
            .into_iter()
            .map(|(key, sums)| line(label(dimension, key), *sums))
            .collect::<AppResult<Vec<_>>>()?;
        breakdowns.push(Breakdown { title, by, lines });
    }
    Ok(Statistics {
        district,
        year,
        years,
        by_year,
        total: line(
            year.map_or_else(String::new, |y| format!("{y}年合计")),
            year_sums,
        )?,
        in_city_share,
        breakdowns,
        details_visible: access::contract::sees_contract_details(actor),
    })
}

/// The statistics as an .xlsx workbook: one sheet per table, amounts in yuan.
pub fn export_xlsx(statistics: &Statistics) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("xlsx: {e}"));
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let right = Format::new().set_align(rust_xlsxwriter::FormatAlign::Right);
    let mut sheets: Vec<(&str, &str, &Vec<Line>)> = vec![("按年度", "年度", &statistics.by_year)];
    for breakdown in &statistics.breakdowns {
        sheets.push((breakdown.title, breakdown.by, &breakdown.lines));
    }
    for (name, by, lines) in sheets {
        let sheet = workbook.add_worksheet();
        // Sheet names may not hold （）; keep them short and plain.
        let name: String = name.replace(['（', '）'], "").chars().take(31).collect();
        sheet.set_name(&name).map_err(xlsx)?;
        for (column, header) in [by, "合同数（项）", "成交额（元）", "技术交易额（元）"]
            .iter()
            .enumerate()
        {
            sheet
                .write_string_with_format(0, column as u16, *header, &bold)
                .map_err(xlsx)?;
        }
        sheet.set_column_width(0, 28).map_err(xlsx)?;
        sheet.set_column_width(1, 14).map_err(xlsx)?;
        sheet.set_column_width(2, 20).map_err(xlsx)?;
        sheet.set_column_width(3, 20).map_err(xlsx)?;
        for (index, l) in lines.iter().enumerate() {
            let row = index as u32 + 1;
            sheet.write_string(row, 0, &l.label).map_err(xlsx)?;
            sheet
                .write_number(row, 1, l.contracts as f64)
                .map_err(xlsx)?;
            // Amounts as exact text (a spreadsheet number is a binary double).
            sheet
                .write_string_with_format(row, 2, l.total.grouped(), &right)
                .map_err(xlsx)?;
            sheet
                .write_string_with_format(row, 3, l.technology.grouped(), &right)
                .map_err(xlsx)?;
        }
    }
    workbook.save_to_buffer().map_err(xlsx)
}
