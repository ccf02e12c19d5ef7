//! TLS for the mail connections: rustls with the ring provider, the public web roots and,
//! when configured, a private certificate authority (a campus server, the test rig).

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the certificate authorities in {path} ({key}): {reason}")]
    CaFile {
        key: &'static str,
        path: String,
        reason: String,
    },
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Reads the PEM certificates of `ca_file` (`key` names the setting in errors).
pub fn read_ca_file(
    key: &'static str,
    ca_file: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let fail = |reason: String| TlsError::CaFile {
        key,
        path: ca_file.display().to_string(),
        reason,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca_file)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no PEM certificate in the file".into()));
    }
    Ok(certs)
}

/// A client configuration trusting the public roots and the certificates of `ca_file`
/// (none when empty).
pub fn client_config(key: &'static str, ca_file: &Path) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if !ca_file.as_os_str().is_empty() {
        for cert in read_ca_file(key, ca_file)? {
            roots.add(cert)?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_ca_file_names_its_setting() {
        let err = client_config("mail.imap.ca_file", Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(err.to_string().contains("mail.imap.ca_file"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("ca.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = client_config("mail.smtp.ca_file", &empty).unwrap_err();
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
        assert!(client_config("mail.imap.ca_file", Path::new("")).is_ok());
    }
}
