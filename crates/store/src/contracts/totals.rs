//! The aggregates of registered contracts (`contract_totals`): counts, 成交额 and 技术交易额 per
//! year by one dimension at a time, for the whole city and for each district (contracts whose
//! seller or buyer is there). Every change of a registered contract applies its delta in the
//! same transaction ([`apply`]), so the statistics page reads a few hundred rows instead of
//! grouping the contracts table; [`recount`] groups the table itself, for tests and the
//! benchmark baseline.

use std::collections::BTreeMap;

use sqlx::{Any, AssertSqlSafe, Executor, Row};
use zijin_domain::{Coded, ContractDetails, Place};

use crate::{StoreResult, WriteTx};

/// The dimensions counted, with the table column each one groups by.
pub const DIMENSIONS: [(&str, &str); 10] = [
    ("all", "''"),
    ("month", "stat_month"),
    ("kind", "contract_kind"),
    ("type", "contract_type"),
    ("field", "field"),
    ("seller_place", "seller_place"),
    ("buyer_place", "buyer_place"),
    ("seller_nature", "seller_nature"),
    ("buyer_nature", "buyer_nature"),
    ("in_city", "in_city"),
];

/// The scope of the whole city.
pub const CITY: &str = "city";

/// The scope of a district, by its place code.
pub fn district_scope(place_code: &str) -> String {
    format!("d:{place_code}")
}

/// Counts and sums of one cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    pub contracts: i64,
    pub total_fen: i64,
    pub technology_fen: i64,
}

impl Sums {
    fn add(&mut self, other: Sums) {
        self.contracts += other.contracts;
        self.total_fen += other.total_fen;
        self.technology_fen += other.technology_fen;
    }
}

/// (scope, dimension, year, key) → sums to add (negative to take away).
pub type Deltas = BTreeMap<(String, &'static str, i32, String), Sums>;

/// The key of a month: `01` … `12`, so keys sort as months do.
fn month_key(month: u32) -> String {
    format!("{month:02}")
}

/// Adds one contract's cells to `deltas`, with `sign` +1 (it starts counting) or -1 (it stops).
pub fn add_contract(
    deltas: &mut Deltas,
    details: &ContractDetails,
    year: i32,
    month: u32,
    sign: i64,
) {
    let sums = Sums {
        contracts: sign,
        total_fen: sign * details.total.fen(),
        technology_fen: sign * details.technology.fen(),
    };
    let keys: [(&'static str, String); 10] = [
        ("all", String::new()),
        ("month", month_key(month)),
        ("kind", details.contract_type.kind().code().to_string()),
        ("type", details.contract_type.code().to_string()),
        ("field", details.field.code().to_string()),
        ("seller_place", details.seller.region.place().code()),
        ("buyer_place", details.buyer.region.place().code()),
        ("seller_nature", details.seller.nature.code()),
        ("buyer_nature", details.buyer.nature.code()),
        ("in_city", i64::from(details.in_city()).to_string()),
    ];
    let mut scopes = vec![CITY.to_string()];
    for place in [details.seller.region.place(), details.buyer.region.place()] {
        if let Place::Nanjing(Some(district)) = place {
            let scope = district_scope(district.code());
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
    }
    for scope in scopes {
        for (dimension, key) in &keys {
            deltas
                .entry((scope.clone(), dimension, year, key.clone()))
                .or_default()
                .add(sums);
        }
    }
}

/// Applies the deltas in the transaction that changed the contracts.
pub async fn apply(tx: &mut WriteTx, deltas: &Deltas) -> StoreResult<()> {
    for ((scope, dimension, year, key), sums) in deltas {
        if *sums == Sums::default() {
            continue;
        }
        sqlx::query(
            "INSERT INTO contract_totals (scope, dimension, key, stat_year, contracts, total_fen, technology_fen) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (scope, dimension, stat_year, key) DO UPDATE SET \
               contracts = contract_totals.contracts + excluded.contracts, \
               total_fen = contract_totals.total_fen + excluded.total_fen, \
               technology_fen = contract_totals.technology_fen + excluded.technology_fen",
        )
        .bind(scope.clone())
        .bind(*dimension)
        .bind(key.clone())
        .bind(i64::from(*year))
        .bind(sums.contracts)
        .bind(sums.total_fen)
        .bind(sums.technology_fen)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// One scope's figures of a year: dimension → key → sums (cells with no contract left out).
pub type Figures = BTreeMap<String, BTreeMap<String, Sums>>;

/// The kept aggregates of a year.
pub async fn read<'e>(
    db: impl Executor<'e, Database = Any>,
    scope: &str,
    year: i32,
) -> StoreResult<Figures> {
    let rows = sqlx::query(
        "SELECT dimension, key, contracts, total_fen, technology_fen FROM contract_totals \
         WHERE scope = $1 AND stat_year = $2 AND contracts <> 0",
    )
    .bind(scope.to_string())
    .bind(i64::from(year))
    .fetch_all(db)
    .await?;
    let mut figures = Figures::new();
    for row in rows {
        figures
            .entry(row.try_get("dimension")?)
            .or_default()
            .insert(
                row.try_get("key")?,
                Sums {
                    contracts: row.try_get("contracts")?,
                    total_fen: row.try_get("total_fen")?,
                    technology_fen: row.try_get("technology_fen")?,
                },
            );
    }
    Ok(figures)
}

/// Every year's totals of a scope, oldest first.
pub async fn by_year<'e>(
    db: impl Executor<'e, Database = Any>,
    scope: &str,
) -> StoreResult<Vec<(i32, Sums)>> {
    let rows = sqlx::query(
        "SELECT stat_year, contracts, total_fen, technology_fen FROM contract_totals \
         WHERE scope = $1 AND dimension = 'all' AND contracts <> 0 ORDER BY stat_year",
    )
    .bind(scope.to_string())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<i64, _>("stat_year")? as i32,
                Sums {
                    contracts: row.try_get("contracts")?,
                    total_fen: row.try_get("total_fen")?,
                    technology_fen: row.try_get("technology_fen")?,
                },
            ))
        })
        .collect()
}

