//! The scanner's line reader on any bytes: the same readings however the bytes are split into
//! reads, codes within 512 bytes without line ends, over-long lines cut to 513 bytes.
#![no_main]

use clearpark::devices::scanner::{Reading, ScanReader};
use clearpark::domain::qr::{self, MAX_CODE_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, bytes)) = data.split_first() else {
        return;
    };
    let whole = ScanReader::default().push(bytes);
    let mut reader = ScanReader::default();
    let chunked: Vec<Reading> = bytes
        .chunks(usize::from(chunk).max(1))
        .flat_map(|part| reader.push(part))
        .collect();
    assert_eq!(
        whole, chunked,
        "readings depend on how reads split the bytes"
    );
    for reading in &whole {
        match reading {
            Reading::Code(code) => {
                assert!(!code.is_empty() && code.len() <= MAX_CODE_BYTES);
                assert!(!code.contains(&b'\r') && !code.contains(&b'\n'));
                // What the booth does next: validate, never panic.
                let _ = qr::validate(code);
            }
            Reading::TooLong { head, len } => {
                assert_eq!(head.len(), MAX_CODE_BYTES + 1);
                assert!(*len > MAX_CODE_BYTES);
                assert!(qr::validate(head).is_err());
            }
        }
    }
});
