//! Use cases of the Zijin platform.
//!
//! Each public function takes the acting user (an [`Actor`]), checks what that actor may do,
//! validates input into domain types, writes through one transaction and appends the audit
//! entry in that same transaction, so a change and its audit record land together or not at all.

pub mod access;
pub mod api_keys;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod carriers;
pub mod catalogue;
mod clock;
pub mod contracts;
pub mod demo;
pub mod districts;
mod error;
pub mod exchange;
pub mod exports;
pub mod files;
pub mod flash;
pub mod institutions;
pub mod lists;
pub mod mail;
pub mod matchmaking;
pub mod notifications;
pub mod policy;
pub mod records;
pub mod search;
pub mod tech_managers;
mod unit;
pub mod users;
pub mod white_list;

use std::sync::Arc;

pub use clock::{Clock, ManualClock, ShiftedClock, SystemClock};
pub use error::{AppError, AppResult};
pub use zijin_store::{Backend, Paged, Store, StoreOptions};

use zijin_domain::{Role, User};

/// The application: its store and clock. Cheap to clone; holds no other state, so several
/// processes can serve one database.
#[derive(Clone)]
pub struct App {
    store: Store,
    clock: Arc<dyn Clock>,
    policies: Arc<zijin_policy::PolicySet>,
    /// The working-day calendar (official holidays and makeup days), for 公示 periods.
    calendar: Arc<zijin_domain::WorkCalendar>,
    /// The process's search index (derived state; absent in commands that do not search).
    search: Option<Arc<search::Search>>,
    /// The bound on password hashes in flight in this process (a resource limit, not state).
    login_limits: Arc<auth::LoginLimits>,
    /// How new 合同登记编号 are made (configurable; see `NumberScheme`).
    contract_numbers: Arc<zijin_domain::NumberScheme>,
    /// The published composite index of the transfer ranking, if any.
    ranking_composite: Option<Arc<contracts::ranking::Composite>>,
}

impl App {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            policies: Arc::default(),
            calendar: Arc::new(zijin_domain::WorkCalendar::shipped()),
            search: None,
            login_limits: Arc::default(),
            contract_numbers: Arc::default(),
            ranking_composite: None,
        }
    }

    /// The same platform checking at most `concurrent` passwords at once.
    pub fn with_login_concurrency(mut self, concurrent: usize) -> Self {
        self.login_limits = Arc::new(auth::LoginLimits::new(concurrent));
        self
    }

    /// The same platform signing its audit log with `key` (read by the binary at start-up from
    /// the data directory or the environment).
    pub fn with_audit_key(mut self, key: zijin_domain::AuditKey) -> Self {
        self.store = self.store.with_audit_key(key);
        self
    }

    /// The same platform with these compiled policy files (read by the binary at start-up).
    pub fn with_policies(mut self, policies: zijin_policy::PolicySet) -> Self {
        self.policies = Arc::new(policies);
        self
    }

    /// The same platform counting working days with this calendar (the shipped one with an
    /// operator's additions).
    pub fn with_calendar(mut self, calendar: zijin_domain::WorkCalendar) -> Self {
        self.calendar = Arc::new(calendar);
        self
    }

    pub fn calendar(&self) -> &zijin_domain::WorkCalendar {
        &self.calendar
    }

    /// The same platform numbering registered contracts by `scheme`.
    pub fn with_contract_numbers(mut self, scheme: zijin_domain::NumberScheme) -> Self {
        self.contract_numbers = Arc::new(scheme);
        self
    }

    pub fn contract_numbers(&self) -> &zijin_domain::NumberScheme {
        &self.contract_numbers
    }

    /// The same platform with a published composite index for the transfer ranking.
    pub fn with_ranking_composite(mut self, composite: contracts::ranking::Composite) -> Self {
        self.ranking_composite = Some(Arc::new(composite));
        self
    }

    pub fn ranking_composite(&self) -> Option<&contracts::ranking::Composite> {
        self.ranking_composite.as_deref()
    }

    /// The same platform reading the time from another clock (the demo tells the story of calls
    /// that ran before today; tests move time).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same platform searching and matching with this index.
    pub fn with_search(mut self, search: Arc<search::Search>) -> Self {
        self.search = Some(search);
        self
    }

    pub fn search(&self) -> Option<&Arc<search::Search>> {
        self.search.as_ref()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Today's date in Beijing, the calendar every date users enter or read is in.
    pub fn today(&self) -> chrono::NaiveDate {
        applications::beijing_date(self.now())
    }
}

/// Who is acting: a signed-in user, or an anonymous visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    User(User),
    /// The platform itself (demo generator, command line).
    System(&'static str),
}

impl Actor {
    pub fn user(&self) -> Option<&User> {
        match self {
            Actor::User(user) => Some(user),
            _ => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        self.user().map(|user| user.role.role())
    }

    /// Has this actor an admin's rights? Permissions are decided in [`access`]; prefer
    /// `access::may(actor, area)` there, which names what is allowed.
    pub fn is_admin(&self) -> bool {
        access::standing(self) == access::Standing::Admin
    }

    /// How the audit log names this actor.
    pub fn audit_name(&self) -> String {
        match self {
            Actor::Anonymous => "anonymous".into(),
            Actor::User(user) => format!("user:{}:{}", user.id, user.username),
            Actor::System(what) => format!("system:{what}"),
        }
    }

    /// Refuses anyone but admins (and the platform itself). Prefer `access::require(actor,
    /// area)`, which names the area and keeps the table of who may what in one place.
    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(access::refusal(self))
        }
    }
}