/// The same figures grouped from the contracts table (the baseline the kept aggregates are
/// measured against, and the check that they stay right).
pub async fn recount<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    scope: &str,
    year: i32,
) -> StoreResult<Figures> {
    let (condition, place) = match scope.strip_prefix("d:") {
        Some(place) => (
            " AND (seller_place = $2 OR buyer_place = $2)",
            Some(place.to_string()),
        ),
        None => ("", None),
    };
    let mut figures = Figures::new();
    for (dimension, column) in DIMENSIONS {
        let group_by = if dimension == "all" {
            String::new()
        } else {
            format!(" GROUP BY {column}")
        };
        let sql = format!(
            "SELECT {column} AS key, COUNT(*) AS contracts, CAST(SUM(total_fen) AS BIGINT) AS total_fen, \
             CAST(SUM(technology_fen) AS BIGINT) AS technology_fen \
             FROM tech_contracts WHERE status = 'registered' AND stat_year = $1{condition}{group_by}"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(i64::from(year));
        if let Some(place) = &place {
            query = query.bind(place.clone());
        }
        for row in query.fetch_all(db).await? {
            if row.try_get::<i64, _>("contracts")? == 0 {
                continue;
            }
            let key = match dimension {
                "all" => String::new(),
                "month" => month_key(row.try_get::<i64, _>("key")? as u32),
                "in_city" => row.try_get::<i64, _>("key")?.to_string(),
                _ => row.try_get("key")?,
            };
            figures.entry(dimension.to_string()).or_default().insert(
                key,
                Sums {
                    contracts: row.try_get("contracts")?,
                    total_fen: row.try_get("total_fen")?,
                    technology_fen: row.try_get("technology_fen")?,
                },
            );
        }
    }
    Ok(figures)
}
