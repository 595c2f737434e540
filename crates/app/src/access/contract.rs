//! Who may do what with a technology contract (技术合同登记, issue 18).
//!
//! - The seller registers (卖方登记): an institution's users submit contracts whose seller is
//!   their institution, see them, correct them while waiting or after a return, and record the
//!   payments received.
//! - The 合同登记员 of the registry a contract was submitted to registers it, returns it for
//!   documents or refuses it (未予登记) with a reason; and changes or cancels (变更/注销) what
//!   their registry registered.
//! - The bureau (admins) reads every contract and changes or cancels imported ones (those the
//!   national system registered, which no registry of the platform holds).
//! - A district officer reads the contracts whose seller or buyer is in their district.
//! - Everyone else sees only the aggregated statistics and the ranking.

use serde::Serialize;
use zijin_domain::{ContractStatus, District, Place};

use super::{Standing, refusal, standing};
use crate::{Actor, AppResult};

/// What the rules need to know of a contract.
#[derive(Debug, Clone, Copy)]
pub struct ContractFacts {
    pub status: ContractStatus,
    pub registry_id: Option<i64>,
    pub seller_institution_id: Option<i64>,
    pub seller_place: Place,
    pub buyer_place: Place,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ContractCapabilities {
    pub read: bool,
    /// Correct the form (the seller, before registration).
    pub edit: bool,
    /// 登记 / 退回补正 / 未予登记 (the registry's registrar, while waiting).
    pub decide: bool,
    /// 变更 / 注销 (the registrar of the registry that registered it; admins for imports).
    pub amend: bool,
    /// Record a payment received (到账): the seller or the registrar, once registered.
    pub record_receipt: bool,
    /// See the contract file and the parties' credit codes.
    pub see_file: bool,
}

fn in_district(district: District, facts: &ContractFacts) -> bool {
    [facts.seller_place, facts.buyer_place].contains(&Place::Nanjing(Some(district)))
}

pub fn contract_capabilities(actor: &Actor, facts: &ContractFacts) -> ContractCapabilities {
    let who = standing(actor);
    let seller = facts.seller_institution_id.is_some()
        && who == Standing::InstitutionUser(facts.seller_institution_id.unwrap_or(-1));
    let registrar = facts.registry_id.is_some()
        && who == Standing::ContractRegistrar(facts.registry_id.unwrap_or(-1));
    let admin = who == Standing::Admin;
    let officer = matches!(who, Standing::DistrictOfficer(d) if in_district(d, facts));
    let read = seller || registrar || admin || officer;
    if !read {
        return ContractCapabilities::default();
    }
    let waiting = matches!(
        facts.status,
        ContractStatus::Submitted | ContractStatus::Returned
    );
    let registered = facts.status == ContractStatus::Registered;
    ContractCapabilities {
        read,
        edit: seller && waiting,
        decide: registrar && facts.status == ContractStatus::Submitted,
        amend: registered && (registrar || (admin && facts.registry_id.is_none())),
        record_receipt: registered && (seller || registrar),
        see_file: seller || registrar || admin,
    }
}

/// Those who may change or cancel registered contracts at all (registrars; admins for
/// imported ones); which contract is then decided by [`contract_capabilities`].
pub fn require_amend_area(actor: &Actor) -> AppResult<()> {
    match standing(actor) {
        Standing::ContractRegistrar(_) | Standing::Admin => Ok(()),
        _ => Err(refusal(actor)),
    }
}

/// Which contracts a listing may hold for this actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractListing {
    /// Every contract (admins).
    All,
    /// Those of one registry (its registrars).
    Registry(i64),
    /// Those whose seller is this institution (its users).
    Seller(i64),
    /// Those whose seller or buyer is in this district (its officers).
    District(District),
}

pub fn contract_listing(actor: &Actor) -> AppResult<ContractListing> {
    match standing(actor) {
        Standing::Admin => Ok(ContractListing::All),
        Standing::ContractRegistrar(id) => Ok(ContractListing::Registry(id)),
        Standing::InstitutionUser(id) => Ok(ContractListing::Seller(id)),
        Standing::DistrictOfficer(district) => Ok(ContractListing::District(district)),
        _ => Err(refusal(actor)),
    }
}

/// The district whose statistics an actor sees by default: a district officer's own; others
/// choose (`None` is the whole city). Officers may not look at another district's details.
pub fn statistics_district(actor: &Actor, asked: Option<District>) -> Option<District> {
    match standing(actor) {
        Standing::DistrictOfficer(own) => Some(own),
        _ => asked,
    }
}

/// Whether the actor sees contract-level details beside the aggregated statistics (the bureau,
/// district officers, registrars); the public sees figures only.
pub fn sees_contract_details(actor: &Actor) -> bool {
    matches!(
        standing(actor),
        Standing::Admin | Standing::DistrictOfficer(_) | Standing::ContractRegistrar(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zijin_domain::{User, UserRole};

    fn actor(role: UserRole) -> Actor {
        Actor::User(User {
            id: 1,
            username: "u".into(),
            display_name: "u".into(),
            role,
            disabled: false,
            is_tech_manager: false,
            is_expert: false,
            is_demo: false,
            created_at: String::new(),
        })
    }

    fn facts(status: ContractStatus) -> ContractFacts {
        ContractFacts {
            status,
            registry_id: Some(5),
            seller_institution_id: Some(7),
            seller_place: Place::Nanjing(Some(District::Xuanwu)),
            buyer_place: Place::Jiangsu,
        }
    }

    #[test]
    fn seller_registrar_admin_and_officer_each_do_their_part() {
        let waiting = facts(ContractStatus::Submitted);
        let seller = contract_capabilities(&actor(UserRole::InstitutionUser(7)), &waiting);
        assert!(seller.read && seller.edit && !seller.decide);
        let registrar = contract_capabilities(&actor(UserRole::ContractRegistrar(5)), &waiting);
        assert!(registrar.decide && !registrar.edit && !registrar.amend);
        let other_registry =
            contract_capabilities(&actor(UserRole::ContractRegistrar(6)), &waiting);
        assert!(!other_registry.read);
        let other_institution =
            contract_capabilities(&actor(UserRole::InstitutionUser(8)), &waiting);
        assert!(!other_institution.read);
        let officer = contract_capabilities(
            &actor(UserRole::DistrictOfficer(District::Xuanwu)),
            &waiting,
        );
        assert!(officer.read && !officer.see_file && !officer.decide);
        let elsewhere =
            contract_capabilities(&actor(UserRole::DistrictOfficer(District::Gulou)), &waiting);
        assert!(!elsewhere.read);

        let registered = facts(ContractStatus::Registered);
        let registrar = contract_capabilities(&actor(UserRole::ContractRegistrar(5)), &registered);
        assert!(registrar.amend && registrar.record_receipt && !registrar.decide);
        let admin = contract_capabilities(&actor(UserRole::Admin), &registered);
        assert!(
            admin.read && !admin.amend,
            "admins amend imported contracts only"
        );
        let imported = ContractFacts {
            registry_id: None,
            ..registered
        };
        assert!(contract_capabilities(&actor(UserRole::Admin), &imported).amend);
        assert!(!contract_capabilities(&Actor::Anonymous, &registered).read);
    }
}
