//! The Teams app package (`guichet teams package`): the manifest (schema 1.29: the bot, its
//! personal/team/groupChat scopes and commands), its French translation, and the two
//! icons, in a zip (stored, no compression) an administrator uploads to Teams.

use serde_json::{json, Value};

use crate::config::is_guid;
use crate::language::Language;
use crate::messages::Msg;

use super::convert::{ASK, ASK_FR, REQUEST, REQUEST_FR};

/// The manifest schema version written.
pub const MANIFEST_VERSION: &str = "1.29";
/// The colour icon (192×192) and the outline icon (32×32, white on transparent).
pub const COLOR_ICON: &[u8] = include_bytes!("assets/color.png");
pub const OUTLINE_ICON: &[u8] = include_bytes!("assets/outline.png");
/// The Unit's colour, behind the icon.
const ACCENT: &str = "#0054A6";

/// Why no package was written.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error(
        "teams.app_id is {0:?}, not a Microsoft App ID like 00000000-0000-0000-0000-000000000000 (set it in the configuration or GUICHET__TEAMS__APP_ID)"
    )]
    AppId(String),
    #[error("{field} is '{value}', not an https:// URL")]
    Url { field: &'static str, value: String },
}

/// The developer's pages the manifest links to.
#[derive(Debug, Clone)]
pub struct Developer {
    pub name: String,
    pub website: String,
    pub privacy: String,
    pub terms: String,
}

impl Default for Developer {
    fn default() -> Self {
        Developer {
            name: "Unité de soutien SSA Québec".into(),
            website: "https://ssaquebec.ca".into(),
            privacy: "https://ssaquebec.ca".into(),
            terms: "https://ssaquebec.ca".into(),
        }
    }
}

/// The manifest (in English, with the French translation in `fr.json`).
pub fn manifest(app_id: &str, developer: &Developer) -> Value {
    let en = Language::En;
    json!({
        "$schema": format!("https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"),
        "manifestVersion": MANIFEST_VERSION,
        "version": env!("CARGO_PKG_VERSION"),
        "id": app_id,
        "developer": {
            "name": developer.name,
            "websiteUrl": developer.website,
            "privacyUrl": developer.privacy,
            "termsOfUseUrl": developer.terms,
        },
        "name": {
            "short": Msg::TeamsAppShortName.text(en),
            "full": Msg::TeamsAppFullName.text(en),
        },
        "description": {
            "short": Msg::TeamsAppShortDescription.text(en),
            "full": Msg::TeamsAppFullDescription.text(en),
        },
        "icons": { "color": "color.png", "outline": "outline.png" },
        "accentColor": ACCENT,
        "bots": [{
            "botId": app_id,
            "scopes": ["personal", "team", "groupChat"],
            "supportsFiles": false,
            "isNotificationOnly": false,
            "commandLists": [{
                "scopes": ["personal", "team", "groupChat"],
                "commands": [
                    { "title": ASK, "description": Msg::TeamsCommandAsk.text(en) },
                    { "title": REQUEST, "description": Msg::TeamsCommandRequest.text(en) },
                ],
            }],
        }],
        "validDomains": [],
        "localizationInfo": {
            "defaultLanguageTag": "en",
            "additionalLanguages": [{ "languageTag": "fr", "file": "fr.json" }],
        },
    })
}

/// The French strings of the manifest (Teams shows them to French-speaking users).
pub fn french() -> Value {
    let fr = Language::Fr;
    json!({
        "$schema": format!("https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.Localization.schema.json"),
        "name.short": Msg::TeamsAppShortName.text(fr),
        "name.full": Msg::TeamsAppFullName.text(fr),
        "description.short": Msg::TeamsAppShortDescription.text(fr),
        "description.full": Msg::TeamsAppFullDescription.text(fr),
        "bots[0].commandLists[0].commands[0].title": ASK_FR,
        "bots[0].commandLists[0].commands[0].description": Msg::TeamsCommandAsk.text(fr),
        "bots[0].commandLists[0].commands[1].title": REQUEST_FR,
        "bots[0].commandLists[0].commands[1].description": Msg::TeamsCommandRequest.text(fr),
    })
}

