//! Tests of loading and validating the configuration.

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, "test.toml", &[])
}

fn without_source(mut c: Config) -> Config {
    c.source.clear();
    c
}

#[test]
fn the_embedded_file_and_the_example_repeat_the_code_defaults() {
    let defaults = without_source(parse("").unwrap());
    assert_eq!(defaults, Config::default());
    assert_eq!(without_source(parse(EMBEDDED_DEFAULTS).unwrap()), defaults);
    let example = without_source(parse(include_str!("../../config/guichet.example.toml")).unwrap());
    assert_eq!(example, defaults);
}

#[test]
fn a_bad_value_names_its_key() {
    let err = parse("[search]\nmax_hits = 0\n").unwrap_err().to_string();
    assert!(
        err.contains("search.max_hits") && err.contains("out of range"),
        "{err}"
    );
    let err = parse("[search]\ndefault_language = \"de\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("default_language") && err.contains("line 2"),
        "{err}"
    );
    let err = parse("[web]\nlisten = \"localhost\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("web.listen"), "{err}");
    let err = parse("[web]\nallowed_origins = [\"ssaquebec.ca\"]\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("web.allowed_origins"), "{err}");
    let err = parse("[web]\ntrusted_proxies = [\"127.0.0.1\", \"nginx.local\"]\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("web.trusted_proxies") && err.contains("'nginx.local'"),
        "{err}"
    );
    let err = parse("[web]\ntrusted_proxies = [\"10.0.0.0/8\"]\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("web.trusted_proxies") && err.contains("10.0.0.0/8"),
        "{err}"
    );
    let c =
        parse("[web]\ntrusted_proxies = [\"127.0.0.1\", \" ::1\", \"::ffff:10.0.0.1\"]\n").unwrap();
    let ips: Vec<std::net::IpAddr> = ["127.0.0.1", "::1", "10.0.0.1"]
        .iter()
        .map(|ip| ip.parse().unwrap())
        .collect();
    assert_eq!(c.web.trusted_proxies, ips, "parsed once, in canonical form");
    let err = parse("[[staff]]\nusername = \"ana\"\npassword_hash = \"secret\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("staff[0].password_hash") && err.contains("argon2"),
        "{err}"
    );
}

#[test]
fn an_allowed_origin_must_be_a_bare_http_or_https_origin() {
    let good = [
        "https://ssaquebec.ca",
        "http://localhost:8080",
        "https://www.ssa-quebec.ca:8443",
        "HTTPS://SSAQuebec.CA",
        "http://127.0.0.1",
        "http://[::1]:3000",
        "https://[2001:db8::1]",
        "https://xn--qubec-csa.ca",
    ];
    let list = |origins: &[&str]| {
        let quoted: Vec<String> = origins.iter().map(|o| format!("{o:?}")).collect();
        format!("[web]\nallowed_origins = [{}]\n", quoted.join(", "))
    };
    let c = parse(&list(&good)).unwrap();
    assert_eq!(c.web.allowed_origins.len(), good.len());
    for (bad, why) in [
        ("ssaquebec.ca", "scheme"),
        ("ftp://ssaquebec.ca", "not http or https"),
        ("javascript://ssaquebec.ca", "not http or https"),
        ("https://ssaquebec.ca/", "path"),
        ("https://ssaquebec.ca/widget", "path"),
        ("https://ssaquebec.ca?x=1", "query"),
        ("https://ssaquebec.ca#top", "fragment"),
        ("https://user:pw@ssaquebec.ca", "user name"),
        ("https://*.ssaquebec.ca", "wildcard"),
        ("https://ssa quebec.ca", "' '"),
        ("https://ssaquebec.ca; script-src *", "';'"),
        ("https://ssaquebec.ca;script-src", "';'"),
        ("https://a.ca,https://b.ca", "','"),
        ("https://ssaquebec.ca'", "'\\''"),
        ("https://ssaquebec.ca\"", "'\"'"),
        ("https://ssaquebec.ca\n", "'\\n'"),
        ("https://québec.ca", "xn--"),
        ("https://", "no host"),
        ("https://:8080", "no host"),
        ("https://ssa_quebec.ca", "not a host name"),
        ("https://-ssa.ca", "not a host name"),
        ("https://ssaquebec..ca", "not a host name"),
        ("https://ssaquebec.ca.", "not a host name"),
        ("https://1.2.3", "not an IPv4 address"),
        ("https://256.1.1.1", "not an IPv4 address"),
        ("https://[::1", "closing ]"),
        ("https://[nope]", "not an IPv6 address"),
        ("https://ssaquebec.ca:", "not a number"),
        ("https://ssaquebec.ca:99999", "not a number"),
        ("https://ssaquebec.ca:0", "not a number"),
        ("https://ssaquebec.ca:08443", "not a number"),
        ("https://ssaquebec.ca:443", "default port"),
        ("http://ssaquebec.ca:80", "default port"),
        ("https://a.ca:1:2", "not a number"),
        ("", "scheme"),
    ] {
        // Third in the list, so the key names its index.
        let err = parse(&list(&[good[0], good[1], bad]))
            .expect_err(bad)
            .to_string();
        assert!(
            err.contains("key `web.allowed_origins[2]`") && err.contains(why),
            "{bad:?}: {err}"
        );
    }
    let err = parse("[web]\nallowed_origins = [\"https://ssaquebec.ca/\"]\n")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "configuration test.toml: key `web.allowed_origins[0]`: 'https://ssaquebec.ca/' \
         is not an origin like https://ssaquebec.ca: an origin has no path (not even a final /) \
         (line 2)"
    );
}

#[test]
fn an_unknown_or_mistyped_key_is_named_with_its_line() {
    let err = parse("[search]\nmax_hit = 3\n").unwrap_err().to_string();
    assert!(err.contains("max_hit") && err.contains("line 2"), "{err}");
    let err = parse("[search]\nmax_hits = \"three\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("max_hits") && err.contains("line 2"), "{err}");
}

#[test]
fn broken_toml_says_where() {
    let err = parse("[search\nmax_hits = 3\n").unwrap_err().to_string();
    assert!(err.contains("test.toml") && err.contains("line 1"), "{err}");
}

#[test]
fn environment_variables_override_one_key() {
    let env = vec![
        ("GUICHET__SEARCH__MAX_HITS".to_string(), "5".to_string()),
        (
            "GUICHET__DATA_DIR".to_string(),
            "/var/lib/guichet".to_string(),
        ),
        (
            "GUICHET__WEB__ALLOWED_ORIGINS".to_string(),
            "[\"https://ssaquebec.ca\"]".to_string(),
        ),
        ("PATH".to_string(), "/usr/bin".to_string()),
    ];
    let c = Config::from_toml(EMBEDDED_DEFAULTS, "defaults", &env).unwrap();
    assert_eq!(c.search.max_hits, 5);
    assert_eq!(c.data_dir, PathBuf::from("/var/lib/guichet"));
    assert_eq!(
        c.web.allowed_origins,
        vec![Origin::parse("https://ssaquebec.ca").unwrap()]
    );
    let bad = vec![("GUICHET__SEARCH__MAX_HITS".to_string(), "50".to_string())];
    let err = Config::from_toml(EMBEDDED_DEFAULTS, "defaults", &bad).unwrap_err();
    assert!(err.to_string().contains("search.max_hits"), "{err}");
}

#[test]
fn the_mail_section_is_off_by_default_and_its_bad_values_name_their_key() {
    let c = parse("").unwrap();
    assert!(!c.mail.enabled);
    assert_eq!(c.mail.imap.password_env, "GUICHET_IMAP_PASSWORD");
    let on = "[mail]\nenabled = true\naddress = \"contact@ssaquebec.ca\"\n[mail.imap]\nhost = \"imap.example.org\"\nusername = \"contact\"\n[mail.smtp]\nhost = \"smtp.example.org\"\n";
    let c = parse(on).unwrap();
    assert_eq!(c.mail.imap.security, Security::Tls);
    for (text, key) in [
        (
            "[mail]\nenabled = true\naddress = \"contact\"\n",
            "mail.address",
        ),
        (&on.replace("imap.example.org", ""), "mail.imap.host"),
        (
            &on.replace("[mail.smtp]\n", "[mail.smtp]\nsecurity = \"plain\"\n"),
            "mail.smtp.security",
        ),
        (
            &on.replace(
                "host = \"imap.example.org\"",
                "host = \"imap.example.org\"\nsecurity = \"none\"",
            ),
            "security",
        ),
        ("[mail]\nstaff_address = \"staff\"\n", "mail.staff_address"),
        (
            "[mail]\nreplies_per_minute = 0\n",
            "mail.replies_per_minute",
        ),
        ("[mail]\ncopy_wait_seconds = 0\n", "mail.copy_wait_seconds"),
        (
            "[mail.imap]\npassword_env = \"my password\"\n",
            "mail.imap.password_env",
        ),
        (
            "[mail.imap]\ndone_folder = \"INBOX\"\n",
            "mail.imap.done_folder",
        ),
        ("[mail.imap]\nidle_minutes = 30\n", "mail.imap.idle_minutes"),
        ("[mail.imap]\npassword = \"secret\"\n", "password"),
    ] {
        let err = parse(text).expect_err(text).to_string();
        assert!(err.contains(key), "{text}: {err}");
    }
    // Plain is fine for a server on this machine (the test rig).
    let local = on
        .replace("imap.example.org", "127.0.0.1")
        .replace("[mail.imap]\n", "[mail.imap]\nsecurity = \"plain\"\n");
    assert!(parse(&local).is_ok());
}

#[test]
fn the_discord_section_is_off_by_default_and_its_bad_values_name_their_key() {
    let c = parse("").unwrap();
    assert!(!c.discord.enabled);
    assert_eq!(c.discord.token_env, "GUICHET_DISCORD_TOKEN");
    let c = parse("[discord]\nenabled = true\nguilds = [123456789012345678]\nstaff_channel = 42\nstaff_page_url = \"https://guichet.example/\"\n").unwrap();
    assert_eq!(c.discord.guilds, vec![123_456_789_012_345_678]);
    assert_eq!(c.discord.staff_channel, 42);
    for (text, key) in [
        ("[discord]\ntoken_env = \"my token\"\n", "discord.token_env"),
        ("[discord]\ntoken_env = \"\"\n", "discord.token_env"),
        ("[discord]\nguilds = [0]\n", "discord.guilds"),
        (
            "[discord]\nallowed_channels = [0]\n",
            "discord.allowed_channels",
        ),
        (
            "[discord]\nstaff_page_url = \"guichet.example\"\n",
            "discord.staff_page_url",
        ),
        (
            "[discord]\nrate_limit_per_minute = 0\n",
            "discord.rate_limit_per_minute",
        ),
    ] {
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains(key), "{text:?}: {err}");
    }
    let err = parse("[discord]\ntoken = \"secret\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("token") && err.contains("line 2"),
        "a token in the file is refused: {err}"
    );
}

#[test]
fn the_teams_section_is_off_by_default_and_its_bad_values_name_their_key() {
    let c = parse("").unwrap();
    assert!(!c.teams.enabled);
    assert_eq!(c.teams.password_env, "GUICHET_TEAMS_APP_PASSWORD");
    assert_eq!(c.teams.endpoint, "/api/teams/messages");
    assert_eq!(c.teams.tenant, "botframework.com");
    assert_eq!(
        c.teams.token_endpoint(),
        "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
    );
    let on = "[teams]\nenabled = true\napp_id = \"c9e8c047-2a74-40a2-b28a-b162d5f5327c\"\n";
    let c = parse(on).unwrap();
    assert!(c.teams.enabled);
    let single = format!("{on}tenant = \"72f988bf-86f1-41af-91ab-2d7cd011db47\"\n");
    assert_eq!(
        parse(&single).unwrap().teams.token_endpoint(),
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
        "a single-tenant bot gets its tokens from its own tenant"
    );
    let custom = format!("{on}token_url = \"http://127.0.0.1:9/token\"\n");
    assert_eq!(
        parse(&custom).unwrap().teams.token_endpoint(),
        "http://127.0.0.1:9/token"
    );
    for (text, key, why) in [
        ("[teams]\nenabled = true\n", "teams.app_id", "must be set"),
        (
            "[teams]\napp_id = \"guichet\"\n",
            "teams.app_id",
            "Microsoft App ID",
        ),
        (
            "[teams]\ntenant = \"contoso\"\n",
            "teams.tenant",
            "tenant id",
        ),
        (
            "[teams]\npassword_env = \"my secret\"\n",
            "teams.password_env",
            "environment variable",
        ),
        (
            "[teams]\nendpoint = \"api/teams\"\n",
            "teams.endpoint",
            "path",
        ),
        (
            "[teams]\nendpoint = \"/api/chat\"\n",
            "teams.endpoint",
            "already",
        ),
        (
            "[teams]\nendpoint = \"/staff/teams\"\n",
            "teams.endpoint",
            "already",
        ),
        (
            "[teams]\nendpoint = \"/widget.js\"\n",
            "teams.endpoint",
            "already",
        ),
        (
            "[teams]\nopenid_metadata_url = \"\"\n",
            "teams.openid_metadata_url",
            "URL",
        ),
        (
            "[teams]\ntoken_url = \"login.microsoftonline.com\"\n",
            "teams.token_url",
            "URL",
        ),
        (
            "[teams]\nstaff_conversation = \"19:x@thread.tacv2\"\n",
            "teams.staff_service_url",
            "both",
        ),
        (
            "[teams]\nstaff_service_url = \"https://smba.trafficmanager.net/amer/\"\n",
            "teams.staff_service_url",
            "both",
        ),
        (
            "[teams]\nstaff_page_url = \"guichet.example\"\n",
            "teams.staff_page_url",
            "base URL",
        ),
        (
            "[teams]\nrate_limit_per_minute = 0\n",
            "teams.rate_limit_per_minute",
            "range",
        ),
    ] {
        let err = parse(text).expect_err(text).to_string();
        assert!(
            err.contains(&format!("`{key}`")) && err.contains(why),
            "{text:?}: {err}"
        );
    }
    let err = parse("[teams]\npassword = \"secret\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("password") && err.contains("line 2"),
        "a password in the file is refused: {err}"
    );
    let env = vec![(
        "GUICHET__TEAMS__APP_ID".to_string(),
        "c9e8c047-2a74-40a2-b28a-b162d5f5327c".to_string(),
    )];
    let c = Config::from_toml(EMBEDDED_DEFAULTS, "defaults", &env).unwrap();
    assert_eq!(c.teams.app_id, "c9e8c047-2a74-40a2-b28a-b162d5f5327c");
}

#[test]
fn the_database_sits_in_the_data_directory_unless_configured() {
    let c = parse("data_dir = \"/srv/g\"\n").unwrap();
    assert_eq!(c.database_path(), PathBuf::from("/srv/g/guichet.sqlite3"));
    let c = parse("[database]\npath = \"/db/x.sqlite3\"\n").unwrap();
    assert_eq!(c.database_path(), PathBuf::from("/db/x.sqlite3"));
}

#[test]
fn web_listen_is_an_address_parsed_once_and_a_bad_one_names_its_key_and_line() {
    let c = parse("[web]\nlisten = \"0.0.0.0:80\"\n").unwrap();
    assert_eq!(c.web.listen, std::net::SocketAddr::from(([0, 0, 0, 0], 80)));
    let err = parse("[web]\nlisten = \"localhost\"\n")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "configuration test.toml: key `web.listen`: 'localhost' is not an address like \
         127.0.0.1:8080 (invalid socket address syntax) (line 2)"
    );
    // From an environment variable: the key, and no line of a text nobody wrote.
    let env = vec![("GUICHET__WEB__LISTEN".to_string(), "nope".to_string())];
    let err = Config::from_toml(EMBEDDED_DEFAULTS, "defaults", &env)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("key `web.listen`")
            && err.contains("GUICHET__* overrides")
            && !err.contains("line"),
        "{err}"
    );
}

