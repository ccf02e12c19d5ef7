//! The terminal chat (`guichet chat`): staff talk to the engine as a person would, or a
//! script drives it one JSON message per line (`--json`).

use std::io::{BufRead, Write};

use crate::assistant::{Action, Assistant, Incoming, Reply};
use crate::messages::Msg;
use crate::requests::model::Channel;

/// Runs a chat over `input`/`output` until end of input. With `json`, each input line is a
/// message (plain text, or `{"text": …, "action": …}`) and each reply is one JSON line;
/// otherwise replies are written for a person, and `/action` (e.g. `/confirm`) presses a
/// button.
pub fn run(
    assistant: &Assistant,
    conversation: &str,
    json: bool,
    input: impl BufRead,
    mut output: impl Write,
    color: bool,
) -> std::io::Result<()> {
    if !json {
        writeln!(
            output,
            "{}",
            Msg::Help.text(assistant.settings().default_language)
        )?;
        write!(output, "> ")?;
        output.flush()?;
    }
    for line in input.lines() {
        let line = line?;
        let incoming = parse_line(conversation, &line, json);
        let reply = assistant.handle(incoming);
        if json {
            writeln!(output, "{}", reply.to_json())?;
        } else {
            writeln!(output, "{}", render(&reply, color))?;
            write!(output, "> ")?;
        }
        output.flush()?;
    }
    Ok(())
}

fn parse_line(conversation: &str, line: &str, json: bool) -> Incoming {
    let mut incoming = Incoming::text(Channel::Terminal, conversation, line);
    let trimmed = line.trim();
    if json && trimmed.starts_with('{') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) {
            incoming.text = v["text"].as_str().unwrap_or_default().to_string();
            incoming.action = v["action"].as_str().and_then(Action::parse);
            incoming.lang_hint = v["lang"].as_str().and_then(|l| l.parse().ok());
        }
    } else if let Some(id) = trimmed.strip_prefix('/') {
        if let Some(action) = Action::parse(id) {
            incoming.text.clear();
            incoming.action = Some(action);
        }
    }
    incoming
}

/// A reply as a person reads it in a terminal.
pub fn render(reply: &Reply, color: bool) -> String {
    let (open, close) = if color {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    let mut out = reply.text.clone();
    for (i, hit) in reply.hits.iter().enumerate() {
        out.push_str(&format!("\n\n{}. {open}{}{close}", i + 1, hit.title));
        for line in hit.excerpt.marked(open, close).lines() {
            out.push_str("\n   ");
            out.push_str(line);
        }
        if let Some(url) = &hit.url {
            out.push_str(&format!("\n   {} : {url}", Msg::Source.text(reply.lang)));
        }
    }
    for (i, hit) in reply.suggestions.iter().enumerate() {
        out.push_str(&format!("\n{}. {open}{}{close}", i + 1, hit.title));
        if let Some(url) = &hit.url {
            out.push_str(&format!(" — {url}"));
        }
    }
    if !reply.actions.is_empty() {
        let buttons: Vec<String> = reply
            .actions
            .iter()
            .map(|a| format!("/{} ({})", a.id(), a.label(reply.lang)))
            .collect();
        out.push_str(&format!("\n[{}]", buttons.join("  ")));
    }
    out
}
