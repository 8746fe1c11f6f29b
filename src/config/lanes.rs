//! The `[[lanes]]` tables: each lane's direction and its scanner, gate and printer endpoints,
//! serial line settings included.

use super::api;
use crate::domain::session::Direction;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneConfig {
    pub id: String,
    pub name: String,
    pub direction: Direction,
    pub scanner: ScannerEndpoint,
    pub gate: GateEndpoint,
    pub printer: PrinterEndpoint,
}

/// Where a lane's scans come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannerEndpoint {
    None,
    /// Codes typed by a keyboard-wedge scanner into the console.
    Wedge,
    /// Simulated traffic (`clearpark demo`).
    Sim,
    /// A USB-CDC / RS-232 scanner sending one code per line.
    Serial(PathBuf),
}

/// The lane's barrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateEndpoint {
    /// No barrier under this console: a vehicle counts as through once its scan is committed.
    None,
    /// A simulated controller inside the process.
    Sim,
    /// The gate controller of `firmware/` on a serial port.
    Serial(PathBuf),
}

/// The lane's receipt and ticket printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterEndpoint {
    None,
    /// ESC/POS bytes appended to a file or written to a character device (`/dev/usb/lp0`).
    File(PathBuf),
    /// A network printer, `tcp://host:9100`.
    Tcp(String),
    /// A serial printer.
    Serial(PathBuf),
}

/// A serial device with its line settings, written `/dev/ttyUSB1`, `/dev/ttyUSB1@19200` or
/// `/dev/ttyUSB1@19200,rtscts` (flow control `rtscts` or `xonxoff`; 8N1 always). Without a
/// speed each device uses its own default (gate 115200, scanner and printer 9600).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSpec {
    pub path: PathBuf,
    pub baud: Option<u32>,
    pub flow: SerialFlow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SerialFlow {
    #[default]
    None,
    /// Hardware handshake (RTS/CTS): what most receipt printers want at speed.
    RtsCts,
    /// Software handshake (XON/XOFF).
    XonXoff,
}

impl SerialSpec {
    pub fn parse(text: &str) -> Result<SerialSpec, String> {
        let bad = || {
            format!(
                "{text:?} is not a serial device: a path such as \"/dev/ttyUSB0\", optionally \
                 with @speed and ,rtscts or ,xonxoff (\"/dev/ttyUSB0@19200,rtscts\")"
            )
        };
        let (path, settings) = match text.rsplit_once('@') {
            Some((path, settings)) => (path, Some(settings)),
            None => (text, None),
        };
        if path.is_empty() {
            return Err(bad());
        }
        let mut spec = SerialSpec {
            path: PathBuf::from(path),
            baud: None,
            flow: SerialFlow::None,
        };
        if let Some(settings) = settings {
            let (baud, flow) = match settings.split_once(',') {
                Some((baud, flow)) => (baud, Some(flow)),
                None => (settings, None),
            };
            spec.baud = match baud.parse::<u32>() {
                Ok(b) if (50..=4_000_000).contains(&b) => Some(b),
                _ => return Err(bad()),
            };
            spec.flow = match flow {
                None => SerialFlow::None,
                Some("rtscts") => SerialFlow::RtsCts,
                Some("xonxoff") => SerialFlow::XonXoff,
                Some(_) => return Err(bad()),
            };
        }
        Ok(spec)
    }

    /// The spec of an endpoint's path (as the config holds it).
    pub fn of(path: &Path) -> Result<SerialSpec, String> {
        SerialSpec::parse(&path.display().to_string())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLane {
    id: String,
    name: Option<String>,
    direction: String,
    #[serde(default = "none")]
    scanner: String,
    #[serde(default = "none")]
    gate: String,
    #[serde(default = "none")]
    printer: String,
    /// The Bluetooth access point at the lane's gate, for the driver's app (`[api]`).
    mac_address: Option<String>,
}

fn none() -> String {
    "none".into()
}

/// Checks every lane; returns them with the access points' MAC addresses found on the way.
pub(super) fn validate(
    raw: Vec<RawLane>,
    resolve: &dyn Fn(&str) -> PathBuf,
    problems: &mut Vec<String>,
) -> (Vec<LaneConfig>, Vec<(String, String)>) {
    let mut seen = HashSet::new();
    let mut macs = Vec::new();
    let lanes: Vec<LaneConfig> = raw
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let at = format!("lanes[{i}]");
            if let Some(mac) = l.mac_address.as_deref() {
                macs.extend(api::mac_address(&at, mac, problems).map(|m| (l.id.clone(), m)));
            }
            if l.id.trim().is_empty()
                || !l
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                problems.push(format!(
                    "{at}.id: {:?} must be letters, digits, '-' or '_'",
                    l.id
                ));
            } else if !seen.insert(l.id.clone()) {
                problems.push(format!("{at}.id: {:?} is used by an earlier lane", l.id));
            }
            let direction = l.direction.parse().unwrap_or_else(|e| {
                problems.push(format!("{at}.direction: {e}"));
                Direction::Entrance
            });
            LaneConfig {
                name: l.name.unwrap_or_else(|| l.id.clone()),
                scanner: scanner_endpoint(&l.scanner, resolve).unwrap_or_else(|e| {
                    problems.push(format!("{at}.scanner: {e}"));
                    ScannerEndpoint::None
                }),
                gate: gate_endpoint(&l.gate, resolve).unwrap_or_else(|e| {
                    problems.push(format!("{at}.gate: {e}"));
                    GateEndpoint::None
                }),
                printer: printer_endpoint(&l.printer, resolve).unwrap_or_else(|e| {
                    problems.push(format!("{at}.printer: {e}"));
                    PrinterEndpoint::None
                }),
                id: l.id,
                direction,
            }
        })
        .collect();
    (lanes, macs)
}

