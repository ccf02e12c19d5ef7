//! What `GET /metrics` tells Prometheus: counters and one latency histogram kept with
//! atomics (no registry crate: a few dozen numbers do not need one), the channels' link
//! states, and their rendering in the Prometheus text format (version 0.0.4).
//!
//! One [`Metrics`] lives in each [`crate::assistant::Assistant`], so every channel reaches
//! it through the engine it already holds (`assistant.metrics()`), and two daemons in one
//! process (the tests) do not count each other's questions.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::language::Language;
use crate::requests::model::{Channel, RequestType};

/// Upper bounds (seconds) of the answer latency buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

const CHANNELS: usize = Channel::ALL.len();
const TYPES: usize = RequestType::ALL.len();

/// What happened to one incoming email, as the mail channel counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailEvent {
    /// A reply left through SMTP.
    Sent,
    /// The SMTP server refused a reply for good.
    Refused,
    /// A delivery report (bounce) arrived.
    Bounced,
    /// A message that could not be read was set aside.
    Quarantined,
    /// A loop or robot rule kept a message from being answered.
    LoopRule,
}

impl MailEvent {
    const ALL: [MailEvent; 5] = [
        MailEvent::Sent,
        MailEvent::Refused,
        MailEvent::Bounced,
        MailEvent::Quarantined,
        MailEvent::LoopRule,
    ];

    fn name(self) -> &'static str {
        match self {
            MailEvent::Sent => "guichet_mail_sent_total",
            MailEvent::Refused => "guichet_mail_refused_total",
            MailEvent::Bounced => "guichet_mail_bounced_total",
            MailEvent::Quarantined => "guichet_mail_quarantined_total",
            MailEvent::LoopRule => "guichet_mail_loop_rule_hits_total",
        }
    }

    fn help(self) -> &'static str {
        match self {
            MailEvent::Sent => "Emails sent through SMTP.",
            MailEvent::Refused => "Emails the SMTP server refused for good.",
            MailEvent::Bounced => "Delivery reports (bounces) received.",
            MailEvent::Quarantined => "Messages set aside in the quarantine folder.",
            MailEvent::LoopRule => "Messages a loop, robot or list rule kept from being answered.",
        }
    }
}

/// A channel's connection as it last reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Up,
    /// Down since then (kept from the first failure until it is up again).
    Down {
        since: OffsetDateTime,
        since_instant: Instant,
        error: String,
    },
}

/// The daemon's counters. Every method is a few atomic additions: call it from anywhere.
#[derive(Debug)]
pub struct Metrics {
    /// Questions by channel, reply language and outcome (0: answered, 1: not).
    questions: [[[AtomicU64; 2]; 2]; CHANNELS],
    /// Answer latency: a count per bucket (not cumulative; the last is +Inf), and the sum.
    latency: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    latency_sum_micros: AtomicU64,
    requests: [AtomicU64; TYPES],
    /// Votes on answers: 0 helpful, 1 not.
    feedback: [AtomicU64; 2],
    mail: [AtomicU64; MailEvent::ALL.len()],
    /// Knowledge reloads that were swapped in, and that failed (the old index stayed).
    reloads: [AtomicU64; 2],
    /// When the knowledge in use was loaded (Unix seconds).
    knowledge_loaded_at: AtomicI64,
    /// Messages in the inbox not handled yet, as of the mail channel's last look.
    inbox_backlog: AtomicU64,
    links: Mutex<BTreeMap<&'static str, Link>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            questions: Default::default(),
            latency: Default::default(),
            latency_sum_micros: AtomicU64::new(0),
            requests: Default::default(),
            feedback: Default::default(),
            mail: Default::default(),
            reloads: Default::default(),
            knowledge_loaded_at: AtomicI64::new(OffsetDateTime::now_utc().unix_timestamp()),
            inbox_backlog: AtomicU64::new(0),
            links: Mutex::new(BTreeMap::new()),
        }
    }
}

