//! 对接漏斗 (本区对接 for a district officer): the matches by stage as charts — how far they got,
//! and the trend by month — for a date range, tables by technical field and district beside
//! them, an .xlsx export; for admins, every match below.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use zijin_app::matchmaking::{self, Funnel, MatchListing};
use zijin_domain::{Coded, District, MatchStage, group_thousands};

use super::matches::{FilterParams, filter_context};
use crate::AppState;
use crate::charts::{self, Series};
use crate::error::PageError;
use crate::extract::Query;
use crate::match_views::MatchView;
use crate::routes::{Routes, get};
use crate::session::Visitor;
use crate::views::{page_context, query_prefix, ser};

pub fn router() -> Routes {
    Routes::new()
        .route("/admin/matches", get(page))
        .route("/admin/matches/export.xlsx", get(export))
}

/// The date range, Beijing dates, inclusive.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct RangeParams {
    from: String,
    until: String,
}

/// A table row: a field's or a district's counts per stage, in `MatchStage::ALL` order.
#[derive(Serialize)]
struct CountRow {
    label: String,
    counts: Vec<String>,
    total: String,
    conversion: String,
    #[serde(skip)]
    sum: i64,
}

fn count_row(label: String, counts: [i64; 5]) -> CountRow {
    let sum: i64 = counts.iter().sum();
    CountRow {
        label,
        counts: counts
            .iter()
            .map(|n| group_thousands(&n.to_string()))
            .collect(),
        total: group_thousands(&sum.to_string()),
        conversion: percent(counts[3], sum),
        sum,
    }
}

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        // Tenths of a percent, rounded half up, in integers.
        let tenths = (part * 1000 + whole / 2) / whole;
        format!("{}.{}%", tenths / 10, tenths % 10)
    }
}

/// Sums the funnel's rows by a key (the field's or the district's label), largest first.
fn grouped(funnel: &Funnel, label: impl Fn(&str, &str) -> String) -> Vec<CountRow> {
    let mut sums: Vec<(String, [i64; 5])> = Vec::new();
    for (field, district, counts) in &funnel.rows {
        let key = label(field, district);
        match sums.iter_mut().find(|(k, _)| *k == key) {
            Some((_, total)) => total.iter_mut().zip(counts).for_each(|(t, n)| *t += n),
            None => sums.push((key, *counts)),
        }
    }
    let mut rows: Vec<CountRow> = sums.into_iter().map(|(k, c)| count_row(k, c)).collect();
    rows.sort_by(|a, b| b.sum.cmp(&a.sum).then_with(|| a.label.cmp(&b.label)));
    rows
}

/// How many matches reached each step (a signed match went through 意向 and 洽谈).
fn reached(totals: [i64; 5]) -> Vec<(String, i64)> {
    let [recommended, interested, negotiating, signed, terminated] = totals;
    vec![
        (
            "推荐".into(),
            recommended + interested + negotiating + signed + terminated,
        ),
        ("有意向".into(), interested + negotiating + signed),
        ("进入洽谈".into(), negotiating + signed),
        ("签约".into(), signed),
        ("终止".into(), terminated),
    ]
}

async fn load(
    state: &AppState,
    visitor: &Visitor,
    range: &RangeParams,
) -> Result<(Funnel, std::collections::HashMap<String, String>), PageError> {
    let funnel = matchmaking::funnel_between(
        &state.app,
        &visitor.actor,
        Some(range.from.as_str()),
        Some(range.until.as_str()),
    )
    .await?;
    let fields = zijin_app::search::field_labels(&state.app).await?;
    Ok((funnel, fields))
}

fn district_label(code: &str) -> String {
    District::from_code(code).map_or_else(|| "未填写".to_string(), |d| d.label().to_string())
}

