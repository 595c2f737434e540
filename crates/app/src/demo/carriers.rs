//! Demo carriers (issue 19): some of the demo institutions run recognised carriers, so the
//! directory shows every kind and the quotas in use.

use zijin_domain::{InstitutionDetails, InstitutionType};

use crate::{Actor, App, AppResult};

/// (institution type, carrier type code, how many) recognised from the demo institutions.
const PLAN: &[(InstitutionType, &str, usize)] = &[
    (InstitutionType::University, "university-science-park", 3),
    (InstitutionType::University, "transfer-center", 4),
    (InstitutionType::University, "poc-center", 3),
    (InstitutionType::ResearchInstitute, "poc-center", 2),
    (
        InstitutionType::ResearchInstitute,
        "public-service-platform",
        2,
    ),
    (InstitutionType::NewRdInstitution, "new-rd-institution", 4),
    (InstitutionType::NewRdInstitution, "pilot-platform", 2),
    (InstitutionType::Enterprise, "pilot-platform", 2),
    (InstitutionType::ServiceOrganization, "transfer-org", 3),
    (
        InstitutionType::ServiceOrganization,
        "benchmark-incubator",
        1,
    ),
    (InstitutionType::FinancialInstitution, "finance-station", 2),
];

pub(super) async fn seed(app: &App, institutions: &[(i64, InstitutionDetails)]) -> AppResult<()> {
    let system = Actor::System("demo");
    for (kind, carrier_type, count) in PLAN {
        for (_, details) in institutions
            .iter()
            .filter(|(_, d)| d.kind == *kind)
            .take(*count)
        {
            // An institution may run one carrier of a type; the plan never asks twice.
            crate::carriers::recognise_as(
                app,
                &system,
                details.credit_code.as_str(),
                carrier_type,
                "",
                true,
            )
            .await?;
        }
    }
    Ok(())
}
