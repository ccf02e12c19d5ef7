//! Evaluation sets: questions with what a correct answer must contain, run against the
//! knowledge base so staff can check it after edits (`guichet eval FILE.jsonl`), and the
//! tools to fit and cross-validate the answer/fallback [`Decision`] on them.
//!
//! One JSON object per line: `{"q": "...", "expect": [["a", "b"], ["c"]], "top": 1}` means
//! one of the first `top` hits (default 1) must contain "a" or "b", and "c", in its title or
//! excerpt (accents and case ignored); `{"q": "...", "expect": "fallback"}` means guichet
//! must say it does not know. Optional `style` and `lang` tags group the report; other
//! fields are ignored.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::question::Question;
use crate::search::analysis::fold_phrase;
use crate::search::{compose, Answer, Decision, Knowledge, Part, Signals};

/// One question of an evaluation set.
#[derive(Debug, Clone)]
pub struct Case {
    pub line: usize,
    pub question: String,
    pub expect: Expect,
    pub top: usize,
    /// How the question is written ("email", "typo"…), when the set says.
    pub style: Option<String>,
    /// The language the set says it is in.
    pub lang: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Fallback,
    /// Every group must be matched by one of its alternatives.
    Contains(Vec<Vec<String>>),
}

#[derive(Deserialize)]
struct RawCase {
    q: String,
    expect: RawExpect,
    #[serde(default)]
    top: Option<usize>,
    #[serde(default)]
    style: Option<String>,
    #[serde(default)]
    lang: Option<String>,
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
            style: raw.style,
            lang: raw.lang,
        });
    }
    Ok(cases)
}

/// A case with what the search found for it, before any decision.
#[derive(Debug, Clone)]
pub struct Examined {
    pub case: Case,
    pub lang: crate::language::Language,
    pub parts: Vec<Part>,
    /// Per part: whether its hits' documents hold the fact asked (the search found the
    /// right pages, whatever excerpt was chosen).
    pub on_topic: Vec<bool>,
}

impl Examined {
    fn in_scope(&self) -> bool {
        matches!(self.case.expect, Expect::Contains(_))
    }

    /// The training samples: each part's signals, and whether its hits' pages hold the
    /// fact asked. The model learns whether the search found the right pages (what the
    /// signals measure); the operating point is then chosen on whole answers, excerpts
    /// included (see [`fit`]).
    fn samples(&self) -> impl Iterator<Item = (Signals, bool)> + '_ {
        self.parts
            .iter()
            .zip(&self.on_topic)
            .map(|(p, on_topic)| (p.signals, *on_topic))
    }

    fn decide(&self, decision: &Decision, max_hits: usize) -> Outcome {
        let answer = compose(self.parts.clone(), decision, self.lang, max_hits);
        Outcome {
            case: self.case.clone(),
            passed: judge(&self.case.expect, self.case.top, &answer),
            answer,
        }
    }
}

/// Every part's signals with its label, as tab-separated values with a header: the data
/// the decision is fitted on, for a look in a spreadsheet.
pub fn signals_table(examined: &[Examined]) -> String {
    let mut out = format!(
        "line\tstyle\tscope\tright\t{}\tpart\n",
        crate::search::decision::SIGNAL_NAMES.join("\t")
    );
    for e in examined {
        for (part, (signals, right)) in e.parts.iter().zip(e.samples()) {
            let values: Vec<String> = signals.values().iter().map(|v| format!("{v:.3}")).collect();
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\n",
                e.case.line,
                e.case.style.as_deref().unwrap_or("-"),
                if e.in_scope() { "in" } else { "out" },
                right as u8,
                values.join("\t"),
                part.text.replace(['\t', '\n'], " ")
            ));
        }
    }
    out
}