async fn page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(range): Query<RangeParams>,
    Query(params): Query<FilterParams>,
) -> Result<Response, PageError> {
    let (funnel, fields) = load(&state, &visitor, &range).await?;
    let field_label = |code: &str| {
        fields
            .get(code)
            .cloned()
            .unwrap_or_else(|| "其他领域".into())
    };
    let by_field = grouped(&funnel, |field, _| field_label(field));
    let by_district = grouped(&funnel, |_, district| district_label(district));
    let stages_chart = charts::bars(
        "各阶段对接数（已到达该阶段的对接）",
        &reached(funnel.totals),
    );
    let months: Vec<String> = funnel.trend.iter().map(|(m, _)| m.clone()).collect();
    let trend_chart = charts::lines(
        "按推荐月份统计的对接数",
        &months,
        &[
            Series {
                name: "推荐",
                values: funnel.trend.iter().map(|(_, c)| c.iter().sum()).collect(),
                colour: 0,
            },
            Series {
                name: "签约",
                values: funnel.trend.iter().map(|(_, c)| c[3]).collect(),
                colour: 1,
            },
        ],
    );
    let trend: Vec<_> = funnel
        .trend
        .iter()
        .map(|(month, counts)| {
            let sum: i64 = counts.iter().sum();
            context! { month, recommended => group_thousands(&sum.to_string()), signed => group_thousands(&counts[3].to_string()) }
        })
        .collect();
    // Admins also follow every match from here (and assign technology managers on its page).
    let all = if zijin_app::access::may(&visitor.actor, zijin_app::access::Area::AllMatches) {
        let list = matchmaking::list(
            &state.app,
            &visitor.actor,
            MatchListing::All,
            &params.query(),
        )
        .await?;
        let views: Vec<MatchView> = list.matches.iter().map(MatchView::new).collect();
        Some(
            context! { matches => ser(&views), filter => filter_context(&list), truncated => list.truncated },
        )
    } else {
        None
    };
    let district_officer = zijin_app::access::funnel_district(&visitor.actor)?;
    let title = if district_officer.is_some() {
        "本区对接"
    } else {
        "对接漏斗"
    };
    let export_href = query_prefix(
        "/admin/matches/export.xlsx",
        &[
            ("from", range.from.as_str()),
            ("until", range.until.as_str()),
        ],
    );
    let base = page_context(&state.app, &visitor, title).await;
    Ok(super::html(
        StatusCode::OK,
        "funnel.html",
        context! {
            stages => MatchStage::ALL.iter().map(|s| s.label()).collect::<Vec<_>>(),
            by_field => ser(&by_field), by_district => ser(&by_district),
            totals => ser(count_row("合计".into(), funnel.totals)),
            reached => reached(funnel.totals).into_iter().map(|(label, n)| context! { label, n => group_thousands(&n.to_string()) }).collect::<Vec<_>>(),
            conversion => funnel.conversion_percent().unwrap_or_else(|| "—".into()),
            stages_chart, trend_chart, trend,
            range => ser(&range), export_href,
            district => district_officer.map(|d| d.label()),
            all,
            ..base
        },
    ))
}

async fn export(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(range): Query<RangeParams>,
) -> Result<Response, PageError> {
    let (funnel, fields) = load(&state, &visitor, &range).await?;
    let mut rows: Vec<Vec<String>> = funnel
        .rows
        .iter()
        .map(|(field, district, counts)| {
            let mut row = vec![
                fields
                    .get(field)
                    .cloned()
                    .unwrap_or_else(|| "其他领域".into()),
                district_label(district),
            ];
            row.extend(counts.iter().map(i64::to_string));
            row.push(counts.iter().sum::<i64>().to_string());
            row.push(percent(counts[3], counts.iter().sum()));
            row
        })
        .collect();
    rows.sort();
    let mut total = vec!["合计".to_string(), String::new()];
    total.extend(funnel.totals.iter().map(i64::to_string));
    total.push(funnel.totals.iter().sum::<i64>().to_string());
    total.push(funnel.conversion_percent().unwrap_or_else(|| "—".into()));
    rows.push(total);
    let mut headers: Vec<(&str, f64)> = vec![("技术领域", 18.0), ("所在区（需求方）", 14.0)];
    headers.extend(MatchStage::ALL.iter().map(|s| (s.label(), 8.0)));
    headers.push(("合计", 8.0));
    headers.push(("签约率", 8.0));
    let bytes = zijin_app::exports::table_xlsx("对接漏斗", &headers, &rows)?;
    let name = match (range.from.trim(), range.until.trim()) {
        ("", "") => "对接漏斗.xlsx".to_string(),
        (from, until) => format!("对接漏斗（{from}至{until}）.xlsx"),
    };
    Ok(crate::download::xlsx(&name, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_in_integers() {
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(2, 3), "66.7%");
        assert_eq!(percent(0, 0), "—");
        assert_eq!(percent(5, 5), "100.0%");
    }

    #[test]
    fn reached_counts_the_later_stages_in_the_earlier() {
        let reached = reached([10, 5, 3, 2, 4]);
        let numbers: Vec<i64> = reached.iter().map(|(_, n)| *n).collect();
        assert_eq!(numbers, [24, 10, 5, 2, 4]);
    }
}
