//! Applications (申报) for the policy measures: where an application stands, which review step
//! waits on whom, and which decision may follow which. The only place that says so; the store
//! keeps the codes and `app` asks here before it writes.
//!
//! The route (issue 16): 区级初审推荐 (the district officer of the applicant's district) →
//! 责任单位审核 (a reviewer of a responsible unit the measure names) → 专家评审 (when the call asks
//! for it) → 市级核定 (the bureau's admin, who fixes the amount and reserves it in the ledger).
//! Each step approves, returns for correction (with a comment) or rejects (with a reason).

use crate::Coded;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationStatus {
    /// 草稿: saved by the applicant, not yet submitted.
    Draft,
    /// 审核中: submitted; a review step (`ReviewStep`) waits.
    InReview,
    /// 退回修改: a step returned it; the applicant corrects and submits again.
    Returned,
    /// 未通过: a step rejected it.
    Rejected,
    /// 已核定: the bureau fixed the amount; it is reserved in the ledger.
    Approved,
    /// 已拨付: paid.
    Paid,
    /// 已撤回: the applicant withdrew it before a decision.
    Withdrawn,
}

impl Coded for ApplicationStatus {
    const ALL: &'static [Self] = &[
        Self::Draft,
        Self::InReview,
        Self::Returned,
        Self::Rejected,
        Self::Approved,
        Self::Paid,
        Self::Withdrawn,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Returned => "returned",
            Self::Rejected => "rejected",
            Self::Approved => "approved",
            Self::Paid => "paid",
            Self::Withdrawn => "withdrawn",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::InReview => "审核中",
            Self::Returned => "退回修改",
            Self::Rejected => "未通过",
            Self::Approved => "已核定",
            Self::Paid => "已拨付",
            Self::Withdrawn => "已撤回",
        }
    }
}

impl ApplicationStatus {
    /// The applicant may still change the facts (and must submit again).
    pub fn editable(self) -> bool {
        matches!(self, Self::Draft | Self::Returned)
    }
}

/// A step of the review route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReviewStep {
    /// 区级初审推荐.
    District,
    /// 责任单位审核.
    Unit,
    /// 专家评审.
    Experts,
    /// 市级核定.
    Final,
}

impl Coded for ReviewStep {
    const ALL: &'static [Self] = &[Self::District, Self::Unit, Self::Experts, Self::Final];

    fn code(self) -> &'static str {
        match self {
            Self::District => "district",
            Self::Unit => "unit",
            Self::Experts => "experts",
            Self::Final => "final",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::District => "区级初审推荐",
            Self::Unit => "责任单位审核",
            Self::Experts => "专家评审",
            Self::Final => "市级核定",
        }
    }
}

impl ReviewStep {
    /// The step after this one's approval (`None`: this was the last, the amount is fixed).
    /// `experts`: whether the call asks for expert review.
    pub fn next(self, experts: bool) -> Option<ReviewStep> {
        match self {
            Self::District => Some(Self::Unit),
            Self::Unit if experts => Some(Self::Experts),
            Self::Unit | Self::Experts => Some(Self::Final),
            Self::Final => None,
        }
    }
}

/// What a reviewer decides at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// 通过 (at 市级核定: 核定).
    Approve,
    /// 退回修改, with a comment saying what to correct.
    Return,
    /// 不予通过, with the reason.
    Reject,
}

impl Coded for Decision {
    const ALL: &'static [Self] = &[Self::Approve, Self::Return, Self::Reject];

    fn code(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Return => "return",
            Self::Reject => "reject",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Approve => "通过",
            Self::Return => "退回修改",
            Self::Reject => "不予通过",
        }
    }
}

/// A ledger entry's state: reserved at 核定, paid at 拨付, released when an objection is upheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedgerState {
    Reserved,
    Paid,
    Released,
}

impl Coded for LedgerState {
    const ALL: &'static [Self] = &[Self::Reserved, Self::Paid, Self::Released];

    fn code(self) -> &'static str {
        match self {
            Self::Reserved => "reserved",
            Self::Paid => "paid",
            Self::Released => "released",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Reserved => "已核定待拨付",
            Self::Paid => "已拨付",
            Self::Released => "已释放",
        }
    }
}

