//! The answer/fallback decision: a small logistic model over measured [`Signals`] of a
//! question and its best passages, with two operating points (answer; suggest related
//! pages). Its weights are data (`decision.toml` in the knowledge folder), fitted on
//! labeled questions by `guichet eval FILE --fit decision.toml`, so the rule can be refitted
//! whenever the knowledge base changes instead of being tuned by hand.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::knowledge::FileError;

/// The name of the decision file inside the knowledge folder.
pub const DECISION_FILE: &str = "decision.toml";

/// The weights shipped with guichet, fitted on the bundled knowledge base; used when the
/// knowledge folder has no `decision.toml` of its own.
const BUNDLED: &str = include_str!("../../knowledge/decision.toml");

/// What is measured of a question and its best passage. Every value is in a small range
/// (mostly 0 to 1) so that fitted weights stay readable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Signals {
    /// Share of the question (its concepts weighted by rarity) that the best passage
    /// covers, in its text, its names or its document's typical questions.
    pub coverage: f32,
    /// Share of the question's weight carried by words the knowledge base never uses: a
    /// sign the topic is elsewhere (RAMQ card renewal, ibuprofen, a hockey score).
    pub unknown: f32,
    /// The weight of the heaviest concept the best passage leaves out, relative to the
    /// heaviest concept of the question: a question whose key word is unanswered.
    pub uncovered: f32,
    /// BM25 of the best passage divided by the question's total weight.
    pub strength: f32,
    /// How far ahead the best passage is of the best one from another document (0 to 1).
    pub margin: f32,
    /// ln(1 + number of concepts): short questions and long ones behave differently.
    pub concepts: f32,
    /// Share of the concepts that are the Unit's own vocabulary (a synonyms group: names,
    /// acronyms, programs), found anywhere in the base.
    pub domain: f32,
    /// Share of the question's weight found in the best passage's title, aliases or section.
    pub names: f32,
    /// Best coverage of the question by one of the typical questions of the best passage's
    /// document.
    pub questions: f32,
    /// Share of the question found anywhere in the best passage's document (any passage,
    /// its names, its typical questions): a question asking about something the page never
    /// mentions (a deadline, a rate, a current minister) leaves a word out here too.
    pub document: f32,
    /// 1 when the question speaks to the Unit ("can you", "vos services", "the Unit"), else
    /// 0: such a question is about the Unit itself, the knowledge base's subject.
    pub addressed: f32,
    /// 1 when the question asks for a figure (how many, when, a deadline, a rate) and the
    /// first excerpt holds none, else 0: the page found talks about the subject but not
    /// about the figure asked.
    pub no_figure: f32,
}

/// How many signals there are.
pub const SIGNALS: usize = 12;

/// The names of the signals, in the order of [`Signals::values`].
pub const SIGNAL_NAMES: [&str; SIGNALS] = [
    "coverage",
    "unknown",
    "uncovered",
    "strength",
    "margin",
    "concepts",
    "domain",
    "names",
    "questions",
    "document",
    "addressed",
    "no_figure",
];

impl Signals {
    /// The values in the order of [`SIGNAL_NAMES`].
    pub fn values(&self) -> [f64; SIGNALS] {
        [
            self.coverage,
            self.unknown,
            self.uncovered,
            self.strength,
            self.margin,
            self.concepts,
            self.domain,
            self.names,
            self.questions,
            self.document,
            self.addressed,
            self.no_figure,
        ]
        .map(f64::from)
    }
}

/// What to do with a question, given its probability of being answered correctly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Answer,
    /// Not sure: say so and offer related pages.
    Suggest,
    Refuse,
}

/// The fitted model and its operating points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Answer when the probability reaches this.
    pub answer_at: f64,
    /// Below `answer_at` but at least this: offer related pages.
    pub suggest_at: f64,
    pub bias: f64,
    /// One weight per signal name.
    pub weights: BTreeMap<String, f64>,
}