/// The package's bytes: `manifest.json`, `fr.json`, `color.png`, `outline.png`.
pub fn package(app_id: &str, developer: &Developer) -> Result<Vec<u8>, PackageError> {
    if !is_guid(app_id) {
        return Err(PackageError::AppId(app_id.to_string()));
    }
    for (field, value) in [
        ("the website", &developer.website),
        ("the privacy page", &developer.privacy),
        ("the terms of use", &developer.terms),
    ] {
        if !value.starts_with("https://") || !crate::text::is_http_url(value) {
            return Err(PackageError::Url {
                field,
                value: value.clone(),
            });
        }
    }
    // serde_json cannot fail on a Value.
    let manifest = serde_json::to_vec_pretty(&manifest(app_id, developer)).unwrap_or_default();
    let french = serde_json::to_vec_pretty(&french()).unwrap_or_default();
    Ok(stored_zip(&[
        ("manifest.json", &manifest),
        ("fr.json", &french),
        ("color.png", COLOR_ICON),
        ("outline.png", OUTLINE_ICON),
    ]))
}

/// A zip archive of `files` (name, bytes), stored without compression: the package is a
/// few kilobytes, and Teams reads stored entries like any others.
pub fn stored_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    // 1980-01-01 00:00, the zip epoch: the package's bytes depend only on its content.
    const TIME: u16 = 0;
    const DATE: u16 = (1 << 5) | 1;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let crc = crc32fast::hash(data);
        let offset = out.len() as u32;
        let size = data.len() as u32;
        let name_len = name.len() as u16;
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [10u16, 0, 0, TIME, DATE] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for v in [20u16, 10, 0, 0, TIME, DATE] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [name_len, 0, 0, 0, 0] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = out.len() as u32;
    let central_size = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    let count = files.len() as u16;
    for v in [0u16, 0, count, count] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "c9e8c047-2a74-40a2-b28a-b162d5f5327c";

    #[test]
    fn the_manifest_names_the_bot_its_scopes_and_both_languages_commands() {
        let m = manifest(APP, &Developer::default());
        assert_eq!(m["id"], APP);
        assert_eq!(m["bots"][0]["botId"], APP);
        assert_eq!(
            m["bots"][0]["scopes"],
            json!(["personal", "team", "groupChat"])
        );
        let commands = &m["bots"][0]["commandLists"][0]["commands"];
        assert_eq!(commands[0]["title"], "ask");
        assert_eq!(commands[1]["title"], "request");
        let fr = french();
        assert_eq!(fr["bots[0].commandLists[0].commands[0].title"], "question");
        assert_eq!(fr["bots[0].commandLists[0].commands[1].title"], "demande");
        assert_ne!(fr["name.full"], m["name"]["full"]);
    }

    #[test]
    fn the_icons_are_pngs_of_the_sizes_teams_asks_for() {
        for (png, size) in [(COLOR_ICON, 192u32), (OUTLINE_ICON, 32)] {
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
            let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
            assert_eq!((width, height), (size, size));
        }
    }

    #[test]
    fn no_package_without_a_valid_app_id_or_https_pages() {
        assert!(matches!(
            package("", &Developer::default()),
            Err(PackageError::AppId(_))
        ));
        let bad = Developer {
            privacy: "http://ssaquebec.ca".into(),
            ..Developer::default()
        };
        assert!(matches!(package(APP, &bad), Err(PackageError::Url { .. })));
        let zip = package(APP, &Developer::default()).unwrap();
        assert_eq!(&zip[..4], b"PK\x03\x04");
        assert_eq!(
            zip,
            package(APP, &Developer::default()).unwrap(),
            "reproducible"
        );
    }
}
