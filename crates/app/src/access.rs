//! Who may do what: the one place that decides every permission of the platform.
//!
//! Use cases ask this module before they read or write, and hand its answer (a
//! [`RecordCapabilities`], a masked record) to the web layer, which only renders it. Pages and
//! the API therefore agree by construction: neither holds a role check of its own.
//!
//! Two kinds of question are answered here:
//! - about the platform as a whole ([`Area`]): may this actor open the review queue, manage
//!   users, import a spreadsheet…;
//! - about one thing the actor looks at: an achievement or demand ([`record`]), an institution
//!   ([`institution`]), a match ([`match_capabilities`], in [`deal`] with the rest of the deal
//!   flow: thread, contacts, technology managers), a list issue ([`may_read_issue`]).
//!
//! A workflow added later (applications, contracts, evaluations) adds its areas to [`Area`]
//! and, for its own records, a capabilities struct and function next to [`record`].
//!
//! Refusals follow one rule: an anonymous visitor is asked to sign in
//! ([`AppError::Unauthenticated`]); a signed-in user without the right is refused
//! ([`AppError::Forbidden`]); a record one may not read is reported missing
//! ([`AppError::NotFound`]), so its existence is not revealed.

use serde::Serialize;
use zijin_domain::{
    CloseReason, District, Institution, RecordStatus, Transition, UserRole, mask_phone,
};

use crate::{Actor, AppError, AppResult};

pub mod application;
pub mod contract;
pub mod deal;
pub use application::{
    ApplicationCapabilities, ApplicationFacts, ReviewQueue, application_capabilities,
    application_refusal, require_application_decision, require_application_read, review_queue,
};
pub use contract::{
    ContractCapabilities, ContractListing, contract_capabilities, contract_listing,
};
pub use deal::{
    MatchCapabilities, MatchFacts, MatchParties, MatchVoice, is_tech_manager, match_capabilities,
    match_refusal, record_through_match, require_assign_tech_manager, require_match_read,
    require_match_step, require_match_voice, revealed_contacts,
};

/// What an actor is, as far as permissions go. The platform itself (demo generator, command
/// line) acts with an admin's rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Anonymous,
    Admin,
    Reviewer,
    DistrictOfficer(District),
    InstitutionUser(i64),
    /// 合同登记员 of the 合同登记机构 with this id.
    ContractRegistrar(i64),
}

pub fn standing(actor: &Actor) -> Standing {
    match actor {
        Actor::Anonymous => Standing::Anonymous,
        Actor::System(_) => Standing::Admin,
        Actor::User(user) => match user.role {
            UserRole::Admin => Standing::Admin,
            UserRole::Reviewer(_) => Standing::Reviewer,
            UserRole::DistrictOfficer(district) => Standing::DistrictOfficer(district),
            UserRole::InstitutionUser(id) => Standing::InstitutionUser(id),
            UserRole::ContractRegistrar(id) => Standing::ContractRegistrar(id),
        },
    }
}

/// The institution the actor acts for, when they are an institution's user.
pub fn own_institution_id(actor: &Actor) -> Option<i64> {
    match standing(actor) {
        Standing::InstitutionUser(id) => Some(id),
        _ => None,
    }
}

/// The district a district officer is bound to.
pub fn own_district(actor: &Actor) -> Option<District> {
    match standing(actor) {
        Standing::DistrictOfficer(district) => Some(district),
        _ => None,
    }
}

/// The refusal for an actor who may not: anonymous visitors are asked to sign in first.
pub fn refusal(actor: &Actor) -> AppError {
    match actor {
        Actor::Anonymous => AppError::Unauthenticated,
        _ => AppError::Forbidden,
    }
}

fn allow(actor: &Actor, allowed: bool) -> AppResult<()> {
    if allowed { Ok(()) } else { Err(refusal(actor)) }
}

