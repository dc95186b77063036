// Order statistics for samples (nearest-rank percentiles).
export function quantile(sorted, q) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** { n, median, p99, min, max, mean } of numeric samples. */
export function summary(samples) {
  const s = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return { n: 0, median: null, p99: null, min: null, max: null, mean: null };
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, median: quantile(s, 0.5), p99: quantile(s, 0.99), min: s[0], max: s[s.length - 1], mean };
}

export const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects after `ms` with `what` unless `promise` settles first. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
      timer.unref?.();
    }),
  ]);
}
