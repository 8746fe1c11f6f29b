//! What drives a simulated gate's sensors by hand: one command per line, typed on the
//! simulator's standard input or read from a `--script` file.
//!
//! ```text
//! p | presence [0|1]   toggle or set the loop      w | watchdog   restart the controller now
//! b | beam [0|1]       toggle or set the beam      hang           hang until the watchdog (2 s)
//! v | vehicle          one vehicle drives through  s | state      print the controller's state
//! wait <ms>            pause (scripts)             q | quit       stop the simulator
//! # comment, blank lines ignored
//! ```
//!
//! `presence 0|1`, `beam 0|1`, `hang` and `quit` are also what the firmware's simavr harness
//! (`firmware/sim/`) reads, so one test can drive either.

use std::time::Duration;

/// An input to a running simulated gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateInput {
    /// Set the loop (`Some`) or toggle it (`None`).
    Presence(Option<bool>),
    Beam(Option<bool>),
    /// A vehicle arrives now and drives through once the barrier is up.
    Vehicle,
    Watchdog,
    /// The controller hangs: it stops answering until its watchdog restarts it.
    Hang,
    State,
}

/// One line of a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Input(GateInput),
    Wait(Duration),
    Quit,
}

/// Parses one line; `Ok(None)` for a blank line or a comment.
pub fn parse(line: &str) -> Result<Option<Step>, String> {
    let line = line.split('#').next().unwrap_or("").trim();
    if line.is_empty() {
        return Ok(None);
    }
    let mut words = line.split_whitespace();
    let (word, arg) = (words.next().unwrap_or(""), words.next());
    if words.next().is_some() {
        return Err(format!("{line:?}: too many words"));
    }
    let level = |arg: Option<&str>| match arg {
        None => Ok(None),
        Some("1" | "on") => Ok(Some(true)),
        Some("0" | "off") => Ok(Some(false)),
        Some(other) => Err(format!("{other:?} is not 0 or 1")),
    };
    let no_arg = |step: Step| match arg {
        None => Ok(Some(step)),
        Some(_) => Err(format!("{word:?} takes no argument")),
    };
    match word {
        "p" | "presence" => Ok(Some(Step::Input(GateInput::Presence(level(arg)?)))),
        "b" | "beam" => Ok(Some(Step::Input(GateInput::Beam(level(arg)?)))),
        "v" | "vehicle" => no_arg(Step::Input(GateInput::Vehicle)),
        "w" | "watchdog" => no_arg(Step::Input(GateInput::Watchdog)),
        "hang" => no_arg(Step::Input(GateInput::Hang)),
        "q" | "quit" => no_arg(Step::Quit),
        "s" | "state" => no_arg(Step::Input(GateInput::State)),
        "wait" => match arg.and_then(|a| a.parse::<u64>().ok()) {
            Some(ms) => Ok(Some(Step::Wait(Duration::from_millis(ms)))),
            None => Err("wait wants milliseconds: \"wait 500\"".into()),
        },
        other => Err(format!(
            "{other:?} is not a command (p, b, v, w, s, q, presence 0|1, beam 0|1, hang, wait <ms>)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_words_and_waits() {
        assert_eq!(parse("p"), Ok(Some(Step::Input(GateInput::Presence(None)))));
        assert_eq!(
            parse("  beam 1  # broken"),
            Ok(Some(Step::Input(GateInput::Beam(Some(true)))))
        );
        assert_eq!(
            parse("wait 250"),
            Ok(Some(Step::Wait(Duration::from_millis(250))))
        );
        assert_eq!(parse("# nothing"), Ok(None));
        assert_eq!(parse("hang"), Ok(Some(Step::Input(GateInput::Hang))));
        assert_eq!(parse("quit"), Ok(Some(Step::Quit)));
        assert_eq!(parse(""), Ok(None));
        assert!(parse("presence 2").is_err());
        assert!(parse("jump").is_err());
        assert!(parse("v now").is_err());
        assert!(parse("wait").is_err());
    }
}
