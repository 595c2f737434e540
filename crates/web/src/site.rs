//! The operator's settings for the frame of every page (the footer), read from
//! `config/site.toml` or `--site-config`.

use serde::{Deserialize, Serialize};

/// The shipped settings (placeholders an operator replaces).
pub const SHIPPED: &str = include_str!("../../../config/site.toml");

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    #[serde(default)]
    pub footer: Footer,
}

/// 主办单位, 联系我们 and the filing numbers; empty values are not shown.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Footer {
    pub sponsor: String,
    pub organizer: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub icp: String,
    pub police: String,
    pub site_code: String,
}

impl SiteConfig {
    /// Parses a settings file; the error names the file and says what is wrong, in Chinese.
    pub fn parse(name: &str, text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|error| format!("站点配置 {name} 有误：{}", error.message()))
    }

    pub fn shipped() -> Self {
        Self::parse("config/site.toml", SHIPPED).expect("the shipped site.toml parses")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_parses_and_unknown_keys_are_refused() {
        assert_eq!(SiteConfig::shipped().footer.sponsor, "市科学技术局");
        let error = SiteConfig::parse("x.toml", "[footer]\nsponsr = \"a\"").unwrap_err();
        assert!(error.starts_with("站点配置 x.toml 有误"), "{error}");
        let custom = SiteConfig::parse("x.toml", "[footer]\nsponsor = \"某市科技局\"").unwrap();
        assert_eq!(custom.footer.sponsor, "某市科技局");
        assert!(custom.footer.icp.is_empty());
    }
}