/// Searches every case, without deciding.
pub fn examine(knowledge: &Knowledge, cases: &[Case]) -> Vec<Examined> {
    let mut docs: std::collections::HashMap<String, String> = Default::default();
    cases
        .iter()
        .map(|case| {
            let lang = knowledge.reply_language(&case.question, None);
            let parts = match Question::parse(&case.question) {
                Ok(q) => knowledge.examine(&q, lang).unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            let on_topic = parts
                .iter()
                .map(|p| match &case.expect {
                    Expect::Fallback => false,
                    Expect::Contains(groups) => p.hits.iter().take(case.top).any(|h| {
                        let seen = folded(&format!(
                            "{} {}",
                            h.title,
                            docs.entry(h.doc_id.clone()).or_insert_with(|| {
                                knowledge.document_text(&h.doc_id).unwrap_or_default()
                            })
                        ));
                        groups
                            .iter()
                            .all(|alts| alts.iter().any(|a| seen.contains(&folded(a))))
                    }),
                })
                .collect();
            Examined {
                case: case.clone(),
                lang,
                parts,
                on_topic,
            }
        })
        .collect()
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

/// Counts for one group of cases (a style, a language, or all).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    pub cases: usize,
    pub passed: usize,
    pub in_scope: usize,
    /// In-scope questions answered with a correct excerpt.
    pub in_scope_correct: usize,
    pub out_of_scope: usize,
    /// Out-of-scope questions refused (a "did you mean" counts as refused).
    pub out_of_scope_refused: usize,
    /// Out-of-scope questions answered anyway.
    pub false_answers: usize,
    /// In-scope questions answered with excerpts that miss the fact asked.
    pub wrong_answers: usize,
}

impl Tally {
    /// Share of in-scope questions answered correctly (1 with none).
    pub fn in_scope_rate(&self) -> f64 {
        rate(self.in_scope_correct, self.in_scope)
    }

    /// Share of out-of-scope questions refused (1 with none).
    pub fn refused_rate(&self) -> f64 {
        rate(self.out_of_scope_refused, self.out_of_scope)
    }

    fn add(&mut self, o: &Outcome) {
        self.cases += 1;
        self.passed += o.passed as usize;
        match o.case.expect {
            Expect::Fallback => {
                self.out_of_scope += 1;
                if o.answer.answered {
                    self.false_answers += 1;
                } else {
                    self.out_of_scope_refused += 1;
                }
            }
            Expect::Contains(_) => {
                self.in_scope += 1;
                self.in_scope_correct += o.passed as usize;
                if o.answer.answered && !o.passed {
                    self.wrong_answers += 1;
                }
            }
        }
    }

    fn line(&self, name: &str) -> String {
        format!(
            "{name:<12} {:>4} {:>13} {:>17} {:>6}\n",
            self.cases,
            ratio(self.in_scope_correct, self.in_scope),
            ratio(self.out_of_scope_refused, self.out_of_scope),
            self.false_answers
        )
    }
}

fn rate(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

fn ratio(a: usize, b: usize) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{a}/{b} {:.0}%", 100.0 * a as f64 / b as f64)
    }
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

    /// Counts over every case.
    pub fn total(&self) -> Tally {
        let mut t = Tally::default();
        self.outcomes.iter().for_each(|o| t.add(o));
        t
    }

    /// Counts by a tag of the cases (cases without it are grouped under "-").
    pub fn by(&self, tag: impl Fn(&Case) -> Option<&str>) -> BTreeMap<String, Tally> {
        let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
        for o in &self.outcomes {
            let key = tag(&o.case).unwrap_or("-").to_string();
            groups.entry(key).or_default().add(o);
        }
        groups
    }

    /// A line per miss, then the accuracy and the tables by style and language.
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
            } else if !o.answer.suggestions.is_empty() {
                format!(
                    "not sure ({:.2}), suggested: {}",
                    o.answer.confidence,
                    o.answer
                        .suggestions
                        .iter()
                        .map(|h| h.title.as_str())
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            } else {
                format!("fallback ({:.2})", o.answer.confidence)
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
        out.push_str(&self.table());
        out
    }

    /// The accuracy, the in-scope and out-of-scope figures, and the tables by style and
    /// by language.
    pub fn table(&self) -> String {
        let t = self.total();
        let mut out = format!(
            "accuracy: {}/{} ({:.1} %)\nin scope answered correctly: {}\nout of scope refused: {}\nfalse answers (out of scope answered): {}\nwrong answers (in scope, wrong excerpt): {}\n",
            self.passed(),
            self.outcomes.len(),
            self.accuracy() * 100.0,
            ratio(t.in_scope_correct, t.in_scope),
            ratio(t.out_of_scope_refused, t.out_of_scope),
            t.false_answers,
            t.wrong_answers,
        );
        let styles = self.by(|c| c.style.as_deref());
        let langs = self.by(|c| c.lang.as_deref());
        if styles.len() > 1 || langs.len() > 1 {
            out.push_str(&format!(
                "\n{:<12} {:>4} {:>13} {:>17} {:>6}\n",
                "group", "n", "in scope", "out-of-scope ok", "false"
            ));
            for (name, tally) in styles.iter().chain(&langs) {
                out.push_str(&tally.line(name));
            }
        }
        out
    }

    /// The report for scripts.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "accuracy": self.accuracy(),
            "total": self.total(),
            "by_style": self.by(|c| c.style.as_deref()),
            "by_lang": self.by(|c| c.lang.as_deref()),
            "misses": self.outcomes.iter().filter(|o| !o.passed).map(|o| serde_json::json!({
                "line": o.case.line,
                "q": o.case.question,
                "answer": o.answer.to_json(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Runs every case against `knowledge` with its own decision.
pub fn run(knowledge: &Knowledge, cases: &[Case]) -> Report {
    decide_all(&examine(knowledge, cases), knowledge.decision(), knowledge)
}

/// Runs every case without the decision: every question is answered with its best
/// passages, which measures retrieval alone (recall at each case's `top`).
pub fn run_ungated(knowledge: &Knowledge, cases: &[Case]) -> Report {
    let open = knowledge.decision().clone().with_thresholds(0.0, 0.0);
    decide_all(&examine(knowledge, cases), &open, knowledge)
}

fn decide_all(examined: &[Examined], decision: &Decision, knowledge: &Knowledge) -> Report {
    decide_with(examined, decision, knowledge.max_hits())
}

/// Scores examined cases with `decision`.
pub fn decide_with(examined: &[Examined], decision: &Decision, max_hits: usize) -> Report {
    Report {
        outcomes: examined
            .iter()
            .map(|e| e.decide(decision, max_hits))
            .collect(),
    }
}

/// The false-answer rate the answer threshold is fitted to on its training questions: half
/// of the one in 25 allowed, because held-out questions, measured by `--folds`, meet about
/// twice the rate of the questions the threshold was chosen on.
pub const MAX_FALSE_ANSWER_RATE: f64 = 1.0 / 50.0;
/// The most out-of-scope questions that may get "did you mean" pages.
pub const MAX_SUGGESTION_RATE: f64 = 0.25;

/// Fits the decision on `examined`: a logistic model on every part's signals, then the
/// answer threshold that answers the most in-scope questions correctly while answering at
/// most [`MAX_FALSE_ANSWER_RATE`] of the out-of-scope ones, and the suggestion threshold
/// that offers pages to at most [`MAX_SUGGESTION_RATE`] of them.
pub fn fit(examined: &[Examined], max_hits: usize) -> Decision {
    let samples: Vec<(Signals, bool)> = examined.iter().flat_map(Examined::samples).collect();
    let model = Decision::fit(&samples);
    let mut probabilities: Vec<f64> = samples.iter().map(|(s, _)| model.probability(s)).collect();
    probabilities.push(1.0);
    probabilities.sort_by(f64::total_cmp);
    probabilities.dedup();
    let out_of_scope = examined.iter().filter(|e| !e.in_scope()).count().max(1) as f64;
    let mut best: Option<(usize, f64)> = None;
    // From the highest threshold down: stop once too many out-of-scope are answered.
    for &t in probabilities.iter().rev() {
        let d = model.clone().with_thresholds(t, t);
        let (mut correct, mut false_answers) = (0, 0);
        for e in examined {
            let o = e.decide(&d, max_hits);
            if e.in_scope() {
                correct += o.passed as usize;
            } else if o.answer.answered {
                false_answers += 1;
            }
        }
        if false_answers as f64 / out_of_scope > MAX_FALSE_ANSWER_RATE {
            break;
        }
        if best.is_none_or(|(c, _)| correct >= c) {
            best = Some((correct, t));
        }
    }
    let answer_at = best.map(|(_, t)| t).unwrap_or(1.0);
    // Out-of-scope parts' best probabilities decide how low suggestions may go.
    let mut oos: Vec<f64> = examined
        .iter()
        .filter(|e| !e.in_scope())
        .map(|e| {
            e.parts
                .iter()
                .filter(|p| !p.hits.is_empty())
                .map(|p| model.probability(&p.signals))
                .fold(0.0, f64::max)
        })
        .collect();
    oos.sort_by(|a, b| b.total_cmp(a));
    let allowed = (MAX_SUGGESTION_RATE * oos.len() as f64).floor() as usize;
    let suggest_at = oos
        .get(allowed)
        .map(|p| p + 1e-4)
        .unwrap_or(answer_at)
        .min(answer_at);
    model.with_thresholds(answer_at, suggest_at)
}

/// K-fold cross-validation of [`fit`]: each fold is scored by a decision fitted on the
/// others. Folds are stratified (in scope / out of scope); `split` 0 deals the cases to the
/// folds in file order, any other value in an order shuffled by that seed (one split's
/// figures depend on which questions happen to share a fold: `--repeats` averages several).
pub fn cross_validate(
    examined: &[Examined],
    folds: usize,
    max_hits: usize,
    split: u64,
) -> CrossValidation {
    let folds = folds.max(2);
    let mut order: Vec<usize> = (0..examined.len()).collect();
    if split != 0 {
        shuffle(&mut order, split);
    }
    let mut fold_of = vec![0; examined.len()];
    let (mut a, mut b) = (0, 0);
    for &i in &order {
        let n = if examined[i].in_scope() {
            &mut a
        } else {
            &mut b
        };
        fold_of[i] = *n % folds;
        *n += 1;
    }
    let mut outcomes: Vec<Option<Outcome>> = vec![None; examined.len()];
    let mut per_fold = Vec::new();
    for k in 0..folds {
        let train: Vec<Examined> = examined
            .iter()
            .zip(&fold_of)
            .filter(|(_, f)| **f != k)
            .map(|(e, _)| e.clone())
            .collect();
        let decision = fit(&train, max_hits);
        let mut fold = Vec::new();
        for (i, e) in examined.iter().enumerate() {
            if fold_of[i] == k {
                let o = e.decide(&decision, max_hits);
                fold.push(o.clone());
                outcomes[i] = Some(o);
            }
        }
        per_fold.push(Report { outcomes: fold });
    }
    CrossValidation {
        held_out: Report {
            outcomes: outcomes.into_iter().flatten().collect(),
        },
        folds: per_fold,
    }
}

/// Fisher–Yates with a xorshift generator seeded by `seed`: the same seed gives the same
/// order on every machine.
fn shuffle(items: &mut [usize], seed: u64) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}

/// Cross-validation repeated over `repeats` splits (the file order, then shuffled ones):
/// every question is held out once per split, so the pooled table counts it `repeats`
/// times and its shares do not hang on one lucky or unlucky split.
pub fn cross_validate_repeated(
    examined: &[Examined],
    folds: usize,
    max_hits: usize,
    repeats: usize,
) -> Vec<CrossValidation> {
    (0..repeats.max(1) as u64)
        .map(|split| cross_validate(examined, folds, max_hits, split))
        .collect()
}

/// The summary of repeated cross-validation: each split's figures, then the table of every
/// held-out outcome pooled.
pub fn repeated_summary(runs: &[CrossValidation]) -> String {
    let Some(first) = runs.first() else {
        return String::new();
    };
    if runs.len() == 1 {
        return first.summary();
    }
    let mut out = format!(
        "cross-validated over {} folds, repeated on {} splits (the file order, then shuffled)\n",
        first.folds.len(),
        runs.len()
    );
    for (i, cv) in runs.iter().enumerate() {
        let t = cv.held_out.total();
        out.push_str(&format!(
            "split {}: in scope {}, out of scope refused {}, accuracy {:.1} %\n",
            i + 1,
            ratio(t.in_scope_correct, t.in_scope),
            ratio(t.out_of_scope_refused, t.out_of_scope),
            cv.held_out.accuracy() * 100.0
        ));
    }
    let pooled = Report {
        outcomes: runs
            .iter()
            .flat_map(|cv| cv.held_out.outcomes.iter().cloned())
            .collect(),
    };
    out.push_str(&format!(
        "\npooled over the {} splits (each question counted once per split)\n",
        runs.len()
    ));
    out.push_str(&pooled.table());
    out
}

/// What cross-validation measured.
pub struct CrossValidation {
    /// Every case, scored by the decision fitted without its fold.
    pub held_out: Report,
    pub folds: Vec<Report>,
}

impl CrossValidation {
    /// The held-out table, then each fold's figures and the worst fold.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "cross-validated over {} folds (each fold scored by a decision fitted on the others)\n",
            self.folds.len()
        );
        out.push_str(&self.held_out.table());
        out.push('\n');
        let mut worst: Option<(usize, f64)> = None;
        for (k, f) in self.folds.iter().enumerate() {
            let t = f.total();
            out.push_str(&format!(
                "fold {}: in scope {}, out of scope refused {}, accuracy {:.1} %\n",
                k + 1,
                ratio(t.in_scope_correct, t.in_scope),
                ratio(t.out_of_scope_refused, t.out_of_scope),
                f.accuracy() * 100.0
            ));
            if worst.is_none_or(|(_, a)| f.accuracy() < a) {
                worst = Some((k, f.accuracy()));
            }
        }
        let mean = self.folds.iter().map(Report::accuracy).sum::<f64>() / self.folds.len() as f64;
        out.push_str(&format!("mean fold accuracy: {:.1} %\n", mean * 100.0));
        if let Some((k, a)) = worst {
            out.push_str(&format!("worst fold: {} ({:.1} %)\n", k + 1, a * 100.0));
        }
        out
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut v = self.held_out.to_json();
        v["folds"] = self
            .folds
            .iter()
            .map(|f| serde_json::json!({"accuracy": f.accuracy(), "total": f.total()}))
            .collect();
        v
    }
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
    format!(" {} ", fold_phrase(text)).trim_end().to_string()
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
    fn a_shuffled_split_is_a_permutation_fixed_by_its_seed() {
        let mut a: Vec<usize> = (0..50).collect();
        let mut b = a.clone();
        shuffle(&mut a, 3);
        shuffle(&mut b, 3);
        assert_eq!(a, b, "the same seed gives the same order");
        assert_ne!(a, (0..50).collect::<Vec<_>>(), "the order changed");
        let mut c = (0..50).collect::<Vec<usize>>();
        shuffle(&mut c, 4);
        assert_ne!(a, c, "another seed gives another order");
        a.sort_unstable();
        assert_eq!(a, (0..50).collect::<Vec<_>>(), "nothing lost or repeated");
    }

    #[test]
    fn folding_ignores_accents_and_case() {
        assert!(folded("Fonds de recherche du Québec – Santé")
            .contains(&folded("fonds de recherche du quebec")));
        assert!(folded("Université Laval").contains("universit"));
    }
}
