use super::*;

const EXAMPLE: &str = include_str!("../../config.toml.example");

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(
        text,
        "config.toml",
        Some(Path::new("/etc/clearpark")),
        &no_env,
    )
}

#[test]
fn the_example_file_is_valid() {
    let config = parse(EXAMPLE).unwrap();
    assert_eq!(config.booth.timezone, chrono_tz::Asia::Ashgabat);
    assert_eq!(
        config.booth.database,
        PathBuf::from("/etc/clearpark/clearpark.db")
    );
    assert_eq!(config.booth.entrance_tries, 3);
    assert!(config.lanes.len() >= 2);
    assert!(config.resource.is_some());
    // The optional sections ship commented out (checked uncommented in config::api).
    assert!(config.api.is_none() && config.nwave.is_none());
}

#[test]
fn every_mistake_is_one_line_naming_the_setting_and_value() {
    let text = r#"
            [booth]
            name = "X"
            timezone = "Europe/Berln"
            database = "x.db"
            db_structure = "sap"
            res_guid = "not-a-guid"
            capacity = -4
            entrance_tries = 0
            lost_ticket_fee = "ten"
            [[lanes]]
            id = "in 1"
            direction = "entry"
            gate = "COM3"
            printer = "tcp://printer"
            [[lanes]]
            id = "out"
            direction = "exit"
            [[lanes]]
            id = "out"
            direction = "exit"
        "#;
    let err = parse(text).unwrap_err();
    let lines: Vec<String> = err.to_string().lines().map(String::from).collect();
    let expect = [
        "booth.timezone: \"Europe/Berln\"",
        "booth.db_structure: \"sap\" is not one of saphasap, akhsasap",
        "booth.res_guid: \"not-a-guid\" is not a GUID",
        "booth.capacity: -4",
        "booth.entrance_tries: 0 is not between 1 and 20",
        "booth.lost_ticket_fee: \"ten\" is not an amount",
        "lanes[0].id: \"in 1\"",
        "lanes[0].direction: \"entry\" is not one of entrance, exit",
        "lanes[0].gate: \"COM3\"",
        "lanes[0].printer: \"tcp://printer\"",
        "lanes[2].id: \"out\" is used by an earlier lane",
    ];
    assert_eq!(lines.len(), expect.len(), "{lines:#?}");
    for (line, want) in lines.iter().zip(expect) {
        assert!(line.starts_with("config.toml: "), "{line}");
        assert!(line.contains(want), "{line:?} should contain {want:?}");
    }
}

#[test]
fn unknown_settings_are_named() {
    let err = parse("[booth]\nname = \"X\"\ntimezon = \"UTC\"\n").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("unknown field `timezon`"), "{text}");
    assert_eq!(text.lines().count(), 1);
}

#[test]
fn a_secret_of_the_wrong_shape_is_not_quoted() {
    // The TOML parser's own message quotes the value and the source line that holds it
    // (fuzz/fuzz_targets/config_toml.rs checks this for any file).
    let secret = "very-secret-token-0123456789";
    let cases = [
        format!("[booth]\nname = \"X\"\n[api]\ntokens = \"{secret}\"\n"),
        format!("[booth]\nname = \"X\"\n[api]\ntokens = [\"a\"]\njwt_secret = [\"{secret}\"]\n"),
        format!("[booth]\nname = \"X\"\n[api]\ntokens = [\"{secret}\", 7]\n"),
        format!("[booth]\nname = \"X\"\n[api.device_keys]\npump = [\"{secret}\"]\n"),
        format!("[booth]\nname = \"X\"\n[nwave]\nurl = [\"amqp://u:{secret}@h\"]\n"),
        // A syntax error on the secret's line.
        format!("[booth]\nname = \"X\"\n[api]\ntokens = [\"{secret}\" \"b\"]\n"),
    ];
    for text in cases {
        let err = parse(&text).unwrap_err();
        let shown = err.to_string();
        assert_eq!(shown.lines().count(), 1, "{shown}");
        assert!(!shown.contains(secret), "{shown}");
    }
    let err = parse(&cases_tokens_line()).unwrap_err().to_string();
    assert!(err.contains("api.tokens"), "{err}");
    assert!(err.contains("expected a sequence"), "{err}");
}

fn cases_tokens_line() -> String {
    "[booth]\nname = \"X\"\n[api]\ntokens = \"very-secret-token-0123456789\"\n".into()
}

#[test]
fn syntax_errors_say_where() {
    let err = parse("[booth]\nname = \"X\n").unwrap_err().to_string();
    assert!(err.starts_with("config.toml: line 2, column "), "{err}");
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn environment_overrides_the_file() {
    let env = |name: &str| match name {
        "CLEARPARK_DATABASE" => Some("/var/lib/clearpark/booth.db".to_string()),
        "CLEARPARK_RES_GUID" => Some("00000000-0000-4000-8000-000000000001".to_string()),
        _ => None,
    };
    let text = "[booth]\nname = \"X\"\n";
    let config = Config::parse(text, "c", None, &env).unwrap();
    assert_eq!(
        config.booth.database,
        PathBuf::from("/var/lib/clearpark/booth.db")
    );
    assert_eq!(
        config.booth.res_guid,
        "00000000-0000-4000-8000-000000000001"
    );
    // Without them, both are reported missing.
    let err = parse(text).unwrap_err();
    assert_eq!(err.problems.len(), 2, "{err}");
}
