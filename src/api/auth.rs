//! Who is calling: operators and accounting systems with a configured bearer token or an HS256
//! JWT, remote IO devices with their key, drivers with their own token (checked in
//! `api::driver`). Secrets are compared as SHA-256 digests in constant time, so neither the
//! length nor the content of a configured secret leaks through timing.

use super::ApiState;
use super::error::ApiError;
use crate::config::ApiConfig;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A JWT's `exp` may be this many seconds past before it is refused (clock skew).
const JWT_LEEWAY_SECONDS: u64 = 5;

pub struct Auth {
    tokens: Vec<[u8; 32]>,
    jwt: Option<(DecodingKey, Validation)>,
    devices: Vec<RemoteDevice>,
}

/// A remote IO device allowed to call `/set-ip/`.
pub struct RemoteDevice {
    pub name: String,
    digest: [u8; 32],
    /// Hex SHA-256 of the key: what the database keeps.
    pub fingerprint: String,
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether `candidate` equals any of `known`, looking at every one of them.
fn matches_any(candidate: &[u8; 32], known: &[[u8; 32]]) -> bool {
    known
        .iter()
        .fold(subtle::Choice::from(0), |found, k| {
            found | candidate.ct_eq(k)
        })
        .into()
}

#[derive(Debug, serde::Deserialize)]
struct Claims {
    #[allow(dead_code)]
    exp: u64,
}

impl Auth {
    pub fn new(config: &ApiConfig) -> Auth {
        let jwt = config.jwt_secret.as_ref().map(|secret| {
            (
                DecodingKey::from_secret(secret.expose().as_bytes()),
                jwt_validation(config),
            )
        });
        Auth {
            tokens: config.tokens.iter().map(|t| digest(t.expose())).collect(),
            jwt,
            devices: config
                .device_keys
                .iter()
                .map(|d| RemoteDevice {
                    name: d.name.clone(),
                    digest: digest(d.key.expose()),
                    fingerprint: crate::store::read::fingerprint(d.key.expose()),
                })
                .collect(),
        }
    }

    /// A configured token, or a JWT signed with the configured secret and not expired.
    pub fn is_operator(&self, bearer: &str) -> bool {
        if matches_any(&digest(bearer), &self.tokens) {
            return true;
        }
        match &self.jwt {
            // Only something shaped like a JWT is worth decoding.
            Some((key, validation)) if bearer.bytes().filter(|b| *b == b'.').count() == 2 => {
                jsonwebtoken::decode::<Claims>(bearer, key, validation).is_ok()
            }
            _ => false,
        }
    }

