//! 技术合同统计 (`/stats/contracts`, public figures with charts and an .xlsx export) and the
//! 高校院所科技成果转化排行榜 (`/rankings`, frozen by the bureau, with PDF and .xlsx).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};
use zijin_app::AppError;
use zijin_app::access::{self, Area};
use zijin_app::contracts::{ranking, stats};
use zijin_domain::{Coded, District, group_thousands};

use super::html;
use crate::AppState;
use crate::charts;
use crate::error::PageError;
use crate::extract::{Form, Query};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::page_context;

pub fn router() -> Routes {
    Routes::new()
        .route("/stats/contracts", get(statistics))
        .route("/stats/contracts/export.xlsx", get(statistics_export))
        .route("/rankings", get(rankings))
        .route("/rankings/freeze", post(freeze))
        .route("/rankings/{file}", get(ranking_file))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct StatsQuery {
    year: String,
    district: String,
}

/// 万元 as a whole number, for the bars (the table beside each chart gives the exact amount).
fn wan(total: zijin_domain::Total) -> i64 {
    total.fen() / 1_000_000
}

async fn load(
    state: &AppState,
    visitor: &Visitor,
    query: &StatsQuery,
) -> Result<stats::Statistics, PageError> {
    let year = query.year.trim().parse().ok();
    let district = District::from_code(&query.district);
    Ok(stats::statistics(&state.app, &visitor.actor, year, district).await?)
}

fn line_view(l: &stats::Line) -> minijinja::Value {
    context! {
        label => l.label.clone(),
        contracts => group_thousands(&l.contracts.to_string()),
        total => l.total.shown(),
        technology => l.technology.shown(),
    }
}

async fn statistics(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<StatsQuery>,
) -> Result<Response, PageError> {
    let s = load(&state, &visitor, &query).await?;
    let scope = s.scope_label();
    let by_year_chart = charts::bars(
        &format!("{scope}历年技术交易额（万元）"),
        &s.by_year
            .iter()
            .map(|l| (l.label.clone(), wan(l.technology)))
            .collect::<Vec<_>>(),
    );
    let boxes: Vec<_> = s
        .breakdowns
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let items: Vec<(String, i64)> = b
                .lines
                .iter()
                .map(|l| (l.label.clone(), wan(l.technology)))
                .collect();
            let chart = if b.title == "按月份" {
                let steps: Vec<String> = b.lines.iter().map(|l| l.label.clone()).collect();
                let values: Vec<i64> = b.lines.iter().map(|l| wan(l.technology)).collect();
                charts::lines(
                    &format!("{}技术交易额（万元）", b.title),
                    &steps,
                    &[charts::Series {
                        name: "技术交易额（万元）",
                        values,
                        colour: 0,
                    }],
                )
            } else {
                charts::bars(&format!("{}：技术交易额（万元）", b.title), &items)
            };
            context! {
                id => format!("stats-{i}"), title => b.title, by => b.by, chart,
                lines => b.lines.iter().map(line_view).collect::<Vec<_>>(),
            }
        })
        .collect();
    let year_text = s.year.map(|y| y.to_string()).unwrap_or_default();
    let district_code = s.district.map(|d| d.code()).unwrap_or("");
    let export_href =
        format!("/stats/contracts/export.xlsx?year={year_text}&district={district_code}");
    let details_href = s
        .details_visible
        .then(|| format!("/contracts?status=registered&year={year_text}"));
    let base = page_context(&state.app, &visitor, "技术合同统计").await;
    Ok(html(
        StatusCode::OK,
        "contract_stats.html",
        context! {
            scope, year => s.year, years => s.years.clone(), district_code,
            may_choose => access::contract::statistics_district(&visitor.actor, None).is_none(),
            districts => District::ALL.iter().map(|d| context! { code => d.code(), label => d.label() }).collect::<Vec<_>>(),
            total => line_view(&s.total),
            in_city_share => s.in_city_share.map(|p| format!("{p}%")),
            by_year => s.by_year.iter().map(line_view).collect::<Vec<_>>(),
            by_year_chart, boxes, export_href, details_href,
            ..base
        },
    ))
}