/// Where the application goes when a step decides: the new status and the step that then waits.
/// `None` when the decision does not apply (the application is not waiting at `step`).
pub fn after_decision(
    status: ApplicationStatus,
    waiting: Option<ReviewStep>,
    step: ReviewStep,
    decision: Decision,
    experts: bool,
) -> Option<(ApplicationStatus, Option<ReviewStep>)> {
    if status != ApplicationStatus::InReview || waiting != Some(step) {
        return None;
    }
    Some(match decision {
        Decision::Approve => match step.next(experts) {
            Some(next) => (ApplicationStatus::InReview, Some(next)),
            None => (ApplicationStatus::Approved, None),
        },
        // A returned application comes back to the step that returned it.
        Decision::Return => (ApplicationStatus::Returned, Some(step)),
        Decision::Reject => (ApplicationStatus::Rejected, Some(step)),
    })
}

/// The step a submitted application waits at: the first for a draft, the returning step for a
/// returned one. `None` when it cannot be submitted.
pub fn after_submit(status: ApplicationStatus, waiting: Option<ReviewStep>) -> Option<ReviewStep> {
    match status {
        ApplicationStatus::Draft => Some(ReviewStep::District),
        ApplicationStatus::Returned => Some(waiting.unwrap_or(ReviewStep::District)),
        _ => None,
    }
}

/// How an application came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationOrigin {
    /// 单位申报: the institution filed it.
    Applicant,
    /// 免申即享: a pass over the platform's data drafted it; the beneficiary only confirms
    /// (意愿确认) and it goes straight to 市级核定.
    Exempt,
}

impl Coded for ApplicationOrigin {
    const ALL: &'static [Self] = &[Self::Applicant, Self::Exempt];

    fn code(self) -> &'static str {
        match self {
            Self::Applicant => "applicant",
            Self::Exempt => "exempt",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Applicant => "单位申报",
            Self::Exempt => "免申即享",
        }
    }
}

/// The account a grant is paid into, as the beneficiary entered it for the 拨付清单.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayeeAccount {
    /// 开户银行 (e.g. 中国工商银行南京新街口支行).
    pub bank: String,
    /// 银行账号, digits only.
    pub number: String,
    /// 账户名称 (户名).
    pub name: String,
}

impl PayeeAccount {
    /// Reads what the applicant typed; blanks are allowed in a draft (`is_complete` is asked
    /// at submission), a typed value must be well formed. Spaces and dashes inside an account
    /// number are dropped.
    pub fn parse(bank: &str, number: &str, name: &str, errors: &mut crate::FieldErrors) -> Self {
        let bank = bank.trim();
        let name = name.trim();
        let number: String = number
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if bank.chars().count() > 60 {
            errors.add("bank_name", "开户银行最多 60 个字");
        }
        if name.chars().count() > 100 {
            errors.add("account_name", "账户名称最多 100 个字");
        }
        if !number.is_empty()
            && (!number.chars().all(|c| c.is_ascii_digit()) || !(8..=32).contains(&number.len()))
        {
            errors.add("bank_account", "银行账号应为 8 至 32 位数字");
        }
        Self {
            bank: bank.to_string(),
            number,
            name: name.to_string(),
        }
    }

    /// Every part filled in.
    pub fn is_complete(&self) -> bool {
        !self.bank.is_empty() && !self.number.is_empty() && !self.name.is_empty()
    }

