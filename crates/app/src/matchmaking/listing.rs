//! Listings of matches: 我的对接 (an institution's), a technology manager's, and every match for
//! the bureau — each filtered by stage and (for an institution) its own record, and sorted by
//! 匹配度 or by the latest move.

use zijin_domain::{Coded, FieldErrors, MatchSort, MatchStage, RecordKind};
use zijin_store::matches::{self, ListFilter, Notification};

use super::{SeenMatch, seen_by};
use crate::access::{self, Area};
use crate::{Actor, App, AppError, AppResult};

/// Whose matches a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchListing {
    /// 我的对接: the matches of the actor's institution's records.
    Own,
    /// 我负责的对接: the matches assigned to the actor as technology manager.
    Assigned,
    /// Every match of the platform (admins).
    All,
}

/// The raw filter of a listing, as the query string or the API sends it (all optional).
#[derive(Debug, Clone, Copy, Default)]
pub struct MatchQuery<'a> {
    /// `score` (匹配度) or `recent` (最近更新, the default).
    pub sort: &'a str,
    /// A stage code (or its Chinese label); empty for every stage.
    pub stage: &'a str,
    /// One of the institution's records, `achievement-12` or `demand-7`; empty for all.
    pub record: &'a str,
}

/// A checked filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MatchFilter {
    pub sort: MatchSort,
    pub stage: Option<MatchStage>,
    pub record: Option<(RecordKind, i64)>,
}

impl MatchFilter {
    /// Every bad parameter is reported at once, in Chinese.
    pub fn parse(query: &MatchQuery<'_>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let sort = match query.sort.trim() {
            "" => MatchSort::default(),
            raw => MatchSort::from_code(raw).unwrap_or_else(|| {
                errors.add("sort", "排序方式只能是“匹配度”或“最近更新”");
                MatchSort::default()
            }),
        };
        let stage = match query.stage.trim() {
            "" => None,
            raw => {
                let stage = MatchStage::from_code(raw);
                if stage.is_none() {
                    errors.add("stage", "对接阶段只能是推荐、意向、洽谈、签约或终止");
                }
                stage
            }
        };
        let record = match query.record.trim() {
            "" => None,
            raw => {
                let record = raw.split_once('-').and_then(|(kind, id)| {
                    Some((
                        RecordKind::from_code(kind)?,
                        id.parse::<i64>().ok().filter(|id| *id > 0)?,
                    ))
                });
                if record.is_none() {
                    errors.add("record", "请从列表中选择本方的一项成果或需求");
                }
                record
            }
        };
        errors.into_result(|| Self {
            sort,
            stage,
            record,
        })
    }

    /// The record filter as the query string writes it.
    pub fn record_code(&self) -> String {
        self.record
            .map(|(kind, id)| format!("{}-{id}", kind.code()))
            .unwrap_or_default()
    }
}

/// One listing's matches with what goes beside them.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchList {
    pub matches: Vec<SeenMatch>,
    /// The newest notifications of the institution (own) or the technology manager (assigned).
    pub notifications: Vec<Notification>,
    /// The institution's records that have matches, for the record filter (own listing only):
    /// kind, id, title.
    pub own_records: Vec<(RecordKind, i64, String)>,
    pub filter: MatchFilter,
    /// True when the listing stopped at its limit.
    pub truncated: bool,
}

/// The matches of one listing, filtered and sorted.
pub async fn list(
    app: &App,
    actor: &Actor,
    listing: MatchListing,
    query: &MatchQuery<'_>,
) -> AppResult<MatchList> {
    let pool = app.store.pool();
    // Permission first, then the input.
    let mut store_filter = ListFilter::default();
    let (notifications, own_records) = match listing {
        MatchListing::Own => {
            access::require(actor, Area::OwnMatches)?;
            let institution = access::require_own_institution(actor)?;
            store_filter.institution_id = Some(institution);
            (
                matches::notifications(pool, institution).await?,
                matches::records_with_matches(pool, institution).await?,
            )
        }
        MatchListing::Assigned => {
            access::require(actor, Area::TechManagerMatches)?;
            let user = actor.user().ok_or_else(|| access::refusal(actor))?;
            store_filter.tech_manager_id = Some(user.id);
            (
                matches::notifications_for_user(pool, user.id).await?,
                Vec::new(),
            )
        }
        MatchListing::All => {
            access::require(actor, Area::AllMatches)?;
            (Vec::new(), Vec::new())
        }
    };
    // A record narrows whichever listing the caller may read (an institution's own, a
    // technology manager's assigned, or all of them for the bureau); it widens none.
    let filter = MatchFilter::parse(query).map_err(AppError::Validation)?;
    store_filter.stage = filter.stage.map(|stage| stage.code().to_string());
    store_filter.record = filter.record;
    store_filter.sort = filter.sort;
    let rows = matches::list(pool, &store_filter).await?;
    let truncated = rows.len() as i64 >= matches::LIST_LIMIT;
    let mut seen = Vec::with_capacity(rows.len());
    for row in rows {
        // Every row of these listings is readable by construction; the check keeps it so.
        if let Some(one) = seen_by(actor, row)? {
            seen.push(one);
        }
    }
    Ok(MatchList {
        matches: seen,
        notifications,
        own_records,
        filter,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_read_or_refused_in_chinese() {
        let parsed = MatchFilter::parse(&MatchQuery {
            sort: "score",
            stage: "意向",
            record: "demand-7",
        })
        .unwrap();
        assert_eq!(parsed.sort, MatchSort::Score);
        assert_eq!(parsed.stage, Some(MatchStage::Interested));
        assert_eq!(parsed.record, Some((RecordKind::Demand, 7)));
        assert_eq!(parsed.record_code(), "demand-7");
        assert_eq!(
            MatchFilter::parse(&MatchQuery::default()).unwrap(),
            MatchFilter::default()
        );
        let errors = MatchFilter::parse(&MatchQuery {
            sort: "best",
            stage: "won",
            record: "demand-x",
        })
        .unwrap_err();
        assert_eq!(
            errors.get("sort"),
            Some("排序方式只能是“匹配度”或“最近更新”")
        );
        assert!(errors.get("stage").unwrap().contains("推荐、意向"));
        assert!(errors.get("record").is_some());
        assert!(
            MatchFilter::parse(&MatchQuery {
                record: "contract-3",
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            MatchFilter::parse(&MatchQuery {
                record: "demand--3",
                ..Default::default()
            })
            .is_err()
        );
    }
}
