//! Entities and value types of the Zijin platform.
//!
//! Every type here is built through a `parse` (or `from_code`) that refuses invalid input, so the
//! rest of the platform can hold a `CreditCode` or a `District` without checking it again.
//! No IO, no HTTP, no SQL: this crate must stay cheap to test and impossible to misuse.

pub mod application;
pub mod audit;
pub mod calendar;
pub mod carrier_evaluation;
pub mod contract;
pub mod credit_code;
pub mod district;
pub mod institution;
pub mod matchmaking;
pub mod money;
pub mod password;
pub mod patent;
pub mod record;
pub mod role;
pub mod tech_manager;
pub mod validation;

pub use application::{
    ApplicationOrigin, ApplicationStatus, Decision, LedgerState, MIN_EXPERTS, PayeeAccount,
    ReviewStep, after_decision, after_submit, mean_points, person_beneficiary,
};
pub use audit::{AuditKey, AuditKeyError, AuditRecord, GENESIS_HASH, hmac_sha256};
pub use calendar::{CalendarError, WorkCalendar};
pub use carrier_evaluation::{Grade, IndicatorSource, Metric};
pub use contract::{
    ContractDetails, ContractField, ContractInput, ContractKind, ContractStatus, ContractType,
    Deduction, IpType, NumberInputs, NumberScheme, Party, PartyNature, Place, RegionCode,
    RegistrationNumber,
};
pub use credit_code::{CreditCode, CreditCodeError};
pub use district::District;
pub use institution::{
    Institution, InstitutionDetails, InstitutionInput, InstitutionProfile, InstitutionTag,
    InstitutionType, MAX_NAME_CHARS,
};
pub use matchmaking::{MatchSort, MatchStage, MatchStep, MessageText, TerminationReason};
pub use money::{Money, MoneyError, Total, group_thousands};
pub use password::{MIN_PASSWORD_CHARS, Password};
pub use patent::{PatentNumber, PatentNumberError};
pub use record::{
    Achievement, AchievementDetails, AchievementInput, CloseReason, Demand, DemandDetails,
    DemandInput, IpItem, ListIssue, Price, RecordKind, RecordStatus, SourceFlag, Stage,
    TechnicalField, TransferMode, Transition, TransitionError, Trl, mask_phone, sniff_attachment,
    split_list,
};
pub use role::{Designation, ResponsibleUnit, Role, User, UserRole, Username};
pub use tech_manager::{
    CertificateLevel, CertificateNumber, TechManagerProfile, TechManagerProfileInput,
};
pub use validation::{FieldError, FieldErrors, email_problem, phone_problem};

/// A closed list of values stored by a stable English code and shown by a Chinese label.
///
/// Implemented by the enums that users choose from (districts, institution types, roles …) so
/// pages, the API and storage all speak the same codes.
pub trait Coded: Sized + Copy + 'static {
    /// Every value, in display order.
    const ALL: &'static [Self];
    /// The stable code stored in the database and used in the API.
    fn code(self) -> &'static str;
    /// The label users read.
    fn label(self) -> &'static str;

    /// Finds a value by its code or its Chinese label.
    fn from_code(input: &str) -> Option<Self> {
        let input = input.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|value| value.code() == input || value.label() == input)
    }
}
