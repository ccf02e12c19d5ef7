//! Where conversations live between messages, for every channel: one lock per
//! conversation (two messages of one conversation never interleave), a cache of the
//! ongoing ones, and the store behind it. A conversation of questions only stays in memory
//! (until it has been idle for the intake timeout): it reaches the store, and its 30-day
//! retention, only once it holds personal data (an intake started, an address given, a
//! request logged). An erasure takes every lock and empties the cache, so no message in
//! flight can write erased data back.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use time::OffsetDateTime;

use super::state::State;
use crate::requests::model::{Channel, Email};
use crate::requests::{RequestStore, StoreError, StoredConversation};

/// Conversations are locked by stripe.
const LOCK_STRIPES: usize = 64;
/// How long a conversation read from the store is trusted without reading it again. It
/// bounds how long an erasure made by another process (`guichet requests erase` while
/// `serve` runs) can be missed by a conversation that is still going on.
const RECENT_TTL: std::time::Duration = std::time::Duration::from_secs(30);
/// The most conversations held in memory (the cache is emptied when full).
const RECENT_MAX: usize = 20_000;

/// A conversation as loaded for one message.
#[derive(Clone)]
pub(super) struct Loaded {
    pub state: State,
    pub created_at: OffsetDateTime,
    /// When its last message was handled (`None`: a new conversation).
    pub updated_at: Option<OffsetDateTime>,
    /// Its `updated_at` in the store (`None`: not in the store, only in memory).
    stored_at: Option<OffsetDateTime>,
}

/// The conversations of every channel.
pub(super) struct Conversations {
    store: Arc<dyn RequestStore>,
    locks: Vec<Mutex<()>>,
    recent: Mutex<std::collections::HashMap<String, (std::time::Instant, Loaded)>>,
    /// How long a conversation kept only in memory lives after its last message.
    memory_ttl: std::time::Duration,
}

/// Held while one conversation is read, changed and saved.
pub(super) struct Held<'a> {
    key: String,
    _guard: MutexGuard<'a, ()>,
}

/// Held while personal data is erased or purged: no conversation is between its load and
/// its save meanwhile, and none is cached afterwards.
pub(super) struct Exclusive<'a> {
    _guards: Vec<MutexGuard<'a, ()>>,
}

impl Conversations {
    /// Conversations over `store`; those of questions only are forgotten after
    /// `memory_ttl` without a message.
    pub fn new(store: Arc<dyn RequestStore>, memory_ttl: std::time::Duration) -> Conversations {
        Conversations {
            store,
            locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            recent: Mutex::default(),
            memory_ttl,
        }
    }

    /// Takes the conversation `conversation` of `channel`.
    pub fn hold(&self, channel: Channel, conversation: &str) -> Held<'_> {
        let key = format!("{}:{}", channel.code(), conversation);
        let stripe = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            key.hash(&mut h);
            h.finish() as usize % LOCK_STRIPES
        };
        Held {
            key,
            // A poisoned stripe only means another message panicked; the state is saved.
            _guard: self.locks[stripe].lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Takes every conversation (in stripe order, so two callers never deadlock) and
    /// empties the cache.
    pub fn hold_all(&self) -> Exclusive<'_> {
        let guards = self
            .locks
            .iter()
            .map(|l| l.lock().unwrap_or_else(|p| p.into_inner()))
            .collect();
        self.recent_map().clear();
        Exclusive { _guards: guards }
    }

    /// The conversation's state (a new one at `now` if there is none).
    pub fn load(&self, held: &Held<'_>, now: OffsetDateTime) -> Result<Loaded, StoreError> {
        let cached = self.recent_map().get(&held.key).and_then(|(at, l)| {
            // A stored conversation is read again after a while (another process may have
            // erased it); one only in memory is the only copy.
            let ttl = if l.stored_at.is_some() {
                RECENT_TTL
            } else {
                self.memory_ttl
            };
            (at.elapsed() < ttl).then(|| l.clone())
        });
        if let Some(recent) = cached {
            return Ok(recent);
        }
        Ok(match self.store.load_conversation(&held.key)? {
            Some(c) => Loaded {
                // A state written by an older version that no longer reads starts afresh.
                state: serde_json::from_value(c.state).unwrap_or_default(),
                created_at: c.created_at,
                updated_at: Some(c.updated_at),
                stored_at: Some(c.updated_at),
            },
            None => Loaded {
                state: State::default(),
                created_at: now,
                updated_at: None,
                stored_at: None,
            },
        })
    }

    /// Saves the conversation's new `state` at `now`: in memory, and in the store once it
    /// holds personal data (or is there already), unless it was erased or purged since it
    /// was `loaded` (by `guichet requests erase` in another process): then nothing is
    /// written and nothing stays cached.
    pub fn save(
        &self,
        held: &Held<'_>,
        loaded: Loaded,
        channel: Channel,
        contact_email: Option<Email>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let Loaded {
            state,
            created_at,
            stored_at,
            ..
        } = loaded;
        let stores = stored_at.is_some() || state.holds_personal_data();
        let written = !stores
            || self.store.save_conversation_if(
                &StoredConversation {
                    key: held.key.clone(),
                    channel,
                    contact_email,
                    state: serde_json::to_value(&state)
                        .expect("the conversation state always serialises"),
                    created_at,
                    updated_at: now,
                },
                stored_at,
            )?;
        let mut recent = self.recent_map();
        if !written {
            recent.remove(&held.key);
            tracing::info!("a conversation was erased while one of its messages was handled; it is not saved again");
            return Ok(());
        }
        if recent.len() >= RECENT_MAX && !recent.contains_key(&held.key) {
            recent.clear();
        }
        recent.insert(
            held.key.clone(),
            (
                std::time::Instant::now(),
                Loaded {
                    state,
                    created_at,
                    updated_at: Some(now),
                    stored_at: stores.then_some(now),
                },
            ),
        );
        Ok(())
    }

    fn recent_map(
        &self,
    ) -> MutexGuard<'_, std::collections::HashMap<String, (std::time::Instant, Loaded)>> {
        // A poisoned lock only means a panic elsewhere; the map is still sound.
        self.recent.lock().unwrap_or_else(|p| p.into_inner())
    }
}