fn add(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn lang_slot(lang: Language) -> usize {
    match lang {
        Language::Fr => 0,
        Language::En => 1,
    }
}

impl Metrics {
    /// A question was handled on `channel`, answered in `lang` (or not), in `took`.
    pub fn question(&self, channel: Channel, lang: Language, answered: bool, took: Duration) {
        let c = Channel::ALL.iter().position(|x| *x == channel).unwrap_or(0);
        add(&self.questions[c][lang_slot(lang)][usize::from(!answered)]);
        let seconds = took.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(LATENCY_BUCKETS.len());
        add(&self.latency[bucket]);
        self.latency_sum_micros.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// A request of `kind` was logged.
    pub fn request_logged(&self, kind: RequestType) {
        let t = RequestType::ALL
            .iter()
            .position(|x| *x == kind)
            .unwrap_or(0);
        add(&self.requests[t]);
    }

    /// Someone voted on an answer: helpful (`up`) or not.
    pub fn feedback(&self, up: bool) {
        add(&self.feedback[usize::from(!up)]);
    }

    pub fn mail(&self, event: MailEvent) {
        let i = MailEvent::ALL.iter().position(|x| *x == event).unwrap_or(0);
        add(&self.mail[i]);
    }

    /// The inbox holds `n` messages not handled yet.
    pub fn set_inbox_backlog(&self, n: u64) {
        self.inbox_backlog.store(n, Ordering::Relaxed);
    }

    /// One message of the backlog was handled.
    pub fn inbox_message_handled(&self) {
        let _ = self
            .inbox_backlog
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            });
    }

    /// A knowledge reload was swapped in (`ok`) or refused (the old index stays).
    pub fn knowledge_reloaded(&self, ok: bool) {
        add(&self.reloads[usize::from(!ok)]);
        if ok {
            self.knowledge_loaded_at.store(
                OffsetDateTime::now_utc().unix_timestamp(),
                Ordering::Relaxed,
            );
        }
    }

    /// `part`'s connection is up.
    pub fn link_up(&self, part: &'static str) {
        self.links
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(part, Link::Up);
    }

    /// `part`'s connection failed with `error` (the first failure's time is kept).
    pub fn link_down(&self, part: &'static str, error: &dyn std::fmt::Display) {
        let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        let error = error.to_string();
        match links.get_mut(part) {
            Some(Link::Down { error: e, .. }) => *e = error,
            _ => {
                links.insert(
                    part,
                    Link::Down {
                        since: OffsetDateTime::now_utc(),
                        since_instant: Instant::now(),
                        error,
                    },
                );
            }
        }
    }

    /// Every link reported so far.
    pub fn links(&self) -> BTreeMap<&'static str, Link> {
        self.links.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The counters in Prometheus text format, followed by `gauges` (already rendered).
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        header(
            &mut out,
            "guichet_questions_total",
            "counter",
            "Questions handled, by channel, reply language and outcome (answered or fallback).",
        );
        for (c, channel) in Channel::ALL.iter().enumerate() {
            for lang in Language::ALL {
                for (o, outcome) in ["answered", "fallback"].iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "guichet_questions_total{{channel=\"{}\",lang=\"{}\",outcome=\"{outcome}\"}} {}",
                        channel.code(),
                        lang.code(),
                        get(&self.questions[c][lang_slot(lang)][o])
                    );
                }
            }
        }
        header(
            &mut out,
            "guichet_answer_seconds",
            "histogram",
            "Time to handle a message that asked a question (search and storage).",
        );
        let mut cumulative = 0;
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            cumulative += get(&self.latency[i]);
            let _ = writeln!(
                out,
                "guichet_answer_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += get(&self.latency[LATENCY_BUCKETS.len()]);
        let _ = writeln!(
            out,
            "guichet_answer_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let _ = writeln!(
            out,
            "guichet_answer_seconds_sum {}",
            get(&self.latency_sum_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "guichet_answer_seconds_count {cumulative}");
        header(
            &mut out,
            "guichet_requests_logged_total",
            "counter",
            "Requests logged, by type.",
        );
        for (t, kind) in RequestType::ALL.iter().enumerate() {
            let _ = writeln!(
                out,
                "guichet_requests_logged_total{{type=\"{}\"}} {}",
                kind.code(),
                get(&self.requests[t])
            );
        }
        header(
            &mut out,
            "guichet_feedback_total",
            "counter",
            "Votes on answers: helpful (up) or not (down).",
        );
        for (i, vote) in ["up", "down"].iter().enumerate() {
            let _ = writeln!(
                out,
                "guichet_feedback_total{{vote=\"{vote}\"}} {}",
                get(&self.feedback[i])
            );
        }
        for (i, event) in MailEvent::ALL.iter().enumerate() {
            header(&mut out, event.name(), "counter", event.help());
            let _ = writeln!(out, "{} {}", event.name(), get(&self.mail[i]));
        }
        header(
            &mut out,
            "guichet_knowledge_reloads_total",
            "counter",
            "Knowledge reloads since start: swapped in (ok) or refused (failed; the old index stays).",
        );
        for (i, result) in ["ok", "failed"].iter().enumerate() {
            let _ = writeln!(
                out,
                "guichet_knowledge_reloads_total{{result=\"{result}\"}} {}",
                get(&self.reloads[i])
            );
        }
        header(
            &mut out,
            "guichet_knowledge_loaded_timestamp_seconds",
            "gauge",
            "When the knowledge in use was loaded (Unix time).",
        );
        let _ = writeln!(
            out,
            "guichet_knowledge_loaded_timestamp_seconds {}",
            self.knowledge_loaded_at.load(Ordering::Relaxed)
        );
        header(
            &mut out,
            "guichet_mail_inbox_backlog",
            "gauge",
            "Messages in the inbox not handled yet, as of the mail channel's last look.",
        );
        let _ = writeln!(
            out,
            "guichet_mail_inbox_backlog {}",
            get(&self.inbox_backlog)
        );
        out.push_str(&gauges.rendered);
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Gauges read at scrape time from elsewhere (the index, the supervisor), rendered.
#[derive(Debug, Default)]
pub struct Gauges {
    rendered: String,
}

impl Gauges {
    /// `name` with one sample per `(labels, value)`; labels as `key="value",…`.
    pub fn add(&mut self, name: &str, help: &str, samples: &[(String, f64)]) {
        header(&mut self.rendered, name, "gauge", help);
        for (labels, value) in samples {
            if labels.is_empty() {
                let _ = writeln!(self.rendered, "{name} {value}");
            } else {
                let _ = writeln!(self.rendered, "{name}{{{labels}}} {value}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_counts_every_observation() {
        let m = Metrics::default();
        m.question(Channel::Web, Language::Fr, true, Duration::from_millis(3));
        m.question(Channel::Web, Language::Fr, false, Duration::from_millis(70));
        m.question(Channel::Email, Language::En, true, Duration::from_secs(100));
        let text = m.render(&Gauges::default());
        assert!(
            text.contains("guichet_answer_seconds_bucket{le=\"0.005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("guichet_answer_seconds_bucket{le=\"0.1\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("guichet_answer_seconds_bucket{le=\"30\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("guichet_answer_seconds_bucket{le=\"+Inf\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("guichet_answer_seconds_count 3\n"), "{text}");
        assert!(text.contains(
            "guichet_questions_total{channel=\"web\",lang=\"fr\",outcome=\"fallback\"} 1\n"
        ));
        assert!(text.contains(
            "guichet_questions_total{channel=\"email\",lang=\"en\",outcome=\"answered\"} 1\n"
        ));
    }

    #[test]
    fn a_link_keeps_the_time_of_its_first_failure_until_it_is_up_again() {
        let m = Metrics::default();
        m.link_down("mail", &"refused");
        let Some(Link::Down { since, .. }) = m.links().get("mail").cloned() else {
            panic!("down")
        };
        m.link_down("mail", &"refused again");
        match m.links().get("mail") {
            Some(Link::Down {
                since: again,
                error,
                ..
            }) => {
                assert_eq!(*again, since);
                assert_eq!(error, "refused again");
            }
            other => panic!("{other:?}"),
        }
        m.link_up("mail");
        assert_eq!(m.links().get("mail"), Some(&Link::Up));
    }
}