#[test]
fn trusted_proxies_are_ip_addresses_and_a_bad_one_is_named_by_its_index() {
    let err = parse("[web]\ntrusted_proxies = [\"127.0.0.1\", \"nginx.local\"]\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("key `web.trusted_proxies[1]`") && err.contains("like 127.0.0.1 or ::1"),
        "{err}"
    );
}

#[test]
fn origins_are_kept_lowercase_as_browsers_send_them() {
    let c = parse("[web]\nallowed_origins = [\"HTTPS://SSAQuebec.ca:8443\"]\n").unwrap();
    assert_eq!(
        c.web.allowed_origins[0].as_str(),
        "https://ssaquebec.ca:8443"
    );
    let origin: Origin = "http://[::1]:8080".parse().unwrap();
    assert_eq!(origin.to_string(), "http://[::1]:8080");
}

#[test]
fn base_urls_drop_the_final_slash_empty_means_none_and_a_bad_one_names_its_key() {
    for (section, key) in [
        ("web", "public_url"),
        ("discord", "staff_page_url"),
        ("teams", "staff_page_url"),
        ("mail", "staff_page_url"),
    ] {
        let url = |c: &Config| -> Option<BaseUrl> {
            match section {
                "web" => c.web.public_url.clone(),
                "discord" => c.discord.staff_page_url.clone(),
                "teams" => c.teams.staff_page_url.clone(),
                _ => c.mail.staff_page_url.clone(),
            }
        };
        let c = parse(&format!(
            "[{section}]\n{key} = \"https://guichet.example//\"\n"
        ))
        .unwrap();
        let base = url(&c).expect(key);
        assert_eq!(base.as_str(), "https://guichet.example");
        assert_eq!(
            base.join("/staff/requests/SSA-2026-00042"),
            "https://guichet.example/staff/requests/SSA-2026-00042"
        );
        assert_eq!(
            base.join("feedback/t"),
            "https://guichet.example/feedback/t"
        );
        let c = parse(&format!("[{section}]\n{key} = \"\"\n")).unwrap();
        assert_eq!(url(&c), None, "{section}.{key}");
        assert_eq!(url(&parse("").unwrap()), None, "{section}.{key}");
        for bad in [
            "guichet.example",
            "https://guichet example",
            "ftp://guichet.example",
        ] {
            let err = parse(&format!("[{section}]\n{key} = \"{bad}\"\n"))
                .expect_err(bad)
                .to_string();
            assert!(
                err.contains(&format!("key `{section}.{key}`"))
                    && err.contains("is not a base URL like https://guichet.example")
                    && err.contains("line 2"),
                "{err}"
            );
        }
    }
}

