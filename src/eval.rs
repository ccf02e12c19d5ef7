//! Evaluation sets: questions with what a correct answer must contain, run against the
//! knowledge base so staff can check it after edits (`guichet eval FILE.jsonl`).
//!
//! One JSON object per line: `{"q": "...", "expect": [["a", "b"], ["c"]], "top": 1}` means
//! one of the first `top` hits (default 1) must contain "a" or "b", and "c", in its title or
//! excerpt (accents and case ignored); `{"q": "...", "expect": "fallback"}` means guichet
//! must say it does not know.

use std::path::Path;

use serde::Deserialize;

use crate::question::Question;
use crate::search::analysis::fold_words;
use crate::search::{Answer, Knowledge};

/// One question of an evaluation set.
#[derive(Debug, Clone)]
pub struct Case {
    pub line: usize,
    pub question: String,
    pub expect: Expect,
    pub top: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Fallback,
    /// Every group must be matched by one of its alternatives.
    Contains(Vec<Vec<String>>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    q: String,
    expect: RawExpect,
    #[serde(default)]
    top: Option<usize>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawExpect {
    Word(String),
    Groups(Vec<Vec<String>>),
}

/// A malformed evaluation file.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Line {
        path: String,
        line: usize,
        reason: String,
    },
}

/// Reads an evaluation set; blank lines and lines starting with `#` or `//` are skipped.
pub fn read(path: &Path) -> Result<Vec<Case>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, &path.display().to_string())
}

pub fn parse(text: &str, name: &str) -> Result<Vec<Case>, EvalError> {
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
            continue;
        }
        let bad = |reason: String| EvalError::Line {
            path: name.to_string(),
            line: i + 1,
            reason,
        };
        let raw: RawCase = serde_json::from_str(trimmed).map_err(|e| bad(e.to_string()))?;
        let expect = match raw.expect {
            RawExpect::Word(w) if w == "fallback" => Expect::Fallback,
            RawExpect::Word(w) => {
                return Err(bad(format!(
                    "expect must be \"fallback\" or a list of lists, not {w:?}"
                )))
            }
            RawExpect::Groups(g) if g.is_empty() || g.iter().any(|a| a.is_empty()) => {
                return Err(bad("expect has an empty group".into()))
            }
            RawExpect::Groups(g) => Expect::Contains(g),
        };
        let top = raw.top.unwrap_or(1);
        if top == 0 {
            return Err(bad("top must be at least 1".into()));
        }
        cases.push(Case {
            line: i + 1,
            question: raw.q,
            expect,
            top,
        });
    }
    Ok(cases)
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub case: Case,
    pub passed: bool,
    pub answer: Answer,
}

/// The outcome of a whole set.
#[derive(Debug, Clone)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed).count()
    }

    /// Share of passed cases, from 0 to 1 (1 for an empty set).
    pub fn accuracy(&self) -> f64 {
        if self.outcomes.is_empty() {
            return 1.0;
        }
        self.passed() as f64 / self.outcomes.len() as f64
    }

    /// A line per miss, then the accuracy.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for o in self.outcomes.iter().filter(|o| !o.passed) {
            let got = if o.answer.answered {
                o.answer
                    .hits
                    .iter()
                    .map(|h| {
                        format!(
                            "{} ({:.2}): {}",
                            h.title,
                            h.coverage,
                            h.excerpt.plain().chars().take(90).collect::<String>()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            } else {
                "fallback".to_string()
            };
            let want = match &o.case.expect {
                Expect::Fallback => "fallback".to_string(),
                Expect::Contains(g) => format!("{g:?} in top {}", o.case.top),
            };
            out.push_str(&format!(
                "MISS line {}: {}\n  expected {want}\n  got {got}\n",
                o.case.line, o.case.question
            ));
        }
        out.push_str(&format!(
            "accuracy: {}/{} ({:.1} %)\n",
            self.passed(),
            self.outcomes.len(),
            self.accuracy() * 100.0
        ));
        out
    }
}

/// Runs every case against `knowledge`.
pub fn run(knowledge: &Knowledge, cases: &[Case]) -> Report {
    let outcomes = cases
        .iter()
        .map(|case| {
            let answer = match Question::parse(&case.question) {
                Ok(q) => knowledge.ask(&q, None),
                Err(_) => Answer::fallback(knowledge.reply_language(&case.question, None)),
            };
            let passed = judge(&case.expect, case.top, &answer);
            Outcome {
                case: case.clone(),
                passed,
                answer,
            }
        })
        .collect();
    Report { outcomes }
}

fn judge(expect: &Expect, top: usize, answer: &Answer) -> bool {
    match expect {
        Expect::Fallback => !answer.answered,
        Expect::Contains(groups) => {
            answer.answered
                && answer.hits.iter().take(top).any(|hit| {
                    let seen = folded(&format!("{} {}", hit.title, hit.excerpt.plain()));
                    groups
                        .iter()
                        .all(|alternatives| alternatives.iter().any(|a| seen.contains(&folded(a))))
                })
        }
    }
}

/// Lowercase, accents removed, words separated by single spaces.
fn folded(text: &str) -> String {
    format!(" {} ", fold_words(text).join(" "))
        .trim_end()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_kinds_of_expectation() {
        let cases = parse(
            "{\"q\": \"What is GRIIS?\", \"expect\": [[\"informatique\", \"informatics\"]], \"top\": 2}\n\n# comment\n{\"q\": \"Book a flight\", \"expect\": \"fallback\"}\n",
            "t.jsonl",
        )
        .unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].top, 2);
        assert_eq!(cases[1].expect, Expect::Fallback);
        assert_eq!(cases[1].line, 4);
    }

    #[test]
    fn reports_bad_lines_with_their_number() {
        let e = parse("{\"q\": \"x\", \"expect\": \"maybe\"}", "t.jsonl").unwrap_err();
        assert!(e.to_string().starts_with("t.jsonl:1:"), "{e}");
        let e = parse("\n{not json}", "t.jsonl").unwrap_err();
        assert!(e.to_string().starts_with("t.jsonl:2:"), "{e}");
        assert!(parse("{\"q\": \"x\", \"expect\": [[]]}", "t").is_err());
    }

    #[test]
    fn folding_ignores_accents_and_case() {
        assert!(folded("Fonds de recherche du Québec – Santé")
            .contains(&folded("fonds de recherche du quebec")));
        assert!(folded("Université Laval").contains("universit"));
    }
}
