//! Thread priorities: the lanes' path outranks the booth's background work.
//!
//! A scan goes from the scanner's port (the lanes' thread) to the decision and its durable
//! commit (the booth's thread) and back to the gate's port, a few wake-ups of threads that need
//! a core at once. On the booth's small PC they share two cores with the HTTP API, the Nwave
//! consumer, the bays' summary and the checkpoints, which under load keep both cores busy in
//! bursts. Those threads (the async runtime's workers, the RabbitMQ client's, the summary's
//! and the checkpointer's) lower their own priority to nice [`BACKGROUND_NICE`] (any process
//! may lower its own, no privilege needed), so that the scheduler lets a waking lane or booth
//! thread run first; the background work keeps every core the lanes leave idle (docs/perf/).
//! The lanes (their serial ports are read and written on that thread), the booth, the
//! log's sync thread (scans queued together wait for it) and the main thread (the console, a
//! keyboard wedge's keys) keep the priority the booth was started with.

/// The nice value of background threads (0 is the default, 19 the lowest): at 10 the
/// scheduler gives a thread about a tenth of the CPU time of a default one when both want it.
pub const BACKGROUND_NICE: i32 = 10;

/// Lowers the calling thread to [`BACKGROUND_NICE`] (a thread already lower stays as it is):
/// for the background threads named above, as the first thing they do
/// (`tokio::runtime::Builder::on_thread_start` for a runtime's workers). Threads inherit their
/// creator's priority, so the lanes' and the booth's threads must be started from a thread
/// that was not lowered (`Running::start` runs on the thread that called `block_on`). A
/// refusal (not expected: lowering is always allowed) is logged and changes nothing else. On
/// Linux a nice value belongs to the thread; elsewhere nothing is changed.
pub fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        let thread = rustix::thread::gettid();
        let lowered = rustix::process::getpriority_process(Some(thread)).and_then(|now| {
            if now >= BACKGROUND_NICE {
                return Ok(());
            }
            rustix::process::setpriority_process(Some(thread), BACKGROUND_NICE)
        });
        if let Err(e) = lowered {
            tracing::warn!(error = %e, nice = BACKGROUND_NICE,
                "cannot lower a background thread's priority");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_background_thread_lowers_itself_and_no_other() {
        let nice_of_this_thread =
            || rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let before = nice_of_this_thread();
        let lowered = std::thread::spawn(move || {
            lower_this_thread();
            nice_of_this_thread()
        })
        .join()
        .unwrap();
        assert_eq!(lowered, BACKGROUND_NICE.max(before));
        assert_eq!(
            nice_of_this_thread(),
            before,
            "the caller's thread is untouched"
        );
    }
}
