//! Matchmaking (对接): a recommended pair of a demand and an achievement, followed to a contract.
//! 推荐 → 意向 → 洽谈 → 签约, or 终止 at any open stage.

use crate::Coded;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchStage {
    /// 推荐: the matcher proposed the pair.
    Recommended,
    /// 意向: a side marked interest.
    Interested,
    /// 洽谈: both sides are talking.
    Negotiating,
    /// 签约: a contract was signed.
    Signed,
    /// 终止: a side ended it.
    Terminated,
}

impl Coded for MatchStage {
    const ALL: &'static [Self] = &[
        Self::Recommended,
        Self::Interested,
        Self::Negotiating,
        Self::Signed,
        Self::Terminated,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::Recommended => "recommended",
            Self::Interested => "interested",
            Self::Negotiating => "negotiating",
            Self::Signed => "signed",
            Self::Terminated => "terminated",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Recommended => "推荐",
            Self::Interested => "意向",
            Self::Negotiating => "洽谈",
            Self::Signed => "签约",
            Self::Terminated => "终止",
        }
    }
}

/// What a side does to a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchStep {
    /// 有意向
    Interest,
    /// 进入洽谈
    Negotiate,
    /// 签约
    Sign,
    /// 终止
    Terminate,
}

impl MatchStep {
    pub fn from_code(code: &str) -> Option<MatchStep> {
        Some(match code {
            "interest" => MatchStep::Interest,
            "negotiate" => MatchStep::Negotiate,
            "sign" => MatchStep::Sign,
            "terminate" => MatchStep::Terminate,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            MatchStep::Interest => "有意向",
            MatchStep::Negotiate => "进入洽谈",
            MatchStep::Sign => "签约",
            MatchStep::Terminate => "终止",
        }
    }
}

impl MatchStage {
    pub fn is_open(self) -> bool {
        !matches!(self, MatchStage::Signed | MatchStage::Terminated)
    }

    /// The stage after `step`, or why not. Interest may be marked by each side once; it moves a
    /// recommendation to 意向 and leaves later stages where they are.
    pub fn apply(self, step: MatchStep) -> Result<MatchStage, String> {
        use MatchStage::*;
        match (self, step) {
            (Recommended, MatchStep::Interest) => Ok(Interested),
            (Interested | Negotiating, MatchStep::Interest) => Ok(self),
            (Interested, MatchStep::Negotiate) => Ok(Negotiating),
            (Negotiating, MatchStep::Sign) => Ok(Signed),
            (stage, MatchStep::Terminate) if stage.is_open() => Ok(Terminated),
            (stage, step) => Err(format!(
                "当前阶段为“{}”，不能{}",
                stage.label(),
                step.label()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_match_moves_forward_or_ends_and_never_back() {
        let stage = MatchStage::Recommended;
        assert!(stage.apply(MatchStep::Negotiate).is_err());
        let stage = stage.apply(MatchStep::Interest).unwrap();
        assert_eq!(stage, MatchStage::Interested);
        let stage = stage.apply(MatchStep::Negotiate).unwrap();
        assert_eq!(
            stage.apply(MatchStep::Interest),
            Ok(MatchStage::Negotiating)
        );
        let signed = stage.apply(MatchStep::Sign).unwrap();
        assert_eq!(signed, MatchStage::Signed);
        let error = signed.apply(MatchStep::Terminate).unwrap_err();
        assert!(error.contains("签约"), "{error}");
        assert_eq!(
            MatchStage::Interested.apply(MatchStep::Terminate),
            Ok(MatchStage::Terminated)
        );
        assert_eq!(
            MatchStage::from_code("negotiating"),
            Some(MatchStage::Negotiating)
        );
    }
}
