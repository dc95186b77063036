//! Listing: a query (filter, sort, limit, cursors) and the page it yields.
//!
//! Cursors are opaque to clients. Like the service, they are the unpadded base64 of a
//! decimal offset (`"MTA"` = 10). `start` (next) pages forward from an offset; `end`
//! (prev) pages backward to it, and is ignored when `start` is present.

use crate::error::{ChatError, Result};
use crate::filter::Filter;
use crate::model::User;
use crate::sort::{compare, SortKey, DEFAULT_SORT};

/// The largest page.
pub const MAX_LIMIT: usize = 100;

/// Pages ending at most this far in are picked out of a large list without sorting all of
/// it (`ListQuery::select`).
const TOP_MAX: usize = 1000;

/// A list query.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// Only users matching this.
    pub filter: Option<Filter>,
    /// Sort keys (default: `updated` ascending), id breaks ties.
    pub sort: Vec<SortKey>,
    /// Page size, 0..=100.
    pub limit: usize,
    /// Forward cursor (`page.next` of a previous page).
    pub start: Option<String>,
    /// Backward cursor (`page.prev` of a previous page).
    pub end: Option<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            filter: None,
            sort: Vec::new(),
            limit: MAX_LIMIT,
            start: None,
            end: None,
        }
    }
}

/// One page of users: owned by default, borrowed from the store from
/// [`ListQuery::select`], or in another form (the SDK's JS batch), see [`ListPage::map`].
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage<U = Vec<User>> {
    /// The users on this page.
    pub users: U,
    /// Cursor of the next page, when there is one.
    pub next: Option<String>,
    /// Cursor of the previous page, when there is one.
    pub prev: Option<String>,
    /// How many users match the filter in all.
    pub total: usize,
}

impl<U> ListPage<U> {
    /// The same page with its users turned into another form.
    pub fn map<V>(self, f: impl FnOnce(U) -> V) -> ListPage<V> {
        ListPage {
            users: f(self.users),
            next: self.next,
            prev: self.prev,
            total: self.total,
        }
    }
}