/// Whether the actor may read the confirmed 融资白名单: the bureau, and the users of a 金融机构
/// (`own_kind`: the type of the actor's institution, when they are an institution's user).
pub fn may_read_white_list(actor: &Actor, own_kind: Option<zijin_domain::InstitutionType>) -> bool {
    match standing(actor) {
        Standing::Admin => true,
        Standing::InstitutionUser(_) => {
            own_kind == Some(zijin_domain::InstitutionType::FinancialInstitution)
        }
        _ => false,
    }
}

/// Refuses whoever may not read the confirmed 融资白名单 (looks up the actor's institution).
pub async fn require_white_list_reader(app: &crate::App, actor: &Actor) -> AppResult<()> {
    let kind = match own_institution_id(actor) {
        Some(id) => zijin_store::institutions::get(app.store().pool(), id)
            .await?
            .map(|i| i.details.kind),
        None => None,
    };
    allow(actor, may_read_white_list(actor, kind))
}

/// A part of the platform, beyond single records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Draft, edit and list one's own institution's achievements and demands (我的成果/需求).
    OwnRecords,
    /// Edit one's own institution's profile (本机构资料).
    OwnInstitution,
    /// One's institution's matches and notifications (我的对接).
    OwnMatches,
    /// The review queue (待审核) and the non-draft records behind it.
    ReviewQueue,
    /// Import achievements or demands from a spreadsheet (institutions: their own rows).
    Import,
    /// Import and approve and publish at once in a new list issue.
    ImportAndPublish,
    /// The management listing of institutions with contacts (district officers: their
    /// district only, see [`institution_listing_district`]).
    ManageInstitutions,
    /// Register institutions and edit their registered details.
    EditInstitutions,
    /// Add and rename technical fields.
    TechnicalFields,
    /// Open, preview and publish list issues; see issues not yet published.
    ListIssues,
    /// Mark records for priority recommendation.
    Priority,
    /// Accounts: list, create, unlock.
    Users,
    /// Read the audit log.
    Audit,
    /// The matchmaking funnel (district officers: their district only).
    MatchFunnel,
    /// 本区概况 / 各区概况: a district's figures, records and matches.
    DistrictReport,
    /// Every match of the platform, to follow them and assign technology managers (admins).
    AllMatches,
    /// The matches assigned to one as technology manager (技术经理人; flagged accounts).
    TechManagerMatches,
    /// Open calls for applications (申报通知) with their budgets (admins).
    Calls,
    /// Draft and submit applications, list one's own (institution users).
    OwnApplications,
    /// The ledger of reserved and paid money (admins).
    Ledger,
    /// The listing of applications: one's own (institution users) or those waiting for one's
    /// review step (district officers, reviewers, admins).
    Applications,
    /// One's messages and 我的待办 (every signed-in account).
    Inbox,
    /// Submit technology contracts for registration as their seller, list one's own
    /// (institution users).
    OwnContracts,
    /// The registry's queue: register, return, refuse, change, cancel (合同登记员).
    ContractRegistry,
    /// The contract registry's listing and details across the city (the bureau; district
    /// officers their district's; registrars their registry's).
    ContractRecords,
    /// Import registered contracts from the national system's export (admins).
    ContractImport,
    /// Freeze a year's university transfer ranking (admins).
    RankingFreeze,
    /// Recognise carriers (载体认定) within their types' quotas, decide applications for
    /// recognition, evaluate a year and confirm it (admins).
    Carriers,
    /// Apply for the recognition of one's institution's carriers and file their yearly
    /// 绩效报告 (institution users).
    OwnCarriers,
    /// Score carriers' reports and read a year's evaluation (reviewers and admins).
    CarrierScoring,
    /// Apply to list one's institution's innovative products in the 创新产品应用推荐目录
    /// (institution users).
    OwnProducts,
    /// Review products and publish the catalogue's batches (admins).
    Catalogue,
    /// Compute and confirm the 融资白名单 (admins; 金融机构 users read the confirmed list, see
    /// [`may_read_white_list`]).
    WhiteList,
    /// Issue, list and revoke API keys for other systems (admins).
    ApiKeys,
}

