//! 我的待办: what waits on the signed-in user in the applications path, with counts and where
//! to go — the applicant's returned applications, drafts and 免申即享 drafts to confirm; each
//! review step's queue; an expert's applications to score; the bureau's objections to rule;
//! and, for reviewers and the bureau, the achievements and demands waiting for review.

use zijin_domain::{ApplicationOrigin, ApplicationStatus, ReviewStep};

use crate::access::{self, Area, Standing};
use crate::{Actor, App, AppResult};

/// One line of 我的待办.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodoItem {
    pub label: String,
    pub count: usize,
    pub href: String,
}

/// What waits on the actor (only lines with something waiting).
pub async fn todo(app: &App, actor: &Actor) -> AppResult<Vec<TodoItem>> {
    let mut items = Vec::new();
    let mut push = |label: &str, count: usize, href: &str| {
        if count > 0 {
            items.push(TodoItem {
                label: label.to_string(),
                count,
                href: href.to_string(),
            });
        }
    };
    // Achievements and demands waiting for the reviewer's decision (审核员 and the bureau).
    if access::may(actor, Area::ReviewQueue) {
        let waiting = vec![zijin_domain::RecordStatus::Submitted];
        let achievements =
            crate::records::list_achievements(app, actor, waiting.clone(), 1, 1).await?;
        let demands = crate::records::list_demands(app, actor, waiting, 1, 1).await?;
        push(
            "成果和需求待审核",
            (achievements.total + demands.total) as usize,
            "/review",
        );
    }
    if !access::may(actor, Area::Applications) {
        return Ok(items);
    }
    let listed = super::list(app, actor).await?;
    match access::standing(actor) {
        Standing::InstitutionUser(_) => {
            let query = crate::contracts::ListQuery {
                status: Some(zijin_domain::ContractStatus::Returned),
                ..Default::default()
            };
            let returned = crate::contracts::list(app, actor, &query, 1).await?.total;
            push(
                "技术合同被退回待补正",
                returned as usize,
                "/contracts?status=returned",
            );
            let count = |f: &dyn Fn(&zijin_store::applications::ApplicationRow) -> bool| {
                listed.iter().filter(|a| f(a)).count()
            };
            push(
                "免申即享申报待确认",
                count(&|a| {
                    a.origin == ApplicationOrigin::Exempt && a.status == ApplicationStatus::Draft
                }),
                "/applications",
            );
            push(
                "申报被退回待修改",
                count(&|a| a.status == ApplicationStatus::Returned),
                "/applications",
            );
            push(
                "申报草稿未提交",
                count(&|a| {
                    a.origin == ApplicationOrigin::Applicant && a.status == ApplicationStatus::Draft
                }),
                "/applications",
            );
        }
        Standing::Admin => {
            let at = |step| listed.iter().filter(|a| a.step == Some(step)).count();
            push(
                "待指派专家或结束专家评审",
                at(ReviewStep::Experts),
                "/applications",
            );
            push("待市级核定", at(ReviewStep::Final), "/applications");
            let objections =
                zijin_store::notices::unruled_objections(app.store.pool()).await? as usize;
            push("公示异议待处理", objections, "/calls");
        }
        // The queues' own totals (the listing above stops at 500).
        Standing::DistrictOfficer(_) => push(
            "待区级初审推荐",
            super::list_page(app, actor, 1).await?.total as usize,
            "/applications",
        ),
        Standing::Reviewer => push(
            "待责任单位审核",
            super::list_page(app, actor, 1).await?.total as usize,
            "/applications",
        ),
        Standing::ContractRegistrar(_) => {
            let query = crate::contracts::ListQuery {
                status: Some(zijin_domain::ContractStatus::Submitted),
                ..Default::default()
            };
            let waiting = crate::contracts::list(app, actor, &query, 1).await?.total;
            push(
                "技术合同待登记",
                waiting as usize,
                "/contracts?status=submitted",
            );
        }
        Standing::Anonymous => {}
    }
    let scoring = super::experts::queue(app, actor).await?.len();
    push("待专家评分", scoring, "/applications#expert-queue");
    Ok(items)
}
