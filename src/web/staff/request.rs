//! One request in full: its fields, description, transcript, staff notes and history,
//! with the three forms to triage it (status, assignee, note; they post to `actions`).

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::Response;

use super::blocking;
use super::html::{push_flash, push_option, staff_page, when};
use super::session::Staff;
use crate::language::Language;
use crate::messages::Msg;
use crate::requests::{
    AuditKind, Request as LoggedRequest, RequestRef, RequestStatus, Speaker, StoreError,
};
use crate::web::{escape, AppError, AppState, ErrorKind, Surface};

pub(super) fn parse_reference(text: &str, lang: Language) -> Result<RequestRef, AppError> {
    RequestRef::parse(text).map_err(|_| AppError::page(ErrorKind::RequestNotFound, Some(lang)))
}

pub(super) async fn detail(
    State(state): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let lang = staff.lang;
    let reference = parse_reference(&reference, lang)?;
    let desk = state.inner.desk.clone();
    let wanted = reference;
    let (request, history) = blocking(move || {
        let request = desk.get(&wanted)?;
        let history = match &request {
            Some(_) => desk.history(&wanted)?,
            None => Vec::new(),
        };
        Ok::<_, StoreError>((request, history))
    })
    .await?
    .map_err(|e| AppError::internal(Surface::Page, e))?;
    let request = request.ok_or(AppError::page(ErrorKind::RequestNotFound, Some(lang)))?;
    let r = &request;
    let reference = r.reference.to_string();
    let mut body = format!(
        "<p><a href=\"/staff\">{}</a></p>\n<h1>{}</h1>\n",
        escape(Msg::StaffBackToList.text(lang)),
        escape(&reference)
    );
    push_flash(&mut body, staff.take_flash(&state));

    body.push_str("<dl class=\"fields\">\n");
    let mut field = |label: Msg, value: &str| {
        let _ = writeln!(
            body,
            "<dt>{}</dt><dd>{}</dd>",
            escape(label.text(lang)),
            escape(value)
        );
    };
    field(Msg::StaffStatus, r.status.label(lang));
    field(Msg::StaffCreated, &when(r.created_at));
    field(Msg::StaffUpdated, &when(r.updated_at));
    field(Msg::StaffChannel, r.channel.code());
    field(Msg::FieldType, r.request_type.label(lang));
    field(Msg::StaffLanguage, r.language.code());
    field(Msg::FieldName, &r.requester_name);
    field(Msg::FieldEmail, r.requester_email.as_str());
    if let Some(handle) = &r.requester_handle {
        field(Msg::StaffHandle, handle);
    }
    field(Msg::FieldOrganization, &r.organization);
    field(Msg::StaffAssignee, r.assignee.as_deref().unwrap_or("—"));
    if let Some(reason) = &r.closed_reason {
        field(Msg::StaffClosedReason, reason);
    }
    if !r.attachments.is_empty() {
        field(Msg::StaffAttachments, &r.attachments.join(", "));
    }
    body.push_str("</dl>\n");
    let _ = writeln!(
        body,
        "<h2>{}</h2>\n<p class=\"text\">{}</p>",
        escape(Msg::FieldDescription.text(lang)),
        escape(&r.description)
    );

    let _ = writeln!(body, "<h2>{}</h2>", escape(Msg::StaffTranscript.text(lang)));
    body.push_str("<ol class=\"transcript\">\n");
    for entry in &r.transcript {
        let who = match entry.from {
            Speaker::Person => Msg::SpeakerPerson,
            Speaker::Guichet => Msg::SpeakerGuichet,
            Speaker::Staff => Msg::SpeakerStaff,
        };
        let _ = writeln!(
            body,
            "<li class=\"from-{code}\"><p class=\"meta\"><strong>{who}</strong> · {at}</p><p class=\"text\">{text}</p></li>",
            code = escape(entry.from.code()),
            who = escape(who.text(lang)),
            at = escape(&when(entry.at)),
            text = escape(&entry.text),
        );
    }
    body.push_str("</ol>\n");

    let _ = writeln!(body, "<h2>{}</h2>", escape(Msg::StaffNotes.text(lang)));
    body.push_str("<ul class=\"notes\">\n");
    for note in &r.staff_notes {
        let _ = writeln!(
            body,
            "<li><p class=\"meta\"><strong>{by}</strong> · {at}</p><p class=\"text\">{text}</p></li>",
            by = escape(&note.by),
            at = escape(&when(note.at)),
            text = escape(&note.text),
        );
    }
    body.push_str("</ul>\n");

    push_forms(&mut body, r, &staff);

    let _ = write!(
        body,
        "<h2>{}</h2>\n<table class=\"history\">\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
        escape(Msg::StaffHistory.text(lang)),
        escape(Msg::StaffWhen.text(lang)),
        escape(Msg::StaffWho.text(lang)),
        escape(Msg::StaffWhat.text(lang)),
    );
    for event in &history {
        let show = |v: &Option<String>| -> String {
            let v = v.as_deref().unwrap_or("");
            match event.kind {
                AuditKind::Created | AuditKind::Status | AuditKind::Reopened => {
                    RequestStatus::parse_code(v)
                        .map_or(v.to_string(), |s| s.label(lang).to_string())
                }
                _ => v.to_string(),
            }
        };
        let mut what = event.kind.code().to_string();
        if event.from.is_some() || event.to.is_some() {
            let _ = write!(what, " : {} → {}", show(&event.from), show(&event.to));
        }
        if let Some(note) = &event.note {
            let _ = write!(what, " — {note}");
        }
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td class=\"text\">{}</td></tr>",
            escape(&when(event.at)),
            escape(&event.by),
            escape(&what)
        );
    }
    body.push_str("</tbody>\n</table>\n");
    let path = format!("/staff/requests/{reference}");
    Ok(staff_page(lang, &reference, Some(&staff), &path, &body))
}