fn is_device_path(s: &str) -> bool {
    s.starts_with('/')
}

fn scanner_endpoint(s: &str, resolve: &dyn Fn(&str) -> PathBuf) -> Result<ScannerEndpoint, String> {
    match s {
        "none" => Ok(ScannerEndpoint::None),
        "wedge" => Ok(ScannerEndpoint::Wedge),
        "sim" => Ok(ScannerEndpoint::Sim),
        p if is_device_path(p) => SerialSpec::parse(p).map(|_| ScannerEndpoint::Serial(resolve(p))),
        other => Err(format!(
            "{other:?} is not one of \"none\", \"wedge\", \"sim\" or a serial device path (\"/dev/ttyACM0\")"
        )),
    }
}

fn gate_endpoint(s: &str, resolve: &dyn Fn(&str) -> PathBuf) -> Result<GateEndpoint, String> {
    match s {
        "none" => Ok(GateEndpoint::None),
        "sim" => Ok(GateEndpoint::Sim),
        p if is_device_path(p) => SerialSpec::parse(p).map(|_| GateEndpoint::Serial(resolve(p))),
        other => Err(format!(
            "{other:?} is not one of \"none\", \"sim\" or a serial device path (\"/dev/ttyUSB0\")"
        )),
    }
}

fn printer_endpoint(s: &str, resolve: &dyn Fn(&str) -> PathBuf) -> Result<PrinterEndpoint, String> {
    if s == "none" {
        return Ok(PrinterEndpoint::None);
    }
    if let Some(path) = s.strip_prefix("file:") {
        return Ok(PrinterEndpoint::File(resolve(path)));
    }
    if let Some(addr) = s.strip_prefix("tcp://") {
        let valid = addr
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        return if valid {
            Ok(PrinterEndpoint::Tcp(addr.to_owned()))
        } else {
            Err(format!(
                "{s:?} is not tcp://host:port (e.g. \"tcp://192.168.1.50:9100\")"
            ))
        };
    }
    if let Some(path) = s.strip_prefix("serial:") {
        return SerialSpec::parse(path).map(|_| PrinterEndpoint::Serial(resolve(path)));
    }
    if s.starts_with("/dev/") {
        return Ok(PrinterEndpoint::File(PathBuf::from(s)));
    }
    Err(format!(
        "{s:?} is not one of \"none\", \"file:<path>\", \"/dev/usb/lp0\", \"tcp://host:9100\", \"serial:/dev/ttyUSB0\""
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let resolve = |p: &str| PathBuf::from(p);
        assert_eq!(
            printer_endpoint("tcp://10.0.0.5:9100", &resolve),
            Ok(PrinterEndpoint::Tcp("10.0.0.5:9100".into()))
        );
        assert_eq!(
            printer_endpoint("/dev/usb/lp0", &resolve),
            Ok(PrinterEndpoint::File("/dev/usb/lp0".into()))
        );
        assert_eq!(
            printer_endpoint("serial:/dev/ttyUSB1", &resolve),
            Ok(PrinterEndpoint::Serial("/dev/ttyUSB1".into()))
        );
        assert_eq!(
            scanner_endpoint("/dev/ttyACM0", &resolve),
            Ok(ScannerEndpoint::Serial("/dev/ttyACM0".into()))
        );
        assert_eq!(gate_endpoint("sim", &resolve), Ok(GateEndpoint::Sim));
    }

    #[test]
    fn serial_specs() {
        assert_eq!(
            SerialSpec::parse("/dev/ttyUSB1@19200,rtscts"),
            Ok(SerialSpec {
                path: "/dev/ttyUSB1".into(),
                baud: Some(19200),
                flow: SerialFlow::RtsCts
            })
        );
        assert_eq!(
            SerialSpec::parse("/dev/ttyACM0"),
            Ok(SerialSpec {
                path: "/dev/ttyACM0".into(),
                baud: None,
                flow: SerialFlow::None
            })
        );
        let resolve = |p: &str| PathBuf::from(p);
        for bad in [
            "/dev/ttyUSB1@fast",
            "/dev/ttyUSB1@9600,dtr",
            "/dev/ttyUSB1@0",
        ] {
            let err = printer_endpoint(&format!("serial:{bad}"), &resolve).unwrap_err();
            assert!(err.contains("is not a serial device"), "{err}");
            assert!(scanner_endpoint(bad, &resolve).is_err());
            assert!(gate_endpoint(bad, &resolve).is_err());
        }
    }
}
