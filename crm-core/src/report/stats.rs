//! Small statistics the reports share.

use chrono::TimeDelta;

/// Days, with fractions, in a duration.
pub(crate) fn days(d: TimeDelta) -> f64 {
    d.num_seconds() as f64 / 86_400.0
}

/// The arithmetic mean; `None` for no values.
pub(crate) fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The median: the middle value, or the mean of the two middle values; `None` for none.
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The nearest-rank percentile: the value at position ⌈q·n⌉ (1-based) of the sorted values;
/// `None` for none.
pub(crate) fn percentile(values: &[f64], q: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(nearest_rank(sorted.len(), q)?).copied()
}

/// Where the nearest-rank `q` quantile of `n` sorted values stands (0-based): ⌈q·n⌉, at
/// least the first; `None` for none.
pub(crate) fn nearest_rank(n: usize, q: f64) -> Option<usize> {
    let rank = (q * n as f64).ceil() as usize;
    (n > 0).then(|| rank.clamp(1, n) - 1)
}

/// `part / whole`; `None` when `whole` is zero.
pub(crate) fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[1.0, 2.0]), Some(1.5));
        assert_eq!(ratio(1, 0), None);
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&ten, 0.9), Some(9.0));
        assert_eq!(percentile(&[24.0, 24.0, 48.0, 24.0, 24.0], 0.9), Some(48.0));
        assert_eq!(percentile(&[], 0.9), None);
        // The minimum is the first, the maximum the last; none of nothing.
        assert_eq!(nearest_rank(5, 0.0), Some(0));
        assert_eq!(nearest_rank(5, 0.2), Some(0));
        assert_eq!(nearest_rank(5, 0.4), Some(1));
        assert_eq!(nearest_rank(5, 1.0), Some(4));
        assert_eq!(nearest_rank(0, 0.5), None);
    }
}
