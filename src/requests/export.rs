//! Requests out of the store: CSV for spreadsheets, JSON for other programs, and plain-text
//! views (a table, one request in full) for staff at a terminal.
//!
//! Everything here treats request text as hostile: CSV cells cannot start a spreadsheet
//! formula, and terminal views replace control characters (escape sequences, bidi
//! overrides) so a request cannot rewrite the staff member's screen.

use std::fmt::Write as _;

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use super::model::{format_rfc3339, AuditEvent, Request};
use crate::language::Language;

/// The CSV columns, in order.
pub const CSV_HEADER: &str = "reference,created_at,updated_at,status,channel,type,language,\
name,email,organization,assignee,closed_reason,description";

/// Requests as CSV (RFC 4180, CRLF line ends), one row per request under [`CSV_HEADER`].
/// Times are RFC 3339 in UTC; status, channel, type and language are codes.
pub fn to_csv(requests: &[Request]) -> String {
    let mut out = String::with_capacity(256 * (requests.len() + 1));
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for request in requests {
        let cells = [
            request.reference.to_string(),
            format_rfc3339(request.created_at),
            format_rfc3339(request.updated_at),
            request.status.code().to_string(),
            request.channel.code().to_string(),
            request.request_type.code().to_string(),
            request.language.code().to_string(),
            request.requester_name.clone(),
            request.requester_email.to_string(),
            request.organization.clone(),
            request.assignee.clone().unwrap_or_default(),
            request.closed_reason.clone().unwrap_or_default(),
            request.description.clone(),
        ];
        for (index, cell) in cells.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str(&csv_cell(cell));
        }
        out.push_str("\r\n");
    }
    out
}

/// One CSV cell: defused if a spreadsheet would read it as a formula (a leading `'` makes
/// it text), then quoted if it holds a comma, a quote or a line break.
fn csv_cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if defused.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// Requests as a pretty-printed JSON array of [`Request::to_json`].
pub fn to_json(requests: &[Request]) -> String {
    let array = serde_json::Value::Array(requests.iter().map(Request::to_json).collect());
    // `{:#}` is serde_json's pretty printer; writing a Value to a String cannot fail.
    format!("{array:#}")
}

/// The longest name or organization shown in a table cell, so one long value does not
/// push the table off the screen.
const MAX_CELL_CHARS: usize = 32;

