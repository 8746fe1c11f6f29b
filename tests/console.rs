//! The real binary's console in a real terminal (tmux): `clearpark demo` on a temporary
//! database; the dashboard appears, a simulated scan shows up, an override with a reason lands in
//! the audit log, and `q` quits with the terminal restored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is needed for this test (apt-get install tmux)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "console"])
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "console", k]);
            // A person's pace, so the console does not take the keys for a wedge scanner.
            std::thread::sleep(Duration::from_millis(120));
        }
    }

    fn text(&self, text: &str) {
        for ch in text.chars() {
            self.run(&["send-keys", "-t", "console", "-l", &ch.to_string()]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn audit_reasons(db: &std::path::Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.prepare("SELECT reason FROM audit_log")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn demo_console_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let tmux = Tmux {
        socket: format!("clearpark-test-{}", std::process::id()),
    };
    let command = format!(
        "{} demo --dir {} --pace 0.3 --attendant e2e; echo CONSOLE-EXITED $?; sleep 30",
        env!("CARGO_BIN_EXE_clearpark"),
        demo_dir.display()
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "console",
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);

    tmux.wait_for("the dashboard", |s| {
        s.contains("Lanes") && s.contains("Activity") && s.contains("Revenue today")
    });
    tmux.wait_for("a simulated scan", |s| s.contains("✔") || s.contains("✖"));

    tmux.keys(&["o", "1"]);
    tmux.wait_for("the reason prompt", |s| s.contains("Reason (audited)"));
    tmux.text("loop detector broken");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the confirmation", |s| {
        s.contains("reason \"loop detector broken\"?")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("the result", |s| s.contains("audited"));
    let db = demo_dir.join("clearpark.db");
    clearpark_testkit::wait::until(
        Duration::from_secs(10),
        || audit_reasons(&db).contains(&"loop detector broken".to_string()),
        || "the override is not in the audit log".into(),
    );

    tmux.keys(&["q"]);
    tmux.wait_for("the quit question", |s| s.contains("Quit clearpark?"));
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("the exit", |s| s.contains("CONSOLE-EXITED"));
    assert!(screen.contains("CONSOLE-EXITED 0"), "{screen}");
    // The terminal is restored: the alternate screen is off and the demo's banner is back.
    assert_eq!(
        tmux.run(&["display-message", "-p", "-t", "console", "#{alternate_on}"])
            .trim(),
        "0"
    );
    assert!(screen.contains("clearpark demo"), "{screen}");
    assert!(
        !screen.contains("┌ Lanes"),
        "the console's frame is gone:\n{screen}"
    );
}