/// Checks a page size.
pub fn check_limit(limit: usize) -> Result<usize> {
    if limit > MAX_LIMIT {
        return Err(ChatError::invalid(format!(
            "limit must be between 0 and {MAX_LIMIT} (got {limit})"
        )));
    }
    Ok(limit)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes an offset as a cursor.
pub fn encode_cursor(offset: usize) -> String {
    let bytes = offset.to_string().into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes a cursor into an offset; anything else is `INVALID_ARGUMENT`.
pub fn decode_cursor(cursor: &str) -> Result<usize> {
    let bad = || {
        ChatError::invalid(format!(
            "invalid page cursor '{}'",
            cursor.chars().take(40).collect::<String>()
        ))
    };
    let cursor = cursor.trim_end_matches('=');
    if cursor.is_empty() || cursor.len() > 24 || cursor.len() % 4 == 1 {
        return Err(bad());
    }
    let mut bytes = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in cursor.bytes() {
        let v = B64.iter().position(|b| *b == c).ok_or_else(bad)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    text.parse().map_err(|_| bad())
}

impl ListQuery {
    /// Runs the query over `users` (any order).
    pub fn run<'a>(&self, users: impl IntoIterator<Item = &'a User>) -> Result<ListPage> {
        Ok(self
            .select(users)?
            .map(|page| page.into_iter().cloned().collect()))
    }

    /// Runs the query over `users` (any order); the page borrows them.
    pub fn select<'a>(
        &self,
        users: impl IntoIterator<Item = &'a User>,
    ) -> Result<ListPage<Vec<&'a User>>> {
        let limit = check_limit(self.limit)?;
        let mut matched: Vec<&User> = users
            .into_iter()
            .filter(|u| self.filter.as_ref().is_none_or(|f| f.matches(u)))
            .collect();
        let keys: &[SortKey] = if self.sort.is_empty() {
            &DEFAULT_SORT
        } else {
            &self.sort
        };
        let total = matched.len();
        let offset = match (&self.start, &self.end) {
            (Some(s), _) => decode_cursor(s)?,
            (None, Some(e)) => decode_cursor(e)?.min(total).saturating_sub(limit),
            (None, None) => 0,
        };
        let from = offset.min(total);
        let to = (from + limit).min(total);
        let cmp = |a: &&User, b: &&User| compare(keys, a, b);
        if to > 0 && to <= TOP_MAX && to * 16 < total {
            // An early page of many users: keep the `to` first in order (binary insertion;
            // in the store's hash order few users get in), not a sort of all of them.
            let mut top: Vec<&User> = Vec::with_capacity(to + 1);
            for u in matched {
                if top.len() < to || top.last().is_some_and(|l| cmp(&u, l).is_lt()) {
                    let i = top.partition_point(|x| cmp(x, &u).is_lt());
                    top.insert(i, u);
                    top.truncate(to);
                }
            }
            matched = top;
        } else {
            matched.sort_unstable_by(cmp);
        }
        matched.truncate(to);
        matched.drain(..from);
        Ok(ListPage {
            users: matched,
            next: (to < total && to > from).then(|| encode_cursor(to)),
            prev: (from > 0).then(|| encode_cursor(from)),
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StrField;

    #[test]
    fn cursors_match_the_service() -> Result<()> {
        assert_eq!(encode_cursor(1), "MQ");
        assert_eq!(encode_cursor(2), "Mg");
        assert_eq!(encode_cursor(10), "MTA");
        assert_eq!(encode_cursor(15), "MTU");
        assert_eq!(encode_cursor(100), "MTAw");
        for n in [0, 1, 9, 10, 99, 100, 12345, 1_000_000] {
            assert_eq!(decode_cursor(&encode_cursor(n))?, n);
        }
        assert_eq!(decode_cursor("MTA=")?, 10);
        for bad in [
            "",
            "!!",
            "YQ",
            "M",
            "bm90LWEtbnVtYmVy",
            "////////////////////////////",
        ] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    fn users(n: usize) -> Vec<User> {
        (0..n)
            .map(|i| {
                let mut u = User::new(format!("u{i:03}"));
                u.updated = format!("2024-01-01T00:00:00.{i:06}Z");
                u
            })
            .collect()
    }

    #[test]
    fn paging_forward_and_back() -> Result<()> {
        let all = users(25);
        let mut q = ListQuery {
            limit: 10,
            ..ListQuery::default()
        };
        let p1 = q.run(&all)?;
        assert_eq!(
            (p1.users.len(), p1.total, p1.prev.as_deref()),
            (10, 25, None)
        );
        q.start = p1.next.clone();
        let p2 = q.run(&all)?;
        assert_eq!(p2.users[0].id, "u010");
        assert_eq!(p2.prev.as_deref(), Some("MTA"));
        q.start = p2.next.clone();
        let p3 = q.run(&all)?;
        assert_eq!(p3.users.len(), 5);
        assert_eq!(p3.next, None);
        q.start = None;
        q.end = p3.prev.clone();
        let back = q.run(&all)?;
        assert_eq!(back.users, p2.users);
        q.end = Some(encode_cursor(5));
        let short = q.run(&all)?;
        assert_eq!((short.users.len(), short.prev), (10, None));
        Ok(())
    }

    /// Every page equals the same slice of a full sort: random users with many equal
    /// names and times (so the id tie-break decides), every sort, limit and cursor.
    #[test]
    fn pages_are_slices_of_the_full_order() -> Result<()> {
        let mut next = crate::test_rng(0x2545_f491_4f6c_dd1d);
        for n in [0usize, 1, 2, 7, 40, 250, 2000] {
            let all: Vec<User> = (0..n)
                .map(|i| {
                    let mut u = User::new(format!("u{:03}", next(1000)) + &i.to_string());
                    if next(4) > 0 {
                        u.set(StrField::Name, Some(format!("n{}", next(5))));
                    }
                    u.updated = format!("2024-01-01T00:00:0{}Z", next(3));
                    u
                })
                .collect();
            for sort in [
                vec![],
                vec!["name"],
                vec!["name:desc", "updated"],
                vec!["id:desc"],
            ] {
                let keys = SortKey::parse_all(sort.iter().copied())?;
                let mut full: Vec<&User> = all.iter().collect();
                let order = if keys.is_empty() {
                    &DEFAULT_SORT[..]
                } else {
                    &keys[..]
                };
                full.sort_by(|a, b| compare(order, a, b));
                for limit in [0, 1, 3, 10, 100] {
                    for cursor in [None, Some(0), Some(1), Some(n / 2), Some(n), Some(n + 5)] {
                        for backwards in [false, true] {
                            let c = cursor.map(encode_cursor);
                            let q = ListQuery {
                                sort: keys.clone(),
                                limit,
                                start: if backwards { None } else { c.clone() },
                                end: if backwards { c } else { None },
                                ..ListQuery::default()
                            };
                            let page = q.run(&all)?;
                            let from = match (backwards, cursor) {
                                (_, None) => 0,
                                (false, Some(k)) => k.min(n),
                                (true, Some(k)) => k.min(n).saturating_sub(limit),
                            };
                            let to = (from + limit).min(n);
                            let want: Vec<&str> =
                                full[from..to].iter().map(|u| u.id.as_str()).collect();
                            let got: Vec<&str> = page.users.iter().map(|u| u.id.as_str()).collect();
                            assert_eq!(got, want, "n={n} sort={sort:?} limit={limit} cursor={cursor:?} back={backwards}");
                            assert_eq!(page.total, n);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn filter_and_limits() -> Result<()> {
        let all = users(30);
        let q = ListQuery {
            filter: Some(Filter::parse("id LIKE 'u01*'")?),
            sort: SortKey::parse_all(["id:desc"])?,
            ..ListQuery::default()
        };
        let p = q.run(&all)?;
        assert_eq!(p.total, 10);
        assert_eq!(p.users[0].id, "u019");
        assert!(ListQuery {
            limit: 101,
            ..ListQuery::default()
        }
        .run(&all)
        .is_err());
        let zero = ListQuery {
            limit: 0,
            ..ListQuery::default()
        }
        .run(&all)?;
        assert_eq!((zero.users.len(), zero.total, zero.next), (0, 30, None));
        let past = ListQuery {
            start: Some(encode_cursor(500)),
            ..ListQuery::default()
        }
        .run(&all)?;
        assert!(past.users.is_empty());
        Ok(())
    }
}
