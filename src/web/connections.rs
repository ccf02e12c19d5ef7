//! The accept loop: serves the application over HTTP/1.1 with timers and connection caps,
//! so that clients that open a connection and never finish their request (slowloris), or
//! keep thousands open, cannot exhaust the server's file descriptors.
//!
//! `axum::serve` sets no timer at all. Here each connection gets a header-read timeout
//! (which also bounds a keep-alive connection's idle wait for its next request), every
//! request a deadline for its whole handling (a body sent a byte at a time included), and
//! the number of open connections is capped overall and per client address (IPv6 by /64,
//! the block one subscriber usually holds: [`client_key`]).

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tower_service::Service;

use super::limits::client_key;

/// How long a client may take to send a request's headers (and to start the next request
/// on a kept-alive connection).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may take from its headers to its response, body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Open connections at most, overall (well under the usual 1,024 file descriptors).
pub const MAX_CONNECTIONS: usize = 512;
/// Open connections at most from one address (one IPv4 address or one IPv6 /64): room for
/// an office behind one NAT address; a trusted reverse proxy is not held to it.
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 128;

/// Serves `router` on `listener` until `shutdown` completes, then waits for the
/// connections in flight to finish (the caller bounds that wait). Connections from the
/// `trusted` proxies count only toward the overall cap: every client behind them shares
/// their address.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    trusted: Vec<IpAddr>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = Arc::new(Limits {
        trusted,
        ..Limits::default()
    });
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before accept: wait a
                    // little rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(slot) = limits.admit(peer.ip()) else {
            tracing::debug!(peer = %client_key(peer.ip()), "connection refused: too many open");
            continue; // dropping the stream closes it
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move { router.call(request).await }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Middleware: a request that takes longer than [`REQUEST_TIMEOUT`] (a body trickling in,
/// say) gets 408 and its connection is freed.
pub async fn deadline(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// Open connections, overall and per address.
#[derive(Default)]
struct Limits {
    open: Mutex<HashMap<IpAddr, usize>>,
    /// Addresses held only to the overall cap.
    trusted: Vec<IpAddr>,
}

impl Limits {
    /// A slot for a new connection from `ip`, or `None` when a cap is reached.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let key = client_key(ip);
        // A poisoned lock only means a panic elsewhere; the counts are still sound.
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = open.values().sum();
        let mine = open.get(&key).copied().unwrap_or(0);
        let capped = !self.trusted.contains(&ip.to_canonical());
        if total >= MAX_CONNECTIONS || (capped && mine >= MAX_CONNECTIONS_PER_ADDRESS) {
            return None;
        }
        open.insert(key, mine + 1);
        Some(Slot {
            limits: self.clone(),
            key,
        })
    }
}

/// A connection's place in the counts, given back when it closes.
struct Slot {
    limits: Arc<Limits>,
    key: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_per_address_cap_holds_and_slots_are_given_back() {
        let limits = Arc::new(Limits::default());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let slots: Vec<Slot> = (0..MAX_CONNECTIONS_PER_ADDRESS)
            .map(|_| limits.admit(ip).expect("under the cap"))
            .collect();
        assert!(limits.admit(ip).is_none(), "over the per-address cap");
        assert!(limits.admit("192.0.2.2".parse().unwrap()).is_some());
        drop(slots);
        assert!(limits.admit(ip).is_some(), "slots are given back on close");
    }

    #[test]
    fn a_trusted_proxy_is_held_only_to_the_overall_cap() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let limits = Arc::new(Limits {
            trusted: vec![proxy],
            ..Limits::default()
        });
        let slots: Vec<Slot> = (0..MAX_CONNECTIONS)
            .map(|_| limits.admit(proxy).expect("under the overall cap"))
            .collect();
        assert_eq!(slots.len(), MAX_CONNECTIONS);
        assert!(limits.admit(proxy).is_none());
    }

    #[test]
    fn the_overall_cap_holds() {
        let limits = Arc::new(Limits::default());
        let mut slots = Vec::new();
        for i in 0..MAX_CONNECTIONS {
            let ip = IpAddr::from([10, 0, (i / 250) as u8, (i % 250) as u8]);
            slots.push(limits.admit(ip).expect("under the overall cap"));
        }
        assert!(limits.admit("192.0.2.9".parse().unwrap()).is_none());
    }
}
