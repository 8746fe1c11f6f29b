//! The simulated gate controller on any input: bytes from the console interleaved with sensor
//! changes and time. It never panics, and its safety latch holds: the barrier never starts
//! closing while the loop or the beam sees a vehicle, and every line it sends is well framed.
#![no_main]

use clearpark::devices::gate::protocol::{self, Barrier};
use clearpark::devices::sim::gate::{Boot, Controller, Timings};
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let timings = Timings {
        motor_travel: Duration::from_millis(15),
        close_delay: Duration::from_millis(20),
        open_timeout: Duration::from_millis(300),
        debounce: Duration::from_millis(5),
        stuck: Duration::from_millis(2000),
    };
    let mut c = Controller::new(timings);
    let mut now = Duration::ZERO;
    let (mut presence, mut beam) = (false, false);
    let mut sent = c.begin(now, Boot::default());
    let mut i = 0;
    while i < data.len() {
        let op = data[i];
        i += 1;
        match op % 4 {
            0 => {
                let len = usize::from(op / 4).min(data.len() - i);
                sent.extend(c.receive(now, &data[i..i + len]));
                i += len;
            }
            1 => presence = !presence,
            2 => beam = !beam,
            _ => now += Duration::from_millis(u64::from(op / 4)),
        }
        let before = c.barrier();
        sent.extend(c.tick(now, presence, beam));
        let state = c.state();
        if before != Barrier::Closing && c.barrier() == Barrier::Closing {
            assert!(!state.presence && !state.beam, "closing onto a vehicle");
        }
        for report in sent.drain(..) {
            let line = report
                .line()
                .expect("the controller only sends valid lines");
            assert!(protocol::unframe(&line[..line.len() - 1]).is_ok());
        }
    }
});
