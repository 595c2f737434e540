//! The expression language of policy files: exact decimal arithmetic, comparisons, `and`,
//! `or`, `not`, `if … then … else …`, `in` (a tag in a tag set), and a few functions —
//! `min`, `max`, `scale(tiers, x)`, `lookup(table, key)`, `years_between(a, b)`,
//! `days_between(a, b)`, `date("2026-01-01")`. Literals: `2000000`, `12.5`, `10%`, `"text"`,
//! `true`, `false`. No loops, no IO, no user-defined functions: every expression ends.

use std::fmt;

use rust_decimal::Decimal;

/// Where something is in an expression's text: byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(Decimal, Span),
    Text(String, Span),
    Bool(bool, Span),
    Name(String, Span),
    Unary(UnaryOp, Box<Expr>, Span),
    Binary(BinaryOp, Box<Expr>, Box<Expr>, Span),
    If(Box<Expr>, Box<Expr>, Box<Expr>, Span),
    Call(String, Vec<Expr>, Span),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Negate,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
    And,
    Or,
    In,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Subtract => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Less => "<",
            BinaryOp::LessOrEqual => "<=",
            BinaryOp::Greater => ">",
            BinaryOp::GreaterOrEqual => ">=",
            BinaryOp::Equal => "==",
            BinaryOp::NotEqual => "!=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::In => "in",
        }
    }
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Number(_, s)
            | Expr::Text(_, s)
            | Expr::Bool(_, s)
            | Expr::Name(_, s)
            | Expr::Unary(_, _, s)
            | Expr::Binary(_, _, _, s)
            | Expr::If(_, _, _, s)
            | Expr::Call(_, _, s) => *s,
        }
    }
}

/// How deep an expression may nest: brackets, `not`, `-`, `if`, function calls, and each
/// operator of a chain. Parsing, checking and evaluation walk the tree recursively, so 20,000
/// brackets would overflow the stack and end the process; the shipped files nest a few levels.
pub const MAX_DEPTH: usize = 100;

/// A syntax error at a byte offset of the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(Decimal),
    Text(String),
    Word(String),
    Symbol(&'static str),
    End,
}

struct Lexer<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Lexer<'a> {
    fn tokens(text: &'a str) -> Result<Vec<(Token, Span)>, SyntaxError> {
        let mut lexer = Lexer { text, position: 0 };
        let mut tokens = Vec::new();
        loop {
            let token = lexer.next()?;
            let end = token.0 == Token::End;
            tokens.push(token);
            if end {
                return Ok(tokens);
            }
        }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.position..]
    }

    fn next(&mut self) -> Result<(Token, Span), SyntaxError> {
        let trimmed = self.rest().trim_start();
        self.position = self.text.len() - trimmed.len();
        let start = self.position;
        let Some(first) = trimmed.chars().next() else {
            return Ok((Token::End, Span { start, end: start }));
        };
        let token = if first.is_ascii_digit() {
            let length = trimmed
                .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
                .unwrap_or(trimmed.len());
            let digits: String = trimmed[..length].chars().filter(|c| *c != '_').collect();
            let mut value: Decimal = digits.parse().map_err(|_| SyntaxError {
                offset: start,
                message: format!("“{digits}”不是有效的数字"),
            })?;
            self.position += length;
            if self.rest().starts_with('%') {
                self.position += 1;
                value /= Decimal::ONE_HUNDRED;
            }
            Token::Number(value)
        } else if first == '"' {
            let Some(close) = trimmed[1..].find('"') else {
                return Err(SyntaxError {
                    offset: start,
                    message: "字符串缺少结尾的引号".into(),
                });
            };
            self.position += close + 2;
            Token::Text(trimmed[1..=close].to_string())
        } else if first.is_alphabetic() || first == '_' {
            let length = trimmed
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(trimmed.len());
            self.position += length;
            Token::Word(trimmed[..length].to_string())
        } else {
            const SYMBOLS: [&str; 13] = [
                "<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "/", "(", ")", ",",
            ];
            let Some(symbol) = SYMBOLS.iter().find(|s| trimmed.starts_with(**s)) else {
                return Err(SyntaxError {
                    offset: start,
                    message: format!("无法识别的字符“{first}”"),
                });
            };
            self.position += symbol.len();
            Token::Symbol(symbol)
        };
        Ok((
            token,
            Span {
                start,
                end: self.position,
            },
        ))
    }
}