#[test]
fn mail_addresses_are_emails_parsed_once_and_a_bad_one_names_its_key() {
    let c = parse(
        "[mail]\naddress = \"Contact@SSAQuebec.ca\"\naliases = [\"info@ssaquebec.ca\"]\nstaff_address = \"\"\n",
    )
    .unwrap();
    assert_eq!(
        c.mail.address.as_ref().map(|a| a.as_str()),
        Some("Contact@ssaquebec.ca")
    );
    assert_eq!(c.mail.aliases.len(), 1);
    assert_eq!(c.mail.aliases[0].as_str(), "info@ssaquebec.ca");
    assert_eq!(c.mail.staff_address, None, "empty means none");
    for (text, key) in [
        ("[mail]\naddress = \"contact@\"\n", "key `mail.address`"),
        (
            "[mail]\naliases = [\"info@ssaquebec.ca\", \"info\"]\n",
            "key `mail.aliases[1]`",
        ),
        ("[mail]\nstaff_address = \"staff@x\"\n", "key `mail.staff_address`"),
        (
            "[mail]\nenabled = true\n[mail.imap]\nhost = \"imap.example.org\"\nusername = \"u\"\n[mail.smtp]\nhost = \"smtp.example.org\"\n",
            "key `mail.address`: must be set when mail.enabled is true",
        ),
    ] {
        let err = parse(text).expect_err(text).to_string();
        assert!(err.contains(key), "{text}: {err}");
    }
}

