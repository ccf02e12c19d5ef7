//! What keeps the web channel bounded: per-client rate limits ([`RateLimiter`], a token
//! bucket per key) and in-memory session tables with an idle expiry and a cap
//! ([`SessionMap`]).
//!
//! Both take the current time as an argument instead of reading the clock, so tests drive
//! them through hours in microseconds, and both sweep out stale entries as they are used
//! (no background task to start or stop), so memory stays bounded by their caps.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How a client is told apart for rate limiting: its IP address, with IPv6 addresses cut
/// to their /64 network, because one machine usually holds a whole /64 and could
/// otherwise change address at every request.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

/// Locks a mutex, ignoring poisoning: the tables only hold counters and small values that
/// a panicking thread cannot leave half-written in a way that matters.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A token bucket per key: each key may spend `capacity` requests at once, and gets them
/// back evenly over `period` (so `capacity` per `period` on average).
#[derive(Debug)]
pub struct RateLimiter<K> {
    capacity: f64,
    period: Duration,
    /// The most keys tracked at once. When every slot holds an active client, the least
    /// recently seen ones are forgotten to make room: the memory stays bounded under a
    /// flood from many addresses, and nobody new is locked out by it.
    max_keys: usize,
    inner: Mutex<Buckets<K>>,
}

#[derive(Debug)]
struct Buckets<K> {
    buckets: HashMap<K, Bucket>,
    last_sweep: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// `capacity` requests per `period` for each key, tracking at most `max_keys` keys.
    pub fn new(capacity: u32, period: Duration, max_keys: usize) -> RateLimiter<K> {
        RateLimiter {
            capacity: f64::from(capacity.max(1)),
            period: period.max(Duration::from_millis(1)),
            max_keys: max_keys.max(1),
            inner: Mutex::new(Buckets {
                buckets: HashMap::new(),
                last_sweep: None,
            }),
        }
    }

    /// Spends one request of `key` at `now`; when its bucket is empty, says how long until
    /// the next request is allowed.
    pub fn check(&self, key: K, now: Instant) -> Result<(), Duration> {
        let mut inner = lock(&self.inner);
        // A bucket untouched for a whole period is full again: the same as no bucket, so
        // it can go. Sweeping once per period costs one pass over the table.
        if inner
            .last_sweep
            .is_none_or(|last| now.saturating_duration_since(last) >= self.period)
        {
            self.sweep(&mut inner, now);
        }
        if !inner.buckets.contains_key(&key) && inner.buckets.len() >= self.max_keys {
            self.sweep(&mut inner, now);
            if inner.buckets.len() >= self.max_keys {
                self.evict_oldest(&mut inner);
            }
        }
        let per_token = self.period.as_secs_f64() / self.capacity;
        let bucket = inner.buckets.entry(key).or_insert(Bucket {
            tokens: self.capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed / per_token).min(self.capacity);
        bucket.updated = now.max(bucket.updated);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) * per_token))
        }
    }

    /// How many keys are tracked (for tests and metrics).
    pub fn tracked(&self) -> usize {
        lock(&self.inner).buckets.len()
    }

    /// Forgets the least recently seen sixteenth of the table at once, so that a flood of
    /// new keys costs one pass per many arrivals rather than one per arrival.
    fn evict_oldest(&self, inner: &mut Buckets<K>) {
        let mut times: Vec<Instant> = inner.buckets.values().map(|b| b.updated).collect();
        let cut = (self.max_keys / 16).clamp(1, times.len());
        let (_, oldest_kept, _) = times.select_nth_unstable(cut - 1);
        let threshold = *oldest_kept;
        inner.buckets.retain(|_, b| b.updated > threshold);
    }

    fn sweep(&self, inner: &mut Buckets<K>, now: Instant) {
        let period = self.period;
        inner
            .buckets
            .retain(|_, b| now.saturating_duration_since(b.updated) < period);
        inner.last_sweep = Some(now);
    }
}

