//! Startup, routing and shutdown.

use crate::access;
use crate::app::App;
use crate::cli::{Access, Config, Limits, Signing};
use crate::db::Db;
use crate::listener;
use crate::middleware;
use crate::replay::{ReplayGuard, DEFAULT_CAPACITY};
use crate::routes::{fallback, objects, presence, publish, subscribe, time};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};

/// Shared state of every handler.
#[derive(Debug)]
pub struct Shared {
    /// The domain.
    pub app: App,
    /// How long a subscribe long-poll is held.
    pub subscribe_timeout: Duration,
    /// Signature settings, when signatures are required.
    pub signing: Option<Signing>,
    /// Signatures of recent signed writes (each is accepted once).
    pub replay: ReplayGuard,
    /// Allowed origins and hosts.
    pub access: Access,
    /// Connection and request limits.
    pub limits: Limits,
    /// List queries running at once at most (they run on the blocking pool).
    pub list_slots: Semaphore,
    /// Turns true when the server is shutting down (long-polls answer at once).
    pub shutdown: watch::Receiver<bool>,
}

/// The state handlers extract.
pub type State = Arc<Shared>;

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
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::guard,
        ))
        .with_state(state)
}

/// How often expired events are pruned: often enough for the retention age.
fn prune_period(config: &Config) -> Duration {
    let shortest = config.retention.age.min(config.retention.max_age);
    (shortest / 4).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// Raises the open-file limit, opens the database, binds, prints
/// `ferrochat-server listening on http://ADDR` on stdout and serves until SIGINT or
/// SIGTERM.
pub async fn run(config: Config) -> Result<(), String> {
    let fd_limit = listener::raise_fd_limit();
    let cap = listener::connection_cap(config.limits.max_connections, fd_limit);
    let db =
        Db::open(config.db.as_deref()).map_err(|e| format!("cannot open the database: {e}"))?;
    let app =
        App::open(db, &config.retention).map_err(|e| format!("cannot load the database: {e}"))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let window = config.signing.as_ref().and_then(|s| s.max_skew_secs);
    let list_workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get().saturating_sub(1))
        .max(1);
    let state = Arc::new(Shared {
        app,
        subscribe_timeout: config.subscribe_timeout,
        signing: config.signing.clone(),
        replay: ReplayGuard::new(window, DEFAULT_CAPACITY),
        access: config.access.clone(),
        limits: config.limits.clone(),
        list_slots: Semaphore::new(list_workers),
        shutdown: shutdown_rx.clone(),
    });
    let pruner = {
        let state = state.clone();
        let period = prune_period(&config);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(period);
            loop {
                every.tick().await;
                state.app.prune().await;
            }
        })
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "ferrochat-server listening on http://{addr}");
        let _ = out.flush();
    }
    if !addr.ip().is_loopback() && config.access.hosts.is_empty() && !config.access.any_host {
        tracing::warn!(
            %addr,
            "listening beyond loopback: requests must name a loopback Host or one given with --allow-host"
        );
    }
    tracing::info!(
        %addr,
        db = ?config.db,
        signed = state.signing.is_some(),
        max_connections = cap,
        open_files = ?fd_limit,
        list_workers,
        "listening"
    );
    let serving = tokio::spawn(listener::serve(
        listener,
        router(state.clone()),
        config.limits.clone(),
        cap,
        shutdown_rx.clone(),
    ));
    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = shutdown_tx.send(true);
    // Stop accepting, answer the open long-polls, give connections a grace period.
    let finished = async {
        if let Ok(slots) = serving.await {
            let all = u32::try_from(cap).unwrap_or(u32::MAX);
            let _ = slots.acquire_many(all).await;
        }
    };
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, finished).await;
    pruner.abort();
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{parse, Command};

    #[test]
    fn prune_period_follows_the_retention_age() {
        let config = |args: &[&str]| match parse(args.iter().map(|s| s.to_string())) {
            Ok(Command::Run(c)) => *c,
            other => panic!("{other:?}"),
        };
        assert_eq!(prune_period(&config(&[])), Duration::from_secs(60));
        assert_eq!(
            prune_period(&config(&["--retain-age", "8"])),
            Duration::from_secs(2)
        );
        assert_eq!(
            prune_period(&config(&["--retain-age", "0"])),
            Duration::from_secs(1)
        );
    }
}
