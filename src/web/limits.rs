//! What keeps the web channel bounded, besides the rate limiter itself
//! ([`crate::limits::RateLimiter`]): how a client is told apart for its rate limits
//! ([`client_key`]), in-memory session tables with an idle expiry and a cap
//! ([`SessionMap`]), and the count of failed sign-ins that locks out an address or a
//! username ([`FailureLimiter`]).
//!
//! Both tables take the current time as an argument instead of reading the clock, so
//! tests drive them through hours in microseconds, and sweep out stale entries as they are
//! used (no background task to start or stop), so memory stays bounded by their caps.

use std::collections::{HashMap, VecDeque};
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

/// Locks a mutex, ignoring poisoning: the session tables only hold small values that a
/// panicking thread cannot leave half-written in a way that matters.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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

    /// Forgets every session for which `doomed` holds (all of one staff member's, say), at
    /// once; returns how many.
    pub fn remove_where(&self, mut doomed: impl FnMut(&V) -> bool) -> usize {
        let mut inner = lock(&self.inner);
        let before = inner.entries.len();
        inner.entries.retain(|_, e| !doomed(&e.value));
        before - inner.entries.len()
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

/// Failed attempts per key (a client address, a username): `limit` failures within
/// `window` lock the key out for `lockout`, during which every attempt is refused before it
/// is tried. Only failures count: an attempt that succeeds, or is abandoned, leaves no
/// trace. An attempt still running counts as a failure until it ends, so a burst of
/// simultaneous attempts cannot slip more than `limit` tries past the check.
///
/// Keys without failures in the window, lock or attempt running are forgotten; at most
/// `max_keys` keys are tracked (the least recently seen idle one goes first).
#[derive(Debug)]
pub struct FailureLimiter<K> {
    limit: usize,
    window: Duration,
    lockout: Duration,
    max_keys: usize,
    inner: Mutex<Failures<K>>,
}

#[derive(Debug)]
struct Failures<K> {
    keys: HashMap<K, Record>,
    last_sweep: Option<Instant>,
}

/// One key's recent failures.
#[derive(Debug)]
struct Record {
    /// When each failure still in the window happened, oldest first.
    failed: VecDeque<Instant>,
    /// Attempts begun and not yet ended.
    running: usize,
    locked_until: Option<Instant>,
    last_seen: Instant,
}

impl Record {
    /// Forgets what is over at `now`: failures that left the window, a lock that ended.
    fn age(&mut self, window: Duration, now: Instant) {
        while self
            .failed
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= window)
        {
            self.failed.pop_front();
        }
        if self.locked_until.is_some_and(|until| until <= now) {
            self.locked_until = None;
        }
    }

    /// Nothing left to remember.
    fn is_idle(&self) -> bool {
        self.failed.is_empty() && self.running == 0 && self.locked_until.is_none()
    }
}

/// Why an attempt may not begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The key is locked out for this long still.
    Locked(Duration),
    /// The failures in the window and the attempts still running reach the limit: try
    /// again when those have ended (moments).
    Busy,
}

impl Refused {
    /// How long to wait, for `Retry-After` and the message (at least a second).
    pub fn wait(self) -> Duration {
        match self {
            Refused::Locked(wait) => wait.max(Duration::from_secs(1)),
            Refused::Busy => Duration::from_secs(1),
        }
    }
}

impl<K: Hash + Eq + Clone> FailureLimiter<K> {
    /// `limit` failures within `window` lock a key out for `lockout`; at most `max_keys`
    /// keys tracked.
    pub fn new(limit: usize, window: Duration, lockout: Duration, max_keys: usize) -> Self {
        FailureLimiter {
            limit: limit.max(1),
            window,
            lockout,
            max_keys: max_keys.max(1),
            inner: Mutex::new(Failures {
                keys: HashMap::new(),
                last_sweep: None,
            }),
        }
    }