impl Area {
    /// Every area, for tests and the documentation table.
    pub const ALL: &'static [Area] = &[
        Area::OwnRecords,
        Area::OwnInstitution,
        Area::OwnMatches,
        Area::ReviewQueue,
        Area::Import,
        Area::ImportAndPublish,
        Area::ManageInstitutions,
        Area::EditInstitutions,
        Area::TechnicalFields,
        Area::ListIssues,
        Area::Priority,
        Area::Users,
        Area::Audit,
        Area::MatchFunnel,
        Area::DistrictReport,
        Area::AllMatches,
        Area::TechManagerMatches,
        Area::Calls,
        Area::OwnApplications,
        Area::Ledger,
        Area::Applications,
        Area::Inbox,
        Area::OwnContracts,
        Area::ContractRegistry,
        Area::ContractRecords,
        Area::ContractImport,
        Area::RankingFreeze,
        Area::Carriers,
        Area::OwnCarriers,
        Area::CarrierScoring,
        Area::OwnProducts,
        Area::Catalogue,
        Area::WhiteList,
        Area::ApiKeys,
    ];
}

/// The table of who may enter which area.
pub fn may(actor: &Actor, area: Area) -> bool {
    use Standing::*;
    let who = standing(actor);
    match area {
        Area::OwnRecords | Area::OwnInstitution | Area::OwnMatches | Area::OwnApplications => {
            matches!(who, InstitutionUser(_))
        }
        Area::ReviewQueue => matches!(who, Admin | Reviewer),
        Area::Inbox => !matches!(who, Anonymous),
        Area::OwnCarriers | Area::OwnProducts => matches!(who, InstitutionUser(_)),
        Area::CarrierScoring => matches!(who, Admin | Reviewer),
        // Registrars take no part in 申报 (their work is the contract registry).
        Area::Applications => !matches!(who, Anonymous | ContractRegistrar(_)),
        Area::Import => matches!(who, Admin | InstitutionUser(_)),
        Area::ManageInstitutions | Area::MatchFunnel | Area::DistrictReport => {
            matches!(who, Admin | Reviewer | DistrictOfficer(_))
        }
        Area::TechManagerMatches => is_tech_manager(actor),
        Area::OwnContracts => matches!(who, InstitutionUser(_)),
        Area::ContractRegistry => matches!(who, ContractRegistrar(_)),
        Area::ContractRecords => {
            matches!(who, Admin | DistrictOfficer(_) | ContractRegistrar(_))
        }
        Area::ImportAndPublish
        | Area::AllMatches
        | Area::EditInstitutions
        | Area::TechnicalFields
        | Area::ListIssues
        | Area::Priority
        | Area::Users
        | Area::Audit
        | Area::Calls
        | Area::Ledger
        | Area::ContractImport
        | Area::RankingFreeze
        | Area::Carriers
        | Area::Catalogue
        | Area::WhiteList
        | Area::ApiKeys => matches!(who, Admin),
    }
}

/// [`may`], as a refusal when not.
pub fn require(actor: &Actor, area: Area) -> AppResult<()> {
    allow(actor, may(actor, area))
}

/// The institution whose records the actor drafts, or the refusal.
/// Technical demands are published by enterprises (and new R&D institutions, which also take
/// up technology): any other institution is refused (403), whatever its users' roles.
pub fn require_demand_publisher(kind: zijin_domain::InstitutionType) -> AppResult<()> {
    use zijin_domain::InstitutionType;
    if matches!(
        kind,
        InstitutionType::Enterprise | InstitutionType::NewRdInstitution
    ) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub fn require_own_institution(actor: &Actor) -> AppResult<i64> {
    own_institution_id(actor).ok_or_else(|| refusal(actor))
}

/// Whose institutions a management listing shows: `Some(district)` forces a district
/// officer's listing to their district, whatever the filter asks.
pub fn institution_listing_district(actor: &Actor) -> AppResult<Option<District>> {
    require(actor, Area::ManageInstitutions)?;
    Ok(own_district(actor))
}

/// Which district's matches the funnel counts: a district officer's own, everyone else's all.
pub fn funnel_district(actor: &Actor) -> AppResult<Option<District>> {
    require(actor, Area::MatchFunnel)?;
    Ok(own_district(actor))
}

/// Which records a listing of records may hold for this actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordListing {
    /// One institution's records, drafts included.
    Institution(i64),
    /// Every record that is not a draft (reviewers).
    AllButDrafts,
    /// Every record (admins).
    All,
}

