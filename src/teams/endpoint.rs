//! The messaging endpoint Teams posts activities to (`teams.endpoint`). It only checks and
//! queues: a request without a bearer token is refused before its body is read, one whose
//! token does not verify ([`super::auth`]) is refused too (401, nothing processed), and a
//! verified activity allows its service URL and waits in a bounded queue for the channel
//! task ([`super::channel`]) — Teams gets its 200 at once.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::mpsc;

use super::activity::{Activity, MAX_ACTIVITY_BYTES};
use super::auth::{self, Verifier};
use super::connector::AllowList;

/// What the endpoint needs.
pub struct Inbound {
    pub verifier: Arc<Verifier>,
    pub allowed: Arc<AllowList>,
    pub queue: mpsc::Sender<Activity>,
}

/// The endpoint at `path`, with its body limit and the web server's request deadline.
pub fn router(path: &str, inbound: Arc<Inbound>) -> Router {
    Router::new()
        .route(path, post(receive))
        .layer(DefaultBodyLimit::max(MAX_ACTIVITY_BYTES))
        .layer(axum::middleware::from_fn(crate::web::connections::deadline))
        .with_state(inbound)
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
    )
        .into_response()
}

async fn receive(State(inbound): State<Arc<Inbound>>, request: Request) -> Response {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let authorization = authorization.as_deref();
    // Refused before the body is even read: no token, no work.
    if let Err(e) = auth::bearer(authorization) {
        tracing::debug!(reason = %e, "refused a Teams request");
        return unauthorized();
    }
    let body = match axum::body::to_bytes(request.into_body(), MAX_ACTIVITY_BYTES).await {
        Ok(body) => body,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let activity = match Activity::parse(&body) {
        Ok(a) => a,
        Err(e) => {
            tracing::info!(reason = %e, "refused a Teams request");
            return unauthorized();
        }
    };
    if let Err(e) = inbound
        .verifier
        .authenticate(authorization, &activity.service_url, &activity.channel_id)
        .await
    {
        tracing::info!(reason = %e, "refused a Teams request with a bad token");
        return unauthorized();
    }
    tracing::debug!(
        kind = %activity.kind,
        service_url = %activity.service_url,
        conversation = %activity.conversation.id,
        "a verified Teams activity"
    );
    inbound.allowed.allow(&activity.service_url);
    let invoke = activity.kind == "invoke";
    match inbound.queue.try_send(activity) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::warn!("the Teams queue is full; asking Teams to retry");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "2")],
            )
                .into_response();
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    if invoke {
        // A card action invoke wants an answer in the response; the card that follows is
        // sent as a message.
        return Json(json!({
            "statusCode": 200,
            "type": "application/vnd.microsoft.activity.message",
            "value": "",
        }))
        .into_response();
    }
    StatusCode::OK.into_response()
}