async fn statistics_export(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<StatsQuery>,
) -> Result<Response, PageError> {
    let s = load(&state, &visitor, &query).await?;
    let bytes = stats::export_xlsx(&s)?;
    let name = format!(
        "{}{}技术合同统计.xlsx",
        s.scope_label(),
        s.year.map(|y| format!("{y}年")).unwrap_or_default()
    );
    Ok(crate::download::xlsx(&name, bytes))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct RankingQuery {
    year: String,
}

fn money_text(value: rust_decimal::Decimal) -> String {
    zijin_domain::Total::from_yuan(value).shown()
}

async fn rankings(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<RankingQuery>,
) -> Result<Response, PageError> {
    let this_year = chrono::Datelike::year(&state.app.today());
    let years = ranking::years(&state.app).await?;
    // Default: the newest ended year with data (the one a ranking is published for).
    let default = years
        .iter()
        .copied()
        .find(|y| *y < this_year)
        .or(years.first().copied())
        .unwrap_or(this_year - 1);
    let year = match query.year.trim() {
        "" => default,
        text => text
            .parse()
            .map_err(|_| AppError::NotFound("该年度的排行榜"))?,
    };
    if !years.contains(&year) && !(this_year - 10..=this_year).contains(&year) {
        return Err(AppError::NotFound("该年度的排行榜").into());
    }
    let shown = ranking::shown(&state.app, year).await?;
    let r = &shown.ranking;
    let entries: Vec<_> = r
        .entries
        .iter()
        .map(|e| {
            context! {
                rank => e.rank_total, name => e.name.clone(), nature => e.nature.clone(),
                contracts => group_thousands(&e.contracts.to_string()),
                total => money_text(e.total), transfer => money_text(e.transfer), license => money_text(e.license),
                equity => money_text(e.equity), development => money_text(e.development),
                consulting => money_text(e.consulting), service => money_text(e.service),
                transfer_group => money_text(e.transfer_group), rank_transfer_group => e.rank_transfer_group,
                service_group => money_text(e.service_group), rank_service_group => e.rank_service_group,
                rank_contracts => e.rank_contracts,
                in_city_share => format!("{}%", e.in_city_share), rank_in_city_share => e.rank_in_city_share,
                composite => e.composite.map(|c| c.to_string()), rank_composite => e.rank_composite,
            }
        })
        .collect();
    let sorted = |key: fn(&ranking::Entry) -> usize| {
        let mut list: Vec<&ranking::Entry> = r.entries.iter().collect();
        list.sort_by_key(|e| (key(e), e.credit_code.clone()));
        list.into_iter()
            .take(10)
            .map(|e| context! { rank => key(e), name => e.name.clone() })
            .collect::<Vec<_>>()
    };
    let top: Vec<(String, i64)> = r
        .entries
        .iter()
        .take(15)
        .map(|e| (e.name.clone(), wan(zijin_domain::Total::from_yuan(e.total))))
        .collect();
    let chart = charts::bars(&format!("{year}年度合同总金额前15名（万元）"), &top);
    let mut years = years;
    if !years.contains(&year) {
        years.push(year);
        years.sort_unstable_by(|a, b| b.cmp(a));
    }
    let (notice, flash) = crate::flash::notice_or_error(visitor.flash.as_deref());
    let base = page_context(&state.app, &visitor, "高校院所科技成果转化排行榜").await;
    Ok(html(
        StatusCode::OK,
        "rankings.html",
        context! {
            year, years, entries, chart, notice, flash,
            by_transfer => sorted(|e| e.rank_transfer_group),
            by_service => sorted(|e| e.rank_service_group),
            by_contracts => sorted(|e| e.rank_contracts),
            by_share => sorted(|e| e.rank_in_city_share),
            composite => r.composite.as_ref().map(|c| c.name.clone()),
            method => r.method.clone(),
            frozen_at => shown.frozen_at.map(zijin_app::auth::display_at),
            frozen_years => shown.frozen_years.clone(),
            may_freeze => access::may(&visitor.actor, Area::RankingFreeze) && shown.frozen_at.is_none() && !r.entries.is_empty() && year < this_year,
            running => year >= this_year,
            ..base
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FreezeForm {
    _csrf: String,
    year: String,
    confirm: String,
}

async fn freeze(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<FreezeForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form._csrf)?;
    access::require(&visitor.actor, Area::RankingFreeze)?;
    let year: i32 = form
        .year
        .trim()
        .parse()
        .map_err(|_| AppError::field("year", "请选择年度"))?;
    let back = format!("/rankings?year={year}");
    if form.confirm != "yes" {
        return Ok(crate::flash::redirect_with_error(
            &back,
            "发布后排行榜不能再更改，请勾选确认后再提交",
        ));
    }
    match ranking::freeze(&state.app, &visitor.actor, year).await {
        Ok(r) => Ok(crate::flash::redirect_with_notice(
            &back,
            &format!(
                "{year}年度排行榜已发布（{} 家单位），此后登记数据的变化不再影响该榜",
                r.entries.len()
            ),
        )),
        Err(AppError::WrongState(message)) => {
            Ok(crate::flash::redirect_with_error(&back, &message))
        }
        Err(AppError::Validation(errors)) => {
            let message: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            Ok(crate::flash::redirect_with_error(
                &back,
                &message.join("；"),
            ))
        }
        Err(error) => Err(error.into()),
    }
}

/// `/rankings/2025.pdf` or `/rankings/2025.xlsx`: the frozen ranking (or, before freezing, the
/// current computation, marked so).
async fn ranking_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let not_found = || AppError::NotFound("排行榜文件");
    let (year, extension) = file.split_once('.').ok_or_else(not_found)?;
    let year: i32 = year.parse().map_err(|_| not_found())?;
    let shown = ranking::shown(&state.app, year).await?;
    if shown.frozen_at.is_none() && shown.ranking.entries.is_empty() {
        return Err(not_found().into());
    }
    match extension {
        "xlsx" => Ok(crate::download::xlsx(
            &format!("{year}年度高校院所科技成果转化排行榜.xlsx"),
            ranking::export_xlsx(&shown.ranking)?,
        )),
        "pdf" => {
            let bytes = ranking::export_pdf(&shown.ranking, shown.frozen_at).await?;
            Ok((
                [
                    (
                        axum::http::header::CONTENT_TYPE,
                        "application/pdf".to_string(),
                    ),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        crate::download::content_disposition(&format!(
                            "{year}年度高校院所科技成果转化排行榜.pdf"
                        )),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        _ => Err(not_found().into()),
    }
}
