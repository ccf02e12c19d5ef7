//! Rate limits for every channel: at most `limit` uses per `window` for each key (a web
//! client's address, a Discord user), over a table of keys that never grows past its cap.
//!
//! Two rules, because the channels promise different things:
//! [`RateLimiter::steady`] lets a key spend its whole allowance at once and gives it back
//! evenly over the window (a token bucket: after a burst, one more use every
//! `window / limit`), as the web chat and the staff sign-in do;
//! [`RateLimiter::sliding`] allows at most `limit` uses in any `window` (each use comes
//! back one window after it was made), as Discord users are told.
//!
//! The current time is an argument instead of a read of the clock, so tests drive a limiter
//! through hours in microseconds. Keys idle for a whole window are swept out as the limiter
//! is used (no background task to start or stop), and when the table is full of active
//! keys the least recently seen are forgotten: a flood of new keys neither grows memory
//! nor locks newcomers out.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// At most `limit` uses per `window` for each key, tracking at most `max_keys` keys.
/// Shared between threads as is: [`RateLimiter::check`] takes `&self`.
#[derive(Debug)]
pub struct RateLimiter<K> {
    limit: u32,
    window: Duration,
    rule: Rule,
    /// The most keys tracked at once. When every slot holds an active key, the least
    /// recently seen ones are forgotten to make room (they start again with a full
    /// allowance): the memory stays bounded, and nobody new is locked out by a flood.
    max_keys: usize,
    table: Mutex<Table<K>>,
}

/// How a key's spent allowance comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Evenly, one use every `window / limit` (a token bucket).
    Steady,
    /// Each use one `window` after it was made (a sliding log).
    Sliding,
}

#[derive(Debug)]
struct Table<K> {
    keys: HashMap<K, Usage>,
    last_sweep: Option<Instant>,
}

/// One key's recent use.
#[derive(Debug)]
struct Usage {
    /// The last check for this key, allowed or not.
    last_seen: Instant,
    spent: Spent,
}

#[derive(Debug)]
enum Spent {
    /// [`Rule::Steady`]: the uses left, refilled continuously (hence fractional).
    Tokens(f64),
    /// [`Rule::Sliding`]: when each use still in the window was made, oldest first.
    Times(VecDeque<Instant>),
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// `limit` uses at once for each key, given back evenly over `window` (so `limit` per
    /// `window` on average); at most `max_keys` keys tracked.
    pub fn steady(limit: u32, window: Duration, max_keys: usize) -> RateLimiter<K> {
        RateLimiter::with_rule(Rule::Steady, limit, window, max_keys)
    }

    /// At most `limit` uses for each key in any `window`; at most `max_keys` keys tracked.
    pub fn sliding(limit: u32, window: Duration, max_keys: usize) -> RateLimiter<K> {
        RateLimiter::with_rule(Rule::Sliding, limit, window, max_keys)
    }

    fn with_rule(rule: Rule, limit: u32, window: Duration, max_keys: usize) -> RateLimiter<K> {
        RateLimiter {
            limit: limit.max(1),
            window: window.max(Duration::from_millis(1)),
            rule,
            max_keys: max_keys.max(1),
            table: Mutex::new(Table {
                keys: HashMap::new(),
                last_sweep: None,
            }),
        }
    }

    /// Counts one use of `key` at `now`. Over the limit, the use is not counted and the
    /// answer is how long until one more is allowed.
    pub fn check(&self, key: K, now: Instant) -> Result<(), Duration> {
        // Poisoning is ignored: the table only holds counters and times, which a panicking
        // thread cannot leave half-written in a way that matters.
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        // A key untouched for a whole window has its full allowance again: the same as no
        // entry, so it can go. Sweeping once per window costs one pass over the table.
        if table
            .last_sweep
            .is_none_or(|last| now.saturating_duration_since(last) >= self.window)
        {
            self.sweep(&mut table, now);
        }
        if !table.keys.contains_key(&key) && table.keys.len() >= self.max_keys {
            self.sweep(&mut table, now);
            if table.keys.len() >= self.max_keys {
                self.evict_oldest(&mut table);
            }
        }
        let usage = table.keys.entry(key).or_insert_with(|| Usage {
            last_seen: now,
            spent: match self.rule {
                Rule::Steady => Spent::Tokens(f64::from(self.limit)),
                Rule::Sliding => Spent::Times(VecDeque::new()),
            },
        });
        let outcome = match &mut usage.spent {
            Spent::Tokens(tokens) => self.spend_token(tokens, usage.last_seen, now),
            Spent::Times(times) => self.spend_in_window(times, now),
        };
        usage.last_seen = now.max(usage.last_seen);
        outcome
    }

