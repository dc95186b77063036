//! `GET /time/0` → `[17-digit timetoken]` (a JSON number).

use crate::respond;
use crate::server::State;
use axum::extract;
use axum::response::Response;

/// `GET /time/{callback}`.
pub async fn time(extract::State(state): extract::State<State>) -> Response {
    respond::javascript(format!("[{}]", state.app.now_token()))
}
