//! ESC/POS printing (docs/contracts.md §6) through the `escpos` crate: documents are rendered to bytes
//! once, then sent to a file or character device, a TCP printer, or a serial port. A job that
//! cannot be sent stays queued, the lane shows the printer offline, and the queue is retried;
//! printing never holds up a gate.

use crate::booth::{BoothClient, DeviceKind, PrintJob};
use crate::config::{PrinterEndpoint, SerialFlow, SerialSpec};
use crate::domain::receipt::{Document, Line};
use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::utils::{JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};
use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Characters per line in font A on an 80 mm roll (48) with a margin for 72 mm heads.
pub const LINE_WIDTH: usize = 42;
/// How long to wait before trying a failed printer again.
const RETRY_EVERY: Duration = Duration::from_secs(2);
/// A printer that takes longer than this to accept a job counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(3);
/// Serial printers' usual factory speed; `serial:/dev/ttyUSB1@19200,rtscts` picks another.
const DEFAULT_SERIAL_BAUD: u32 = 9600;

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("cannot render the document: {0}")]
    Render(String),
    #[error("{endpoint}: {source}")]
    Send {
        endpoint: String,
        #[source]
        source: std::io::Error,
    },
}

/// An `escpos` driver that keeps the bytes, so that a job is rendered once and resent as is.
#[derive(Clone, Default)]
struct CaptureDriver(Arc<Mutex<Vec<u8>>>);

