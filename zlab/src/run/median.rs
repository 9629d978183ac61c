//! The median of repeated measurements, as `zlab test --repeat` and `zlab bench` report it.

/// The middle sample, or for an even count the mean of the middle two; None for no samples.
pub fn median(samples: &[f64]) -> Option<f64> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn odd_counts_take_the_middle_sample() {
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[9.0, 1.0, 5.0, 2.0, 8.0]), Some(5.0));
    }

    #[test]
    fn even_counts_take_the_mean_of_the_middle_two() {
        assert_eq!(median(&[2.0, 1.0]), Some(1.5));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[10.0, 1.0, 1.0, 10.0]), Some(5.5));
    }

    #[test]
    fn no_samples_no_median() {
        assert_eq!(median(&[]), None);
    }
}
