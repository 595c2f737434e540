//! Carriers (载体, issue 19): the types of the implementation opinion as data
//! (`config/carrier-types.toml`: name, article, quota), recognition within the type's quota —
//! a recognised carrier counts until it exits — and the public directory by type and district.
//!
//! **Invariant**: the recognised carriers of a type never exceed its quota, also when two
//! recognitions arrive at once: each takes the type's lock row (`carrier_type_locks`) before it
//! counts, in the transaction that inserts.

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::json;
use zijin_store::audit::Change;
pub use zijin_store::carriers::StoredCarrier;

use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

pub mod evaluation;
pub mod recognition;
pub mod reports;

/// The most characters of a carrier's name.
pub const NAME_MAX_CHARS: usize = 100;

/// The carrier types file shipped with the platform.
const TYPES_FILE: &str = include_str!("../../../config/carrier-types.toml");

/// A carrier type: its stable code, its name, the article that names it and, where the
/// article gives a number, the quota.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CarrierType {
    pub code: String,
    pub name: String,
    pub article: u32,
    pub quota: Option<u32>,
}

#[derive(Deserialize)]
struct TypesFile {
    r#type: Vec<CarrierType>,
}

/// Reads a carrier types file: codes unique, names present.
pub fn parse_types(text: &str) -> Result<Vec<CarrierType>, String> {
    let file: TypesFile = toml::from_str(text).map_err(|e| format!("载体类型文件无效：{e}"))?;
    let mut seen = std::collections::HashSet::new();
    for t in &file.r#type {
        if t.code.trim().is_empty() || t.name.trim().is_empty() {
            return Err("载体类型文件中有缺少代码或名称的类型".into());
        }
        if !seen.insert(t.code.clone()) {
            return Err(format!("载体类型代码重复：{}", t.code));
        }
    }
    Ok(file.r#type)
}

/// The shipped carrier types.
pub fn types() -> &'static [CarrierType] {
    static TYPES: OnceLock<Vec<CarrierType>> = OnceLock::new();
    TYPES.get_or_init(|| {
        // The file is compiled in and checked by a test; a broken one is a build defect.
        parse_types(TYPES_FILE).unwrap_or_else(|error| panic!("{error}"))
    })
}

/// A type by its code or its name.
pub fn carrier_type(input: &str) -> Option<&'static CarrierType> {
    let input = input.trim();
    types().iter().find(|t| t.code == input || t.name == input)
}

/// Recognises (认定) a carrier of `type_code` run by the institution with `credit_code`; refused
/// with the reason when the type's quota is taken, or the institution already has one of the
/// type. `name` defaults to the institution's name and the type's.
pub async fn recognise(
    app: &App,
    actor: &Actor,
    credit_code: &str,
    type_code: &str,
    name: &str,
) -> AppResult<i64> {
    recognise_as(app, actor, credit_code, type_code, name, None).await
}

pub(crate) async fn recognise_as(
    app: &App,
    actor: &Actor,
    credit_code: &str,
    type_code: &str,
    name: &str,
    demo_since: Option<chrono::NaiveDate>,
) -> AppResult<i64> {
    access::require(actor, Area::Carriers)?;
    if name.trim().chars().count() > NAME_MAX_CHARS {
        return Err(AppError::field(
            "name",
            format!("载体名称不能超过 {NAME_MAX_CHARS} 字"),
        ));
    }
    let kind = known_type(type_code)?;
    let code = zijin_domain::CreditCode::parse(credit_code)
        .map_err(|error| AppError::field("credit_code", error.to_string()))?;
    let mut work = UnitOfWork::begin(app).await?;
    let institution = zijin_store::institutions::get_by_credit_code(&mut **work.tx(), &code)
        .await?
        .ok_or(AppError::NotFound("该统一社会信用代码的机构"))?;
    let id = recognise_in(&mut work, actor, &institution, kind, name, demo_since).await?;
    work.commit().await?;
    Ok(id)
}

/// Looks up a type by code or name, or says which there are.
fn known_type(type_code: &str) -> AppResult<&'static CarrierType> {
    if type_code.trim().is_empty() {
        return Err(AppError::field("type", "请选择载体类型"));
    }
    carrier_type(type_code).ok_or_else(|| {
        AppError::field(
            "type",
            format!(
                "没有这个载体类型：{}（可选：{}）",
                type_code.trim(),
                types()
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        )
    })
}

