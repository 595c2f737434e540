//! Where a page sits (breadcrumbs) and the short 办事指南 of the task it serves, both derived
//! from the path so every page has them without each handler naming them.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Crumb {
    pub href: &'static str,
    pub label: &'static str,
}

/// A task's guide: what it is for and its steps, in the order a user takes them.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Guide {
    pub title: &'static str,
    pub basis: &'static str,
    pub steps: &'static [&'static str],
}

/// The sections of the site by path prefix (longest first), with their label and guide.
const SECTIONS: &[(&str, &str, Option<Guide>)] = &[
    (
        "/my/achievements",
        "我的成果",
        Some(Guide {
            title: "发布科技成果",
            basis: "实施意见第二条（科技成果清单）",
            steps: &[
                "点击“新建成果”，填写成果名称、技术领域、简介、技术成熟度、知识产权和转化方式；",
                "保存后核对内容，点击“提交审核”，由责任单位审核员审核；",
                "被退回时按审核意见修改后再次提交；审核通过的成果进入下一期清单，发布后向社会公开；",
                "成交或不再转化时，可在成果详情中标记成交或撤回。",
            ],
        }),
    ),
    (
        "/my/demands",
        "我的需求",
        Some(Guide {
            title: "发布技术需求",
            basis: "实施意见第四条（企业技术需求清单）",
            steps: &[
                "点击“新建需求”，写清要解决的问题、技术领域、合作方式、预算和期望完成日期；",
                "提交审核，审核通过后进入下一期需求清单；",
                "平台按需求自动推荐匹配的成果，可在“我的对接”中查看并表示意向。",
            ],
        }),
    ),
    (
        "/my/matches",
        "我的对接",
        Some(Guide {
            title: "成果与需求对接",
            basis: "实施意见第九条（技术转移服务）",
            steps: &[
                "查看平台推荐的对接，匹配度和理由说明为什么推荐；",
                "双方都表示意向后，可看到对方完整的联系方式，并在洽谈区留言；",
                "谈成后标记签约，谈不成可说明理由后终止。",
            ],
        }),
    ),
    ("/my/institution", "本机构资料", None),
    (
        "/applications",
        "申报",
        Some(Guide {
            title: "政策资金申报",
            basis: "实施意见第三、六至八、十、十一、十三、十五、十七、十八、二十一条",
            steps: &[
                "在“通知公告”中找到正在受理的申报通知，阅读申报条件；",
                "填写申报数据，系统按政策自动计算可获资助金额并说明每一元的来由；",
                "上传通知要求的材料，填写收款账户，勾选科研诚信承诺后提交；",
                "依次经区级初审推荐、责任单位审核、专家评审（如有）和市级核定；",
                "拟支持名单公示期满无异议后，市科技局生成拨付批次并拨付资金。",
            ],
        }),
    ),
    ("/calls", "通知公告", None),
    (
        "/review",
        "待审核",
        Some(Guide {
            title: "审核成果和需求",
            basis: "实施意见第二、四条",
            steps: &[
                "按等待时间处理待审核的成果和需求；",
                "核对内容真实、完整、无涉密信息后点击“通过”，或写明意见后“退回”；",
                "处理完一条后可直接进入下一条；多条无误时可勾选后批量通过。",
            ],
        }),
    ),
    (
        "/lists",
        "两项清单",
        Some(Guide {
            title: "查阅两项清单",
            basis: "实施意见第二、四条",
            steps: &[
                "每期清单发布后内容固定，可按技术领域、所在区、成熟度等筛选；",
                "“与上期对比”列出新增和撤下的条目；",
                "可下载 Excel 或 PDF 版清单。",
            ],
        }),
    ),
    (
        "/import",
        "批量导入",
        Some(Guide {
            title: "批量导入成果和需求",
            basis: "实施意见第二、四条",
            steps: &[
                "下载导入模板，按模板的列填写；",
                "上传后系统逐行检查，有错误时指出行号、栏目和原因，全部无误才导入；",
                "导入是一个整体：要么全部成功，要么一条也不导入。",
            ],
        }),
    ),
    (
        "/contracts",
        "技术合同",
        Some(Guide {
            title: "技术合同登记",
            basis: "实施意见第二、三条；《技术合同认定登记管理办法》",
            steps: &[
                "技术合同由卖方（技术输出方）登记：点击“登记技术合同”，填写合同登记表（合同类型、买卖双方、技术领域、成交额和核减的非技术性费用），上传书面合同文本；对接签约后可从对接页面直接发起，双方信息自动带入；",
                "选择所在地的合同登记机构提交；登记机构自受理之日起15个工作日内办理，技术交易额500万元以上需专家评审的为30个工作日；",
                "被退回补正的，按意见修改后重新提交，办理期限从重新提交之日起计算；未予登记的会说明理由；",
                "登记后取得16位合同登记编号，按实际收款登记到账；合同变更或解除的，由登记机构办理变更或注销。",
            ],
        }),
    ),
    ("/stats/contracts", "技术合同统计", None),
    ("/rankings", "高校院所排行榜", None),
    ("/carriers", "载体名录", None),
    ("/carriers/evaluation", "载体绩效评价", None),
    ("/my/carriers", "我的载体", None),
    ("/catalogue", "创新产品应用推荐目录", None),
    ("/my/products", "创新产品申报", None),
    ("/white-list", "企业融资白名单", None),
    ("/brokers", "技术经理人", None),
    ("/tech-manager/profile", "技术经理人资料", None),
    ("/policy", "政策计算器", None),
    ("/search", "检索", None),
    ("/institutions", "机构名录", None),
    ("/manage/institutions", "机构管理", None),
    ("/admin/users", "用户管理", None),
    ("/admin/audit", "审计日志", None),
    ("/admin/api-keys", "API 密钥", None),
    ("/admin/fields", "技术领域", None),
    ("/admin/matches", "对接漏斗", None),
    ("/district", "区域概况", None),
    ("/tech-manager/matches", "我负责的对接", None),
    ("/notifications", "待办", None),
    ("/account", "账号设置", None),
    ("/guide", "办事指南", None),
];

