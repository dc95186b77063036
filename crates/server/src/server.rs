//! Startup, routing and shutdown.

use crate::app::App;
use crate::cli::{Config, Signing};
use crate::db::Db;
use crate::middleware;
use crate::routes::{fallback, objects, presence, publish, subscribe, time};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Shared state of every handler.
#[derive(Debug)]
pub struct Shared {
    /// The domain.
    pub app: App,
    /// How long a subscribe long-poll is held.
    pub subscribe_timeout: Duration,
    /// Signature settings, when signatures are required.
    pub signing: Option<Signing>,
    /// Turns true when the server is shutting down (long-polls answer at once).
    pub shutdown: watch::Receiver<bool>,
}

/// The state handlers extract.
pub type State = Arc<Shared>;

/// How often expired events are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// How long open connections get to finish after SIGINT/SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Every route of the server, with its layers.
pub fn router(state: State) -> Router {
    Router::new()
        .route("/time/{callback}", get(time::time))
        .route("/v2/objects/{sub_key}/uuids", get(objects::get_all))
        .route(
            "/v2/objects/{sub_key}/uuids/{uuid}",
            get(objects::get)
                .patch(objects::set)
                .delete(objects::remove),
        )
        .route(
            "/v2/subscribe/{sub_key}/{channels}/{callback}",
            get(subscribe::subscribe),
        )
        .route(
            "/v2/presence/sub-key/{sub_key}/channel/{channels}/leave",
            get(presence::leave),
        )
        .route(
            "/v2/presence/sub-key/{sub_key}/channel/{channels}/heartbeat",
            get(presence::heartbeat),
        )
        .route(
            "/publish/{pub_key}/{sub_key}/{signature}/{channel}/{callback}/{message}",
            get(publish::publish_get),
        )
        .route(
            "/publish/{pub_key}/{sub_key}/{signature}/{channel}/{callback}",
            post(publish::publish_post),
        )
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::ingress,
        ))
        .layer(DefaultBodyLimit::max(middleware::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(middleware::log))
        .layer(axum::middleware::from_fn(middleware::cors))
        .with_state(state)
}

/// Opens the database, binds, prints `ferrochat-server listening on http://ADDR` on
/// stdout and serves until SIGINT or SIGTERM.
pub async fn run(config: Config) -> Result<(), String> {
    let db =
        Db::open(config.db.as_deref()).map_err(|e| format!("cannot open the database: {e}"))?;
    let app = App::open(db).map_err(|e| format!("cannot load the database: {e}"))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let state = Arc::new(Shared {
        app,
        subscribe_timeout: config.subscribe_timeout,
        signing: config.signing,
        shutdown: shutdown_rx.clone(),
    });
    let pruner = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PRUNE_EVERY);
            loop {
                every.tick().await;
                let state = state.clone();
                let _ = tokio::task::spawn_blocking(move || state.app.prune()).await;
            }
        })
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "ferrochat-server listening on http://{addr}");
        let _ = out.flush();
    }
    tracing::info!(%addr, db = ?config.db, signed = state.signing.is_some(), "listening");
    let mut stopped = shutdown_rx.clone();
    let server = axum::serve(listener, router(state)).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = shutdown_tx.send(true);
    });
    let serving = tokio::spawn(async move { server.await });
    // Wait for the signal, then give open connections a grace period.
    let _ = stopped.wait_for(|s| *s).await;
    let result = tokio::time::timeout(SHUTDOWN_GRACE, serving).await;
    pruner.abort();
    match result {
        Ok(Ok(Ok(()))) | Err(_) => Ok(()),
        Ok(Ok(Err(e))) => Err(format!("server error: {e}")),
        Ok(Err(e)) => Err(format!("server task failed: {e}")),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
