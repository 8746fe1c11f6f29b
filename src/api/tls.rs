//! TLS for the API with rustls on the `ring` provider, from PEM files (`api.tls_cert`,
//! `api.tls_key`).

use super::ApiStartError;
use crate::config::api::TlsFiles;
use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

pub fn load(files: &TlsFiles) -> Result<RustlsConfig, ApiStartError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| {
            ApiStartError::Tls(format!(
                "api.tls_cert: cannot read certificates from {}: {e}",
                files.cert.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(ApiStartError::Tls(format!(
            "api.tls_cert: {} holds no PEM certificate",
            files.cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| {
        ApiStartError::Tls(format!(
            "api.tls_key: cannot read a private key from {}: {e}",
            files.key.display()
        ))
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ApiStartError::Tls(format!("TLS setup: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            ApiStartError::Tls(format!(
                "api.tls_cert / api.tls_key: the key does not fit the certificate: {e}"
            ))
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(config)))
}