/// Parses one expression.
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    let tokens = Lexer::tokens(text)?;
    let mut parser = Parser {
        tokens,
        index: 0,
        depth: 0,
    };
    let expr = parser.expression()?;
    let (token, span) = parser.peek();
    if *token != Token::End {
        return Err(SyntaxError {
            offset: span.start,
            message: "表达式在此处应当结束".into(),
        });
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<(Token, Span)>,
    index: usize,
    /// Levels of nesting open at this point (see `MAX_DEPTH`).
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &(Token, Span) {
        &self.tokens[self.index.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> (Token, Span) {
        let token = self.peek().clone();
        if self.index < self.tokens.len() - 1 {
            self.index += 1;
        }
        token
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(&self.peek().0, Token::Word(w) if w == word)
    }

    fn is_symbol(&self, symbol: &str) -> bool {
        matches!(&self.peek().0, Token::Symbol(s) if *s == symbol)
    }

    fn expect_word(&mut self, word: &str) -> Result<(), SyntaxError> {
        if self.is_word(word) {
            self.advance();
            Ok(())
        } else {
            Err(SyntaxError {
                offset: self.peek().1.start,
                message: format!("此处应为“{word}”"),
            })
        }
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<(), SyntaxError> {
        if self.is_symbol(symbol) {
            self.advance();
            Ok(())
        } else {
            Err(SyntaxError {
                offset: self.peek().1.start,
                message: format!("此处应为“{symbol}”"),
            })
        }
    }

    /// One level deeper, refused past `MAX_DEPTH`; the caller restores the depth it saw.
    fn deeper(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError {
                offset: self.peek().1.start,
                message: format!("表达式嵌套过深（最多{MAX_DEPTH}层），请拆分成几个参数或条件"),
            });
        }
        Ok(())
    }

    fn expression(&mut self) -> Result<Expr, SyntaxError> {
        let depth = self.depth;
        self.deeper()?;
        let expr = self.expression_at_depth();
        self.depth = depth;
        expr
    }

    fn expression_at_depth(&mut self) -> Result<Expr, SyntaxError> {
        if self.is_word("if") {
            let start = self.advance().1.start;
            let condition = self.expression()?;
            self.expect_word("then")?;
            let then = self.expression()?;
            self.expect_word("else")?;
            let otherwise = self.expression()?;
            let end = otherwise.span().end;
            return Ok(Expr::If(
                Box::new(condition),
                Box::new(then),
                Box::new(otherwise),
                Span { start, end },
            ));
        }
        self.or()
    }

    fn binary_chain(
        &mut self,
        operators: &[(&str, BinaryOp)],
        next: fn(&mut Self) -> Result<Expr, SyntaxError>,
    ) -> Result<Expr, SyntaxError> {
        let depth = self.depth;
        let mut left = next(self)?;
        loop {
            let found = operators.iter().find(|(text, _)| match &self.peek().0 {
                Token::Symbol(s) => s == text,
                Token::Word(w) => w == text,
                _ => false,
            });
            let Some((_, op)) = found else {
                self.depth = depth;
                return Ok(left);
            };
            self.advance();
            // Each operator of a chain makes the tree one level deeper on its left.
            self.deeper()?;
            let right = next(self)?;
            let span = Span {
                start: left.span().start,
                end: right.span().end,
            };
            left = Expr::Binary(*op, Box::new(left), Box::new(right), span);
        }
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        self.binary_chain(&[("or", BinaryOp::Or)], Self::and)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        self.binary_chain(&[("and", BinaryOp::And)], Self::not)
    }

    fn not(&mut self) -> Result<Expr, SyntaxError> {
        if self.is_word("not") {
            let start = self.advance().1.start;
            let depth = self.depth;
            self.deeper()?;
            let operand = self.not()?;
            self.depth = depth;
            let end = operand.span().end;
            return Ok(Expr::Unary(
                UnaryOp::Not,
                Box::new(operand),
                Span { start, end },
            ));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, SyntaxError> {
        let left = self.sum()?;
        const COMPARISONS: [(&str, BinaryOp); 7] = [
            ("<=", BinaryOp::LessOrEqual),
            (">=", BinaryOp::GreaterOrEqual),
            ("==", BinaryOp::Equal),
            ("!=", BinaryOp::NotEqual),
            ("<", BinaryOp::Less),
            (">", BinaryOp::Greater),
            ("in", BinaryOp::In),
        ];
        let found = COMPARISONS.iter().find(|(text, _)| match &self.peek().0 {
            Token::Symbol(s) => s == text,
            Token::Word(w) => w == text,
            _ => false,
        });
        let Some((_, op)) = found else {
            return Ok(left);
        };
        self.advance();
        let right = self.sum()?;
        let span = Span {
            start: left.span().start,
            end: right.span().end,
        };
        Ok(Expr::Binary(*op, Box::new(left), Box::new(right), span))
    }

    fn sum(&mut self) -> Result<Expr, SyntaxError> {
        self.binary_chain(
            &[("+", BinaryOp::Add), ("-", BinaryOp::Subtract)],
            Self::product,
        )
    }

    fn product(&mut self) -> Result<Expr, SyntaxError> {
        self.binary_chain(
            &[("*", BinaryOp::Multiply), ("/", BinaryOp::Divide)],
            Self::unary,
        )
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.is_symbol("-") {
            let start = self.advance().1.start;
            let depth = self.depth;
            self.deeper()?;
            let operand = self.unary()?;
            self.depth = depth;
            let end = operand.span().end;
            return Ok(Expr::Unary(
                UnaryOp::Negate,
                Box::new(operand),
                Span { start, end },
            ));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let (token, span) = self.advance();
        match token {
            Token::Number(value) => Ok(Expr::Number(value, span)),
            Token::Text(text) => Ok(Expr::Text(text, span)),
            Token::Word(word) if word == "true" || word == "false" => {
                Ok(Expr::Bool(word == "true", span))
            }
            Token::Word(word)
                if matches!(
                    word.as_str(),
                    "if" | "then" | "else" | "and" | "or" | "not" | "in"
                ) =>
            {
                Err(SyntaxError {
                    offset: span.start,
                    message: format!("此处不应出现“{word}”"),
                })
            }
            Token::Word(word) => {
                if self.is_symbol("(") {
                    self.advance();
                    let mut arguments = Vec::new();
                    if !self.is_symbol(")") {
                        loop {
                            arguments.push(self.expression()?);
                            if self.is_symbol(",") {
                                self.advance();
                            } else {
                                break;
                            }
                        }
                    }
                    let end = self.peek().1.end;
                    self.expect_symbol(")")?;
                    Ok(Expr::Call(
                        word,
                        arguments,
                        Span {
                            start: span.start,
                            end,
                        },
                    ))
                } else {
                    Ok(Expr::Name(word, span))
                }
            }
            Token::Symbol("(") => {
                let inner = self.expression()?;
                self.expect_symbol(")")?;
                Ok(inner)
            }
            Token::End => Err(SyntaxError {
                offset: span.start,
                message: "表达式不完整".into(),
            }),
            Token::Symbol(symbol) => Err(SyntaxError {
                offset: span.start,
                message: format!("此处不应出现“{symbol}”"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> String {
        fn show(e: &Expr) -> String {
            match e {
                Expr::Number(v, _) => v.normalize().to_string(),
                Expr::Text(t, _) => format!("{t:?}"),
                Expr::Bool(b, _) => b.to_string(),
                Expr::Name(n, _) => n.clone(),
                Expr::Unary(UnaryOp::Negate, a, _) => format!("(-{})", show(a)),
                Expr::Unary(UnaryOp::Not, a, _) => format!("(not {})", show(a)),
                Expr::Binary(op, a, b, _) => format!("({} {} {})", show(a), op.symbol(), show(b)),
                Expr::If(c, t, o, _) => {
                    format!("(if {} then {} else {})", show(c), show(t), show(o))
                }
                Expr::Call(f, args, _) => {
                    format!(
                        "{f}({})",
                        args.iter().map(show).collect::<Vec<_>>().join(", ")
                    )
                }
            }
        }
        show(&parse(text).unwrap())
    }

    #[test]
    fn precedence_and_percentages() {
        assert_eq!(shape("a + b * 10%"), "(a + (b * 0.1))");
        assert_eq!(shape("min(x * 15%, cap)"), "min((x * 0.15), cap)");
        assert_eq!(
            shape("a > 0 and not b or c"),
            "(((a > 0) and (not b)) or c)"
        );
        assert_eq!(
            shape("if role == \"seller\" then 1 else 2"),
            "(if (role == \"seller\") then 1 else 2)"
        );
        assert_eq!(
            shape("\"高新技术企业\" in tags"),
            "(\"高新技术企业\" in tags)"
        );
        assert_eq!(shape("2_000_000"), "2000000");
    }

    #[test]
    fn deep_nesting_is_refused_instead_of_overflowing_the_stack() {
        // Found by bench/fuzz: each of these overflowed the stack and ended the process.
        let depth = 20_000;
        for deep in [
            format!("{}1{}", "(".repeat(depth), ")".repeat(depth)),
            format!("{}1", "-".repeat(depth)),
            format!("{}true", "not ".repeat(depth)),
            format!("1{}", " + 1".repeat(depth)),
            format!("{}1", "if true then 1 else ".repeat(depth)),
            format!("{}1{}", "min(1, ".repeat(depth), ")".repeat(depth)),
        ] {
            let error = parse(&deep).unwrap_err();
            assert!(error.message.contains("嵌套过深"), "{}", error.message);
        }
        let nested = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
        assert!(parse(&nested(MAX_DEPTH - 1)).is_ok());
        assert!(parse(&nested(MAX_DEPTH)).is_err());
        assert!(parse(&format!("1{}", " + 1".repeat(MAX_DEPTH - 2))).is_ok());
    }

    #[test]
    fn errors_point_at_the_offending_place() {
        let error = parse("a + * b").unwrap_err();
        assert_eq!(error.offset, 4);
        let error = parse("min(a, b").unwrap_err();
        assert_eq!(error.offset, 8);
        assert!(parse("a $ b").unwrap_err().message.contains('$'));
        assert_eq!(parse("a b").unwrap_err().offset, 2);
    }
}
