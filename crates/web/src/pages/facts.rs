//! A measure's facts as form inputs and back: the application form and the policy calculator
//! share them. Amounts are read in 元 or 万元 (“120万”), yes/no and options from lists, tags
//! separated by 、 or commas.

use std::collections::HashMap;

use minijinja::context;
use zijin_app::policy::{FactType, Measure};
use zijin_domain::Money;

/// The inputs of a measure's facts, with what was typed (or stored).
pub(super) fn inputs(measure: &Measure, values: &HashMap<String, String>) -> Vec<minijinja::Value> {
    measure
        .facts
        .iter()
        .map(|fact| {
            let (input, options): (&str, Vec<(String, String)>) = match &fact.kind {
                FactType::Boolean => (
                    "select",
                    vec![("true".into(), "是".into()), ("false".into(), "否".into())],
                ),
                FactType::Enum(values) => (
                    "select",
                    values.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                ),
                FactType::Date => ("date", vec![]),
                _ => ("text", vec![]),
            };
            let hint = match &fact.kind {
                FactType::Money => "元，可写“120万”或“1,200,000”",
                FactType::Ratio => "百分比或小数，如 85% 或 0.85",
                FactType::Count => "非负整数",
                FactType::Tags(tags) if !tags.is_empty() => "多项用顿号分隔",
                FactType::Tags(_) => "多项用顿号分隔",
                _ => "",
            };
            context! {
                name => fact.name.clone(), label => fact.label.clone(), input, hint,
                options => options.iter().map(|(v, l)| context! { value => v, label => l }).collect::<Vec<_>>(),
                value => values.get(&fact.name).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

/// A form's values as the engine's facts: amounts in 元 or 万元 become yuan strings, yes/no
/// booleans, tags lists. A value that cannot be read is passed on as typed, so the engine names
/// the fact and what it expected.
pub(super) fn facts(
    measure: &Measure,
    values: &HashMap<String, String>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut facts = serde_json::Map::new();
    for fact in &measure.facts {
        let Some(raw) = values
            .get(&fact.name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let value = match &fact.kind {
            FactType::Boolean => serde_json::Value::Bool(raw == "true"),
            FactType::Money => serde_json::Value::String(
                Money::parse_yuan_or_wan(raw).map_or_else(|_| raw.to_string(), |m| m.to_string()),
            ),
            // “85%” as the engine's 0.85.
            FactType::Ratio => serde_json::Value::String(
                raw.strip_suffix(['%', '％'])
                    .and_then(|n| n.trim().parse::<rust_decimal::Decimal>().ok())
                    .map_or_else(
                        || raw.to_string(),
                        |n| {
                            (n / rust_decimal::Decimal::from(100))
                                .normalize()
                                .to_string()
                        },
                    ),
            ),
            FactType::Tags(_) => serde_json::Value::Array(
                raw.split(['、', ',', '，', ';', '；'])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| serde_json::Value::String(t.into()))
                    .collect(),
            ),
            _ => serde_json::Value::String(raw.to_string()),
        };
        facts.insert(fact.name.clone(), value);
    }
    facts
}

#[cfg(test)]
mod tests {
    #[test]
    fn amounts_in_wan_and_ratios_in_percent_become_the_engines_numbers() {
        let policies = zijin_testkit::shipped_policies();
        let insurance = policies.measure("a15-insurance").unwrap();
        let values = std::collections::HashMap::from([
            ("premium".to_string(), "12万".to_string()),
            (
                "enterprise_tags".to_string(),
                "高新技术企业、专精特新".to_string(),
            ),
        ]);
        let facts = super::facts(insurance, &values);
        assert_eq!(facts["premium"], "120000.00");
        assert_eq!(
            facts["enterprise_tags"],
            serde_json::json!(["高新技术企业", "专精特新"])
        );
        let ratio = policies
            .measures
            .iter()
            .find_map(|m| {
                m.facts
                    .iter()
                    .find(|f| matches!(f.kind, zijin_app::policy::FactType::Ratio))
                    .map(|f| (m, f.name.clone()))
            })
            .expect("a measure with a ratio fact");
        let values = std::collections::HashMap::from([(ratio.1.clone(), "85%".to_string())]);
        assert_eq!(super::facts(ratio.0, &values)[&ratio.1], "0.85");
    }
}
