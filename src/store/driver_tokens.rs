//! Drivers' access tokens (`api_driver_token`): only their SHA-256 is stored.

use super::Result;
use super::time::DbTime;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

/// Hex SHA-256 of a secret: what the database keeps of tokens and device keys.
pub fn fingerprint(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new token: `cpd_` and 64 hex digits from the operating system's random source (two v4
/// UUIDs, 244 random bits).
pub fn new_token() -> String {
    format!(
        "cpd_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Makes a token for the account, stores its fingerprint and returns the token (shown once).
pub fn create(conn: &Connection, account_id: i64, now: DateTime<Utc>) -> Result<String> {
    let token = new_token();
    conn.execute(
        r#"INSERT INTO api_driver_token ("RpAccId", token_sha256, created_at) VALUES (?1, ?2, ?3)"#,
        params![account_id, fingerprint(&token), DbTime(now)],
    )?;
    Ok(token)
}

/// The account a presented token belongs to.
pub fn account_of(conn: &Connection, token: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(r#"SELECT "RpAccId" FROM api_driver_token WHERE token_sha256 = ?1"#)?
        .query_row([fingerprint(token)], |r| r.get(0))
        .optional()?)
}

/// Forgets every token of the account; returns how many there were.
pub fn revoke_all(conn: &Connection, account_id: i64) -> Result<usize> {
    Ok(conn.execute(
        r#"DELETE FROM api_driver_token WHERE "RpAccId" = ?1"#,
        [account_id],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::accounts::{self, NewAccount};

    #[test]
    fn tokens_are_long_random_and_stored_only_as_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let now = crate::booth::clock::now();
        let account = accounts::insert(
            store.conn(),
            &NewAccount {
                name: "a".into(),
                ..NewAccount::default()
            },
            now,
        )
        .unwrap();
        let token = create(store.conn(), account.id, now).unwrap();
        assert_eq!(token.len(), 68);
        assert_ne!(token, create(store.conn(), account.id, now).unwrap());
        assert_eq!(account_of(store.conn(), &token).unwrap(), Some(account.id));
        assert_eq!(account_of(store.conn(), "cpd_guess").unwrap(), None);
        let stored: String = store
            .conn()
            .query_row(
                "SELECT group_concat(token_sha256) FROM api_driver_token",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!stored.contains(&token[4..]));
        assert_eq!(revoke_all(store.conn(), account.id).unwrap(), 2);
        assert_eq!(account_of(store.conn(), &token).unwrap(), None);
    }

    #[test]
    fn fingerprint_is_sha256_hex() {
        assert_eq!(
            fingerprint("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