pub fn record_listing(actor: &Actor) -> AppResult<RecordListing> {
    match standing(actor) {
        Standing::InstitutionUser(id) => Ok(RecordListing::Institution(id)),
        Standing::Admin => Ok(RecordListing::All),
        Standing::Reviewer => Ok(RecordListing::AllButDrafts),
        _ => Err(refusal(actor)),
    }
}

/// What an actor may do with one achievement or demand. Returned by the use cases together
/// with the record; pages show the buttons and the API the `capabilities` object from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RecordCapabilities {
    /// See the record at all (drafts: only their institution).
    pub read: bool,
    /// Change its content (owner; draft or returned).
    pub edit: bool,
    /// Submit it for review (owner).
    pub submit: bool,
    /// Withdraw it (owner).
    pub withdraw: bool,
    /// Approve or return it (reviewers, admins; submitted records).
    pub review: bool,
    /// Mark it as dealt (owner, admin).
    pub mark_deal: bool,
    /// Mark or unmark it for priority recommendation (admin; listed records).
    pub priority: bool,
    /// See the full contact phone instead of the masked one.
    pub see_contacts: bool,
    /// Add attachments (owner; draft or returned).
    pub attach: bool,
}

/// May the actor take this step on a record owned by `institution_id`, as far as their role
/// goes (whether the step follows from the record's status is the domain's `Transition`)?
pub fn may_take_step(actor: &Actor, institution_id: i64, step: Transition) -> bool {
    let who = standing(actor);
    let owner = who == Standing::InstitutionUser(institution_id);
    match step {
        Transition::Submit | Transition::Close(CloseReason::Withdrawn) => owner,
        Transition::Approve | Transition::Return => {
            matches!(who, Standing::Admin | Standing::Reviewer)
        }
        Transition::Close(_) => owner || who == Standing::Admin,
        // Publication happens only through a list issue.
        Transition::Publish => false,
    }
}

/// The capabilities of an actor on an achievement or demand of `institution_id` in `status`.
pub fn record(actor: &Actor, institution_id: i64, status: RecordStatus) -> RecordCapabilities {
    let who = standing(actor);
    let owner = who == Standing::InstitutionUser(institution_id);
    let official = matches!(who, Standing::Admin | Standing::Reviewer);
    // Owners see everything of theirs; reviewers and admins all but drafts; everyone what is
    // published.
    let read =
        owner || (official && status != RecordStatus::Draft) || status == RecordStatus::Published;
    if !read {
        return RecordCapabilities::default();
    }
    let step =
        |step: Transition| may_take_step(actor, institution_id, step) && status.apply(step).is_ok();
    RecordCapabilities {
        read,
        edit: owner && status.is_editable(),
        submit: step(Transition::Submit),
        withdraw: step(Transition::Close(CloseReason::Withdrawn)),
        review: status == RecordStatus::Submitted
            && may_take_step(actor, institution_id, Transition::Approve),
        mark_deal: step(Transition::Close(CloseReason::Deal)),
        priority: who == Standing::Admin && status.is_listed(),
        // Those who answer for the record (owner) or check it (reviewers, admins) need to call
        // its contact; the public sees the masked number.
        see_contacts: owner || official,
        attach: owner && status.is_editable(),
    }
}

/// The phone as this actor may see it.
pub fn shown_phone(capabilities: &RecordCapabilities, phone: &str) -> String {
    if capabilities.see_contacts {
        phone.to_string()
    } else {
        mask_phone(phone)
    }
}

