use super::super::{Config, ConfigError};
use super::*;
use std::path::Path;

const LANES: &str = r#"
    [booth]
    name = "X"
    database = "x.db"
    res_guid = "00000000-0000-4000-8000-000000000001"
    [[lanes]]
    id = "in-1"
    direction = "entrance"
    mac_address = "76:86:bb:de:63:ad"
    [[lanes]]
    id = "out-1"
    direction = "exit"
"#;

fn parse(extra: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
    Config::parse(
        &format!("{LANES}\n{extra}"),
        "c.toml",
        Some(Path::new("/etc")),
        env,
    )
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn defaults_pick_the_first_lane_of_each_direction() {
    let config = parse("[api]\ntokens = [\"0123456789abcdef0123\"]\n", &no_env).unwrap();
    let api = config.api.unwrap();
    assert_eq!(api.listen.to_string(), DEFAULT_LISTEN);
    assert_eq!(
        (api.entrance_lane.as_str(), api.exit_lane.as_str()),
        ("in-1", "out-1")
    );
    assert_eq!(api.request_timeout, Duration::from_secs(10));
    assert_eq!(api.max_in_flight, DEFAULT_MAX_IN_FLIGHT);
    assert_eq!(
        api.access_points,
        vec![AccessPoint {
            lane: "in-1".into(),
            mac_address: "76:86:BB:DE:63:AD".into()
        }]
    );
    assert!(!format!("{api:?}").contains("0123456789abcdef0123"));
}

#[test]
fn no_api_section_means_no_api() {
    assert!(parse("", &no_env).unwrap().api.is_none());
}

#[test]
fn mistakes_are_one_line_each_and_never_quote_secrets() {
    let text = r#"
        [api]
        listen = "localhost"
        entrance_lane = "out-1"
        exit_lane = "nowhere"
        tokens = ["short-secret"]
        jwt_secret = "also too short"
        tls_cert = "cert.pem"
        request_timeout_secs = 0
        max_in_flight = 0
        [api.device_keys]
        "bad name" = "0123456789abcdef0123"
        pump = "0123456789abcdef0123"
        gate = "0123456789abcdef0123"
    "#;
    let err = parse(text, &no_env).unwrap_err();
    let text = err.to_string();
    let expect = [
        "api.listen: \"localhost\"",
        "api.entrance_lane: lane \"out-1\" is an exit lane",
        "api.exit_lane: \"nowhere\" is not a configured lane",
        "api.tokens[0]: too short (12 characters)",
        "api.jwt_secret: holds spaces",
        "api.tokens: no way to authenticate",
        "device name \"bad name\"",
        "api.device_keys.pump: the same key is given to another device",
        "api.tls_key: missing",
        "api.request_timeout_secs: 0",
        "api.max_in_flight: 0 is not between 1 and 10000",
    ];
    assert_eq!(text.lines().count(), expect.len(), "{text}");
    for want in expect {
        assert!(text.contains(want), "{text}\nshould contain {want:?}");
    }
    assert!(!text.contains("short-secret"), "{text}");
}

#[test]
fn environment_supplies_secrets() {
    let env = |name: &str| match name {
        "CLEARPARK_API_TOKENS" => Some("aaaaaaaaaaaaaaaa1, bbbbbbbbbbbbbbbb2".to_string()),
        "CLEARPARK_SECRET_KEY" => Some("cccccccccccccccc3".to_string()),
        "CLEARPARK_JWT_SECRET" => Some("j".repeat(32)),
        "CLEARPARK_DEVICE_KEYS" => Some("pump-1=dddddddddddddddd4,pump-2=eeeeeeeeeeeeeeee5".into()),
        _ => None,
    };
    let api = parse("[api]\ntokens = [\"ignored-when-env-is-set\"]\n", &env)
        .unwrap()
        .api
        .unwrap();
    let tokens: Vec<&str> = api.tokens.iter().map(Secret::expose).collect();
    assert_eq!(
        tokens,
        [
            "aaaaaaaaaaaaaaaa1",
            "bbbbbbbbbbbbbbbb2",
            "cccccccccccccccc3"
        ]
    );
    assert_eq!(api.jwt_secret.unwrap().expose().len(), 32);
    let names: Vec<&str> = api.device_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["pump-1", "pump-2"]);
}

#[test]
fn the_examples_optional_sections_are_valid_once_uncommented() {
    let example = include_str!("../../../config.toml.example");
    let on: String = example
        .lines()
        .map(|l| match l.strip_prefix('#') {
            Some(rest) if !rest.starts_with(' ') && !rest.is_empty() => rest,
            _ => l,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(on.contains("\n[api]\n"));
    let err = Config::parse(&on, "c.toml", Some(Path::new("/etc/clearpark")), &no_env).unwrap_err();
    // Only the example's TLS files are missing on this machine.
    assert_eq!(err.problems.len(), 2, "{err}");
    assert!(
        err.problems.iter().all(|p| p.starts_with("api.tls_")),
        "{err}"
    );
    let on = on.replace("tls_cert =", "#").replace("tls_key =", "#");
    let config = Config::parse(&on, "c.toml", None, &no_env).unwrap();
    // The [nwave] section is shipped the same way.
    let nwave = config.nwave.clone().unwrap();
    assert_eq!(nwave.limits.default_minutes, Some(120));
    assert_eq!(nwave.broker.unwrap().queue, "nwave.parking_sessions");
    let api = config.api.unwrap();
    assert_eq!(api.device_keys.len(), 1);
    assert_eq!(api.access_points.len(), 1);
}

#[test]
fn a_bad_mac_address_is_named() {
    let text = LANES.replace("76:86:bb:de:63:ad", "76-86-BB-DE-63-AD");
    let err = Config::parse(&text, "c.toml", None, &no_env).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert!(err.problems[0].starts_with("lanes[0].mac_address: \"76-86-BB-DE-63-AD\""));
}

#[test]
fn jwt_audience_and_issuer_take_one_value_or_a_list() {
    let secret = "jwt_secret = \"0123456789abcdef0123456789abcdef\"\n";
    let one = parse(
        &format!("[api]\n{secret}jwt_audience = \"clearpark\"\njwt_issuer = \"https://erp\"\n"),
        &no_env,
    )
    .unwrap()
    .api
    .unwrap();
    assert_eq!(one.jwt_audience, ["clearpark"]);
    assert_eq!(one.jwt_issuer, ["https://erp"]);
    let many = parse(
        &format!("[api]\n{secret}jwt_audience = [\"clearpark\", \"booth-1\"]\n"),
        &no_env,
    )
    .unwrap()
    .api
    .unwrap();
    assert_eq!(many.jwt_audience, ["clearpark", "booth-1"]);
    assert!(many.jwt_issuer.is_empty(), "not set: not checked");

    let err = parse(
        "[api]\ntokens = [\"0123456789abcdef0123\"]\njwt_audience = \"clearpark\"\njwt_issuer = [\" \"]\n",
        &no_env,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("api.jwt_audience: set, but api.jwt_secret (or CLEARPARK_JWT_SECRET) is not"),
        "{err}"
    );
    assert!(err.contains("api.jwt_issuer: \" \" is blank"), "{err}");
}
