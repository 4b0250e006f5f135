// Pass pipeline of a small compiler: the word "pass" everywhere, no secret anywhere.
use crate::compiler::passes::stmt_pass::StmtPass;
use crate::compiler::passes::{self, expr_pass, stmt_pass};
use crate::lexer::{Lexer, Token, TokenKind};

pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

pub fn outcome(word: &str) -> Outcome {
    match word {
        "pass" => Outcome::Pass,
        "passed" | "ok" => Outcome::Pass,
        "fail" => Outcome::Fail,
        _ => Outcome::Skip,
    }
}

pub fn field_name(kind: &str) -> &'static str {
    match kind {
        "password" => "Password",
        "token" => "Token",
        _ => "Unknown",
    }
}

fn parse(token: Token) -> Result<Ast, ParseError> {
    let token: Token = lexer.next_token();
    let kind: TokenKind = token.kind;
    let pass = stmt_pass::run(&ast);
    crate::stmt_pass::check(&pass)?;
    passes::expr_pass::fold(token)
}

struct Credentials<'a> {
    user: &'a str,
    password: &'a str,
    token: Option<&'a str>,
}