    /// How many keys are tracked (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys
            .len()
    }

    /// [`Rule::Steady`]: refill what came back since `last_seen`, then spend one.
    fn spend_token(
        &self,
        tokens: &mut f64,
        last_seen: Instant,
        now: Instant,
    ) -> Result<(), Duration> {
        let capacity = f64::from(self.limit);
        let per_use = self.window.as_secs_f64() / capacity;
        let elapsed = now.saturating_duration_since(last_seen).as_secs_f64();
        *tokens = (*tokens + elapsed / per_use).min(capacity);
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) * per_use))
        }
    }

    /// [`Rule::Sliding`]: forget the uses that left the window, then count this one if
    /// there is room; otherwise wait for the oldest to leave.
    fn spend_in_window(&self, times: &mut VecDeque<Instant>, now: Instant) -> Result<(), Duration> {
        while times
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= self.window)
        {
            times.pop_front();
        }
        match times.front() {
            Some(&oldest) if times.len() >= self.limit as usize => Err(self
                .window
                .saturating_sub(now.saturating_duration_since(oldest))),
            _ => {
                times.push_back(now);
                Ok(())
            }
        }
    }

    /// Forgets the least recently seen sixteenth of the table at once, so that a flood of
    /// new keys costs one pass per many arrivals rather than one per arrival.
    fn evict_oldest(&self, table: &mut Table<K>) {
        let mut times: Vec<Instant> = table.keys.values().map(|u| u.last_seen).collect();
        let cut = (self.max_keys / 16).clamp(1, times.len());
        let (_, oldest_kept, _) = times.select_nth_unstable(cut - 1);
        let threshold = *oldest_kept;
        table.keys.retain(|_, u| u.last_seen > threshold);
    }

    /// Drops the keys not seen for a whole window: under either rule their allowance is
    /// whole again.
    fn sweep(&self, table: &mut Table<K>, now: Instant) {
        let window = self.window;
        table
            .keys
            .retain(|_, u| now.saturating_duration_since(u.last_seen) < window);
        table.last_sweep = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    // ------------------------------------------------------------------ steady

    #[test]
    fn steady_a_key_may_spend_its_whole_allowance_at_once_then_waits_for_refills() {
        let limiter = RateLimiter::steady(3, MINUTE, 100);
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(
                limiter.check("a", t0).is_ok(),
                "request {i} is within the allowance"
            );
        }
        let wait = limiter
            .check("a", t0)
            .expect_err("the fourth request is over the limit");
        assert!(
            wait > secs(19) && wait <= secs(20),
            "one use comes back every 20 s: {wait:?}"
        );
        assert!(limiter.check("a", t0 + secs(19)).is_err());
        assert!(limiter.check("a", t0 + secs(21)).is_ok(), "a use came back");
        assert!(limiter.check("a", t0 + secs(22)).is_err(), "and only one");
    }

    #[test]
    fn steady_keys_have_separate_allowances_and_refills_stop_at_the_limit() {
        let limiter = RateLimiter::steady(2, MINUTE, 100);
        let t0 = Instant::now();
        assert!(limiter.check("a", t0).is_ok());
        assert!(limiter.check("a", t0).is_ok());
        assert!(limiter.check("a", t0).is_err());
        assert!(limiter.check("b", t0).is_ok(), "b is not limited by a");
        // An hour of silence gives back two uses, not sixty.
        let later = t0 + secs(3600);
        assert!(limiter.check("a", later).is_ok());
        assert!(limiter.check("a", later).is_ok());
        assert!(limiter.check("a", later).is_err());
    }

    // ----------------------------------------------------------------- sliding

    #[test]
    fn sliding_allows_the_limit_in_any_window_then_waits_for_the_oldest_use_to_leave() {
        let limiter = RateLimiter::sliding(3, MINUTE, 100);
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limiter.check(1u64, t0 + secs(i)).is_ok(), "use {i}");
        }
        assert_eq!(
            limiter.check(1, t0 + secs(10)),
            Err(secs(50)),
            "until the first use is a window old"
        );
        assert!(
            limiter.check(2, t0 + secs(10)).is_ok(),
            "another key is free"
        );
        assert!(
            limiter.check(1, t0 + secs(59)).is_err(),
            "a refused use is not counted, but the window holds"
        );
        assert!(
            limiter.check(1, t0 + secs(60)).is_ok(),
            "the first use left the window"
        );
        assert_eq!(
            limiter.check(1, t0 + secs(60)),
            Err(secs(1)),
            "the second one leaves a second later"
        );
    }

    #[test]
    fn sliding_gives_nothing_back_before_a_use_is_a_window_old() {
        // Unlike the steady rule, a burst is not refilled bit by bit.
        let limiter = RateLimiter::sliding(4, MINUTE, 100);
        let t0 = Instant::now();
        for _ in 0..4 {
            limiter.check("a", t0).unwrap();
        }
        assert_eq!(limiter.check("a", t0 + secs(30)), Err(secs(30)));
        for _ in 0..4 {
            assert!(
                limiter.check("a", t0 + MINUTE).is_ok(),
                "all four came back"
            );
        }
    }

    // ---------------------------------------------------------- the key table

    #[test]
    fn idle_keys_are_swept_so_memory_stays_bounded_under_either_rule() {
        for limiter in [
            RateLimiter::steady(5, MINUTE, 1_000),
            RateLimiter::sliding(5, MINUTE, 1_000),
        ] {
            let t0 = Instant::now();
            for i in 0..500u32 {
                limiter.check(i, t0).unwrap();
            }
            assert_eq!(limiter.tracked(), 500);
            limiter.check(9_999, t0 + 2 * MINUTE).unwrap();
            assert_eq!(
                limiter.tracked(),
                1,
                "keys idle for a whole window are dropped"
            );
        }
    }

    #[test]
    fn a_full_table_of_active_keys_forgets_the_oldest_instead_of_refusing_newcomers() {
        for limiter in [
            RateLimiter::steady(5, MINUTE, 2),
            RateLimiter::sliding(5, MINUTE, 2),
        ] {
            let t0 = Instant::now();
            limiter.check(1, t0).unwrap();
            limiter.check(2, t0 + secs(1)).unwrap();
            assert!(
                limiter.check(3, t0 + secs(2)).is_ok(),
                "a newcomer is let in even when the table is full"
            );
            assert!(limiter.tracked() <= 2, "the table never grows past its cap");
            assert!(
                limiter.check(2, t0 + secs(3)).is_ok(),
                "the most recent key was kept"
            );
        }
    }

    #[test]
    fn a_forgotten_key_starts_again_with_its_whole_allowance() {
        let limiter = RateLimiter::sliding(1, MINUTE, 1);
        let t0 = Instant::now();
        limiter.check("a", t0).unwrap();
        assert!(limiter.check("a", t0 + secs(1)).is_err());
        limiter.check("b", t0 + secs(2)).unwrap();
        assert_eq!(limiter.tracked(), 1, "a made room for b");
        assert!(limiter.check("a", t0 + secs(3)).is_ok());
    }

    #[test]
    fn any_hashable_key_will_do() {
        let limiter: RateLimiter<(String, u16)> = RateLimiter::steady(1, MINUTE, 10);
        let t0 = Instant::now();
        assert!(limiter.check(("ana".into(), 1), t0).is_ok());
        assert!(limiter.check(("ana".into(), 1), t0).is_err());
        assert!(limiter.check(("ana".into(), 2), t0).is_ok());
    }

    #[test]
    fn one_limiter_is_shared_between_threads() {
        let limiter = std::sync::Arc::new(RateLimiter::sliding(100, MINUTE, 10));
        let t0 = Instant::now();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let limiter = limiter.clone();
                std::thread::spawn(move || (0..50).filter(|_| limiter.check(7, t0).is_ok()).count())
            })
            .collect();
        let allowed: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(
            allowed, 100,
            "exactly the limit, however the checks interleave"
        );
    }
}
