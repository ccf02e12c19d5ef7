//! Sender and recipient addresses: loose validation and display names.

use mail_parser::{Addr, Address};

use super::charset::{decode_header, needs_fallback};
use super::headers::{cap_chars, one_line};
use super::{Mailbox, MAX_ADDRESS_CHARS, MAX_NAME_CHARS};

/// `address` trimmed, without `<` `>`, if it looks like an address: exactly one `@` with
/// something on both sides, no whitespace or control characters, at most 254 characters.
fn valid_address(address: &str) -> Option<String> {
    let a = address.trim();
    let a = a.strip_prefix('<').unwrap_or(a);
    let a = a.strip_suffix('>').unwrap_or(a);
    let (local, domain) = a.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && a.chars().count() <= MAX_ADDRESS_CHARS
        && a.chars().all(|c| !c.is_control() && !c.is_whitespace());
    ok.then(|| a.to_string())
}

fn mailbox(addr: &Addr<'_>) -> Option<Mailbox> {
    let address = valid_address(addr.address.as_deref()?)?;
    let name = addr
        .name
        .as_deref()
        .map(|n| cap_chars(&one_line(n.trim_matches('"')), MAX_NAME_CHARS))
        .filter(|n| !n.is_empty());
    Some(Mailbox { name, address })
}

/// `mailbox` with its display name read again from the raw field `raw` when mail-parser
/// could not decode it (an unknown charset, bytes that are not UTF-8): UTF-8 where valid,
/// Windows-1252 elsewhere. Only for a field with one `<address>`.
pub(super) fn with_readable_name(mailbox: Option<Mailbox>, raw: Option<&[u8]>) -> Option<Mailbox> {
    let mut mailbox = mailbox?;
    let garbled = mailbox
        .name
        .as_ref()
        .is_some_and(|n| n.contains('\u{fffd}'));
    let Some(raw) = raw.filter(|r| garbled && needs_fallback(r)) else {
        return Some(mailbox);
    };
    if raw.iter().filter(|&&b| b == b'<').count() != 1 {
        return Some(mailbox);
    }
    let Some(open) = raw.iter().position(|&b| b == b'<') else {
        return Some(mailbox);
    };
    let name = decode_header(&raw[..open]);
    let name = cap_chars(&one_line(name.trim().trim_matches('"')), MAX_NAME_CHARS);
    if !name.is_empty() {
        mailbox.name = Some(name);
    }
    Some(mailbox)
}

fn all_addrs<'a>(address: &'a Address<'_>) -> Vec<&'a Addr<'a>> {
    match address {
        Address::List(list) => list.iter().collect(),
        Address::Group(groups) => groups.iter().flat_map(|g| g.addresses.iter()).collect(),
    }
}

pub(super) fn first_mailbox(address: Option<&Address<'_>>) -> Option<Mailbox> {
    all_addrs(address?).into_iter().find_map(mailbox)
}

pub(super) fn addresses<'a>(lists: impl Iterator<Item = &'a Address<'a>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for list in lists {
        for addr in all_addrs(list) {
            if let Some(a) = addr.address.as_deref().and_then(valid_address) {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(&a)) {
                    out.push(a);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::parse::testing::{crlf, parse_ok};

    #[test]
    fn mailboxes_are_validated_loosely() {
        assert_eq!(
            valid_address(" <a.b+c@x.ca> ").as_deref(),
            Some("a.b+c@x.ca")
        );
        for bad in ["", "nobody", "a@b@c", "a b@c.d", "@x", "x@", "a\u{1}@b.c"] {
            assert_eq!(valid_address(bad), None, "{bad:?}");
        }
        assert_eq!(valid_address(&format!("{}@x.ca", "a".repeat(260))), None);
        let m = parse_ok(&crlf(
            "From: \"  \" <a@b.c>\nReply-To: not an address\n\nx\n",
        ));
        assert_eq!(
            m.from,
            Some(Mailbox {
                name: None,
                address: "a@b.c".into()
            })
        );
        assert_eq!(m.reply_to, None);
    }
}
