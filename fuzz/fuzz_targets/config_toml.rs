//! `config.toml` text, any of it: the loader never panics. A refused file is one clear line per
//! mistake, each naming its file, none empty, and none quoting a secret (an API token, the JWT
//! secret, a device key, the password of the Nwave URL) that the file gives. An accepted file
//! parses again to the same settings, and those settings keep the rules the checks promise.
#![no_main]

use clearpark::config::Config;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

const SOURCE: &str = "fuzz.toml";

fn no_env(_: &str) -> Option<String> {
    None
}

/// The secrets a file gives and the file's other strings and keys, as TOML reads them.
fn secrets_and_others(text: &str) -> (Vec<String>, Vec<String>) {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return (Vec::new(), Vec::new());
    };
    let mut secrets = Vec::new();
    if let Some(api) = doc.get("api").and_then(|v| v.as_table()) {
        if let Some(tokens) = api.get("tokens").and_then(|v| v.as_array()) {
            secrets.extend(tokens.iter().filter_map(|t| t.as_str().map(String::from)));
        }
        if let Some(s) = api.get("tokens").and_then(|v| v.as_str()) {
            secrets.push(s.to_owned());
        }
        if let Some(s) = api.get("jwt_secret").and_then(|v| v.as_str()) {
            secrets.push(s.to_owned());
        }
        if let Some(keys) = api.get("device_keys").and_then(|v| v.as_table()) {
            secrets.extend(keys.values().filter_map(|k| k.as_str().map(String::from)));
        }
    }
    if let Some(url) = doc
        .get("nwave")
        .and_then(|v| v.get("url"))
        .and_then(|v| v.as_str())
        && let Some((_, rest)) = url.split_once("://")
        && let Some((credentials, _)) = rest.rsplit_once('@')
        && let Some((_, password)) = credentials.split_once(':')
    {
        secrets.push(password.to_owned());
    }
    let mut others = Vec::new();
    collect(&toml::Value::Table(doc), &secrets, &mut others);
    (secrets, others)
}

fn collect(value: &toml::Value, secrets: &[String], out: &mut Vec<String>) {
    match value {
        toml::Value::String(s) if !secrets.contains(s) => out.push(s.clone()),
        toml::Value::Array(items) => items.iter().for_each(|v| collect(v, secrets, out)),
        toml::Value::Table(table) => {
            for (k, v) in table {
                out.push(k.clone());
                collect(v, secrets, out);
            }
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let base = Some(Path::new("/etc/clearpark"));
    match Config::parse(text, SOURCE, base, &no_env) {
        Err(e) => {
            assert!(!e.problems.is_empty(), "refused without a reason");
            for p in &e.problems {
                assert!(!p.trim().is_empty(), "an empty problem line");
                assert!(
                    !p.contains('\n') && !p.contains('\r'),
                    "a problem over lines: {p:?}"
                );
            }
            let shown = e.to_string();
            assert_eq!(shown.lines().count(), e.problems.len(), "{shown}");
            assert!(shown.lines().all(|l| l.starts_with("fuzz.toml: ")));
            let (secrets, others) = secrets_and_others(text);
            for secret in secrets.iter().filter(|s| s.len() >= 12) {
                // Only a secret that is not also written elsewhere can be told apart.
                if others.iter().any(|o| o.contains(secret.as_str()))
                    || secrets
                        .iter()
                        .any(|o| o != secret && o.contains(secret.as_str()))
                {
                    continue;
                }
                assert!(
                    !shown.contains(secret.as_str()),
                    "a problem line quotes a secret: {shown}"
                );
            }
        }
        Ok(config) => {
            let again =
                Config::parse(text, SOURCE, base, &no_env).expect("valid once, valid again");
            assert_eq!(again, config);
            let b = &config.booth;
            assert!(!b.name.trim().is_empty());
            assert!((1..=20).contains(&b.entrance_tries) && (1..=20).contains(&b.exit_tries));
            assert!(b.capacity != Some(0));
            assert!(!b.lost_ticket_fee.is_sign_negative());
            assert!(b.database.is_absolute());
            assert!(uuid::Uuid::parse_str(&b.res_guid).is_ok());
            let mut ids: Vec<&str> = config.lanes.iter().map(|l| l.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), config.lanes.len(), "two lanes with one id");
            if let Some(api) = &config.api {
                assert!(config.lane(&api.entrance_lane).is_some());
                assert!(config.lane(&api.exit_lane).is_some());
                for t in &api.tokens {
                    assert!(t.expose().chars().count() >= 16);
                }
                // Secrets never show in the settings' Debug.
                let debug = format!("{api:?}");
                for t in &api.tokens {
                    assert!(!debug.contains(t.expose()));
                }
            }
            if let Some(r) = &config.resource {
                assert_eq!(r.currency.len(), 3);
                assert!(!r.price_per_minute.is_sign_negative());
            }
        }
    }
});
