//! Rules of a request body that join its fields, written into the OpenAPI document so that a
//! client (or a contract tester) knows them before the server refuses (issue 20): a reason is
//! required only for some decisions (退回, 不予…), a confirmation only for the steps that cannot
//! be undone. Each rule becomes one `anyOf` in the schema's `allOf`: either the deciding field
//! holds a value the rule does not touch, or it holds one the rule touches and the needed fields
//! are there and written. The values are spelled as the server reads them (codes, and for coded
//! enumerations their Chinese labels, padded with the spaces the server trims).

use serde_json::{Map, Value, json};
use zijin_domain::Coded;

use super::codes::{KEPT, Kind, SPACE, escape, trimmed};

/// How the server reads a needed text.
enum Text {
    /// Trimmed, it must not be empty (control characters are kept as written); at most this
    /// many characters, if there is a limit.
    Trimmed(Option<usize>),
    /// As `zijin_domain::validation::required_text`: a visible character, no control characters
    /// but line breaks and tabs, at most this many characters.
    Written(usize),
}

/// What a rule asks for once it applies.
enum Need {
    Text(&'static str, Text),
    /// A confirmation that must be `true`.
    Confirmed(&'static str),
}

/// A code and each spelling the server reads for it.
type Spelled = (&'static str, Vec<&'static str>);

struct Rule {
    /// The component schema (its name in `#/components/schemas`).
    schema: &'static str,
    /// The field whose value decides whether the rule applies.
    field: &'static str,
    /// Every accepted value of `field`: its code and each spelling the server reads; `None`
    /// takes the codes of the field's own `enum` in the document (the decision words of
    /// `codes`), so that the lists are written once.
    spellings: Option<fn() -> Vec<Spelled>>,
    /// The codes the rule applies to.
    when: &'static [&'static str],
    needs: &'static [Need],
    /// How the rule reads in the field's description.
    says: &'static str,
}

fn codes_and_labels<T: Coded>() -> Vec<Spelled> {
    T::ALL
        .iter()
        .map(|v| (v.code(), vec![v.code(), v.label()]))
        .collect()
}

const RULES: &[Rule] = &[
    Rule {
        schema: "ApplicationDecisionRequest",
        field: "decision",
        spellings: Some(codes_and_labels::<zijin_domain::Decision>),
        when: &["return", "reject"],
        needs: &[Need::Text("comment", Text::Trimmed(Some(2_000)))],
        says: "退回修改或不予通过时必填",
    },
    Rule {
        schema: "CarrierDecisionRequest",
        field: "decision",
        spellings: None,
        when: &["refuse"],
        needs: &[Need::Text("reason", Text::Trimmed(None))],
        says: "不予认定时必填",
    },
    Rule {
        schema: "ContractDecisionRequest",
        field: "decision",
        spellings: None,
        when: &["return", "refuse"],
        needs: &[Need::Text("reason", Text::Trimmed(Some(500)))],
        says: "退回补正或不予登记时必填",
    },
    Rule {
        schema: "ProductDecision",
        field: "decision",
        spellings: None,
        when: &["refuse"],
        needs: &[Need::Text("reason", Text::Trimmed(None))],
        says: "不予列入时必填",
    },
    Rule {
        schema: "MatchTransitionRequest",
        field: "action",
        spellings: None,
        when: &["terminate"],
        needs: &[
            Need::Text("reason", Text::Written(500)),
            Need::Confirmed("confirm"),
        ],
        says: "终止时必填",
    },
    Rule {
        schema: "MatchTransitionRequest",
        field: "action",
        spellings: None,
        when: &["sign"],
        needs: &[Need::Confirmed("confirm")],
        says: "签约或终止时须为 true",
    },
    Rule {
        schema: "TransitionRequest",
        field: "action",
        spellings: None,
        when: &["return"],
        needs: &[Need::Text("comment", Text::Trimmed(Some(1_000)))],
        says: "退回时必填",
    },
];

fn flat(values: &[&(String, Vec<String>)]) -> Vec<String> {
    values
        .iter()
        .flat_map(|(_, spellings)| spellings.iter().cloned())
        .collect()
}

/// The rule's values: its own list, or the codes of the field's `enum` in `schema`.
fn spellings_of(rule: &Rule, schema: &Map<String, Value>) -> Vec<(String, Vec<String>)> {
    match rule.spellings {
        Some(list) => list()
            .into_iter()
            .map(|(code, words)| {
                (
                    code.to_string(),
                    words.into_iter().map(String::from).collect(),
                )
            })
            .collect(),
        None => schema
            .get("properties")
            .and_then(|p| p.get(rule.field))
            .and_then(|f| f.get("enum"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|code| (code.to_string(), vec![code.to_string()]))
            .collect(),
    }
}

/// A pattern that holds exactly the given spellings, padded as the server trims.
fn spelled(spellings: &[String]) -> String {
    let words: Vec<String> = spellings.iter().map(|s| escape(s)).collect();
    format!("^{SPACE}({}){SPACE}$", words.join("|"))
}

fn apply(rule: &Rule, schema: &mut Map<String, Value>) {
    let all = spellings_of(rule, schema);
    let (touched, untouched): (Vec<_>, Vec<_>) = all
        .iter()
        .partition(|(code, _)| rule.when.contains(&code.as_str()));
    let mut properties = Map::new();
    properties.insert(
        rule.field.into(),
        json!({ "pattern": spelled(&flat(&touched)) }),
    );
    let mut required = vec![Value::from(rule.field)];
    for need in rule.needs {
        let (name, schema) = match need {
            Need::Text(name, Text::Written(most)) => (
                *name,
                json!({ "type": "string", "pattern": trimmed(Kind::Lines, *most, true) }),
            ),
            Need::Text(name, Text::Trimmed(Some(most))) => (
                *name,
                json!({ "type": "string", "pattern": trimmed(Kind::Any, *most, true) }),
            ),
            Need::Text(name, Text::Trimmed(None)) => {
                (*name, json!({ "type": "string", "pattern": KEPT }))
            }
            Need::Confirmed(name) => (*name, json!({ "const": true })),
        };
        properties.insert(name.into(), schema);
        required.push(Value::from(name));
    }
    let mut branches = vec![json!({ "properties": properties, "required": required })];
    if !untouched.is_empty() {
        branches.insert(
            0,
            json!({ "properties": { rule.field: { "pattern": spelled(&flat(&untouched)) } } }),
        );
    }
    let all_of = schema
        .entry("allOf")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = all_of.as_array_mut() {
        list.push(json!({ "anyOf": branches }));
    }
    for need in rule.needs {
        let name = match need {
            Need::Text(name, _) | Need::Confirmed(name) => *name,
        };
        if let Some(property) = schema
            .get_mut("properties")
            .and_then(|p| p.get_mut(name))
            .and_then(Value::as_object_mut)
        {
            let before = property
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("");
            let text = if before.is_empty() {
                rule.says.to_string()
            } else {
                format!("{before}（{}）", rule.says)
            };
            property.insert("description".into(), Value::String(text));
        }
    }
}

/// Rules of one schema that the table above does not describe.
fn other_rules() -> Vec<(&'static str, Value)> {
    vec![(
        // A technology manager is assigned by id, or the assignment is taken away.
        "MatchAssignRequest",
        json!({ "anyOf": [
            { "properties": { "remove": { "const": true } }, "required": ["remove"] },
            { "properties": { "user_id": { "type": "integer" } }, "required": ["user_id"] }
        ] }),
    )]
}

/// Query parameters the server requires whose schema comes from `schema_with` (utoipa then
/// leaves `required` unset): (path, parameter).
const REQUIRED_PARAMETERS: &[(&str, &str)] = &[("/api/v1/ledger", "beneficiary")];

/// Writes every rule into the document's component schemas.
pub fn write_rules(document: &mut Value) {
    for (path, name) in REQUIRED_PARAMETERS {
        let pointer = format!("/paths/{}/get/parameters", path.replace('/', "~1"));
        for parameter in document
            .pointer_mut(&pointer)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if parameter["name"] == *name {
                parameter["required"] = Value::Bool(true);
            }
        }
    }
    for (name, rule) in other_rules() {
        if let Some(list) = document
            .pointer_mut(&format!("/components/schemas/{name}"))
            .and_then(Value::as_object_mut)
            .map(|schema| schema.entry("allOf").or_insert_with(|| json!([])))
            .and_then(Value::as_array_mut)
        {
            list.push(rule);
        }
    }
    for rule in RULES {
        if let Some(schema) = document
            .pointer_mut(&format!("/components/schemas/{}", rule.schema))
            .and_then(Value::as_object_mut)
        {
            apply(rule, schema);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule names a schema the document has, with the deciding field and the needed
    /// fields among its properties (a renamed struct or field would silently drop a rule).
    #[test]
    fn every_rule_finds_its_schema_and_fields() {
        let document: Value =
            serde_json::from_str(&super::super::openapi_document()).expect("document");
        for rule in RULES {
            let schema = &document["components"]["schemas"][rule.schema];
            assert!(schema.is_object(), "{}", rule.schema);
            let properties = &schema["properties"];
            assert!(
                properties[rule.field].is_object(),
                "{}.{}",
                rule.schema,
                rule.field
            );
            for need in rule.needs {
                let (Need::Text(name, _) | Need::Confirmed(name)) = need;
                assert!(properties[*name].is_object(), "{}.{name}", rule.schema);
            }
            assert!(schema["allOf"].is_array(), "{}", rule.schema);
            let object = schema.as_object().expect("object");
            let codes: Vec<String> = spellings_of(rule, object)
                .into_iter()
                .map(|(c, _)| c)
                .collect();
            for code in rule.when {
                assert!(codes.iter().any(|c| c == code), "{}: {code}", rule.schema);
            }
        }
    }

    #[test]
    fn the_ledger_asks_for_its_beneficiary() {
        let document: Value =
            serde_json::from_str(&super::super::openapi_document()).expect("document");
        let parameters = document["paths"]["/api/v1/ledger"]["get"]["parameters"]
            .as_array()
            .expect("parameters");
        for (_, name) in REQUIRED_PARAMETERS {
            let parameter = parameters
                .iter()
                .find(|p| p["name"] == *name)
                .expect("parameter");
            assert_eq!(parameter["required"], true, "{name}");
        }
    }

    #[test]
    fn a_refusal_needs_its_reason_and_an_approval_does_not() {
        let mut schema = json!({ "properties": {
            "decision": { "enum": ["register", "return", "refuse"] },
            "reason": {}
        } });
        let rule = &RULES[2];
        apply(rule, schema.as_object_mut().expect("object"));
        let branches = &schema["allOf"][0]["anyOf"];
        let untouched = regex_lite(&branches[0]["properties"]["decision"]["pattern"]);
        let touched = regex_lite(&branches[1]["properties"]["decision"]["pattern"]);
        assert!(untouched.contains("register") && !untouched.contains("refuse"));
        assert!(touched.contains("return") && touched.contains("refuse"));
        assert_eq!(branches[1]["required"], json!(["decision", "reason"]));
        // At most 500 characters once trimmed, and not only spaces.
        assert_eq!(
            branches[1]["properties"]["reason"]["pattern"],
            trimmed(Kind::Any, 500, true)
        );
    }

    fn regex_lite(pattern: &Value) -> String {
        pattern.as_str().expect("pattern").to_string()
    }
}
