//! One shutdown token for the whole daemon: [`Trigger::fire`] once, and every
//! [`Shutdown`] handed to a channel or a background task wakes up.

use tokio::sync::watch;

/// Fires the shutdown (dropping it fires it too).
#[derive(Debug)]
pub struct Trigger(watch::Sender<bool>);

/// Waits for the shutdown. Cheap to clone; give each task its own.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A new token: the trigger and its first waiter.
pub fn token() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger(tx), Shutdown(rx))
}

impl Trigger {
    pub fn fire(&self) {
        self.0.send_replace(true);
    }

    /// Another waiter on this trigger.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown(self.0.subscribe())
    }
}

impl Drop for Trigger {
    fn drop(&mut self) {
        self.fire();
    }
}

impl Shutdown {
    /// Resolves once the shutdown fired (at once if it already has).
    pub async fn wait(&mut self) {
        // An error means the trigger is gone, which fires it too.
        let _ = self.0.wait_for(|fired| *fired).await;
    }

    pub fn fired(&self) -> bool {
        *self.0.borrow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_waiter_wakes_even_those_made_after_the_shutdown() {
        let (trigger, mut a) = token();
        let mut b = a.clone();
        assert!(!a.fired());
        let waiting = tokio::spawn(async move { b.wait().await });
        trigger.fire();
        waiting.await.unwrap();
        a.wait().await;
        let mut late = trigger.subscribe();
        late.wait().await;
        assert!(late.fired());
    }

    #[tokio::test]
    async fn dropping_the_trigger_fires_it() {
        let (trigger, mut s) = token();
        drop(trigger);
        s.wait().await;
        assert!(s.fired());
    }
}