/// The three forms of the detail page: status (with a note), assignee, note.
fn push_forms(body: &mut String, r: &LoggedRequest, staff: &Staff) {
    let lang = staff.lang;
    let reference = r.reference.to_string();
    let action = |what: &str| format!("/staff/requests/{}/{what}", escape(&reference));
    let csrf = format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(&staff.csrf)
    );
    let save = escape(Msg::StaffSave.text(lang));

    let _ = writeln!(
        body,
        "<section class=\"forms\">\n<h2>{}</h2>",
        escape(Msg::StaffChangeStatus.text(lang))
    );
    let next: Vec<RequestStatus> = RequestStatus::ALL
        .into_iter()
        .filter(|s| r.status.can_move_to(*s))
        .collect();
    if next.is_empty() {
        let _ = writeln!(body, "<p>{}</p>", escape(Msg::StaffNoMove.text(lang)));
    } else {
        let _ = write!(
            body,
            "<form method=\"post\" action=\"{action}\">\n{csrf}\n<p><label for=\"status\">{label}</label>\n<select id=\"status\" name=\"status\">\n",
            action = action("status"),
            label = escape(Msg::StaffStatus.text(lang)),
        );
        for status in next {
            push_option(body, status.code(), status.label(lang), false);
        }
        let _ = write!(
            body,
            "</select></p>\n<p><label for=\"status-note\">{note_label}</label>\n<textarea id=\"status-note\" name=\"note\" rows=\"3\"></textarea></p>\n<p><button type=\"submit\">{save}</button></p>\n</form>\n",
            note_label = escape(Msg::StaffNoteOrReason.text(lang)),
        );
    }

    let _ = write!(
        body,
        "<h2>{title}</h2>\n<form method=\"post\" action=\"{action}\">\n{csrf}\n<p><label for=\"assignee\">{label}</label>\n\
         <input id=\"assignee\" name=\"assignee\" required value=\"{value}\"></p>\n<p><button type=\"submit\">{submit}</button></p>\n</form>\n",
        title = escape(Msg::StaffAssign.text(lang)),
        action = action("assign"),
        label = escape(Msg::StaffAssignee.text(lang)),
        value = escape(r.assignee.as_deref().unwrap_or(&staff.username)),
        submit = escape(Msg::StaffAssign.text(lang)),
    );

    let _ = write!(
        body,
        "<h2>{title}</h2>\n<form method=\"post\" action=\"{action}\">\n{csrf}\n<p><label for=\"note\">{label}</label>\n\
         <textarea id=\"note\" name=\"note\" rows=\"4\" required></textarea></p>\n<p><button type=\"submit\">{submit}</button></p>\n</form>\n</section>\n",
        title = escape(Msg::StaffAddNote.text(lang)),
        action = action("note"),
        label = escape(Msg::StaffNote.text(lang)),
        submit = escape(Msg::StaffAddNote.text(lang)),
    );
    // Erasing goes through a confirmation page first.
    let _ = writeln!(
        body,
        "<p class=\"erase\"><a href=\"{action}\">{label}</a></p>",
        action = action("erase"),
        label = escape(Msg::StaffErase.text(lang)),
    );
}