/// What an actor may do with one institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct InstitutionCapabilities {
    /// See the address and contacts.
    pub see_details: bool,
    /// Edit the registered details (name, type, credit code, district, tags).
    pub edit: bool,
    /// Edit the profile (address, contacts, description) as the institution itself.
    pub edit_profile: bool,
}

pub fn institution(actor: &Actor, institution: &Institution) -> InstitutionCapabilities {
    let who = standing(actor);
    let own = who == Standing::InstitutionUser(institution.id);
    InstitutionCapabilities {
        see_details: match who {
            Standing::Anonymous => false,
            Standing::Admin | Standing::Reviewer => true,
            Standing::DistrictOfficer(district) => institution.details.district == district,
            Standing::InstitutionUser(_) | Standing::ContractRegistrar(_) => own,
        },
        edit: who == Standing::Admin,
        edit_profile: own || who == Standing::Admin,
    }
}

/// Which side of a match an actor speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchSide {
    Demand,
    Achievement,
}

/// The side of a match between `demand_owner`'s demand and `achievement_owner`'s achievement
/// the actor speaks for; anyone else is told the match does not exist.
pub fn match_side(
    actor: &Actor,
    demand_owner: i64,
    achievement_owner: i64,
) -> AppResult<MatchSide> {
    match standing(actor) {
        Standing::InstitutionUser(id) if id == demand_owner => Ok(MatchSide::Demand),
        Standing::InstitutionUser(id) if id == achievement_owner => Ok(MatchSide::Achievement),
        Standing::Anonymous => Err(AppError::Unauthenticated),
        _ => Err(AppError::NotFound("对接记录")),
    }
}

/// May the actor read a list issue? Published ones are public; open ones only for admins.
pub fn may_read_issue(actor: &Actor, published: bool) -> bool {
    published || may(actor, Area::ListIssues)
}

/// Whose rows an import may hold: `None` for any institution (admins), `Some(id)` for the
/// importing institution's own rows. Publishing on import is for admins only.
pub fn import_scope(actor: &Actor, publish: bool) -> AppResult<Option<i64>> {
    require(
        actor,
        if publish {
            Area::ImportAndPublish
        } else {
            Area::Import
        },
    )?;
    Ok(own_institution_id(actor))
}

/// Which records a search may return to this actor: the public ones, and an institution's own.
pub fn search_owner(actor: &Actor) -> Option<i64> {
    own_institution_id(actor)
}

/// An entry of the navigation menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MenuEntry {
    pub href: &'static str,
    pub label: &'static str,
    pub group: MenuGroup,
}

/// Which of the header's menus an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MenuGroup {
    /// The daily work: one's records, matches, applications, queues.
    Work,
    /// Keeping the platform: institutions, accounts, fields, the audit log.
    Admin,
}

