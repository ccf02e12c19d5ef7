//! One request in full: its fields, description, transcript, staff notes and history,
//! with the three forms to triage it (status, assignee, note; they post to `actions`).

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};

use super::blocking;
use super::html::{self, csrf_field, option, staff_page, when};
use super::session::Staff;
use crate::language::Language;
use crate::messages::Msg;
use crate::requests::{
    AuditEvent, AuditKind, Request as LoggedRequest, RequestRef, RequestStatus, Speaker, StoreError,
};
use crate::web::{AppError, AppState, ErrorKind, Surface};

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
    let (created, updated) = (when(r.created_at), when(r.updated_at));
    let mut fields: Vec<(Msg, &str)> = vec![
        (Msg::StaffStatus, r.status.label(lang)),
        (Msg::StaffCreated, &created),
        (Msg::StaffUpdated, &updated),
        (Msg::StaffChannel, r.channel.code()),
        (Msg::FieldType, r.request_type.label(lang)),
        (Msg::StaffLanguage, r.language.code()),
        (Msg::FieldName, &r.requester_name),
        (Msg::FieldEmail, r.requester_email.as_str()),
    ];
    if let Some(handle) = &r.requester_handle {
        fields.push((Msg::StaffHandle, handle));
    }
    fields.push((Msg::FieldOrganization, &r.organization));
    fields.push((Msg::StaffAssignee, r.assignee.as_deref().unwrap_or("—")));
    if let Some(reason) = &r.closed_reason {
        fields.push((Msg::StaffClosedReason, reason));
    }
    let attachments = r.attachments.join(", ");
    if !r.attachments.is_empty() {
        fields.push((Msg::StaffAttachments, &attachments));
    }
    let body = html! {
        p { a href="/staff" { (Msg::StaffBackToList.text(lang)) } }
        h1 { (reference) }
        (html::flash(staff.take_flash(&state)))
        dl class="fields" {
            @for (label, value) in &fields {
                dt { (label.text(lang)) } dd { (value) }
            }
        }
        h2 { (Msg::FieldDescription.text(lang)) }
        p class="text" { (r.description) }
        h2 { (Msg::StaffTranscript.text(lang)) }
        ol class="transcript" {
            @for entry in &r.transcript {
                @let who = match entry.from {
                    Speaker::Person => Msg::SpeakerPerson,
                    Speaker::Guichet => Msg::SpeakerGuichet,
                    Speaker::Staff => Msg::SpeakerStaff,
                };
                li class={ "from-" (entry.from.code()) } {
                    p class="meta" { strong { (who.text(lang)) } " · " (when(entry.at)) }
                    p class="text" { (entry.text) }
                }
            }
        }
        h2 { (Msg::StaffNotes.text(lang)) }
        ul class="notes" {
            @for note in &r.staff_notes {
                li {
                    p class="meta" { strong { (note.by) } " · " (when(note.at)) }
                    p class="text" { (note.text) }
                }
            }
        }
        (forms(r, &staff))
        h2 { (Msg::StaffHistory.text(lang)) }
        table class="history" {
            thead {
                tr {
                    th scope="col" { (Msg::StaffWhen.text(lang)) }
                    th scope="col" { (Msg::StaffWho.text(lang)) }
                    th scope="col" { (Msg::StaffWhat.text(lang)) }
                }
            }
            tbody {
                @for event in &history {
                    tr {
                        td { (when(event.at)) }
                        td { (event.by) }
                        td class="text" { (what(event, lang)) }
                    }
                }
            }
        }
    };
    let path = format!("/staff/requests/{reference}");
    Ok(staff_page(lang, &reference, Some(&staff), &path, body))
}

/// What an event of the history did: its kind and the change (in `lang`), its note.
fn what(event: &AuditEvent, lang: Language) -> String {
    let show = |v: &Option<String>| -> String {
        let v = v.as_deref().unwrap_or("");
        match event.kind {
            AuditKind::Created | AuditKind::Status | AuditKind::Reopened => {
                RequestStatus::parse_code(v).map_or(v.to_string(), |s| s.label(lang).to_string())
            }
            _ => v.to_string(),
        }
    };
    let mut what = event.kind.label(lang).to_string();
    if event.from.is_some() || event.to.is_some() {
        what.push_str(&format!(" : {} → {}", show(&event.from), show(&event.to)));
    }
    if let Some(note) = &event.note {
        what.push_str(&format!(" — {note}"));
    }
    what
}

/// The three forms of the detail page: status (with a note), assignee, note; then the
/// link to erase the person.
fn forms(r: &LoggedRequest, staff: &Staff) -> Markup {
    let lang = staff.lang;
    let action = |what: &str| format!("/staff/requests/{}/{what}", r.reference);
    let next: Vec<RequestStatus> = RequestStatus::ALL
        .into_iter()
        .filter(|s| r.status.can_move_to(*s))
        .collect();
    let save = Msg::StaffSave.text(lang);
    html! {
        section class="forms" {
            h2 { (Msg::StaffChangeStatus.text(lang)) }
            @if next.is_empty() {
                p { (Msg::StaffNoMove.text(lang)) }
            } @else {
                form method="post" action=(action("status")) {
                    (csrf_field(&staff.csrf))
                    p {
                        label for="status" { (Msg::StaffStatus.text(lang)) }
                        select id="status" name="status" {
                            @for status in next {
                                (option(status.code(), status.label(lang), false))
                            }
                        }
                    }
                    p {
                        label for="status-note" { (Msg::StaffNoteOrReason.text(lang)) }
                        textarea id="status-note" name="note" rows="3" {}
                    }
                    p { button type="submit" { (save) } }
                }
            }
            h2 { (Msg::StaffAssign.text(lang)) }
            form method="post" action=(action("assign")) {
                (csrf_field(&staff.csrf))
                p {
                    label for="assignee" { (Msg::StaffAssignee.text(lang)) }
                    input id="assignee" name="assignee" required
                        value=(r.assignee.as_deref().unwrap_or(&staff.username));
                }
                p { button type="submit" { (Msg::StaffAssign.text(lang)) } }
            }
            h2 { (Msg::StaffAddNote.text(lang)) }
            form method="post" action=(action("note")) {
                (csrf_field(&staff.csrf))
                p {
                    label for="note" { (Msg::StaffNote.text(lang)) }
                    textarea id="note" name="note" rows="4" required {}
                }
                p { button type="submit" { (Msg::StaffAddNote.text(lang)) } }
            }
        }
        // Erasing goes through a confirmation page first.
        p class="erase" { a href=(action("erase")) { (Msg::StaffErase.text(lang)) } }
    }
}