    /// Begins an attempt for `key` at `now`, or says why it may not be made. The attempt
    /// counts as a failure only if [`Attempt::failed`] is called; dropped, it is forgotten.
    pub fn begin(&self, key: K, now: Instant) -> Result<Attempt<'_, K>, Refused> {
        let mut inner = lock(&self.inner);
        if inner
            .last_sweep
            .is_none_or(|last| now.saturating_duration_since(last) >= self.window)
        {
            self.sweep(&mut inner, now);
        }
        if !inner.keys.contains_key(&key) && inner.keys.len() >= self.max_keys {
            self.sweep(&mut inner, now);
            if inner.keys.len() >= self.max_keys {
                self.evict_oldest(&mut inner);
            }
        }
        let record = inner.keys.entry(key.clone()).or_insert_with(|| Record {
            failed: VecDeque::new(),
            running: 0,
            locked_until: None,
            last_seen: now,
        });
        record.age(self.window, now);
        record.last_seen = now.max(record.last_seen);
        let refused = if let Some(until) = record.locked_until {
            Some(Refused::Locked(until.saturating_duration_since(now)))
        } else if record.failed.len() + record.running >= self.limit {
            Some(Refused::Busy)
        } else {
            None
        };
        if let Some(refused) = refused {
            if record.is_idle() {
                inner.keys.remove(&key);
            }
            return Err(refused);
        }
        record.running += 1;
        Ok(Attempt {
            limiter: self,
            key: Some(key),
        })
    }

    /// Whether `key` is locked out at `now` (for tests and logs).
    pub fn is_locked(&self, key: &K, now: Instant) -> bool {
        lock(&self.inner)
            .keys
            .get(key)
            .and_then(|r| r.locked_until)
            .is_some_and(|until| until > now)
    }

    /// How many keys are tracked.
    pub fn tracked(&self) -> usize {
        lock(&self.inner).keys.len()
    }

    /// Ends an attempt of `key`; `failed_at` counts it as a failure. Returns whether that
    /// failure locked the key out.
    fn end(&self, key: &K, failed_at: Option<Instant>) -> bool {
        let mut inner = lock(&self.inner);
        let Some(record) = inner.keys.get_mut(key) else {
            return false; // evicted meanwhile (a flood of other keys)
        };
        record.running = record.running.saturating_sub(1);
        let mut locked = false;
        if let Some(now) = failed_at {
            record.age(self.window, now);
            record.last_seen = now.max(record.last_seen);
            if record.locked_until.is_none() {
                record.failed.push_back(now);
                if record.failed.len() >= self.limit {
                    // Locked: the failures that led here are spent.
                    record.failed.clear();
                    record.locked_until = Some(now + self.lockout);
                    locked = true;
                }
            }
        }
        if record.is_idle() {
            inner.keys.remove(key);
        }
        locked
    }

    /// Drops the keys with nothing left to remember.
    fn sweep(&self, inner: &mut Failures<K>, now: Instant) {
        let window = self.window;
        inner.keys.retain(|_, r| {
            r.age(window, now);
            !r.is_idle()
        });
        inner.last_sweep = Some(now);
    }

    /// Forgets the least recently seen sixteenth of the keys with no attempt running.
    /// Failures are only recorded after a password check, which the overall sign-in rate
    /// bounds, so the table never gets near its cap in practice; this keeps memory bounded
    /// anyway.
    fn evict_oldest(&self, inner: &mut Failures<K>) {
        let mut times: Vec<Instant> = inner
            .keys
            .values()
            .filter(|r| r.running == 0)
            .map(|r| r.last_seen)
            .collect();
        if times.is_empty() {
            return;
        }
        let cut = (self.max_keys / 16).clamp(1, times.len());
        let (_, oldest_kept, _) = times.select_nth_unstable(cut - 1);
        let threshold = *oldest_kept;
        inner
            .keys
            .retain(|_, r| r.running > 0 || r.last_seen > threshold);
    }
}

/// An attempt under way (see [`FailureLimiter::begin`]).
#[derive(Debug)]
pub struct Attempt<'a, K: Hash + Eq + Clone> {
    limiter: &'a FailureLimiter<K>,
    /// Taken when the attempt ends.
    key: Option<K>,
}

impl<K: Hash + Eq + Clone> Attempt<'_, K> {
    /// The attempt failed at `now`: it counts. Returns whether this failure locked the key
    /// out.
    pub fn failed(mut self, now: Instant) -> bool {
        match self.key.take() {
            Some(key) => self.limiter.end(&key, Some(now)),
            None => false,
        }
    }
}