/// The menu entries beyond the public ones, in order, for this actor.
pub fn menu(actor: &Actor) -> Vec<MenuEntry> {
    let entry = |href, label| MenuEntry {
        href,
        label,
        group: MenuGroup::Work,
    };
    let admin = |href, label| MenuEntry {
        href,
        label,
        group: MenuGroup::Admin,
    };
    let district = own_district(actor).is_some();
    let mut menu = Vec::new();
    if may(actor, Area::OwnRecords) {
        menu.push(entry("/my/achievements", "我的成果"));
        menu.push(entry("/my/demands", "我的需求"));
    }
    if may(actor, Area::OwnMatches) {
        menu.push(entry("/my/matches", "我的对接"));
    }
    if may(actor, Area::Applications) {
        let label = if may(actor, Area::OwnApplications) {
            "我的申报"
        } else {
            "申报审核"
        };
        menu.push(entry("/applications", label));
    }
    if may(actor, Area::OwnContracts) {
        menu.push(entry("/contracts", "我的技术合同"));
    } else if may(actor, Area::ContractRegistry) {
        menu.push(entry("/contracts", "合同登记"));
    } else if may(actor, Area::ContractRecords) {
        menu.push(entry(
            "/contracts",
            if district {
                "本区技术合同"
            } else {
                "技术合同登记簿"
            },
        ));
    }
    if may(actor, Area::OwnInstitution) {
        menu.push(entry("/my/institution", "本机构资料"));
    }
    if may(actor, Area::TechManagerMatches) {
        menu.push(entry("/tech-manager/matches", "我负责的对接"));
        menu.push(entry("/tech-manager/profile", "技术经理人资料"));
    }
    if may(actor, Area::OwnCarriers) {
        menu.push(entry("/my/carriers", "我的载体"));
    }
    if may(actor, Area::OwnProducts) {
        menu.push(entry("/my/products", "创新产品申报"));
    }
    if may(actor, Area::ReviewQueue) {
        menu.push(entry("/review", "待审核"));
    }
    if may(actor, Area::CarrierScoring) {
        menu.push(entry("/carriers/evaluation", "载体绩效评价"));
    }
    if may(actor, Area::ImportAndPublish) {
        menu.push(entry("/import", "批量导入"));
    }
    if may(actor, Area::TechnicalFields) {
        menu.push(admin("/admin/fields", "技术领域"));
    }
    if may(actor, Area::ManageInstitutions) {
        let label = if district {
            "本区机构"
        } else if may(actor, Area::EditInstitutions) {
            "机构管理"
        } else {
            "机构查询"
        };
        menu.push(admin("/manage/institutions", label));
    }
    if may(actor, Area::Users) {
        menu.push(admin("/admin/users", "用户管理"));
    }
    if may(actor, Area::Audit) {
        menu.push(admin("/admin/audit", "审计日志"));
    }
    if may(actor, Area::ApiKeys) {
        menu.push(admin("/admin/api-keys", "API 密钥"));
    }
    if may(actor, Area::DistrictReport) {
        menu.push(entry(
            "/district",
            if district {
                "本区概况"
            } else {
                "各区概况"
            },
        ));
    }
    if may(actor, Area::MatchFunnel) {
        menu.push(entry(
            "/admin/matches",
            if district {
                "本区对接"
            } else {
                "对接漏斗"
            },
        ));
    }
    menu
}

#[cfg(test)]
mod tests {
    use super::*;
    use zijin_domain::{ResponsibleUnit, User};

    const OWNER: i64 = 7;

    fn user(role: UserRole) -> Actor {
        Actor::User(User {
            id: 1,
            username: "someone".into(),
            display_name: "someone".into(),
            role,
            disabled: false,
            is_tech_manager: false,
            is_expert: false,
            is_demo: false,
            created_at: String::new(),
        })
    }

    /// Anonymous, owner, other institution, reviewer, district officer, admin.
    fn everyone() -> [Actor; 6] {
        [
            Actor::Anonymous,
            user(UserRole::InstitutionUser(OWNER)),
            user(UserRole::InstitutionUser(OWNER + 1)),
            user(UserRole::Reviewer(ResponsibleUnit::ScienceTechnologyBureau)),
            user(UserRole::DistrictOfficer(District::Jiangning)),
            user(UserRole::Admin),
        ]
    }

    fn column(check: impl Fn(&Actor) -> bool) -> [bool; 6] {
        everyone().map(|actor| check(&actor))
    }

    #[test]
    fn record_capabilities_follow_the_table() {
        let on = |status| move |actor: &Actor| record(actor, OWNER, status);
        let draft = on(RecordStatus::Draft);
        assert_eq!(
            column(|a| draft(a).read),
            [false, true, false, false, false, false]
        );
        assert_eq!(
            column(|a| draft(a).edit && draft(a).submit && draft(a).attach),
            [false, true, false, false, false, false]
        );
        let submitted = on(RecordStatus::Submitted);
        assert_eq!(
            column(|a| submitted(a).read),
            [false, true, false, true, false, true]
        );
        assert_eq!(
            column(|a| submitted(a).review),
            [false, false, false, true, false, true]
        );
        assert_eq!(
            column(|a| submitted(a).edit),
            [false; 6],
            "submitted records are not edited"
        );
        let published = on(RecordStatus::Published);
        assert_eq!(column(|a| published(a).read), [true; 6]);
        assert_eq!(
            column(|a| published(a).see_contacts),
            [false, true, false, true, false, true]
        );
        assert_eq!(
            column(|a| published(a).priority),
            [false, false, false, false, false, true]
        );
        assert_eq!(
            column(|a| published(a).mark_deal),
            [false, true, false, false, false, true]
        );
        // Nothing is granted on a record one may not read.
        assert_eq!(
            record(&everyone()[2], OWNER, RecordStatus::Draft),
            RecordCapabilities::default()
        );
    }

