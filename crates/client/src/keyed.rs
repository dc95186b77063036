//! [`Keyed`]: values under increasing `u64` keys in one sorted `Vec`. The client's maps
//! (operations, requests, listeners, loops) hold few entries, are keyed by counters, and
//! are iterated in key order; a `Vec` does that with a fraction of a B-tree's code, which
//! matters in wasm.

/// Values by key, in key order.
#[derive(Debug)]
pub struct Keyed<V> {
    items: Vec<(u64, V)>,
}

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed { items: Vec::new() }
    }
}

impl<V> Keyed<V> {
    fn find(&self, key: u64) -> Result<usize, usize> {
        self.items.binary_search_by(|(k, _)| k.cmp(&key))
    }

    /// Puts `value` under `key` (replacing any value there).
    pub fn insert(&mut self, key: u64, value: V) {
        match self.find(key) {
            Ok(i) => self.items[i].1 = value,
            Err(i) => self.items.insert(i, (key, value)),
        }
    }

    /// The value under `key`.
    pub fn get(&self, key: u64) -> Option<&V> {
        self.find(key).ok().map(|i| &self.items[i].1)
    }

    /// The value under `key`, mutably.
    pub fn get_mut(&mut self, key: u64) -> Option<&mut V> {
        self.find(key).ok().map(|i| &mut self.items[i].1)
    }

    /// Takes the value under `key` out.
    pub fn remove(&mut self, key: u64) -> Option<V> {
        self.find(key).ok().map(|i| self.items.remove(i).1)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: u64) -> bool {
        self.find(key).is_ok()
    }

    /// Keys and values, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        self.items.iter().map(|(k, v)| (*k, v))
    }

    /// Keys and values, mutably, in key order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u64, &mut V)> {
        self.items.iter_mut().map(|(k, v)| (*k, v))
    }

    /// Values, in key order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.items.iter().map(|(_, v)| v)
    }

    /// Values, mutably.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.items.iter_mut().map(|(_, v)| v)
    }

    /// Keys, in order.
    pub fn keys(&self) -> Vec<u64> {
        self.keys_where(|_| true)
    }

    /// The keys whose values match, in order (a loop: one small function per use, where
    /// an iterator chain would make several).
    pub fn keys_where(&self, mut pred: impl FnMut(&V) -> bool) -> Vec<u64> {
        let mut out = Vec::new();
        for (k, v) in &self.items {
            if pred(v) {
                out.push(*k);
            }
        }
        out
    }

    /// The smallest of `f` over the values that have one.
    pub fn min_of(&self, mut f: impl FnMut(&V) -> Option<f64>) -> Option<f64> {
        let mut min: Option<f64> = None;
        for (_, v) in &self.items {
            if let Some(x) = f(v) {
                min = Some(min.map_or(x, |m| m.min(x)));
            }
        }
        min
    }

    /// Keeps the entries for which `keep` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(u64, &mut V) -> bool) {
        self.items.retain_mut(|(k, v)| keep(*k, v));
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::Keyed;

    #[test]
    fn keeps_key_order_and_finds_what_it_holds() {
        let mut k = Keyed::default();
        for key in [5, 1, 9, 3] {
            k.insert(key, key * 10);
        }
        assert_eq!(k.keys(), vec![1, 3, 5, 9]);
        assert_eq!(k.get(3), Some(&30));
        assert_eq!(k.remove(3), Some(30));
        assert_eq!(k.remove(3), None);
        k.insert(9, 0);
        assert_eq!(k.get(9), Some(&0));
        k.retain(|key, _| key > 1);
        assert_eq!(k.keys(), vec![5, 9]);
    }
}
