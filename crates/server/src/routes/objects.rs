//! App Context user (UUID) metadata: get, set (PATCH upsert), remove, get-all
//! (protocol.md §2).

use super::{blocking, write_error};
use crate::error::{ApiError, Detail, Family};
use crate::query::{segment, Query};
use crate::respond;
use crate::server::State;
use crate::wire::parse_patch;
use axum::body::Bytes;
use axum::extract;
use axum::http::{header, HeaderMap, Uri};
use axum::response::Response;
use ferrochat_core::json::{user_to_json, write_user};
use ferrochat_core::page::{check_limit, decode_cursor, ListPage, ListQuery, MAX_LIMIT};
use ferrochat_core::validate::validate_id;
use ferrochat_core::{Filter, SortKey, User};
use std::fmt::Write;

const F: Family = Family::Objects;
/// Index of the uuid in `/v2/objects/{sub}/uuids/{uuid}`.
const UUID_SEGMENT: usize = 4;

/// `GET /v2/objects/{sub}/uuids/{uuid}`.
pub async fn get(
    extract::State(state): extract::State<State>,
    uri: Uri,
    q: Query,
) -> Result<Response, ApiError> {
    let id = user_id(&uri)?;
    let include_custom = includes_custom(&q);
    let user = state.app.get_user(&id).ok_or(ApiError::not_found(F))?;
    Ok(respond::json(format!(
        "{{\"status\":200,\"data\":{}}}",
        user_to_json(&user, include_custom)
    )))
}

/// `PATCH /v2/objects/{sub}/uuids/{uuid}`: upsert with patch semantics and `If-Match`.
pub async fn set(
    extract::State(state): extract::State<State>,
    uri: Uri,
    q: Query,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = user_id(&uri)?;
    let include_custom = includes_custom(&q);
    let if_match = if_match(&headers)?;
    let patch = parse_patch(&body)?;
    let user = blocking(F, move || {
        state.app.set_user(&id, &patch, if_match.as_deref())
    })
    .await?
    .map_err(|e| write_error(F, e, Detail::body("user", "")))?;
    Ok(respond::json(format!(
        "{{\"status\":200,\"data\":{}}}",
        user_to_json(&user, include_custom)
    )))
}

/// `DELETE /v2/objects/{sub}/uuids/{uuid}`: idempotent, always `data: null`.
pub async fn remove(
    extract::State(state): extract::State<State>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let id = user_id(&uri)?;
    blocking(F, move || state.app.remove_user(&id))
        .await?
        .map_err(|e| write_error(F, e, Detail::path("uuid", "")))?;
    Ok(respond::json("{\"status\":200,\"data\":null}".into()))
}

/// `GET /v2/objects/{sub}/uuids`: filter, sort, limit, cursors, count.
pub async fn get_all(
    extract::State(state): extract::State<State>,
    q: Query,
) -> Result<Response, ApiError> {
    let include_custom = includes_custom(&q);
    let with_count = match q.get("count") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => true,
        Some(v) if v.eq_ignore_ascii_case("false") || v == "0" || v.is_empty() => false,
        Some(v) => {
            return Err(bad_query(
                "count",
                format!("count must be true or false (got '{v}')"),
            ))
        }
    };
    let query = list_query(&q)?;
    let out = state
        .app
        .list_users(&query, |page| page_json(&page, include_custom, with_count))
        .map_err(|e| ApiError::from_chat(F, e, Detail::query("query", "")))?;
    Ok(respond::json(out))
}

/// The reply body of a list request.
fn page_json(page: &ListPage<Vec<&User>>, include_custom: bool, with_count: bool) -> String {
    let mut out = String::with_capacity(64 + page.users.len() * 200);
    out.push_str("{\"status\":200,\"data\":[");
    for (i, user) in page.users.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write_user(&mut out, user, include_custom);
    }
    out.push(']');
    if with_count {
        let _ = write!(out, ",\"totalCount\":{}", page.total);
    }
    if let Some(next) = &page.next {
        let _ = write!(out, ",\"next\":\"{next}\"");
    }
    if let Some(prev) = &page.prev {
        let _ = write!(out, ",\"prev\":\"{prev}\"");
    }
    out.push('}');
    out
}

fn list_query(q: &Query) -> Result<ListQuery, ApiError> {
    let filter = match q.get("filter").filter(|f| !f.trim().is_empty()) {
        Some(f) => Some(Filter::parse(f).map_err(|e| bad_query("filter", e.to_string()))?),
        None => None,
    };
    let sort = SortKey::parse_all(q.all("sort")).map_err(|e| bad_query("sort", e.to_string()))?;
    let limit = match q.get("limit") {
        None => MAX_LIMIT,
        Some(v) => {
            let n: usize = v.parse().map_err(|_| {
                bad_query(
                    "limit",
                    format!("limit must be a whole number between 0 and {MAX_LIMIT} (got '{v}')"),
                )
            })?;
            check_limit(n).map_err(|e| bad_query("limit", e.to_string()))?
        }
    };
    let cursor = |name: &str| -> Result<Option<String>, ApiError> {
        match q.get(name).filter(|c| !c.is_empty()) {
            Some(c) => {
                decode_cursor(c).map_err(|e| bad_query(name, e.to_string()))?;
                Ok(Some(c.to_string()))
            }
            None => Ok(None),
        }
    };
    Ok(ListQuery {
        filter,
        sort,
        limit,
        start: cursor("start")?,
        end: cursor("end")?,
    })
}

fn bad_query(param: &str, message: String) -> ApiError {
    ApiError::invalid(F, Detail::query(param, message))
}

/// The decoded, validated uuid of the path.
fn user_id(uri: &Uri) -> Result<String, ApiError> {
    let id = segment(uri.path(), UUID_SEGMENT, "uuid")?;
    validate_id(&id).map_err(|e| ApiError::from_chat(F, e, Detail::path("uuid", "")))?;
    Ok(id)
}

/// Whether `include` (comma-separated, any order, possibly repeated) asks for `custom`.
/// `status` and `type` are always sent; other values are ignored.
fn includes_custom(q: &Query) -> bool {
    q.all("include")
        .flat_map(|v| v.split(','))
        .any(|item| item.trim() == "custom")
}

/// The `If-Match` eTag, quotes tolerated.
fn if_match(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| {
        ApiError::invalid(
            F,
            Detail {
                message: "If-Match must be an ASCII eTag".into(),
                location: "If-Match".into(),
                location_type: "header",
            },
        )
    })?;
    let tag = text.trim().trim_start_matches("W/").trim_matches('"');
    Ok((!tag.is_empty()).then(|| tag.to_string()))
}
