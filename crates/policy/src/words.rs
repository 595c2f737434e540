//! A measure's rules in words, for people: facts and parameters by their labels, option codes
//! by their Chinese names, operators and functions as Chinese phrases. The policy page shows
//! these instead of the file's expressions (which stay the source of truth and are what the
//! engine evaluates).

use rust_decimal::Decimal;

use crate::expr::{BinaryOp, Expr, UnaryOp};
use crate::model::{FactType, Measure};

/// `expr` of `measure` in Chinese words.
pub fn in_words(measure: &Measure, expr: &Expr) -> String {
    Words { measure }.say(expr)
}

struct Words<'a> {
    measure: &'a Measure,
}

impl Words<'_> {
    fn name(&self, name: &str) -> String {
        if let Some(fact) = self.measure.fact(name) {
            return fact.label.clone();
        }
        if let Some(param) = self.measure.param(name) {
            return param.label.clone();
        }
        match name {
            "today" | "on" => "计算日期".to_string(),
            other => other.to_string(),
        }
    }

    /// An option code's label, from any enumeration fact of the measure.
    fn text(&self, code: &str) -> String {
        for fact in &self.measure.facts {
            if let FactType::Enum(options) = &fact.kind
                && let Some(label) = options.get(code)
            {
                return format!("“{label}”");
            }
        }
        format!("“{code}”")
    }

    fn number(n: &Decimal) -> String {
        let n = n.normalize();
        if n > Decimal::ZERO && n < Decimal::ONE {
            // Rates read as percentages.
            return format!("{}%", (n * Decimal::ONE_HUNDRED).normalize());
        }
        crate_group(&n.to_string())
    }

    fn say(&self, expr: &Expr) -> String {
        match expr {
            Expr::Number(n, _) => Self::number(n),
            Expr::Text(t, _) => self.text(t),
            Expr::Bool(true, _) => "是".to_string(),
            Expr::Bool(false, _) => "否".to_string(),
            Expr::Name(n, _) => self.name(n),
            Expr::Unary(UnaryOp::Negate, a, _) => format!("负的{}", self.say(a)),
            Expr::Unary(UnaryOp::Not, a, _) => format!("并非“{}”", self.say(a)),
            Expr::Binary(op, a, b, _) => self.binary(*op, a, b),
            Expr::If(c, t, o, _) => {
                // An else-if chain reads as one list of cases.
                let mut text = format!("若{}，则为{}", self.say(c), self.say(t));
                let mut rest = o.as_ref();
                while let Expr::If(c, t, o, _) = rest {
                    text.push_str(&format!("；若{}，则为{}", self.say(c), self.say(t)));
                    rest = o.as_ref();
                }
                text.push_str(&format!("；否则为{}", self.say(rest)));
                text
            }
            Expr::Call(f, args, _) => self.call(f, args),
        }
    }

    fn binary(&self, op: BinaryOp, a: &Expr, b: &Expr) -> String {
        // A boolean fact compared with true/false reads as the fact itself.
        if let (BinaryOp::Equal, Expr::Bool(value, _)) = (op, b) {
            return if *value {
                self.say(a)
            } else {
                format!("并非“{}”", self.say(a))
            };
        }
        let (a_text, b_text) = (self.operand(a, op), self.operand(b, op));
        match op {
            BinaryOp::Add => format!("{a_text}加{b_text}"),
            BinaryOp::Subtract => format!("{a_text}减{b_text}"),
            BinaryOp::Multiply => format!("{a_text}乘以{b_text}"),
            BinaryOp::Divide => format!("{a_text}除以{b_text}"),
            BinaryOp::Less => format!("{a_text}低于{b_text}"),
            BinaryOp::LessOrEqual => format!("{a_text}不超过{b_text}"),
            BinaryOp::Greater => format!("{a_text}大于{b_text}"),
            BinaryOp::GreaterOrEqual => format!("{a_text}不低于{b_text}"),
            BinaryOp::Equal => format!("{a_text}为{b_text}"),
            BinaryOp::NotEqual => format!("{a_text}不为{b_text}"),
            BinaryOp::And => format!("{a_text}，且{b_text}"),
            BinaryOp::Or => format!("{a_text}，或{b_text}"),
            BinaryOp::In => format!("{a_text}属于{b_text}"),
        }
    }

    /// An operand, in brackets when it is itself a sum or a choice inside a product.
    fn operand(&self, expr: &Expr, outer: BinaryOp) -> String {
        let text = self.say(expr);
        let needs = matches!(
            (outer, expr),
            (
                BinaryOp::Multiply | BinaryOp::Divide,
                Expr::Binary(BinaryOp::Add | BinaryOp::Subtract, ..)
            ) | (
                BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Add | BinaryOp::Subtract,
                Expr::If(..)
            ) | (BinaryOp::And, Expr::Binary(BinaryOp::Or, ..))
        );
        if needs { format!("（{text}）") } else { text }
    }

    fn call(&self, f: &str, args: &[Expr]) -> String {
        let said: Vec<String> = args.iter().map(|a| self.say(a)).collect();
        match (f, said.as_slice()) {
            ("min", [a, b]) => format!("{a}与{b}中较小者"),
            ("max", [a, b]) => format!("{a}与{b}中较大者"),
            ("min", _) => format!("{}中最小者", said.join("、")),
            ("max", _) => format!("{}中最大者", said.join("、")),
            ("scale", [tiers, x]) => format!("按“{tiers}”对{x}分档所得金额"),
            ("lookup", [table, key]) => format!("“{table}”中{key}对应的值"),
            ("add_years", [date, n]) => format!("{date}起{n}年后的日期"),
            _ => format!("{f}（{}）", said.join("，")),
        }
    }
}

