//! sitemap.xml (sitemaps.org): the page addresses of a `<urlset>`, or the sitemaps of a
//! `<sitemapindex>`, read with roxmltree (no DTD, so no entity expansion).

/// What a sitemap file lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sitemap {
    /// `<urlset>`: pages.
    Pages(Vec<String>),
    /// `<sitemapindex>`: other sitemaps.
    Index(Vec<String>),
}

/// Reads a sitemap; the error says why it is not one.
pub fn parse(xml: &str) -> Result<Sitemap, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("not XML: {e}"))?;
    let root = doc.root_element();
    let (item, index) = match root.tag_name().name() {
        "urlset" => ("url", false),
        "sitemapindex" => ("sitemap", true),
        other => return Err(format!("<{other}> is neither <urlset> nor <sitemapindex>")),
    };
    let locs: Vec<String> = root
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == item)
        .filter_map(|n| {
            n.children()
                .find(|c| c.is_element() && c.tag_name().name() == "loc")
        })
        .filter_map(|loc| loc.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    Ok(if index {
        Sitemap::Index(locs)
    } else {
        Sitemap::Pages(locs)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pages_and_indexes_with_namespaces_and_entities() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc> https://ssaquebec.ca/en/the-unit/ </loc><lastmod>2025-01-01</lastmod>
    <image:image><image:loc>https://ssaquebec.ca/logo.png</image:loc></image:image></url>
  <url><loc>https://ssaquebec.ca/?p=1&amp;lang=en</loc></url>
  <url><lastmod>2025-01-01</lastmod></url>
</urlset>"#;
        assert_eq!(
            parse(xml).unwrap(),
            Sitemap::Pages(vec![
                "https://ssaquebec.ca/en/the-unit/".into(),
                "https://ssaquebec.ca/?p=1&lang=en".into()
            ])
        );
        let index = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://ssaquebec.ca/page-sitemap.xml</loc></sitemap></sitemapindex>"#;
        assert_eq!(
            parse(index).unwrap(),
            Sitemap::Index(vec!["https://ssaquebec.ca/page-sitemap.xml".into()])
        );
    }

    #[test]
    fn refuses_what_is_not_a_sitemap() {
        assert!(parse("<html><body>Not found</body></html>")
            .unwrap_err()
            .contains("<html>"));
        assert!(parse("not xml at all").unwrap_err().starts_with("not XML"));
        let dtd = r#"<!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">]><urlset><url><loc>&a;</loc></url></urlset>"#;
        assert!(parse(dtd).is_err());
    }
}