/// Requests as an aligned table: reference, creation date (UTC), status and type codes
/// (what staff type to filter), name and organization.
pub fn render_list(requests: &[Request]) -> String {
    if requests.is_empty() {
        return "No requests.\n".to_string();
    }
    let header = [
        "REFERENCE",
        "CREATED",
        "STATUS",
        "TYPE",
        "NAME",
        "ORGANIZATION",
    ];
    let rows: Vec<[String; 6]> = requests
        .iter()
        .map(|r| {
            [
                r.reference.to_string(),
                format_time(r.created_at, DATE),
                r.status.code().to_string(),
                r.request_type.code().to_string(),
                cell(&r.requester_name),
                cell(&r.organization),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (width, value) in widths.iter_mut().zip(row) {
            *width = (*width).max(value.chars().count());
        }
    }
    let mut out = String::new();
    let mut push_row = |values: &[&str]| {
        let mut line = String::new();
        for (index, (value, width)) in values.iter().zip(widths).enumerate() {
            if index > 0 {
                line.push_str("  ");
            }
            line.push_str(value);
            if index + 1 < values.len() {
                let pad = width.saturating_sub(value.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    push_row(&header);
    for row in &rows {
        push_row(&row.each_ref().map(String::as_str));
    }
    out
}

/// One request in full for a staff member: every field, the transcript (one line per
/// message), the staff notes and the history of changes.
pub fn render_detail(request: &Request, history: &[AuditEvent]) -> String {
    let mut out = String::new();
    let none = "—".to_string();
    let fields: [(&str, String); 14] = [
        (
            "status",
            format!(
                "{} ({} / {})",
                request.status.code(),
                request.status.label(Language::Fr),
                request.status.label(Language::En)
            ),
        ),
        (
            "closed reason",
            request.closed_reason.as_deref().map_or(none.clone(), line),
        ),
        (
            "assignee",
            request.assignee.as_deref().map_or(none.clone(), line),
        ),
        (
            "type",
            format!(
                "{} ({} / {})",
                request.request_type.code(),
                request.request_type.label(Language::Fr),
                request.request_type.label(Language::En)
            ),
        ),
        ("channel", request.channel.code().to_string()),
        ("language", request.language.code().to_string()),
        ("created", format_time(request.created_at, MINUTE)),
        ("updated", format_time(request.updated_at, MINUTE)),
        ("name", line(&request.requester_name)),
        ("email", line(request.requester_email.as_str())),
        (
            "handle",
            request
                .requester_handle
                .as_deref()
                .map_or(none.clone(), line),
        ),
        (
            "organization",
            if request.organization.is_empty() {
                none.clone()
            } else {
                line(&request.organization)
            },
        ),
        (
            "attachments",
            if request.attachments.is_empty() {
                none.clone()
            } else {
                line(&request.attachments.join(", "))
            },
        ),
        ("staff notes", request.staff_notes.len().to_string()),
    ];
    // Writing to a String cannot fail, hence the ignored fmt::Results below.
    let _ = writeln!(out, "Request {}", request.reference);
    for (name, value) in &fields {
        let _ = writeln!(out, "  {:<14}{value}", format!("{name}:"));
    }

    out.push_str("\nDescription:\n");
    if request.description.is_empty() {
        out.push_str("  —\n");
    } else {
        for text_line in block(&request.description).lines() {
            let _ = writeln!(out, "  {text_line}");
        }
    }

    let _ = writeln!(out, "\nTranscript ({}):", request.transcript.len());
    if request.transcript.is_empty() {
        out.push_str("  —\n");
    }
    for entry in &request.transcript {
        let _ = writeln!(
            out,
            "  {}  {:<7}  {}",
            format_time(entry.at, SECOND),
            entry.from.code(),
            line(&entry.text)
        );
    }

    let _ = writeln!(out, "\nStaff notes ({}):", request.staff_notes.len());
    if request.staff_notes.is_empty() {
        out.push_str("  —\n");
    }
    for note in &request.staff_notes {
        let _ = writeln!(
            out,
            "  {}  {}",
            format_time(note.at, MINUTE),
            line(&note.by)
        );
        for text_line in block(&note.text).lines() {
            let _ = writeln!(out, "      {text_line}");
        }
    }

    let _ = writeln!(out, "\nHistory ({}):", history.len());
    if history.is_empty() {
        out.push_str("  —\n");
    }
    for event in history {
        let mut change = String::new();
        match (&event.from, &event.to) {
            (Some(from), Some(to)) => {
                let _ = write!(change, "{} → {}", line(from), line(to));
            }
            (None, Some(to)) => {
                let _ = write!(change, "→ {}", line(to));
            }
            (Some(from), None) => {
                let _ = write!(change, "{} →", line(from));
            }
            (None, None) => {}
        }
        if let Some(note) = &event.note {
            if !change.is_empty() {
                change.push_str("  ");
            }
            let _ = write!(change, "“{}”", line(note));
        }
        let entry = format!(
            "  {}  {}  {:<10}  {change}",
            format_time(event.at, MINUTE),
            line(&event.by),
            event.kind.code()
        );
        out.push_str(entry.trim_end());
        out.push('\n');
    }
    out
}

const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");
const MINUTE: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
const SECOND: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");

/// A time in UTC for people to read. Stored times always format; anything else falls back
/// to `time`'s own display rather than failing a whole listing.
fn format_time(at: OffsetDateTime, format: &[BorrowedFormatItem<'_>]) -> String {
    let utc = at.to_offset(UtcOffset::UTC);
    utc.format(format).unwrap_or_else(|_| utc.to_string())
}

/// A text on one line: line breaks and tabs become spaces, runs of spaces fold, and
/// unsafe characters become U+FFFD.
fn line(text: &str) -> String {
    let replaced: String = text
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if crate::text::is_unsafe_char(c) => '\u{FFFD}',
            c => c,
        })
        .collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// [`line`], cut to [`MAX_CELL_CHARS`] with an ellipsis.
fn cell(text: &str) -> String {
    crate::text::clip(&line(text), MAX_CELL_CHARS)
}

/// A text keeping its line breaks (CR LF and lone CR become LF), with tabs as spaces and
/// unsafe characters as U+FFFD.
fn block(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\n' => '\n',
            '\r' => '\n',
            '\t' => ' ',
            c if crate::text::is_unsafe_char(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::model::{
        AuditKind, Channel, Email, RequestRef, RequestStatus, RequestType, Speaker, StaffNote,
        TranscriptEntry,
    };
    use time::macros::datetime;

    fn request(seq: u32, name: &str, description: &str) -> Request {
        Request {
            reference: RequestRef::new(2026, seq).unwrap(),
            created_at: datetime!(2026-03-01 14:05:12 UTC),
            updated_at: datetime!(2026-03-02 09:00 UTC),
            status: RequestStatus::Triaged,
            closed_reason: None,
            assignee: Some("Marie Tremblay".into()),
            channel: Channel::Web,
            requester_name: name.into(),
            requester_email: Email::parse("jane@umontreal.ca").unwrap(),
            requester_handle: None,
            organization: "CRCHUM".into(),
            request_type: RequestType::LetterOfSupport,
            description: description.into(),
            language: Language::Fr,
            transcript: vec![],
            attachments: vec![],
            staff_notes: vec![],
        }
    }

    #[test]
    fn csv_has_the_documented_header_and_crlf_line_ends() {
        let csv = to_csv(&[request(1, "Jane Doe", "Une lettre")]);
        let mut lines = csv.split("\r\n");
        assert_eq!(lines.next(), Some(CSV_HEADER));
        assert_eq!(
            lines.next(),
            Some(
                "SSA-2026-00001,2026-03-01T14:05:12Z,2026-03-02T09:00:00Z,triaged,web,\
                 letter_of_support,fr,Jane Doe,jane@umontreal.ca,CRCHUM,Marie Tremblay,,\
                 Une lettre"
            )
        );
        assert_eq!(lines.next(), Some(""), "the last row ends with CRLF");
        assert_eq!(lines.next(), None);
        assert_eq!(to_csv(&[]), format!("{CSV_HEADER}\r\n"));
    }

    #[test]
    fn csv_quotes_commas_quotes_and_line_breaks() {
        let csv = to_csv(&[request(
            2,
            "Doe, Jane \"JD\"",
            "ligne 1\nligne 2\r\nligne 3",
        )]);
        assert!(
            csv.contains(",\"Doe, Jane \"\"JD\"\"\","),
            "name quoted with doubled quotes: {csv}"
        );
        assert!(
            csv.contains(",\"ligne 1\nligne 2\r\nligne 3\"\r\n"),
            "line breaks stay inside a quoted cell: {csv:?}"
        );
    }

    #[test]
    fn csv_cells_cannot_start_a_spreadsheet_formula() {
        for (value, expected) in [
            (
                "=HYPERLINK(\"http://evil\")",
                "\"'=HYPERLINK(\"\"http://evil\"\")\"",
            ),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\rcmd", "\"'\rcmd\""),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(value), expected, "{value:?}");
        }
        let csv = to_csv(&[request(3, "=cmd|' /C calc'!A0", "x")]);
        assert!(csv.contains(",'=cmd|' /C calc'!A0,"), "{csv}");
    }

    #[test]
    fn json_export_is_an_array_of_every_field() {
        let text = to_json(&[request(4, "Jane", "d")]);
        assert!(text.contains('\n'), "pretty-printed");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let first = &value.as_array().unwrap()[0];
        assert_eq!(first["reference"], "SSA-2026-00004");
        assert_eq!(first["created_at"], "2026-03-01T14:05:12Z");
        assert_eq!(first["status"], "triaged");
        assert_eq!(first["request_type"], "letter_of_support");
        assert_eq!(first["requester_email"], "jane@umontreal.ca");
        assert_eq!(first["requester_handle"], serde_json::Value::Null);
        assert_eq!(to_json(&[]), "[]");
    }

    #[test]
    fn the_table_aligns_columns_and_says_when_it_is_empty() {
        assert_eq!(render_list(&[]), "No requests.\n");
        let table = render_list(&[
            request(5, "Jane Doe", "x"),
            request(6, &"Très long nom ".repeat(10), "y"),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        let column = |line: &str, word: &str| line.find(word).map(|b| line[..b].chars().count());
        assert_eq!(column(lines[0], "STATUS"), column(lines[1], "triaged"));
        assert_eq!(column(lines[0], "NAME"), column(lines[2], "Très"));
        assert_eq!(column(lines[1], "CRCHUM"), column(lines[2], "CRCHUM"));
        assert!(lines[1].starts_with("SSA-2026-00005  2026-03-01  triaged"));
        assert!(lines[2].contains('…'), "a long name is cut: {}", lines[2]);
        assert!(lines.iter().all(|l| !l.ends_with(' ')));
    }

    #[test]
    fn the_detail_view_shows_every_part_and_defuses_terminal_escapes() {
        let mut r = request(
            7,
            "Jane\u{1b}[2J Doe",
            "Bonjour\n\u{1b}]0;pwned\u{7}\nMerci",
        );
        r.transcript = vec![
            TranscriptEntry {
                at: datetime!(2026-03-01 14:00 UTC),
                from: Speaker::Person,
                text: "Je voudrais\nune lettre".into(),
            },
            TranscriptEntry {
                at: datetime!(2026-03-01 14:01 UTC),
                from: Speaker::Guichet,
                text: "D'accord \u{202E}gnp.exe".into(),
            },
        ];
        r.attachments = vec!["cv.pdf".into(), "budget.xlsx".into()];
        r.staff_notes = vec![StaffNote {
            at: datetime!(2026-03-02 09:00 UTC),
            by: "Marie".into(),
            text: "Appeler\nlundi".into(),
        }];
        let history = [
            AuditEvent {
                at: datetime!(2026-03-01 14:05 UTC),
                by: "guichet".into(),
                kind: AuditKind::Created,
                from: None,
                to: Some("new".into()),
                note: None,
            },
            AuditEvent {
                at: datetime!(2026-03-02 08:00 UTC),
                by: "Marie".into(),
                kind: AuditKind::Status,
                from: Some("new".into()),
                to: Some("triaged".into()),
                note: Some("ok".into()),
            },
        ];
        let text = render_detail(&r, &history);
        for expected in [
            "Request SSA-2026-00007",
            "triaged (Triée / Triaged)",
            "letter_of_support (Lettre d'appui / Letter of support)",
            "jane@umontreal.ca",
            "cv.pdf, budget.xlsx",
            "2026-03-01 14:00:00 UTC  person   Je voudrais une lettre",
            "2026-03-02 09:00 UTC  Marie",
            "      Appeler\n      lundi",
            "guichet  created     → new",
            "Marie  status      new → triaged  “ok”",
            "Transcript (2):",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        assert!(
            !text.contains('\u{1b}'),
            "no escape character reaches the terminal"
        );
        assert!(!text.contains('\u{7}') && !text.contains('\u{202E}'));
        assert!(
            text.contains("  Bonjour\n"),
            "the description keeps its lines"
        );
    }
}
