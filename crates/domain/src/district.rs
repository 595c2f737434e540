//! The districts of Nanjing and the Jiangbei New Area (江北新区、各区 in the seed).

use crate::Coded;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum District {
    Xuanwu,
    Qinhuai,
    Jianye,
    Gulou,
    Pukou,
    Qixia,
    Yuhuatai,
    Jiangning,
    Luhe,
    Lishui,
    Gaochun,
    JiangbeiNewArea,
}

impl Coded for District {
    const ALL: &'static [Self] = &[
        Self::Xuanwu,
        Self::Qinhuai,
        Self::Jianye,
        Self::Gulou,
        Self::Pukou,
        Self::Qixia,
        Self::Yuhuatai,
        Self::Jiangning,
        Self::Luhe,
        Self::Lishui,
        Self::Gaochun,
        Self::JiangbeiNewArea,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::Xuanwu => "xuanwu",
            Self::Qinhuai => "qinhuai",
            Self::Jianye => "jianye",
            Self::Gulou => "gulou",
            Self::Pukou => "pukou",
            Self::Qixia => "qixia",
            Self::Yuhuatai => "yuhuatai",
            Self::Jiangning => "jiangning",
            Self::Luhe => "luhe",
            Self::Lishui => "lishui",
            Self::Gaochun => "gaochun",
            Self::JiangbeiNewArea => "jiangbei",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Xuanwu => "玄武区",
            Self::Qinhuai => "秦淮区",
            Self::Jianye => "建邺区",
            Self::Gulou => "鼓楼区",
            Self::Pukou => "浦口区",
            Self::Qixia => "栖霞区",
            Self::Yuhuatai => "雨花台区",
            Self::Jiangning => "江宁区",
            Self::Luhe => "六合区",
            Self::Lishui => "溧水区",
            Self::Gaochun => "高淳区",
            Self::JiangbeiNewArea => "江北新区",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_areas_each_found_by_code_and_label() {
        assert_eq!(District::ALL.len(), 12);
        for district in District::ALL {
            assert_eq!(District::from_code(district.code()), Some(*district));
            assert_eq!(District::from_code(district.label()), Some(*district));
        }
        assert_eq!(District::from_code("朝阳区"), None);
    }
}