impl Driver for CaptureDriver {
    fn name(&self) -> String {
        "capture".into()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0
            .lock()
            .map_err(|_| escpos::errors::PrinterError::Io("capture poisoned".into()))?
            .extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// An `escpos` driver over a serial port (the `serialport` crate, no libudev), with the flow
/// control the printer is set for. Without a handshake a printer whose buffer is full drops
/// bytes, so receipt printers at speed want `rtscts` (or `xonxoff`).
pub struct SerialDriver {
    path: String,
    baud: u32,
    port: Mutex<Box<dyn serialport::SerialPort>>,
}

impl SerialDriver {
    pub fn open(path: &str, baud: u32, flow: SerialFlow) -> std::io::Result<SerialDriver> {
        let port = serialport::new(path, baud)
            .flow_control(match flow {
                SerialFlow::None => serialport::FlowControl::None,
                SerialFlow::RtsCts => serialport::FlowControl::Hardware,
                SerialFlow::XonXoff => serialport::FlowControl::Software,
            })
            .timeout(SEND_TIMEOUT)
            .open()
            .map_err(std::io::Error::other)?;
        Ok(SerialDriver {
            path: path.to_owned(),
            baud,
            port: Mutex::new(port),
        })
    }

    fn port(
        &self,
    ) -> escpos::errors::Result<std::sync::MutexGuard<'_, Box<dyn serialport::SerialPort>>> {
        self.port
            .lock()
            .map_err(|_| escpos::errors::PrinterError::Io("port poisoned".into()))
    }
}

/// How long `bytes` take on the wire at `baud` (8N1: ten bits a byte).
fn wire_time(bytes: u32, baud: u32) -> Duration {
    Duration::from_secs_f64(f64::from(bytes) * 10.0 / f64::from(baud.max(1)))
}

impl Driver for SerialDriver {
    fn name(&self) -> String {
        format!("serial ({})", self.path)
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        // Each write waits at most SEND_TIMEOUT for room: a printer holding CTS low (off, out
        // of paper, cover open) fails the job instead of hanging the queue.
        self.port()?.write_all(data)?;
        Ok(())
    }
    fn read(&self, buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(std::io::Read::read(&mut **self.port()?, buf)?)
    }
    /// Waits until the bytes have left, for as long as they take at this speed plus
    /// SEND_TIMEOUT; `tcdrain` would wait forever on a printer that stopped the handshake.
    /// What is still queued then is thrown away and the job fails (it is sent again whole).
    fn flush(&self) -> escpos::errors::Result<()> {
        let port = self.port()?;
        let queued = port.bytes_to_write().map_err(std::io::Error::other)?;
        let deadline = std::time::Instant::now() + wire_time(queued, self.baud) + SEND_TIMEOUT;
        loop {
            let left = port.bytes_to_write().map_err(std::io::Error::other)?;
            if left == 0 {
                return Ok(());
            }
            if std::time::Instant::now() >= deadline {
                let _ = port.clear(serialport::ClearBuffer::Output);
                return Err(escpos::errors::PrinterError::Io(format!(
                    "the printer did not take the last {left} bytes (handshake held?)"
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Renders a document to ESC/POS bytes: initialise, the lines, a Model 2 QR code where the
/// document has one, feed, cut.
pub fn render(document: &Document) -> Result<Vec<u8>, PrintError> {
    render_inner(document).map_err(|e| PrintError::Render(e.to_string()))
}

fn render_inner(document: &Document) -> escpos::errors::Result<Vec<u8>> {
    let capture = CaptureDriver::default();
    let mut p = Printer::new(capture.clone(), Protocol::default(), None);
    p.init()?;
    for line in &document.lines {
        match line {
            Line::Title(text) => {
                p.justify(JustifyMode::CENTER)?.bold(true)?.size(2, 2)?;
                text_line(&mut p, text)?;
                p.reset_size()?.bold(false)?.justify(JustifyMode::LEFT)?;
            }
            Line::Heading(text) => {
                p.justify(JustifyMode::CENTER)?.bold(true)?;
                text_line(&mut p, text)?;
                p.bold(false)?.justify(JustifyMode::LEFT)?;
            }
            Line::Text(text) => {
                text_line(&mut p, text)?;
            }
            Line::Field { label, value } => {
                text_line(&mut p, &two_columns(label, value))?;
            }
            Line::Total { label, value } => {
                p.bold(true)?.size(1, 2)?;
                text_line(&mut p, &two_columns(label, value))?;
                p.reset_size()?.bold(false)?;
            }
            Line::Qr(data) => {
                p.justify(JustifyMode::CENTER)?.qrcode_option(
                    data,
                    QRCodeOption::new(QRCodeModel::Model2, 6, QRCodeCorrectionLevel::M),
                )?;
                p.justify(JustifyMode::LEFT)?;
            }
            Line::Rule => {
                text_line(&mut p, &"-".repeat(LINE_WIDTH))?;
            }
        }
    }
    p.feeds(4)?.cut()?.print()?;
    let bytes = capture.0.lock().map(|b| b.clone()).unwrap_or_default();
    Ok(bytes)
}

/// Writes a line; text the printer's code page cannot hold is folded to ASCII rather than lost.
fn text_line(p: &mut Printer<CaptureDriver>, text: &str) -> escpos::errors::Result<()> {
    if p.writeln(text).is_err() {
        let folded: String = text
            .chars()
            .map(|c| if c.is_ascii() { c } else { '?' })
            .collect();
        p.writeln(&folded)?;
    }
    Ok(())
}

/// `label .......... value` filling the line; a value too long for it goes on its own line.
fn two_columns(label: &str, value: &str) -> String {
    let used = label.chars().count() + value.chars().count();
    if used + 2 > LINE_WIDTH {
        return format!("{label}:\n{value:>LINE_WIDTH$}");
    }
    format!("{label} {} {value}", ".".repeat(LINE_WIDTH - used - 2))
}

/// Where a printer's bytes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    File(PathBuf),
    Tcp(String),
    Serial {
        path: String,
        baud: u32,
        flow: SerialFlow,
    },
}

impl Output {
    pub fn from_endpoint(endpoint: &PrinterEndpoint) -> Option<Output> {
        match endpoint {
            PrinterEndpoint::None => None,
            PrinterEndpoint::File(path) => Some(Output::File(path.clone())),
            PrinterEndpoint::Tcp(addr) => Some(Output::Tcp(addr.clone())),
            PrinterEndpoint::Serial(path) => match SerialSpec::of(path) {
                Ok(spec) => Some(Output::Serial {
                    path: spec.path.display().to_string(),
                    baud: spec.baud.unwrap_or(DEFAULT_SERIAL_BAUD),
                    flow: spec.flow,
                }),
                Err(e) => {
                    tracing::error!(error = e, "printer not started");
                    None
                }
            },
        }
    }

    fn describe(&self) -> String {
        match self {
            Output::File(p) => p.display().to_string(),
            Output::Tcp(a) => format!("tcp://{a}"),
            Output::Serial { path, .. } => path.clone(),
        }
    }

    /// Sends one job's bytes; blocking, so called on the blocking pool.
    pub fn send(&self, bytes: &[u8]) -> Result<(), PrintError> {
        let fail = |source: std::io::Error| PrintError::Send {
            endpoint: self.describe(),
            source,
        };
        match self {
            Output::File(path) => append(path, bytes).map_err(fail),
            Output::Tcp(addr) => {
                use std::net::ToSocketAddrs;
                let target = addr
                    .to_socket_addrs()
                    .map_err(fail)?
                    .next()
                    .ok_or_else(|| fail(std::io::Error::other("no address")))?;
                let mut stream =
                    std::net::TcpStream::connect_timeout(&target, SEND_TIMEOUT).map_err(fail)?;
                stream.set_write_timeout(Some(SEND_TIMEOUT)).map_err(fail)?;
                stream.write_all(bytes).map_err(fail)?;
                stream.flush().map_err(fail)
            }
            Output::Serial { path, baud, flow } => {
                let driver = SerialDriver::open(path, *baud, *flow).map_err(fail)?;
                driver
                    .write(bytes)
                    .and_then(|()| driver.flush())
                    .map_err(|e| fail(std::io::Error::other(e.to_string())))
            }
        }
    }
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

/// Runs a lane's printer: jobs in order, failed jobs kept and retried, status to the booth.
pub async fn run(
    lane: String,
    output: Output,
    mut jobs: mpsc::UnboundedReceiver<PrintJob>,
    booth: BoothClient,
    shutdown: CancellationToken,
) {
    let mut queue: VecDeque<(String, Vec<u8>)> = VecDeque::new();
    let mut online = true;
    loop {
        // Take every job that is waiting, rendering each once.
        while let Ok(job) = jobs.try_recv() {
            enqueue(&mut queue, job);
        }
        while let Some((reference, bytes)) = queue.front().cloned() {
            let target = output.clone();
            let sent = tokio::task::spawn_blocking(move || target.send(&bytes))
                .await
                .unwrap_or_else(|e| Err(PrintError::Render(e.to_string())));
            match sent {
                Ok(()) => {
                    tracing::info!(lane, reference, "printed");
                    queue.pop_front();
                    if !online {
                        online = true;
                        let _ = booth
                            .device_status(&lane, DeviceKind::Printer, true, "printing again")
                            .await;
                    }
                }
                Err(e) => {
                    if online {
                        online = false;
                        let detail = format!("{e}; {} job(s) waiting", queue.len());
                        let _ = booth
                            .device_status(&lane, DeviceKind::Printer, false, detail)
                            .await;
                    }
                    tracing::warn!(lane, reference, error = %e, "print failed; will retry");
                    break;
                }
            }
        }
        let retry = !queue.is_empty();
        tokio::select! {
            () = shutdown.cancelled() => {
                if !queue.is_empty() {
                    tracing::warn!(lane, waiting = queue.len(), "stopping with unprinted jobs");
                }
                return;
            }
            job = jobs.recv() => match job {
                Some(job) => enqueue(&mut queue, job),
                None => return,
            },
            () = tokio::time::sleep(RETRY_EVERY), if retry => {}
        }
    }
}

fn enqueue(queue: &mut VecDeque<(String, Vec<u8>)>, job: PrintJob) {
    match render(&job.document) {
        Ok(bytes) => queue.push_back((job.reference, bytes)),
        Err(e) => tracing::error!(reference = job.reference, error = %e, "cannot render; dropped"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_lines_qr_model_2_and_a_cut() {
        let doc = Document {
            lines: vec![
                Line::Title("Central".into()),
                Line::Field {
                    label: "Receipt No".into(),
                    value: "000001".into(),
                },
                Line::Qr("abc-123".into()),
                Line::Text("Aşgabat".into()),
            ],
        };
        let bytes = render(&doc).unwrap();
        assert!(bytes.starts_with(&[0x1b, b'@']), "ESC @ first");
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("Receipt No"));
        assert!(text.contains("000001"));
        // GS ( k, cn=49, fn=65: select model, n1=50 → Model 2.
        assert!(
            bytes
                .windows(9)
                .any(|w| w == [0x1d, 0x28, 0x6b, 4, 0, 49, 65, 50, 0])
        );
        assert!(
            bytes
                .windows(7)
                .any(|w| w.starts_with(&[0x1d, 0x28, 0x6b]) && w[5] == 49 && w[6] == 80)
        );
        // GS V A n: feed n and cut, the last command.
        let tail = &bytes[bytes.len() - 4..];
        assert_eq!(&tail[..3], &[0x1d, b'V', b'A'], "ends with a cut");
    }

    #[test]
    fn two_columns_fill_the_line() {
        let line = two_columns("TOTAL", "0.40 TMT");
        assert_eq!(line.chars().count(), LINE_WIDTH);
        assert!(line.starts_with("TOTAL ...") && line.ends_with(" 0.40 TMT"));
    }

    #[test]
    fn a_file_printer_appends_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let out = Output::File(dir.path().join("lp0"));
        out.send(b"one").unwrap();
        out.send(b"two").unwrap();
        assert_eq!(std::fs::read(dir.path().join("lp0")).unwrap(), b"onetwo");
    }

    #[test]
    fn a_serial_printer_gets_the_whole_job() {
        use serialport::SerialPort;
        let (mut master, slave) = serialport::TTYPort::pair().unwrap();
        let path = slave.name().unwrap();
        let out = Output::from_endpoint(&PrinterEndpoint::Serial(
            format!("{path}@19200,rtscts").into(),
        ))
        .unwrap();
        assert_eq!(
            out,
            Output::Serial {
                path: path.clone(),
                baud: 19200,
                flow: SerialFlow::RtsCts
            }
        );
        let job: Vec<u8> = (0..3000_u32).map(|i| (i % 251) as u8).collect();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0_u8; 512];
            while got.len() < 3000 {
                let n = std::io::Read::read(&mut master, &mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            got
        });
        out.send(&job).unwrap();
        assert_eq!(reader.join().unwrap(), job);
        assert_eq!(wire_time(1920, 19200), Duration::from_secs(1));
    }

    #[test]
    fn a_missing_printer_is_an_error_that_names_it() {
        let out = Output::File("/nonexistent-dir/lp0".into());
        let err = out.send(b"x").unwrap_err().to_string();
        assert!(err.starts_with("/nonexistent-dir/lp0:"), "{err}");
    }
}