impl<K: Hash + Eq + Clone> Drop for Attempt<'_, K> {
    /// Succeeded or abandoned: not counted.
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.limiter.end(&key, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const MINUTE: Duration = Duration::from_secs(60);

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

    fn failures(limit: usize) -> FailureLimiter<&'static str> {
        FailureLimiter::new(limit, 15 * MINUTE, 15 * MINUTE, 100)
    }

    #[test]
    fn the_fifth_failure_within_the_window_locks_the_key_for_the_lockout() {
        let limiter = failures(5);
        let t0 = Instant::now();
        for i in 0..4 {
            let attempt = limiter
                .begin("ana", t0 + i * MINUTE)
                .expect("not locked yet");
            assert!(!attempt.failed(t0 + i * MINUTE));
        }
        let attempt = limiter.begin("ana", t0 + 10 * MINUTE).unwrap();
        assert!(attempt.failed(t0 + 10 * MINUTE), "the fifth failure locks");
        assert!(limiter.is_locked(&"ana", t0 + 10 * MINUTE));
        assert_eq!(
            limiter.begin("ana", t0 + 11 * MINUTE).unwrap_err(),
            Refused::Locked(14 * MINUTE),
            "locked for fifteen minutes from the fifth failure"
        );
        assert!(limiter.begin("bob", t0 + 11 * MINUTE).is_ok(), "per key");
        // Refusals are not failures: the lock does not grow.
        for _ in 0..10 {
            assert!(limiter.begin("ana", t0 + 24 * MINUTE).is_err());
        }
        let attempt = limiter
            .begin("ana", t0 + 25 * MINUTE)
            .expect("the lock ended");
        assert!(
            !attempt.failed(t0 + 25 * MINUTE),
            "and the failures before it were spent"
        );
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let limiter = failures(5);
        let t0 = Instant::now();
        for i in 0..4 {
            let at = t0 + i * MINUTE;
            limiter.begin("ana", at).unwrap().failed(at);
        }
        // At 15.5 minutes the first failure left the window: three remain, plus this one.
        let later = t0 + 15 * MINUTE + MINUTE / 2;
        assert!(!limiter.begin("ana", later).unwrap().failed(later));
        assert!(!limiter.is_locked(&"ana", later));
        assert!(
            limiter.begin("ana", later).unwrap().failed(later),
            "five within the window"
        );
    }

    #[test]
    fn successes_and_abandoned_attempts_are_not_counted() {
        let limiter = failures(2);
        let t0 = Instant::now();
        for _ in 0..100 {
            drop(limiter.begin("office", t0).expect("successes never lock"));
        }
        assert_eq!(limiter.tracked(), 0, "nothing to remember");
        limiter.begin("office", t0).unwrap().failed(t0);
        drop(limiter.begin("office", t0).unwrap());
        assert!(
            !limiter.is_locked(&"office", t0),
            "one failure, one success"
        );
        assert!(limiter.begin("office", t0).unwrap().failed(t0));
    }

    #[test]
    fn attempts_still_running_count_until_they_end() {
        let limiter = failures(3);
        let t0 = Instant::now();
        let running: Vec<_> = (0..3).map(|_| limiter.begin("ana", t0).unwrap()).collect();
        assert_eq!(
            limiter.begin("ana", t0).unwrap_err(),
            Refused::Busy,
            "a burst cannot slip more than the limit past the check"
        );
        assert_eq!(Refused::Busy.wait(), Duration::from_secs(1));
        drop(running);
        assert!(limiter.begin("ana", t0).is_ok(), "ended without failing");
    }

    #[test]
    fn the_failure_table_stays_within_its_cap() {
        let limiter = FailureLimiter::new(5, 15 * MINUTE, 15 * MINUTE, 32);
        let t0 = Instant::now();
        for i in 0..1000u32 {
            let now = t0 + Duration::from_millis(u64::from(i));
            limiter.begin(i, now).unwrap().failed(now);
            assert!(limiter.tracked() <= 32);
        }
        // Much later, everything is over and swept.
        let later = t0 + 31 * MINUTE;
        drop(limiter.begin(0, later).unwrap());
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn every_session_matching_can_be_removed_at_once() {
        let sessions = SessionMap::new(MINUTE, 10);
        let t0 = Instant::now();
        sessions.insert("a1".into(), "ana", t0);
        sessions.insert("a2".into(), "ana", t0);
        sessions.insert("b1".into(), "bob", t0);
        assert_eq!(sessions.remove_where(|user| *user == "ana"), 2);
        assert!(sessions.with("a1", t0, |_| ()).is_none());
        assert!(sessions.with("a2", t0, |_| ()).is_none());
        assert_eq!(sessions.with("b1", t0, |u| *u), Some("bob"));
    }
}
