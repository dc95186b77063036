//! A small deterministic random source (xorshift64*): jitter, request ids, operation ids.
//! The driver seeds it from the platform's randomness; tests seed it with a constant.

/// xorshift64* state.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value; 0 is replaced).
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `n` random hex digits (upper case when `upper`).
    pub fn hex(&mut self, n: usize, upper: bool) -> String {
        let digits: &[u8; 16] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let mut out = String::with_capacity(n);
        let mut bits = 0;
        for i in 0..n {
            if i % 16 == 0 {
                bits = self.next_u64();
            }
            out.push(digits[(bits & 15) as usize] as char);
            bits >>= 4;
        }
        out
    }

    /// A random RFC 4122 version-4 UUID (`requestid`).
    pub fn uuid(&mut self) -> String {
        let mut out = String::with_capacity(36);
        for (i, c) in self.hex(32, false).chars().enumerate() {
            if matches!(i, 8 | 12 | 16 | 20) {
                out.push('-');
            }
            out.push(match i {
                12 => '4',
                16 => ['8', '9', 'a', 'b'][(self.next_u64() & 3) as usize],
                _ => c,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_the_v4_shape_and_units_stay_in_range() {
        let mut r = Rng::new(7);
        for _ in 0..100 {
            let u = r.uuid();
            assert_eq!(u.len(), 36);
            assert_eq!(&u[14..15], "4");
            assert!("89ab".contains(&u[19..20]));
            let x = r.unit();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