fn section(path: &str) -> Option<&'static (&'static str, &'static str, Option<Guide>)> {
    SECTIONS
        .iter()
        .filter(|(prefix, _, _)| {
            path == *prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .max_by_key(|(prefix, _, _)| prefix.len())
}

/// 首页 › the section › the page (when the page is not the section itself); none on the home page.
pub fn breadcrumbs(path: &str, title: &str) -> Vec<Crumb> {
    if path == "/" {
        return Vec::new();
    }
    let mut crumbs = vec![Crumb {
        href: "/",
        label: "首页",
    }];
    if let Some((prefix, label, _)) = section(path)
        && *label != title
    {
        crumbs.push(Crumb {
            href: prefix,
            label,
        });
    }
    crumbs
}

/// The guide of the task a page belongs to, if it has one.
pub fn guide_for(path: &str) -> Option<Guide> {
    section(path).and_then(|(_, _, guide)| *guide)
}

/// Every guide, for the 办事指南 page.
pub fn all() -> Vec<(&'static str, Guide)> {
    SECTIONS
        .iter()
        .filter_map(|(prefix, _, guide)| guide.map(|g| (*prefix, g)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crumbs_follow_the_path() {
        assert!(breadcrumbs("/", "首页").is_empty());
        let crumbs = breadcrumbs("/my/achievements/12/edit", "修改成果");
        let labels: Vec<_> = crumbs.iter().map(|c| c.label).collect();
        assert_eq!(labels, ["首页", "我的成果"]);
        assert_eq!(crumbs[1].href, "/my/achievements");
        // The section's own page does not repeat itself.
        assert_eq!(breadcrumbs("/review", "待审核").len(), 1);
        // A prefix matches whole segments only.
        assert!(section("/reviewers").is_none());
        assert!(guide_for("/applications/3").is_some());
        assert!(guide_for("/search").is_none());
    }
}
