//! What keeps the web channel bounded, besides the rate limiter itself
//! ([`crate::limits::RateLimiter`]): how a client is told apart for its rate limits
//! ([`client_key`]), and in-memory session tables with an idle expiry and a cap
//! ([`SessionMap`]).
//!
//! Session tables take the current time as an argument instead of reading the clock, so
//! tests drive them through hours in microseconds, and sweep out stale entries as they are
//! used (no background task to start or stop), so memory stays bounded by their caps.

use std::collections::HashMap;
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