    /// The remote IO device whose key this is.
    pub fn device(&self, key: &str) -> Option<&RemoteDevice> {
        let d = digest(key);
        // Every device is compared, so the time does not say which one matched.
        let mut found = None;
        for device in &self.devices {
            if bool::from(d.ct_eq(&device.digest)) {
                found = Some(device);
            }
        }
        found
    }
}

/// What a JWT must be: HS256 (no other algorithm, never `none`), not expired, and, where
/// `api.jwt_audience` / `api.jwt_issuer` are set, carrying one of their values. Where they are
/// not, an `aud` or `iss` the token carries is not looked at: accounting systems set them for
/// their own purposes.
fn jwt_validation(config: &ApiConfig) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = JWT_LEEWAY_SECONDS;
    validation.validate_exp = true;
    let mut required = vec!["exp"];
    if config.jwt_audience.is_empty() {
        validation.validate_aud = false;
    } else {
        validation.set_audience(&config.jwt_audience);
        required.push("aud");
    }
    if !config.jwt_issuer.is_empty() {
        validation.set_issuer(&config.jwt_issuer);
        required.push("iss");
    }
    validation.set_required_spec_claims(&required);
    validation
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Middleware of the operators' routes: a configured token or a valid JWT, else 401.
pub async fn require_operator(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    match bearer(request.headers()) {
        Some(token) if state.auth().is_operator(token) => next.run(request).await,
        _ => ApiError::Unauthorized.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::api::{DeviceKey, Secret};
    use jsonwebtoken::{EncodingKey, Header};

    fn auth() -> Auth {
        let mut config = ApiConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            "in",
            "out",
            vec![Secret::new("operator-token-0001")],
        );
        config.jwt_secret = Some(Secret::new("j".repeat(32)));
        config.device_keys = vec![DeviceKey {
            name: "pump".into(),
            key: Secret::new("device-key-000001"),
        }];
        Auth::new(&config)
    }

    fn jwt(secret: &str, exp: i64) -> String {
        signed(
            Algorithm::HS256,
            secret,
            serde_json::json!({"sub": "accounting", "exp": exp}),
        )
    }

    fn signed(alg: Algorithm, secret: &str, claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    fn in_a_minute() -> i64 {
        crate::booth::clock::now().timestamp() + 60
    }

    #[test]
    fn tokens_and_jwts() {
        let a = auth();
        let now = crate::booth::clock::now().timestamp();
        assert!(a.is_operator("operator-token-0001"));
        assert!(!a.is_operator("operator-token-0002"));
        assert!(!a.is_operator(""));
        assert!(a.is_operator(&jwt(&"j".repeat(32), now + 60)));
        assert!(!a.is_operator(&jwt(&"j".repeat(32), now - 60)), "expired");
        assert!(!a.is_operator(&jwt(&"k".repeat(32), now + 60)), "wrong key");
    }

    #[test]
    fn without_an_audience_configured_aud_and_iss_are_not_looked_at() {
        let a = auth();
        let key = "j".repeat(32);
        for claims in [
            serde_json::json!({"exp": in_a_minute(), "aud": "accounting"}),
            serde_json::json!({"exp": in_a_minute(), "aud": ["accounting", "reports"]}),
            serde_json::json!({"exp": in_a_minute(), "iss": "https://erp.example"}),
        ] {
            assert!(
                a.is_operator(&signed(Algorithm::HS256, &key, claims.clone())),
                "{claims}"
            );
        }
        let no_exp = serde_json::json!({"sub": "accounting", "aud": "accounting"});
        assert!(
            !a.is_operator(&signed(Algorithm::HS256, &key, no_exp)),
            "exp is required"
        );
    }

    #[test]
    fn a_configured_audience_and_issuer_must_be_carried() {
        let key = "j".repeat(32);
        let mut config = ApiConfig::new("127.0.0.1:0".parse().unwrap(), "in", "out", Vec::new());
        config.jwt_secret = Some(Secret::new(key.clone()));
        config.jwt_audience = vec!["clearpark".into(), "booth-1".into()];
        config.jwt_issuer = vec!["https://erp.example".into()];
        let a = Auth::new(&config);
        let token = |claims: serde_json::Value| signed(Algorithm::HS256, &key, claims);
        let (exp, iss) = (in_a_minute(), "https://erp.example");
        assert!(a.is_operator(&token(
            serde_json::json!({"exp": exp, "aud": "booth-1", "iss": iss})
        )));
        assert!(a.is_operator(&token(
            serde_json::json!({"exp": exp, "aud": ["reports", "clearpark"], "iss": iss})
        )));
        for (why, claims) in [
            (
                "another audience",
                serde_json::json!({"exp": exp, "aud": "reports", "iss": iss}),
            ),
            ("no audience", serde_json::json!({"exp": exp, "iss": iss})),
            (
                "another issuer",
                serde_json::json!({"exp": exp, "aud": "clearpark", "iss": "https://x"}),
            ),
            (
                "no issuer",
                serde_json::json!({"exp": exp, "aud": "clearpark"}),
            ),
            (
                "expired",
                serde_json::json!({"exp": exp - 120, "aud": "clearpark", "iss": iss}),
            ),
        ] {
            assert!(!a.is_operator(&token(claims)), "{why}");
        }
    }

    #[test]
    fn only_hs256_with_the_configured_key() {
        let a = auth();
        let key = "j".repeat(32);
        let claims = serde_json::json!({"sub": "accounting", "exp": in_a_minute()});
        assert!(a.is_operator(&signed(Algorithm::HS256, &key, claims.clone())));
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            assert!(
                !a.is_operator(&signed(alg, &key, claims.clone())),
                "{alg:?}"
            );
        }
        // `alg: none`, unsigned, claims valid until 2100.
        let unsigned = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJleHAiOjQxMDI0NDQ4MDAsInN1YiI6ImFjY291bnRpbmcifQ.";
        assert!(!a.is_operator(unsigned));
        // The same claims signed: only the header made it refused.
        let payload = unsigned.split('.').nth(1).unwrap();
        let good = signed(
            Algorithm::HS256,
            &key,
            serde_json::json!({"sub": "accounting", "exp": 4102444800u64}),
        );
        assert_eq!(good.split('.').nth(1), Some(payload));
        assert!(a.is_operator(&good));
    }

    #[test]
    fn device_keys() {
        let a = auth();
        assert_eq!(
            a.device("device-key-000001").map(|d| d.name.as_str()),
            Some("pump")
        );
        assert!(a.device("device-key-000002").is_none());
    }

    #[test]
    fn bearer_header() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, "bearer  abc ".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }
}