/// Why a decision file was refused.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("{0}")]
    Invalid(String),
}

impl Decision {
    /// The decision of the knowledge folder `dir` (its `decision.toml`), or the bundled one.
    pub fn load(dir: &Path) -> Result<Decision, FileError> {
        let path = dir.join(DECISION_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Decision::parse(&text).map_err(|e| FileError::new(&path, 0, e.to_string())),
            Err(_) => Ok(Decision::bundled()),
        }
    }

    /// The decision shipped with guichet.
    pub fn bundled() -> Decision {
        Decision::parse(BUNDLED).expect("the bundled decision.toml is valid (tested)")
    }

    /// Reads a decision file, checking every signal has a weight and the thresholds are
    /// probabilities in order.
    pub fn parse(text: &str) -> Result<Decision, DecisionError> {
        let d: Decision =
            toml::from_str(text).map_err(|e| DecisionError::Invalid(e.message().to_string()))?;
        for name in SIGNAL_NAMES {
            match d.weights.get(name) {
                Some(w) if w.is_finite() => {}
                _ => {
                    return Err(DecisionError::Invalid(format!(
                        "weights.{name} is missing or not a number"
                    )))
                }
            }
        }
        if let Some(k) = d
            .weights
            .keys()
            .find(|k| !SIGNAL_NAMES.contains(&k.as_str()))
        {
            return Err(DecisionError::Invalid(format!(
                "weights.{k} is not a signal (expected: {})",
                SIGNAL_NAMES.join(", ")
            )));
        }
        if !(0.0..=1.0).contains(&d.answer_at)
            || !(0.0..=1.0).contains(&d.suggest_at)
            || d.suggest_at > d.answer_at
            || !d.bias.is_finite()
        {
            return Err(DecisionError::Invalid(
                "answer_at and suggest_at must be probabilities with suggest_at <= answer_at"
                    .into(),
            ));
        }
        Ok(d)
    }

    /// The probability that answering with these signals is right.
    pub fn probability(&self, s: &Signals) -> f64 {
        let mut z = self.bias;
        for (name, v) in SIGNAL_NAMES.iter().zip(s.values()) {
            z += self.weights.get(*name).copied().unwrap_or(0.0) * v;
        }
        sigmoid(z)
    }

    pub fn verdict(&self, probability: f64) -> Verdict {
        if probability >= self.answer_at {
            Verdict::Answer
        } else if probability >= self.suggest_at {
            Verdict::Suggest
        } else {
            Verdict::Refuse
        }
    }

    /// The same model with other operating points.
    pub fn with_thresholds(mut self, answer_at: f64, suggest_at: f64) -> Decision {
        self.answer_at = answer_at;
        self.suggest_at = suggest_at.min(answer_at);
        self
    }

