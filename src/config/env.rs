//! `GUICHET__SECTION__KEY` environment variables: how their values are read and merged into
//! the TOML table before it is deserialised.

/// Prefix of environment variables that override one option (`GUICHET__SEARCH__MAX_HITS`).
pub(super) const ENV_PREFIX: &str = "GUICHET__";

/// Reads an environment value as a TOML value when it is one (`5`, `true`, `0.7`,
/// `["https://a.ca"]`), else as a plain string (`/var/lib/guichet`, `fr`).
pub(super) fn parse_env_value(value: &str) -> toml::Value {
    let probe = format!("v = {value}");
    match probe.parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(value.to_string())),
        Err(_) => toml::Value::String(value.to_string()),
    }
}

pub(super) fn set_path(
    table: &mut toml::Table,
    keys: &[String],
    value: toml::Value,
) -> Result<(), String> {
    match keys {
        [] => Err("no key after the GUICHET__ prefix".into()),
        [last] if !last.is_empty() => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [head, rest @ ..] if !head.is_empty() => {
            let entry = table
                .entry(head.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => set_path(t, rest, value),
                _ => Err(format!("`{head}` is not a section")),
            }
        }
        _ => Err("empty key segment".into()),
    }
}
