//! App Context user (UUID) metadata: get, set (PATCH upsert), remove, get-all
//! (protocol.md §2).

use super::{blocking, write_error};
use crate::app::Precondition;
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
    let cond = if_match(&headers)?;
    let patch = parse_patch(&body)?;
    let user = state
        .app
        .set_user(id, patch, cond)
        .await
        .map_err(|e| write_error(F, e, Detail::body("user", "")))?;
    Ok(respond::json(format!(
        "{{\"status\":200,\"data\":{}}}",
        user_to_json(&user, include_custom)
    )))
}

/// `DELETE /v2/objects/{sub}/uuids/{uuid}`: idempotent, always `data: null`; with
/// `If-Match`, only if it holds (412 otherwise, a missing user included).
pub async fn remove(
    extract::State(state): extract::State<State>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = user_id(&uri)?;
    let cond = if_match(&headers)?;
    state
        .app
        .remove_user(id, cond)
        .await
        .map_err(|e| write_error(F, e, Detail::path("uuid", "")))?;
    Ok(respond::json("{\"status\":200,\"data\":null}".into()))
}

/// `GET /v2/objects/{sub}/uuids`: filter, sort, limit, cursors, count. The query runs on
/// the blocking pool, at most a few at a time (`Shared::list_slots`), outside the store's
/// lock: a costly filter delays other lists, never writes, subscribes or `/time`.
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
    let _slot = state
        .list_slots
        .acquire()
        .await
        .map_err(|_| ApiError::internal(F))?;
    let shared = state.clone();
    let out = blocking(F, move || {
        shared
            .app
            .list_users(&query, |page| page_json(&page, include_custom, with_count))
    })
    .await?
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

/// The `If-Match` condition (RFC 9110 §13.1.1): `*` (any current record) or a list of
/// entity tags, compared strongly: a weak `W/"…"` tag never matches. PubNub clients send
/// the bare eTag without quotes, which is read as one strong tag. Repeated headers add up.
fn if_match(headers: &HeaderMap) -> Result<Option<Precondition>, ApiError> {
    let mut values = headers.get_all(header::IF_MATCH).iter().peekable();
    if values.peek().is_none() {
        return Ok(None);
    }
    let bad = |why: &str| {
        ApiError::invalid(
            F,
            Detail {
                message: format!("If-Match {why}"),
                location: "If-Match".into(),
                location_type: "header",
            },
        )
    };
    let mut tags = Vec::new();
    for value in values {
        let mut rest = value
            .to_str()
            .map_err(|_| bad("must be ASCII eTags"))?
            .trim();
        if rest.is_empty() {
            return Err(bad("must not be empty"));
        }
        while !rest.is_empty() {
            let (weak, item) = match rest.strip_prefix("W/") {
                Some(r) => (true, r),
                None => (false, rest),
            };
            let (tag, after) = if let Some(quoted) = item.strip_prefix('"') {
                let end = quoted
                    .find('"')
                    .ok_or_else(|| bad("has an unterminated quoted eTag"))?;
                (&quoted[..end], &quoted[end + 1..])
            } else {
                let end = item.find([',', ' ', '\t']).unwrap_or(item.len());
                (&item[..end], &item[end..])
            };
            if tag == "*" && !weak && !item.starts_with('"') {
                return Ok(Some(Precondition::Any));
            }
            if !weak {
                tags.push(tag.to_string());
            }
            rest = after.trim_start_matches([',', ' ', '\t']);
        }
    }
    Ok(Some(Precondition::Tags(tags)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn cond(values: &[&str]) -> Result<Option<Precondition>, ApiError> {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::IF_MATCH, HeaderValue::from_str(v).unwrap());
        }
        if_match(&h)
    }

    fn tags(t: &[&str]) -> Option<Precondition> {
        Some(Precondition::Tags(
            t.iter().map(|s| s.to_string()).collect(),
        ))
    }

    #[test]
    fn if_match_forms() {
        assert_eq!(cond(&[]).unwrap(), None);
        assert_eq!(cond(&["*"]).unwrap(), Some(Precondition::Any));
        assert_eq!(cond(&["abc123"]).unwrap(), tags(&["abc123"]));
        assert_eq!(cond(&["\"abc\""]).unwrap(), tags(&["abc"]));
        assert_eq!(
            cond(&["W/\"abc\""]).unwrap(),
            tags(&[]),
            "weak never matches"
        );
        assert_eq!(
            cond(&["\"a\", W/\"b\" ,\"c\"", "d"]).unwrap(),
            tags(&["a", "c", "d"])
        );
        assert_eq!(
            cond(&["\"*\""]).unwrap(),
            tags(&["*"]),
            "a quoted star is a tag"
        );
        for bad in [" ", "\"open"] {
            assert_eq!(cond(&[bad]).unwrap_err().status.as_u16(), 400, "{bad}");
        }
    }
}