    /// Fits a logistic regression on `samples` (signals, whether answering was right):
    /// features standardised, L2-regularised gradient descent, weights brought back to the
    /// raw scale so the file reads without the standardisation. Thresholds are left at 0.5;
    /// choose them with the caller's criterion.
    pub fn fit(samples: &[(Signals, bool)]) -> Decision {
        const STEPS: usize = 3_000;
        const RATE: f64 = 0.5;
        const L2: f64 = 0.01;
        let n = samples.len().max(1) as f64;
        let k = SIGNAL_NAMES.len();
        let xs: Vec<[f64; SIGNALS]> = samples.iter().map(|(s, _)| s.values()).collect();
        let mut mean = [0.0; SIGNALS];
        let mut std = [0.0; SIGNALS];
        for x in &xs {
            for j in 0..k {
                mean[j] += x[j] / n;
            }
        }
        for x in &xs {
            for j in 0..k {
                std[j] += (x[j] - mean[j]).powi(2) / n;
            }
        }
        for s in &mut std {
            *s = s.sqrt().max(1e-6);
        }
        let z: Vec<[f64; SIGNALS]> = xs
            .iter()
            .map(|x| std::array::from_fn(|j| (x[j] - mean[j]) / std[j]))
            .collect();
        let y: Vec<f64> = samples
            .iter()
            .map(|(_, ok)| if *ok { 1.0 } else { 0.0 })
            .collect();
        let mut w = [0.0; SIGNALS];
        let mut b = 0.0;
        for _ in 0..STEPS {
            let mut gw = [0.0; SIGNALS];
            let mut gb = 0.0;
            for (x, y) in z.iter().zip(&y) {
                let p = sigmoid(b + (0..k).map(|j| w[j] * x[j]).sum::<f64>());
                let e = p - y;
                gb += e / n;
                for j in 0..k {
                    gw[j] += e * x[j] / n;
                }
            }
            b -= RATE * gb;
            for j in 0..k {
                w[j] -= RATE * (gw[j] + L2 * w[j]);
            }
        }
        let mut bias = b;
        let mut weights = BTreeMap::new();
        for j in 0..k {
            let raw = w[j] / std[j];
            bias -= raw * mean[j];
            weights.insert(SIGNAL_NAMES[j].to_string(), round(raw));
        }
        Decision {
            answer_at: 0.5,
            suggest_at: 0.5,
            bias: round(bias),
            weights,
        }
    }

    /// The decision as a `decision.toml` file, with a header saying how it was made.
    pub fn to_toml(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            out.push_str(&format!("# {line}\n"));
        }
        out.push_str(&format!(
            "answer_at = {}\nsuggest_at = {}\nbias = {}\n\n[weights]\n",
            round(self.answer_at),
            round(self.suggest_at),
            self.bias
        ));
        for name in SIGNAL_NAMES {
            out.push_str(&format!("{name} = {}\n", self.weights[name]));
        }
        out
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals(coverage: f32, unknown: f32) -> Signals {
        Signals {
            coverage,
            unknown,
            ..Signals::default()
        }
    }

    #[test]
    fn the_bundled_decision_loads() {
        let d = Decision::bundled();
        assert!(d.answer_at > 0.0 && d.answer_at < 1.0);
        assert!(d.suggest_at <= d.answer_at);
    }

    #[test]
    fn a_file_missing_a_weight_or_with_a_stray_one_is_refused() {
        let good = Decision::bundled().to_toml("test");
        assert_eq!(Decision::parse(&good).unwrap(), Decision::bundled());
        let e = Decision::parse(&good.replace("margin =", "nargin =")).unwrap_err();
        assert!(e.to_string().contains("margin"), "{e}");
        let e = Decision::parse(&good.replace("answer_at = ", "answer_at = 7")).unwrap_err();
        assert!(e.to_string().contains("answer_at"), "{e}");
    }

    #[test]
    fn fitting_learns_which_way_each_signal_points() {
        // Answers are right when coverage is high and no unknown word is asked.
        let mut samples = Vec::new();
        for i in 0..200 {
            let c = (i % 10) as f32 / 10.0;
            let u = ((i / 10) % 5) as f32 / 5.0;
            samples.push((signals(c, u), c >= 0.5 && u < 0.3));
        }
        let d = Decision::fit(&samples);
        assert!(d.weights["coverage"] > 0.0, "{d:?}");
        assert!(d.weights["unknown"] < 0.0, "{d:?}");
        assert!(d.probability(&signals(0.9, 0.0)) > 0.8);
        assert!(d.probability(&signals(0.1, 0.8)) < 0.2);
        let round_trip = Decision::parse(&d.to_toml("fitted\non test data")).unwrap();
        assert_eq!(round_trip, d);
    }

    #[test]
    fn verdicts_follow_the_operating_points() {
        let d = Decision::bundled().with_thresholds(0.6, 0.3);
        assert_eq!(d.verdict(0.7), Verdict::Answer);
        assert_eq!(d.verdict(0.4), Verdict::Suggest);
        assert_eq!(d.verdict(0.1), Verdict::Refuse);
    }
}
