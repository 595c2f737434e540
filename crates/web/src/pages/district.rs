//! 本区概况 (各区概况 for the bureau): a district's figures as charts with their numbers, its
//! institutions by type, its records and matches, and an .xlsx export of its records.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use zijin_app::auth::display_time;
use zijin_app::districts;
use zijin_domain::{Coded, District, InstitutionType, MatchStage, RecordStatus, group_thousands};

use crate::AppState;
use crate::charts;
use crate::error::PageError;
use crate::extract::Query;
use crate::routes::{Routes, get};
use crate::session::Visitor;
use crate::views::page_context;

pub fn router() -> Routes {
    Routes::new()
        .route("/district", get(page))
        .route("/district/export.xlsx", get(export))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct DistrictQuery {
    district: String,
}

fn status_label(code: &str) -> String {
    RecordStatus::from_code(code).map_or_else(|| "其他".to_string(), |s| s.label().to_string())
}

fn kind_label(code: &str) -> &'static str {
    if code == "demand" {
        "技术需求"
    } else {
        "科技成果"
    }
}

/// Counts with their labels, largest first.
fn labelled(counts: &[(String, i64)], label: impl Fn(&str) -> String) -> Vec<(String, i64)> {
    let mut rows: Vec<(String, i64)> = counts.iter().map(|(code, n)| (label(code), *n)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows
}

async fn page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<DistrictQuery>,
) -> Result<Response, PageError> {
    let report = districts::report(&state.app, &visitor.actor, Some(&query.district)).await?;
    let fields = zijin_app::search::field_labels(&state.app).await?;
    let institutions = labelled(&report.figures.institutions, |code| {
        InstitutionType::from_code(code).map_or_else(|| "其他".into(), |t| t.label().to_string())
    });
    let achievements = labelled(&report.figures.achievements, status_label);
    let demands = labelled(&report.figures.demands, status_label);
    let stages: Vec<(String, i64)> = MatchStage::ALL
        .iter()
        .zip(report.funnel.totals)
        .map(|(stage, n)| (stage.label().to_string(), n))
        .collect();
    let table = |rows: &[(String, i64)]| -> Vec<minijinja::Value> {
        rows.iter()
            .map(|(label, n)| context! { label, n => group_thousands(&n.to_string()) })
            .collect()
    };
    let sum = |rows: &[(String, i64)]| {
        group_thousands(&rows.iter().map(|(_, n)| n).sum::<i64>().to_string())
    };
    let official = zijin_app::access::may(&visitor.actor, zijin_app::access::Area::ReviewQueue);
    let records: Vec<_> = report
        .records
        .iter()
        .take(100)
        .map(|r| {
            let readable = official || r.status == RecordStatus::Published.code();
            context! {
                kind => kind_label(&r.kind), title => r.title.clone(), institution => r.institution.clone(),
                status => status_label(&r.status), field => fields.get(&r.field).cloned().unwrap_or_else(|| "其他领域".into()),
                updated => display_time(&r.updated_at),
                href => readable.then(|| format!("/records/{}/{}", r.kind, r.id)),
            }
        })
        .collect();
    let title = if report.may_choose {
        "各区概况"
    } else {
        "本区概况"
    };
    let district = report.district;
    let base = page_context(&state.app, &visitor, title).await;
    Ok(super::html(
        StatusCode::OK,
        "district.html",
        context! {
            district => district.label(), district_code => district.code(), may_choose => report.may_choose,
            districts => District::ALL.iter().map(|d| context! { code => d.code(), label => d.label() }).collect::<Vec<_>>(),
            institutions_chart => charts::bars(&format!("{}各类机构数", district.label()), &institutions),
            achievements_chart => charts::bars("科技成果按状态", &achievements),
            demands_chart => charts::bars("技术需求按状态", &demands),
            matches_chart => charts::bars("对接按当前阶段（需求方在本区）", &stages),
            institutions => table(&institutions), institutions_total => sum(&institutions),
            achievements => table(&achievements), achievements_total => sum(&achievements),
            demands => table(&demands), demands_total => sum(&demands),
            stages => table(&stages), conversion => report.funnel.conversion_percent().unwrap_or_else(|| "—".into()),
            records, records_total => group_thousands(&report.records.len().to_string()),
            export_href => format!("/district/export.xlsx?district={}", district.code()),
            ..base
        },
    ))
}

async fn export(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<DistrictQuery>,
) -> Result<Response, PageError> {
    let report = districts::report(&state.app, &visitor.actor, Some(&query.district)).await?;
    let fields = zijin_app::search::field_labels(&state.app).await?;
    let rows: Vec<Vec<String>> = report
        .records
        .iter()
        .map(|r| {
            vec![
                kind_label(&r.kind).to_string(),
                r.title.clone(),
                r.institution.clone(),
                fields
                    .get(&r.field)
                    .cloned()
                    .unwrap_or_else(|| "其他领域".into()),
                status_label(&r.status),
                display_time(&r.updated_at),
            ]
        })
        .collect();
    let bytes = zijin_app::exports::table_xlsx(
        &format!("{}成果和需求", report.district.label()),
        &[
            ("类别", 10.0),
            ("名称", 40.0),
            ("单位", 30.0),
            ("技术领域", 14.0),
            ("状态", 10.0),
            ("最近更新（北京时间）", 20.0),
        ],
        &rows,
    )?;
    let name = format!("{}成果和需求.xlsx", report.district.label());
    Ok(crate::download::xlsx(&name, bytes))
}
