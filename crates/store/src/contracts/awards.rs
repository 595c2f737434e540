//! The sums of registered contracts the contract-based awards read (art. 3 and the example
//! supplement): 技术交易额 per party, registry, 技术转移机构 and 技术经理人, and payments received.

use sqlx::{Any, AssertSqlSafe, Executor, Row};

use crate::StoreResult;

/// Registered contracts of `year` between unrelated parties brokered by each 技术经理人:
/// (the manager's account id, 技术交易额 in fen), for the broker award of the example
/// supplement (a share of the 技术交易额 each person brokered).
pub async fn technology_by_broker_user<'e>(
    db: impl Executor<'e, Database = Any>,
    year: i32,
) -> StoreResult<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT broker_user_id AS id, CAST(SUM(technology_fen) AS BIGINT) AS fen FROM tech_contracts \
         WHERE status = 'registered' AND stat_year = $1 AND related_party = 0 AND broker_user_id IS NOT NULL \
         GROUP BY broker_user_id ORDER BY broker_user_id",
    )
    .bind(i64::from(year))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("fen")?)))
        .collect()
}

/// Per registered contract between unrelated parties with payments received in `year`:
/// (buyer credit code, received in the year in fen, 技术交易额 in fen), for the buyer subsidy
/// of the example supplement (a share of the 技术交易额 actually received).
pub async fn received_in_year<'e>(
    db: impl Executor<'e, Database = Any>,
    year: i32,
) -> StoreResult<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT c.buyer_credit_code AS code, c.technology_fen AS technology, CAST(SUM(p.amount_fen) AS BIGINT) AS received \
         FROM contract_receipts p JOIN tech_contracts c ON c.id = p.contract_id \
         WHERE c.status = 'registered' AND c.related_party = 0 AND p.received_on >= $1 AND p.received_on <= $2 \
         GROUP BY c.id, c.buyer_credit_code, c.technology_fen",
    )
    .bind(format!("{year:04}-01-01"))
    .bind(format!("{year:04}-12-31"))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("code")?,
                row.try_get("received")?,
                row.try_get("technology")?,
            ))
        })
        .collect()
}

/// Whose registered contracts an award counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwardRole {
    /// 输出方: contracts it sold (by credit code).
    Seller(String),
    /// 吸纳方: contracts it bought (by credit code).
    Buyer(String),
    /// 合同登记机构: contracts it registered.
    Registry(i64),
    /// 技术转移机构: contracts it brokered.
    Broker(i64),
}

/// The 技术交易额 (fen) of the registered contracts of `year` counted for `role`.
pub async fn technology_for<'e>(
    db: impl Executor<'e, Database = Any>,
    role: &AwardRole,
    year: i32,
) -> StoreResult<i64> {
    let (condition, text, id) = match role {
        AwardRole::Seller(code) => ("seller_credit_code = $2", Some(code.clone()), None),
        AwardRole::Buyer(code) => ("buyer_credit_code = $2", Some(code.clone()), None),
        AwardRole::Registry(id) => ("registry_id = $2", None, Some(*id)),
        AwardRole::Broker(id) => ("broker_institution_id = $2", None, Some(*id)),
    };
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(technology_fen), 0) AS BIGINT) AS fen FROM tech_contracts \
         WHERE status = 'registered' AND stat_year = $1 AND {condition}"
    );
    let query = sqlx::query(AssertSqlSafe(sql)).bind(i64::from(year));
    let query = match (text, id) {
        (Some(text), _) => query.bind(text),
        (None, Some(id)) => query.bind(id),
        (None, None) => query,
    };
    Ok(query.fetch_one(db).await?.try_get("fen")?)
}