#[test]
fn secrets_are_read_from_the_variables_the_sections_name() {
    let mut c = parse("[discord]\ntoken_env = \"GUICHET_TEST_CONFIG_TOKEN_NEVER_SET\"\n").unwrap();
    let err = c.discord.token().unwrap_err();
    assert_eq!(err.var, "GUICHET_TEST_CONFIG_TOKEN_NEVER_SET");
    assert_eq!(err.key, "discord.token_env");
    // Without a username, SMTP needs no password.
    assert!(c.mail.smtp.password().unwrap().is_none());
    c.mail.smtp.username = "relay".into();
    c.mail.smtp.password_env = "GUICHET_TEST_CONFIG_SMTP_NEVER_SET".into();
    assert_eq!(
        c.mail.smtp.password().unwrap_err().key,
        "mail.smtp.password_env"
    );
}

mod metrics_config_tests {
    use super::super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, "test.toml", &[])
    }

    #[test]
    fn metrics_are_off_by_default_and_loopback_only_unless_allowed() {
        let c = parse("").unwrap();
        assert_eq!(c.web.metrics_listen, None);
        let c = parse("[web]\nmetrics_listen = \"127.0.0.1:9090\"\n").unwrap();
        assert_eq!(
            c.web.metrics_listen,
            Some("127.0.0.1:9090".parse().unwrap())
        );
        let c = parse("[web]\nmetrics_listen = \"\"\n").unwrap();
        assert_eq!(c.web.metrics_listen, None, "empty still means nowhere");
        let err = parse("[web]\nmetrics_listen = \"0.0.0.0:9090\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("key `web.metrics_listen`") && err.contains("metrics_allow_remote"),
            "{err}"
        );
        let c = parse("[web]\nmetrics_listen = \"0.0.0.0:9090\"\nmetrics_allow_remote = true\n");
        assert!(c.is_ok(), "{c:?}");
        let err = parse("[web]\nmetrics_listen = \"localhost:9090\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("web.metrics_listen") && err.contains("127.0.0.1:9090"),
            "{err}"
        );
        let err =
            parse("[web]\nlisten = \"127.0.0.1:8080\"\nmetrics_listen = \"127.0.0.1:8080\"\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("already web.listen"), "{err}");
        let err = parse("[web]\nchannel_down_seconds = 0\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("web.channel_down_seconds"), "{err}");
    }
}