    /// The number in groups of four, as printed on bank cards and forms.
    pub fn grouped_number(&self) -> String {
        self.number
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The mean of experts' total points, to one decimal, rounded half up (`None` without scores).
/// The key a grant to a person (a 技术经理人, by their account's username, which never changes)
/// is kept under in the ledger, so per-person caps hold across institutions and calls; shown in
/// an explanation as written.
pub fn person_beneficiary(username: &str) -> String {
    format!("技术经理人（账号 {username}）")
}

pub fn mean_points(totals: &[i64]) -> Option<String> {
    if totals.is_empty() {
        return None;
    }
    let n = totals.len() as i64;
    let tenths = (totals.iter().sum::<i64>() * 10 * 2 + n) / (2 * n);
    Some(format!("{}.{}", tenths / 10, tenths % 10))
}

/// The fewest experts whose scores an application's 专家评审 needs.
pub const MIN_EXPERTS: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_runs_district_unit_experts_final() {
        use ApplicationStatus::*;
        let mut at = after_submit(Draft, None);
        assert_eq!(at, Some(ReviewStep::District));
        let mut seen = Vec::new();
        let mut status = InReview;
        while status == InReview {
            let step = at.unwrap();
            seen.push(step);
            (status, at) = after_decision(status, at, step, Decision::Approve, true).unwrap();
        }
        assert_eq!(status, Approved);
        assert_eq!(
            seen,
            [
                ReviewStep::District,
                ReviewStep::Unit,
                ReviewStep::Experts,
                ReviewStep::Final
            ]
        );
        // Without expert review the unit hands over to the bureau.
        assert_eq!(ReviewStep::Unit.next(false), Some(ReviewStep::Final));
    }

    #[test]
    fn a_returned_application_comes_back_to_the_step_that_returned_it() {
        use ApplicationStatus::*;
        let (status, at) = after_decision(
            InReview,
            Some(ReviewStep::Unit),
            ReviewStep::Unit,
            Decision::Return,
            false,
        )
        .unwrap();
        assert_eq!((status, at), (Returned, Some(ReviewStep::Unit)));
        assert!(status.editable());
        assert_eq!(after_submit(status, at), Some(ReviewStep::Unit));
    }

    #[test]
    fn only_the_waiting_step_decides_and_only_once() {
        use ApplicationStatus::*;
        // The unit cannot decide while the district has not.
        assert!(
            after_decision(
                InReview,
                Some(ReviewStep::District),
                ReviewStep::Unit,
                Decision::Approve,
                false
            )
            .is_none()
        );
        // Nothing decides a rejected, approved or draft application.
        for status in [Rejected, Approved, Draft, Paid, Withdrawn] {
            assert!(
                after_decision(
                    status,
                    Some(ReviewStep::Final),
                    ReviewStep::Final,
                    Decision::Approve,
                    false
                )
                .is_none()
            );
        }
        assert_eq!(after_submit(InReview, Some(ReviewStep::Unit)), None);
        assert_eq!(after_submit(Approved, None), None);
    }

    #[test]
    fn every_value_has_a_chinese_label_and_a_unique_code() {
        fn check<T: Coded>() {
            let codes: std::collections::HashSet<_> = T::ALL.iter().map(|v| v.code()).collect();
            assert_eq!(codes.len(), T::ALL.len());
            for value in T::ALL {
                assert!(!value.label().is_ascii(), "{}", value.code());
                assert_eq!(
                    T::from_code(value.code()).map(|v| v.code()),
                    Some(value.code())
                );
            }
        }
        check::<ApplicationStatus>();
        check::<ReviewStep>();
        check::<Decision>();
        check::<LedgerState>();
        check::<ApplicationOrigin>();
    }

    #[test]
    fn account_numbers_are_digits_and_means_round_half_up() {
        let mut errors = crate::FieldErrors::new();
        let account = PayeeAccount::parse(
            " 工商银行新街口支行 ",
            "6222 0202-0000 1234 567",
            "某某公司",
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(account.number, "62220202000012345 67".replace(' ', ""));
        assert_eq!(account.grouped_number(), "6222 0202 0000 1234 567");
        assert!(account.is_complete());
        PayeeAccount::parse("", "12AB5678", "", &mut errors);
        PayeeAccount::parse("", "1234567", "", &mut errors);
        assert_eq!(errors.iter().count(), 2);
        assert!(!PayeeAccount::parse("", "", "", &mut errors).is_complete());
        assert_eq!(mean_points(&[80, 85, 91]), Some("85.3".into()));
        assert_eq!(mean_points(&[80, 81]), Some("80.5".into()));
        assert_eq!(mean_points(&[1, 1, 2]), Some("1.3".into()));
        assert_eq!(mean_points(&[]), None);
    }
}
