//! Timetokens (17 digits, 100-nanosecond units since the Unix epoch) and `updated` stamps.

/// Ticks of a timetoken per millisecond.
pub const TICKS_PER_MS: u64 = 10_000;

/// Hands out strictly increasing timetokens from a wall clock that may stall or step back.
#[derive(Debug, Default, Clone)]
pub struct Clock {
    last: u64,
}

impl Clock {
    /// A clock whose next token will be greater than `last` (e.g. restored from disk).
    pub fn starting_after(last: u64) -> Self {
        Clock { last }
    }

    /// The next timetoken: `now` (in ticks) or one microsecond (10 ticks) past the last
    /// one, whichever is larger, so that `updated` stamps (microseconds) strictly increase.
    pub fn tick(&mut self, now_ticks: u64) -> u64 {
        self.last = now_ticks.max(self.last + 10);
        self.last
    }

    /// The last token handed out.
    pub fn last(&self) -> u64 {
        self.last
    }
}

/// Converts milliseconds since the epoch (as JS `Date.now()` gives) to ticks.
pub fn ms_to_ticks(ms: f64) -> u64 {
    if ms.is_finite() && ms > 0.0 {
        (ms as u64).saturating_mul(TICKS_PER_MS)
    } else {
        0
    }
}

/// The `updated` stamp for a timetoken: RFC 3339 UTC with microseconds and `Z`,
/// e.g. `2024-03-07T08:49:07.011608Z`.
pub fn rfc3339_micros(ticks: u64) -> String {
    let micros = ticks / 10;
    let secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A 32-hex-character eTag for a record version (FNV-1a over the content and the
/// timetoken, two lanes). Opaque to clients; different for every change.
pub fn etag(content: &str, ticks: u64) -> String {
    let lane = |mut h: u64| {
        for b in content.bytes().chain(ticks.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    format!(
        "{:016x}{:016x}",
        lane(0xcbf2_9ce4_8422_2325),
        lane(0x6c62_272e_07bb_0142)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_strictly_monotonic() {
        let mut c = Clock::default();
        let a = c.tick(17_000_000_000_000_000);
        let b = c.tick(17_000_000_000_000_000);
        let d = c.tick(16_000_000_000_000_000);
        assert!(a < b && b < d);
        assert_eq!(Clock::starting_after(d).tick(0), d + 10);
    }

    #[test]
    fn stamps() {
        assert_eq!(rfc3339_micros(0), "1970-01-01T00:00:00.000000Z");
        // 2024-03-07T08:49:07.011608Z
        assert_eq!(
            rfc3339_micros(17_098_013_470_116_080),
            "2024-03-07T08:49:07.011608Z"
        );
        assert_eq!(ms_to_ticks(1_709_801_347_011.0), 17_098_013_470_110_000);
        assert_eq!(
            rfc3339_micros(ms_to_ticks(951_782_400_000.0)),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn etags_differ_per_version() {
        let a = etag("x", 1);
        assert_eq!(a.len(), 32);
        assert_ne!(a, etag("x", 2));
        assert_ne!(a, etag("y", 1));
    }
}