/// Recognises a carrier in `work` (the caller commits): under the type's lock, refused when the
/// institution has one of the type or the quota is taken.
pub(crate) async fn recognise_in(
    work: &mut UnitOfWork,
    actor: &Actor,
    institution: &zijin_domain::Institution,
    kind: &'static CarrierType,
    name: &str,
    demo_since: Option<chrono::NaiveDate>,
) -> AppResult<i64> {
    let now = work.now();
    zijin_store::carriers::lock_type(work.tx(), &kind.code).await?;
    if let Some(existing) =
        zijin_store::carriers::recognised_of(&mut **work.tx(), institution.id, &kind.code).await?
    {
        return Err(AppError::WrongState(format!(
            "{}已有一个已认定的{}（{}），同一机构的同一类载体只认定一个",
            institution.details.name, kind.name, existing.name
        )));
    }
    if let Some(quota) = kind.quota {
        let count = zijin_store::carriers::recognised_count(&mut **work.tx(), &kind.code).await?;
        if count >= i64::from(quota) {
            return Err(AppError::WrongState(format!(
                "{}的认定名额已满：实施意见第{}条定为 {} 家，已认定 {} 家；须有载体退出后才能再认定",
                kind.name, kind.article, quota, count
            )));
        }
    }
    let name = match name.trim() {
        "" => format!("{}{}", institution.details.name, kind.name),
        given => given.to_string(),
    };
    // Demo carriers are dated back (so the demo has past years to evaluate) and marked.
    let on = demo_since.unwrap_or_else(|| crate::applications::beijing_date(now));
    let id = zijin_store::carriers::insert(
        work.tx(),
        institution.id,
        &kind.code,
        &name,
        on,
        demo_since.is_some(),
        now,
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "carrier.recognise",
        entity: "carrier",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({
            "institution": institution.details.name,
            "type": kind.code,
            "name": name,
            "recognised_on": on.to_string(),
        })),
    });
    Ok(id)
}

/// Withdraws a carrier's recognition (退出, e.g. after the exit rule or 合同考核): it frees the
/// type's place; the institution is notified. The reason is required; `confirmed` must be set
/// (the act cannot be undone).
pub async fn withdraw(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: &str,
    confirmed: bool,
) -> AppResult<()> {
    access::require(actor, Area::Carriers)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::field("reason", "请写明撤销认定的原因"));
    }
    if !confirmed {
        return Err(AppError::field(
            "confirm",
            "撤销认定后不能恢复，请勾选确认后再提交",
        ));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let carrier = zijin_store::carriers::get_for_update(work.tx(), id)
        .await?
        .ok_or(AppError::NotFound("载体"))?;
    if !carrier.recognised {
        return Err(AppError::WrongState("该载体已撤销认定".into()));
    }
    let on = crate::applications::beijing_date(now);
    zijin_store::carriers::withdraw(work.tx(), id, on, reason, now).await?;
    let kind = carrier_type(&carrier.carrier_type)
        .map(|t| t.name.clone())
        .unwrap_or_else(|| carrier.carrier_type.clone());
    zijin_store::notifications::notify(
        work.tx(),
        carrier.institution_id,
        &format!("“{}”（{kind}）已被撤销认定：{reason}", carrier.name),
        "/carriers",
        &zijin_store::timestamp(now),
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "carrier.withdraw",
        entity: "carrier",
        entity_id: id.to_string(),
        before: Some(json!({ "status": "recognised", "name": carrier.name })),
        after: Some(
            json!({ "status": "withdrawn", "reason": reason, "withdrawn_on": on.to_string() }),
        ),
    });
    work.commit().await?;
    Ok(())
}

/// One type's place in the directory: its recognised carriers and its quota's use.
#[derive(Debug, Clone)]
pub struct TypeDirectory {
    pub kind: &'static CarrierType,
    pub carriers: Vec<StoredCarrier>,
}

/// The public directory: every type with its recognised carriers (filtered by district code
/// when given).
pub async fn directory(app: &App, district: Option<&str>) -> AppResult<Vec<TypeDirectory>> {
    let all = zijin_store::carriers::recognised(app.store().pool()).await?;
    Ok(types()
        .iter()
        .map(|kind| TypeDirectory {
            kind,
            carriers: all
                .iter()
                .filter(|c| c.carrier_type == kind.code)
                .filter(|c| district.is_none_or(|d| c.district == d))
                .cloned()
                .collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_types_name_their_articles_and_quotas() {
        let shipped = types();
        assert_eq!(carrier_type("概念验证中心").unwrap().quota, Some(10));
        assert_eq!(carrier_type("pilot-platform").unwrap().quota, Some(20));
        assert_eq!(carrier_type("科创金融服务驿站").unwrap().article, 15);
        assert!(shipped.iter().all(|t| (1..=22).contains(&t.article)));
        assert!(parse_types("[[type]]\ncode = \"a\"\nname = \"甲\"\narticle = 1\n[[type]]\ncode = \"a\"\nname = \"乙\"\narticle = 2\n").is_err());
    }
}
