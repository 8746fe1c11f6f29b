//! Waiting for something to happen: poll for it, with a generous limit (a busy CI machine is
//! slow, never wrong), and fail saying what never happened.

use std::time::{Duration, Instant};

/// How often a condition is looked at.
const POLL: Duration = Duration::from_millis(20);

/// Polls `done` on this thread until it holds; after `limit`, panics with `never()`.
pub fn until(limit: Duration, mut done: impl FnMut() -> bool, never: impl FnOnce() -> String) {
    let started = Instant::now();
    while !done() {
        if started.elapsed() >= limit {
            panic!("after {limit:?}: {}", never());
        }
        std::thread::sleep(POLL);
    }
}

/// [`until`] for an async test: sleeps on the runtime between looks.
pub async fn until_async(
    limit: Duration,
    mut done: impl FnMut() -> bool,
    never: impl FnOnce() -> String,
) {
    let started = Instant::now();
    while !done() {
        if started.elapsed() >= limit {
            panic!("after {limit:?}: {}", never());
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_once_it_holds() {
        let mut looks = 0;
        until(
            Duration::from_secs(5),
            || {
                looks += 1;
                looks == 3
            },
            || "never".into(),
        );
        assert_eq!(looks, 3);
    }

    #[test]
    #[should_panic(expected = "the light never turned green")]
    fn says_what_never_happened() {
        until(
            Duration::from_millis(50),
            || false,
            || "the light never turned green".into(),
        );
    }
}
