//! Latency figures: percentiles of samples, printed in milliseconds.

use std::time::Duration;

#[derive(Debug, Clone, Copy, Default)]
pub struct Figures {
    pub n: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Figures {
    pub fn of(samples: &[Duration]) -> Figures {
        if samples.is_empty() {
            return Figures::default();
        }
        let mut sorted = samples.to_vec();
        sorted.sort();
        let at = |p: f64| sorted[((sorted.len() as f64 - 1.0) * p).round() as usize];
        Figures {
            n: sorted.len(),
            p50: at(0.50),
            p99: at(0.99),
            max: at(1.0),
        }
    }

    pub fn line(&self) -> String {
        format!(
            "n={:<6} p50={:>8.3} ms  p99={:>8.3} ms  max={:>8.3} ms",
            self.n,
            ms(self.p50),
            ms(self.p99),
            ms(self.max)
        )
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub fn per_second(n: usize, over: Duration) -> f64 {
    n as f64 / over.as_secs_f64().max(1e-9)
}
