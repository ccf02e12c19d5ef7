//! robots.txt, as far as a polite copier needs it: the rules of the group naming our
//! user agent (else of `*`), `Allow` and `Disallow` path prefixes with `*` and a final `$`,
//! the longest match deciding (RFC 9309).

/// The rules that apply to us on one host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Robots {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    pattern: String,
}

impl Robots {
    /// Everything allowed (no robots.txt).
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    /// Reads a robots.txt for `user_agent` (its product name, before any `/`, is matched
    /// case-insensitively against each group's `User-agent` lines).
    pub fn parse(text: &str, user_agent: &str) -> Robots {
        let product = user_agent
            .split(['/', ' '])
            .next()
            .unwrap_or(user_agent)
            .to_ascii_lowercase();
        // (agents, rules) for each group, in order.
        let mut groups: Vec<(Vec<String>, Vec<Rule>)> = Vec::new();
        let mut collecting_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            match key.as_str() {
                "user-agent" => {
                    if !collecting_agents {
                        groups.push((Vec::new(), Vec::new()));
                        collecting_agents = true;
                    }
                    if let Some(group) = groups.last_mut() {
                        group.0.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    collecting_agents = false;
                    // An empty Disallow allows everything: it is no rule.
                    if value.is_empty() {
                        continue;
                    }
                    if let Some(group) = groups.last_mut() {
                        group.1.push(Rule {
                            allow: key == "allow",
                            pattern: value.to_string(),
                        });
                    }
                }
                _ => collecting_agents = false,
            }
        }
        let rules = if groups.iter().any(|(agents, _)| agents.contains(&product)) {
            rules_for(&groups, |agent| agent == product)
        } else {
            rules_for(&groups, |agent| agent == "*")
        };
        Robots { rules }
    }

    /// Whether `path` (the URL's path and query, starting with `/`) may be fetched.
    pub fn allows(&self, path: &str) -> bool {
        let mut best: Option<(usize, bool)> = None;
        for rule in &self.rules {
            if matches(&rule.pattern, path) {
                let len = rule.pattern.len();
                best = match best {
                    // The longest pattern wins; on a tie, Allow does.
                    Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                    _ => Some((len, rule.allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// The rules of every group whose agents satisfy `wanted`, merged.
fn rules_for(groups: &[(Vec<String>, Vec<Rule>)], wanted: impl Fn(&str) -> bool) -> Vec<Rule> {
    groups
        .iter()
        .filter(|(agents, _)| agents.iter().any(|a| wanted(a)))
        .flat_map(|(_, rules)| rules.iter().cloned())
        .collect()
}

/// Whether `path` starts with `pattern`, where `*` matches any run of characters and a
/// final `$` anchors the end.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or("");
    let Some(mut rest) = path.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        if last && anchored {
            return rest.ends_with(piece);
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    !anchored || rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROBOTS: &str = "\
# the Unit's site
User-agent: *
Disallow: /wp-admin/
Allow: /wp-admin/admin-ajax.php
Disallow: /*.pdf$

User-agent: Guichet
User-agent: otherbot
Disallow: /private
Allow: /private/public-page
Disallow: /tmp*/draft

User-agent: guichet
Disallow: /extra   # merged with the group above
";

    #[test]
    fn our_named_group_applies_and_the_longest_rule_wins() {
        let r = Robots::parse(ROBOTS, "guichet/0.1");
        assert!(!r.allows("/private"));
        assert!(!r.allows("/private/notes"));
        assert!(r.allows("/private/public-page"));
        assert!(!r.allows("/extra/page"));
        assert!(!r.allows("/tmp-2024/draft"));
        assert!(r.allows("/tmp-2024/final"));
        // The * group does not apply to us once a group names us.
        assert!(r.allows("/wp-admin/"));
        assert!(r.allows("/"));
    }

    #[test]
    fn other_agents_get_the_star_group_with_wildcards_and_anchors() {
        let r = Robots::parse(ROBOTS, "somebot");
        assert!(!r.allows("/wp-admin/options.php"));
        assert!(r.allows("/wp-admin/admin-ajax.php"));
        assert!(!r.allows("/docs/guide.pdf"));
        assert!(r.allows("/docs/guide.pdf?download=1"));
        assert!(r.allows("/private"));
    }

    #[test]
    fn an_empty_disallow_or_no_matching_group_allows_everything() {
        assert!(Robots::parse("User-agent: *\nDisallow:\n", "guichet").allows("/a"));
        assert!(Robots::parse("User-agent: google\nDisallow: /\n", "guichet").allows("/a"));
        assert!(!Robots::parse("User-agent: *\nDisallow: /\n", "guichet").allows("/a"));
        assert!(Robots::allow_all().allows("/anything"));
    }

    #[test]
    fn a_tie_between_allow_and_disallow_allows() {
        let r = Robots::parse("User-agent: *\nDisallow: /page\nAllow: /page\n", "guichet");
        assert!(r.allows("/page"));
    }
}
