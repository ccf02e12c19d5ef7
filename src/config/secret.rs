//! Secrets (tokens, passwords): never in the configuration file, only the name of the
//! environment variable holding each; read into a [`Secret`] that never prints its value.

use std::fmt;

/// A token or password read from the environment. `Debug` and `Display` print
/// `[redacted]`, so it cannot leak into logs or error messages by accident; [`expose`]
/// is the one way to the value, where it is handed to a client.
///
/// [`expose`]: Secret::expose
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// The environment variable named by a `*_env` key is not set (or holds only spaces).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the environment variable {var} is not set (its name is in {key})")]
pub struct MissingSecret {
    /// The variable's name, e.g. `GUICHET_IMAP_PASSWORD`.
    pub var: String,
    /// The configuration key naming it, e.g. `mail.imap.password_env`.
    pub key: &'static str,
}

impl Secret {
    /// Reads the variable `var` (named by the configuration key `key`); a missing, non
    /// UTF-8 or blank value is an error naming both.
    pub fn from_env(var: &str, key: &'static str) -> Result<Secret, MissingSecret> {
        Secret::from_env_if_set(var).ok_or_else(|| MissingSecret {
            var: var.to_string(),
            key,
        })
    }

    /// Reads the variable `var` if it holds something other than spaces.
    pub fn from_env_if_set(var: &str) -> Option<Secret> {
        std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(Secret)
    }

    /// The secret itself, for the client that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A key of bytes that signs something (the mail thread tags): like [`Secret`], it never
/// prints its value.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// The key itself, for the code that signs or verifies.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for SecretKey {
    fn from(value: Vec<u8>) -> SecretKey {
        SecretKey(value)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_its_value() {
        let secret = Secret::from("hunter2-très-secret".to_string());
        for shown in [
            format!("{secret:?}"),
            format!("{secret}"),
            format!("{secret:#?}"),
            format!("{:?}", Some(&secret)),
        ] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("[redacted]"), "{shown}");
        }
        assert_eq!(secret.expose(), "hunter2-très-secret");
        let key = SecretKey::from(b"hunter2-key".to_vec());
        assert!(!format!("{key:?}").contains("hunter2"));
        assert_eq!(key.expose(), b"hunter2-key");
    }

    #[test]
    fn a_missing_or_blank_variable_is_an_error_naming_the_variable_and_the_key() {
        // Variables only this test uses (tests run in threads of one process).
        let unset = "GUICHET_TEST_SECRET_NEVER_SET_7f3a";
        let err = Secret::from_env(unset, "discord.token_env").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(unset) && text.contains("discord.token_env"),
            "{text}"
        );
        let blank = "GUICHET_TEST_SECRET_BLANK_7f3a";
        std::env::set_var(blank, "  ");
        assert!(Secret::from_env(blank, "teams.password_env").is_err());
        let set = "GUICHET_TEST_SECRET_SET_7f3a";
        std::env::set_var(set, "s3cret value");
        let secret = Secret::from_env(set, "mail.imap.password_env").unwrap();
        assert_eq!(secret.expose(), "s3cret value");
        assert!(Secret::from_env_if_set(unset).is_none());
    }
}
