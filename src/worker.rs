//! A thread fed by a channel, for the work the booth hands off its own thread (syncing the
//! log, checkpoints, the bays' summary). Dropping the [`Worker`] closes the channel, which is
//! what stops the thread once it has done what it was given, and waits for it.

use std::sync::mpsc;
use std::thread::JoinHandle;

pub(crate) struct Worker<T> {
    /// `None` once dropping: closing the channel is what stops the thread.
    sender: Option<mpsc::Sender<T>>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Worker<T> {
    /// Starts the thread `name`, which runs `work` on what is sent until the channel closes.
    pub(crate) fn spawn(
        name: &str,
        work: impl FnOnce(mpsc::Receiver<T>) + Send + 'static,
    ) -> std::io::Result<Worker<T>> {
        let (sender, received) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || work(received))?;
        Ok(Worker {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    /// Another sender to the thread, for a part of the program that only feeds it; the thread
    /// stops once every sender is gone.
    pub(crate) fn sender(&self) -> Option<mpsc::Sender<T>> {
        self.sender.clone()
    }

    /// Hands `item` to the thread; gives it back when the thread has gone (it panicked).
    pub(crate) fn send(&self, item: T) -> Result<(), T> {
        match &self.sender {
            Some(sender) => sender.send(item).map_err(|mpsc::SendError(item)| item),
            None => Err(item),
        }
    }
}

impl<T> Drop for Worker<T> {
    fn drop(&mut self) {
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn dropping_it_waits_for_what_was_sent_and_a_gone_thread_gives_items_back() {
        let done = Arc::new(Mutex::new(Vec::new()));
        let seen = done.clone();
        let worker = Worker::spawn("test", move |received| {
            for n in received {
                std::thread::sleep(std::time::Duration::from_millis(5));
                seen.lock().unwrap().push(n);
            }
        })
        .unwrap();
        for n in 0..5 {
            worker.send(n).unwrap();
        }
        drop(worker);
        assert_eq!(*done.lock().unwrap(), vec![0, 1, 2, 3, 4]);

        let gone = Worker::spawn("test", |received: mpsc::Receiver<u32>| drop(received)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(gone.send(7), Err(7));
    }
}