/// Sessions by token, forgotten after `idle` without use, at most `max` at once (the
/// least recently used goes first when full).
#[derive(Debug)]
pub struct SessionMap<V> {
    idle: Duration,
    max: usize,
    inner: Mutex<Sessions<V>>,
}

#[derive(Debug)]
struct Sessions<V> {
    entries: HashMap<String, Entry<V>>,
    last_sweep: Option<Instant>,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    last_seen: Instant,
}

impl<V> SessionMap<V> {
    pub fn new(idle: Duration, max: usize) -> SessionMap<V> {
        SessionMap {
            idle,
            max: max.max(1),
            inner: Mutex::new(Sessions {
                entries: HashMap::new(),
                last_sweep: None,
            }),
        }
    }

    /// Adds a session at `now`, making room if the table is full.
    pub fn insert(&self, token: String, value: V, now: Instant) {
        let mut inner = lock(&self.inner);
        self.maybe_sweep(&mut inner, now);
        if !inner.entries.contains_key(&token) && inner.entries.len() >= self.max {
            self.sweep(&mut inner, now);
            if inner.entries.len() >= self.max {
                // Still full of live sessions: the oldest one is the least likely to be
                // missed. O(n), but only on a full table, which the rate limit makes rare.
                let oldest = inner
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.last_seen)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    inner.entries.remove(&oldest);
                }
            }
        }
        inner.entries.insert(
            token,
            Entry {
                value,
                last_seen: now,
            },
        );
    }

    /// Runs `f` on a live session and marks it used at `now`; `None` if the token is
    /// unknown or the session expired (it is then forgotten).
    pub fn with<R>(&self, token: &str, now: Instant, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        let mut inner = lock(&self.inner);
        self.maybe_sweep(&mut inner, now);
        let entry = inner.entries.get_mut(token)?;
        if now.saturating_duration_since(entry.last_seen) >= self.idle {
            inner.entries.remove(token);
            return None;
        }
        entry.last_seen = now.max(entry.last_seen);
        Some(f(&mut entry.value))
    }

    /// Forgets a session; forgetting an unknown token does nothing.
    pub fn remove(&self, token: &str) {
        lock(&self.inner).entries.remove(token);
    }

    /// How many sessions are held, expired ones included until the next sweep.
    pub fn len(&self) -> usize {
        lock(&self.inner).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sweeps at most once per minute (or per idle period if shorter), so a busy table is
    /// not scanned at every request.
    fn maybe_sweep(&self, inner: &mut Sessions<V>, now: Instant) {
        let every = self.idle.min(Duration::from_secs(60));
        if inner
            .last_sweep
            .is_none_or(|last| now.saturating_duration_since(last) >= every)
        {
            self.sweep(inner, now);
        }
    }

    fn sweep(&self, inner: &mut Sessions<V>, now: Instant) {
        let idle = self.idle;
        inner
            .entries
            .retain(|_, e| now.saturating_duration_since(e.last_seen) < idle);
        inner.last_sweep = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_client_may_spend_its_whole_allowance_at_once_then_waits_for_refills() {
        let limiter = RateLimiter::new(3, MINUTE, 100);
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
            wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
            "one token comes back every 20 s: {wait:?}"
        );
        assert!(limiter.check("a", t0 + Duration::from_secs(19)).is_err());
        assert!(
            limiter.check("a", t0 + Duration::from_secs(21)).is_ok(),
            "a token came back"
        );
        assert!(
            limiter.check("a", t0 + Duration::from_secs(22)).is_err(),
            "and only one"
        );
    }

    #[test]
    fn clients_have_separate_buckets_and_refills_stop_at_the_capacity() {
        let limiter = RateLimiter::new(2, MINUTE, 100);
        let t0 = Instant::now();
        assert!(limiter.check("a", t0).is_ok());
        assert!(limiter.check("a", t0).is_ok());
        assert!(limiter.check("a", t0).is_err());
        assert!(limiter.check("b", t0).is_ok(), "b is not limited by a");
        // An hour of silence gives back two tokens, not sixty.
        let later = t0 + Duration::from_secs(3600);
        assert!(limiter.check("a", later).is_ok());
        assert!(limiter.check("a", later).is_ok());
        assert!(limiter.check("a", later).is_err());
    }

    #[test]
    fn idle_clients_are_swept_so_memory_stays_bounded() {
        let limiter = RateLimiter::new(5, MINUTE, 1_000);
        let t0 = Instant::now();
        for i in 0..500u32 {
            limiter.check(i, t0).unwrap();
        }
        assert_eq!(limiter.tracked(), 500);
        limiter.check(9_999, t0 + 2 * MINUTE).unwrap();
        assert_eq!(
            limiter.tracked(),
            1,
            "buckets idle for a whole period are dropped"
        );
    }

    #[test]
    fn a_full_table_of_active_clients_forgets_the_oldest_instead_of_refusing_newcomers() {
        let limiter = RateLimiter::new(5, MINUTE, 2);
        let t0 = Instant::now();
        limiter.check(1, t0).unwrap();
        limiter.check(2, t0 + Duration::from_secs(1)).unwrap();
        assert!(
            limiter.check(3, t0 + Duration::from_secs(2)).is_ok(),
            "a newcomer is let in even when the table is full"
        );
        assert!(limiter.tracked() <= 2, "the table never grows past its cap");
        assert!(
            limiter.check(2, t0 + Duration::from_secs(3)).is_ok(),
            "the most recent client was kept"
        );
    }

    #[test]
    fn ipv6_clients_are_grouped_by_their_64_bit_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
        assert_eq!(client_key(v4), v4);
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(
            client_key(mapped),
            v4,
            "IPv4-mapped addresses count as IPv4"
        );
        assert_ne!(client_key(IpAddr::V6(Ipv6Addr::LOCALHOST)), v4);
    }

    #[test]
    fn a_session_lives_while_used_and_expires_after_the_idle_period() {
        let sessions = SessionMap::new(30 * MINUTE, 10);
        let t0 = Instant::now();
        sessions.insert("s".into(), 1, t0);
        assert_eq!(sessions.with("s", t0 + 29 * MINUTE, |v| *v), Some(1));
        // Used at 29 min, so it lives until 59 min.
        assert_eq!(sessions.with("s", t0 + 58 * MINUTE, |v| *v), Some(1));
        assert_eq!(
            sessions.with("s", t0 + 88 * MINUTE, |v| *v),
            None,
            "expired"
        );
        assert_eq!(
            sessions.with("s", t0 + 89 * MINUTE, |v| *v),
            None,
            "and forgotten"
        );
        assert_eq!(sessions.with("unknown", t0, |v| *v), None);
    }

    #[test]
    fn a_full_session_table_drops_expired_sessions_first_then_the_least_recently_used() {
        let sessions = SessionMap::new(10 * MINUTE, 3);
        let t0 = Instant::now();
        sessions.insert("a".into(), 'a', t0);
        sessions.insert("b".into(), 'b', t0 + MINUTE);
        sessions.insert("c".into(), 'c', t0 + 2 * MINUTE);
        sessions.with("a", t0 + 3 * MINUTE, |_| ());
        sessions.insert("d".into(), 'd', t0 + 4 * MINUTE);
        assert_eq!(sessions.len(), 3);
        assert!(
            sessions.with("b", t0 + 4 * MINUTE, |_| ()).is_none(),
            "b was the least recently used"
        );
        assert!(sessions.with("a", t0 + 4 * MINUTE, |_| ()).is_some());
        // Much later, everything expired: the sweep empties the table.
        sessions.insert("e".into(), 'e', t0 + 60 * MINUTE);
        assert_eq!(sessions.len(), 1);
        sessions.remove("e");
        assert!(sessions.is_empty());
    }

    #[test]
    fn a_session_can_be_changed_in_place() {
        let sessions = SessionMap::new(MINUTE, 10);
        let t0 = Instant::now();
        sessions.insert("s".into(), String::from("fr"), t0);
        sessions.with("s", t0, |v| *v = "en".into());
        assert_eq!(sessions.with("s", t0, |v| v.clone()).as_deref(), Some("en"));
    }
}
