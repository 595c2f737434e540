//! The contract listing: by registry, seller, district, year, kind, field and words.

use sqlx::{Any, Executor};
use zijin_domain::{Coded, ContractField, ContractStatus};

use super::{StoredContract, from_row};
use crate::query::{Filter, Value, fetch_page, like_pattern};
use crate::{Paged, StoreResult};

/// What a listing shows of a contract.
pub type ContractLine = StoredContract;

/// Filters of the contract listing.
#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    pub status: Option<ContractStatus>,
    /// Contracts of this registry (a registrar's queue).
    pub registry_id: Option<i64>,
    /// Contracts whose seller is this institution, or that it submitted.
    pub seller_institution_id: Option<i64>,
    /// Contracts whose seller or buyer is in this district (a place code).
    pub place: Option<String>,
    pub year: Option<i32>,
    pub kind: Option<zijin_domain::ContractKind>,
    pub field: Option<ContractField>,
    /// Words in the title, the parties' names or the registration number.
    pub words: String,
    /// Earliest deadline first (a registrar's queue of waiting contracts).
    pub by_deadline: bool,
}

pub async fn list<'e>(
    db: impl Executor<'e, Database = Any> + Copy,
    filter: &ContractFilter,
    page: i64,
    per_page: i64,
) -> StoreResult<Paged<ContractLine>> {
    let mut where_ = Filter::default();
    if let Some(status) = filter.status {
        where_.add("c.status = {}", vec![Value::Text(status.code().into())]);
    }
    if let Some(id) = filter.registry_id {
        where_.add("c.registry_id = {}", vec![Value::Int(id)]);
    }
    if let Some(id) = filter.seller_institution_id {
        where_.add("c.seller_institution_id = {}", vec![Value::Int(id)]);
    }
    if let Some(place) = &filter.place {
        where_.add(
            "(c.seller_place = {} OR c.buyer_place = {})",
            vec![Value::Text(place.clone()), Value::Text(place.clone())],
        );
    }
    if let Some(year) = filter.year {
        where_.add("c.stat_year = {}", vec![Value::Int(i64::from(year))]);
    }
    if let Some(kind) = filter.kind {
        where_.add(
            "c.contract_kind = {}",
            vec![Value::Text(kind.code().into())],
        );
    }
    if let Some(field) = filter.field {
        where_.add("c.field = {}", vec![Value::Text(field.code().into())]);
    }
    let words = filter.words.trim();
    if !words.is_empty() {
        let pattern = like_pattern(words);
        where_.add(
            "(c.title LIKE {} ESCAPE '\\' OR c.seller_name LIKE {} ESCAPE '\\' OR c.buyer_name LIKE {} ESCAPE '\\' OR c.registration_number LIKE {} ESCAPE '\\')",
            vec![
                Value::Text(pattern.clone()),
                Value::Text(pattern.clone()),
                Value::Text(pattern.clone()),
                Value::Text(pattern),
            ],
        );
    }
    fetch_page(
        db,
        "tech_contracts c LEFT JOIN (SELECT id AS rid, name AS registry_name FROM institutions) r ON r.rid = c.registry_id",
        &where_,
        if filter.by_deadline {
            "c.due_on, c.id"
        } else {
            "c.updated_at DESC, c.id DESC"
        },
        page,
        per_page,
        |row| from_row(row, Vec::new()),
    )
    .await
}
