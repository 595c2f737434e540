//! 本区概况: one district's institutions, records, matches and figures, for its officer (their
//! own district only) and for the bureau (any district).

use zijin_domain::{Coded, District};
use zijin_store::districts::{self, DistrictFigures, DistrictRecord};

use crate::access::{self, Area};
use crate::matchmaking::Funnel;
use crate::{Actor, App, AppError, AppResult};

/// The most records the page and the export list (the newest changes).
pub const RECORD_LIMIT: i64 = 2_000;

#[derive(Debug, Clone)]
pub struct DistrictReport {
    pub district: District,
    /// Whether the actor may pick another district (the bureau).
    pub may_choose: bool,
    pub figures: DistrictFigures,
    pub records: Vec<DistrictRecord>,
    pub funnel: Funnel,
}

/// The report of `requested` (a district's code or label): a district officer always gets their
/// own (asking for another is refused), the bureau the one asked for, else the first.
pub async fn report(
    app: &App,
    actor: &Actor,
    requested: Option<&str>,
) -> AppResult<DistrictReport> {
    access::require(actor, Area::DistrictReport)?;
    let requested = requested.map(str::trim).filter(|r| !r.is_empty());
    let own = access::own_district(actor);
    let district = match (own, requested) {
        (Some(own), None) => own,
        (Some(own), Some(asked)) => match District::from_code(asked) {
            Some(district) if district == own => own,
            _ => return Err(AppError::Forbidden),
        },
        (None, Some(asked)) => District::from_code(asked)
            .ok_or_else(|| AppError::field("district", format!("没有名为“{asked}”的区")))?,
        (None, None) => District::ALL[0],
    };
    let pool = app.store.pool();
    Ok(DistrictReport {
        district,
        may_choose: own.is_none(),
        figures: districts::figures(pool, district.code()).await?,
        records: districts::records(pool, district.code(), RECORD_LIMIT).await?,
        funnel: crate::matchmaking::funnel_of(app, Some(district.code().to_string()), None, None)
            .await?,
    })
}