/// Thousands separators for the integer part of a plain decimal.
fn crate_group(text: &str) -> String {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use crate::PolicySet;

    fn shipped() -> PolicySet {
        let read = |dir: &std::path::Path| -> Vec<crate::SourceFile> {
            let mut files: Vec<crate::SourceFile> = std::fs::read_dir(dir)
                .expect("policy directory")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .map(|p| crate::SourceFile {
                    name: p.display().to_string(),
                    text: std::fs::read_to_string(&p).expect("policy file"),
                })
                .collect();
            files.sort_by(|a, b| a.name.cmp(&b.name));
            files
        };
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policy");
        PolicySet::compile(&read(&root), &read(&root.join("supplements")))
            .unwrap_or_else(|problems| panic!("policy files: {problems:#?}"))
    }

    #[test]
    fn the_transfer_award_reads_in_words_without_codes() {
        let set = shipped();
        let measure = set.measure("a03-transfer-org").expect("a03");
        let condition = super::in_words(measure, &measure.conditions[0].when);
        assert!(condition.contains("“技术转移机构”"), "{condition}");
        assert!(!condition.contains("transfer-org"), "{condition}");
        assert!(!condition.contains("=="), "{condition}");
        let amount = super::in_words(measure, &measure.amount.expr);
        assert!(amount.starts_with("若"), "{amount}");
        assert!(amount.contains("分档所得金额"), "{amount}");
        assert!(!amount.contains("tiers_"), "{amount}");
    }

    #[test]
    fn every_shipped_rule_reads_without_ascii_names() {
        let set = shipped();
        for measure in &set.measures {
            let mut texts = vec![super::in_words(measure, &measure.amount.expr)];
            texts.extend(
                measure
                    .conditions
                    .iter()
                    .map(|c| super::in_words(measure, &c.when)),
            );
            for text in texts {
                // Any run of two or more ASCII letters is a code left untranslated.
                let code = text
                    .split(|c: char| !c.is_ascii_alphabetic() && c != '_')
                    .find(|w| w.len() >= 2);
                assert_eq!(code, None, "{}: {text}", measure.id);
            }
        }
    }
}