    #[test]
    fn areas_follow_the_table() {
        assert_eq!(
            column(|a| may(a, Area::ReviewQueue)),
            [false, false, false, true, false, true]
        );
        assert_eq!(
            column(|a| may(a, Area::ManageInstitutions)),
            [false, false, false, true, true, true]
        );
        assert_eq!(
            column(|a| may(a, Area::Import)),
            [false, true, true, false, false, true]
        );
        assert_eq!(
            column(|a| may(a, Area::OwnRecords)),
            [false, true, true, false, false, false]
        );
        assert_eq!(
            column(|a| may(a, Area::OwnApplications)),
            [false, true, true, false, false, false]
        );
        assert_eq!(
            column(|a| may(a, Area::Applications)),
            [false, true, true, true, true, true]
        );
        for area in [
            Area::Users,
            Area::Audit,
            Area::ListIssues,
            Area::Priority,
            Area::Calls,
            Area::Ledger,
        ] {
            assert_eq!(
                column(|a| may(a, area)),
                [false, false, false, false, false, true],
                "{area:?}"
            );
        }
        assert!(may(&Actor::System("cli"), Area::Users));
        assert!(matches!(
            require(&Actor::Anonymous, Area::Audit),
            Err(AppError::Unauthenticated)
        ));
        assert!(matches!(
            require(&everyone()[3], Area::Audit),
            Err(AppError::Forbidden)
        ));
    }

    #[test]
    fn the_menu_offers_only_what_may_be_entered() {
        let registrar = user(UserRole::ContractRegistrar(OWNER + 2));
        for actor in everyone().into_iter().chain([registrar.clone()]) {
            for entry in menu(&actor) {
                // The contract listing is one page for sellers, registrars, officers and admins.
                if entry.href == "/contracts" {
                    assert!(
                        contract_listing(&actor).is_ok(),
                        "{actor:?} is offered /contracts"
                    );
                    continue;
                }
                let area = match entry.href {
                    "/my/achievements" | "/my/demands" => Area::OwnRecords,
                    "/my/matches" => Area::OwnMatches,
                    "/my/institution" => Area::OwnInstitution,
                    "/review" => Area::ReviewQueue,
                    "/import" => Area::Import,
                    "/admin/fields" => Area::TechnicalFields,
                    "/manage/institutions" => Area::ManageInstitutions,
                    "/admin/users" => Area::Users,
                    "/admin/audit" => Area::Audit,
                    "/admin/api-keys" => Area::ApiKeys,
                    "/admin/matches" => Area::MatchFunnel,
                    "/district" => Area::DistrictReport,
                    "/tech-manager/matches" | "/tech-manager/profile" => Area::TechManagerMatches,
                    "/applications" => Area::Applications,
                    "/my/carriers" => Area::OwnCarriers,
                    "/my/products" => Area::OwnProducts,
                    "/carriers/evaluation" => Area::CarrierScoring,
                    other => panic!("menu entry without an area: {other}"),
                };
                assert!(may(&actor, area), "{actor:?} is offered {}", entry.href);
            }
        }
        assert!(menu(&Actor::Anonymous).is_empty());
        let offered: Vec<&str> = menu(&registrar).iter().map(|e| e.href).collect();
        assert_eq!(
            offered,
            vec!["/contracts"],
            "a registrar's work is the registry"
        );
    }
}
