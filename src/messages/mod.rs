//! Every sentence guichet says to a person, in French and in English.
//!
//! Channels never write user-facing prose themselves: they ask for a [`Msg`] in the
//! language of the conversation, so no string can exist in one language only.
//! The sentences live in `fr.rs` and `en.rs`, one exhaustive `match` each: a
//! variant added here without its two sentences does not compile.

mod en;
mod fr;

use crate::language::Language;

/// Declares [`Msg`] and [`Msg::ALL`] from one list, so every variant is in `ALL` without
/// a second list to keep in step.
macro_rules! catalogue {
    ($(#[$meta:meta])* pub enum Msg { $($(#[$doc:meta])* $name:ident,)* }) => {
        $(#[$meta])*
        pub enum Msg {
            $($(#[$doc])* $name,)*
        }

        impl Msg {
            /// Every message, in the order declared, for completeness checks.
            pub const ALL: &'static [Msg] = &[$(Msg::$name,)*];
        }
    };
}

catalogue! {
/// A user-facing sentence. Some carry placeholders in braces (`{reference}`, `{days}`…)
/// that the caller fills with [`Msg::fill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// Introduces the excerpts of an answer.
    AnswerIntro,
    /// Says honestly that the knowledge base has no answer.
    Fallback,
    /// Not sure enough to answer: introduces related pages ("did you mean").
    NotSure,
    /// Offers to pass the question on to staff.
    OfferStaff,
    /// Labels the source link of an excerpt.
    Source,
    /// Said when the text to search is empty.
    EmptyQuestion,
    /// Greeting and what guichet can do.
    Help,
    /// After an answer: how to go further.
    AnswerFollowUp,
    /// The person declined the offer to make a request.
    OfferDeclined,
    /// Short notice shown when the intake starts (before any personal data is asked).
    IntakeStart,
    AskName,
    AskEmail,
    AskOrganization,
    /// Lists the request types; `{types}` is the numbered list.
    AskType,
    AskDescription,
    /// The description is already known from the question; `{description}`.
    DescriptionKnown,
    /// The full privacy notice and the consent question; `{days}`, `{contact}`.
    AskConsent,
    /// The summary before confirmation; `{summary}`.
    AskConfirm,
    InvalidName,
    InvalidEmail,
    InvalidType,
    InvalidDescription,
    /// Consent or confirmation needs a yes or a no.
    NeedYesNo,
    /// A field was corrected; `{field}`.
    Corrected,
    /// The person refused consent: nothing is kept.
    ConsentRefused,
    /// The intake was cancelled: nothing is kept.
    Cancelled,
    /// "cancel" outside an intake.
    NothingToCancel,
    /// The request is logged; `{reference}`.
    Logged,
    /// An earlier draft expired after the idle timeout.
    DraftExpired,
    /// After answering a question in the middle of an intake.
    BackToIntake,
    /// Something failed on our side; nothing the person did.
    InternalError,
    /// How deletion is asked for, when no contact address is configured.
    ContactStaff,
    FieldName,
    FieldEmail,
    FieldOrganization,
    FieldType,
    FieldDescription,
    // Field labels for refused values (the others reuse the staff page's labels).
    /// The staff member making a change.
    FieldActor,
    FieldAttachmentName,
    FieldTime,
    /// A value guichet itself keeps (a conversation key, a question group…).
    FieldInternal,
    // Refused values, for the person who typed them; `{field}` is a field label.
    /// An empty required field; `{field}`.
    InvalidEmpty,
    /// `{field}`, `{len}`, `{max}` (characters).
    InvalidTooLong,
    /// A line break or control character in a one-line field; `{field}`.
    InvalidLineBreak,
    /// `{field}`, `{len}`, `{max}` (items).
    InvalidTooMany,
    /// A date outside the years 0 to 9999; `{field}`.
    InvalidTime,
    /// Not a request reference; `{value}`.
    InvalidReference,
    /// A code that is none of the field's values; `{field}`, `{value}`.
    InvalidCode,
    /// Any other refused value; `{field}`.
    InvalidValue,
    /// A request dated outside the years references cover; `{year}`.
    InvalidYear,
    /// Every reference number of a year is used; `{year}`.
    InvalidNoNumber,
    /// A request's transcript is full; `{reference}`, `{max}`.
    InvalidTranscriptFull,
    ActionMakeRequest,
    ActionConfirm,
    ActionCancel,
    ActionConsentYes,
    ActionConsentNo,
    ActionNo,
    // The web channel: the chat page and widget, API errors, the staff pages.
    /// The title of the chat page and of the widget.
    WebTitle,
    /// One sentence under the title of the chat page.
    WebIntro,
    /// The link to the page in the other language, written in that language.
    WebOtherLanguage,
    /// The label of the chat message box.
    WebMessageLabel,
    /// The chat send button.
    WebSend,
    /// How to send with the keyboard.
    WebKeyboardHint,
    /// The accessible name of the chat transcript.
    WebConversation,
    /// Who said a message, for screen readers: the person.
    WebYou,
    /// Who said a message, for screen readers: guichet.
    WebGuichet,
    /// The one-line privacy note under the widget; `{days}`.
    WebPrivacyNote,
    /// Marks an excerpt written in the other language.
    WebHitInOtherLanguage,
    /// Tells screen reader users that a source link opens a new tab.
    WebOpensNewTab,
    /// Shown when JavaScript is off.
    WebNoScript,
    /// The widget could not reach the server.
    WebNetworkError,
    /// A chat message over the limit; `{max}`.
    ApiMessageTooLong,
    /// A chat session that does not exist or expired.
    ApiUnknownSession,
    /// A malformed API request.
    ApiBadJson,
    /// A button id the engine does not know.
    ApiUnknownAction,
    /// Too many chat messages; `{seconds}`.
    ApiRateLimited,
    /// A page that does not exist.
    NotFound,
    /// The title of the staff pages.
    StaffTitle,
    /// The title of the sign-in page.
    StaffLoginTitle,
    StaffUsername,
    StaffPassword,
    StaffSignIn,
    StaffSignOut,
    /// The button that ends every session of the staff member, in every browser.
    StaffSignOutEverywhere,
    /// Shown on the sign-in page after signing out everywhere.
    StaffSignedOutEverywhere,
    /// Who is signed in; `{user}`.
    StaffSignedInAs,
    /// Wrong username or password (never says which).
    StaffLoginFailed,
    /// Too many sign-in attempts; `{minutes}`.
    StaffLoginLimited,
    /// Too many failed sign-ins for one username (said alike whether or not it exists);
    /// `{minutes}`.
    StaffLoginLocked,
    /// Too many sign-ins overall right now.
    StaffLoginBusy,
    StaffRequests,
    StaffFilter,
    /// The filter choice that keeps everything.
    StaffAny,
    StaffSearch,
    StaffExportCsv,
    StaffExportJson,
    StaffNoRequests,
    /// How many requests are listed; `{count}`.
    StaffCount,
    StaffReference,
    StaffCreated,
    StaffUpdated,
    StaffStatus,
    StaffChannel,
    StaffLanguage,
    StaffHandle,
    StaffAssignee,
    StaffClosedReason,
    StaffAttachments,
    StaffTranscript,
    StaffNotes,
    StaffHistory,
    StaffWhen,
    StaffWho,
    StaffWhat,
    StaffChangeStatus,
    StaffNoteOrReason,
    /// No status change is possible.
    StaffNoMove,
    StaffAssign,
    StaffAddNote,
    StaffNote,
    StaffSave,
    StaffBackToList,
    StaffSaved,
    /// The store refused to close or reopen without a reason.
    StaffReasonRequired,
    /// The store refused a status change; `{from}`, `{to}`.
    StaffInvalidTransition,
    /// The status form named a status that does not exist.
    StaffUnknownStatus,
    /// The note or reason of a status change was refused (too long); `{max}`.
    StaffInvalidReason,
    /// The assignee name was refused (empty, too long, on several lines); `{max}`.
    StaffInvalidAssignee,
    /// A staff note was refused (empty or too long); `{max}`.
    StaffInvalidNote,
    /// A form without a valid anti-forgery token.
    StaffForbidden,
    /// A sign-in without the sign-in page's anti-forgery token (the form is shown again).
    StaffLoginForbidden,
    /// A form that could not be read.
    StaffBadForm,
    StaffRequestNotFound,
    SpeakerPerson,
    SpeakerGuichet,
    SpeakerStaff,
    // The Discord channel.
    /// Under an excerpt: the language of its page; `{lang}` is the language's name.
    DiscordPageLanguage,
    /// The names of the two languages, for [`Msg::DiscordPageLanguage`].
    DiscordLanguageFr,
    DiscordLanguageEn,
    /// The feedback buttons under an answer.
    DiscordHelpfulYes,
    DiscordHelpfulNo,
    /// Said (privately) after a feedback button was pressed.
    DiscordFeedbackThanks,
    /// Said in a public channel when a request continues in a direct message.
    DiscordContinueInDm,
    /// Said in a public channel when the person's direct messages are closed.
    DiscordDmClosed,
    /// Too many messages from one person; `{seconds}`.
    DiscordRateLimited,
    /// Staff channel notice of a new request; `{reference}`, `{type}`, `{name}`, `{link}`.
    DiscordStaffNotification,
    /// Descriptions of the slash commands and of the question option.
    DiscordCommandAsk,
    DiscordCommandRequest,
    DiscordOptionQuestion,
    // The Teams channel.
    /// Sent (in both languages at once) when the bot is added to a personal chat.
    TeamsWelcome,
    /// Above the feedback buttons of an answer card.
    TeamsHelpful,
    TeamsHelpfulYes,
    TeamsHelpfulNo,
    /// Said after a feedback button was pressed.
    TeamsFeedbackThanks,
    /// Under an excerpt from a page in the other language.
    TeamsPageInOtherLanguage,
    /// Said in a channel or group chat when a request continues in the personal chat.
    TeamsContinueInPersonal,
    /// Said in a channel or group chat when guichet cannot open a personal chat.
    TeamsOpenPersonalChat,
    /// Too many messages from one person; `{seconds}`.
    TeamsRateLimited,
    /// The staff channel's card: its title (`{reference}`), the channel fact's label, and
    /// the button to the staff page.
    TeamsStaffTitle,
    TeamsStaffChannel,
    TeamsStaffOpen,
    /// When no staff page URL is configured: how to see the request; `{reference}`.
    TeamsStaffHowToSee,
    /// The app package: the app's names and descriptions, and the bot commands'
    /// descriptions (the command words themselves are `ask`/`question`,
    /// `request`/`demande`).
    TeamsAppShortName,
    TeamsAppFullName,
    TeamsAppShortDescription,
    TeamsAppFullDescription,
    TeamsCommandAsk,
    TeamsCommandRequest,
    // Answer feedback and the questions queue.
    /// Above the feedback buttons of an answer (web chat, email, answer page).
    FeedbackAsk,
    FeedbackYes,
    FeedbackNo,
    /// Said once a vote is recorded.
    FeedbackThanks,
    /// Said when an answer already has a vote (the first one stands).
    FeedbackAlready,
    /// Said when a feedback link or button no longer matches an answer.
    FeedbackUnknown,
    /// The title of the feedback page an email links to.
    FeedbackPageTitle,
    /// The feedback page before the button is pressed.
    FeedbackConfirm,
    /// Ends an answer email, before the two feedback links.
    MailFeedbackIntro,
    /// The staff questions queue: its title and the link to it.
    StaffQuestions,
    /// The link back to the request list.
    StaffRequestsLink,
    StaffQuestionsIntro,
    StaffQuestionsEmpty,
    StaffQuestionsDays,
    StaffQuestionsCount,
    StaffQuestionsSeen,
    StaffQuestionsWhere,
    StaffQuestionsWhy,
    StaffQuestionsExamples,
    StaffQuestionsState,
    StaffQuestionsMark,
    /// After a group was marked; `{state}`.
    StaffQuestionsMarked,
    StaffQuestionsUnknown,
    /// `{up}`, `{down}`.
    StaffQuestionsVotes,
    QueueStateOpen,
    QueueStateAdded,
    QueueStateOutOfScope,
    QueueStateIgnored,
    QueueReasonFallback,
    QueueReasonUnhelpful,
    QueueReasonLowMargin,
    /// The staff summary above the request list.
    StaffSummary,
    StaffSummaryByStatus,
    StaffSummaryNewByType,
    StaffSummaryWeek,
    StaffSummaryMonth,
    StaffSummaryOpenByAssignee,
    StaffSummaryUnassigned,
    /// `{time}`.
    StaffSummaryMedian,
    StaffSummaryNoClosed,
    /// `{days}`, `{hours}`.
    StaffSummaryDuration,
    StaffSummaryQuestions,
    /// `{week}`, `{asked}`, `{rate}`.
    StaffSummaryWeekBar,
    StaffSummaryTopGroups,
    /// The "all requests" column of the summary's table by status.
    StaffSummaryAll,
    /// What the summary's table by status counts.
    StaffSummaryStatusNote,
    /// `{week}`, `{month}`: requests closed in the last 7 and 30 days.
    StaffSummaryClosed,
    /// The erase action on a request page, and its confirmation page's title.
    StaffErase,
    /// `{name}`, `{email}`.
    StaffEraseWarning,
    StaffEraseButton,
    /// `{requests}`, `{conversations}`, `{mail}`.
    StaffErased,
    /// The request list's pagination.
    StaffPages,
    /// `{page}`, `{pages}`.
    StaffPageOf,
    StaffPrevious,
    StaffNext,
    // The mail channel.
    /// The display name of the contact mailbox.
    MailFromName,
    /// The subject of a reply when the original had none.
    MailDefaultSubject,
    /// Opens every email.
    MailGreeting,
    /// Introduces the excerpts of an answer by email.
    MailAnswerIntro,
    /// After an excerpt whose page is in the other language.
    MailPageInOtherLanguage,
    /// No answer in the documentation.
    MailNoAnswer,
    /// A message that asks nothing: what guichet can do, and how to go on.
    MailCapabilities,
    /// The message was over the size read: its text was read, not these attachments;
    /// `{names}`.
    MailUnreadAttachments,
    /// CONFIRM without a type that can be told: ask for a `Type:` line.
    MailNeedsType,
    /// Heading of the offer to log the inquiry as a request.
    MailOfferTitle,
    /// How to log the inquiry: reply CONFIRM.
    MailOfferHow,
    /// Introduces the optional detail lines.
    MailOfferDetails,
    /// The optional detail lines, one per line, to copy into the reply.
    MailOfferFields,
    /// Introduces the list of request types.
    MailRequestTypes,
    /// The privacy notice of the answer emails; `{days}`, `{contact}`.
    MailPrivacy,
    /// Under the Unit's name at the bottom of each reply.
    MailSignature,
    /// The request is logged; `{reference}`.
    MailLogged,
    /// What happens next once a request is logged.
    MailLoggedNext,
    /// How to add details to a logged request.
    MailLoggedAddInfo,
    /// Introduces the names of attachments that were noted but not kept.
    MailAttachmentsNoted,
    /// How to see or delete one's information; `{contact}`.
    MailDeletion,
    /// A message was added to a request; `{reference}`.
    MailAdded,
    /// "CONFIRM" arrived with nothing to confirm.
    MailNothingToConfirm,
    /// How to ask a question that can become a request.
    MailHowToAsk,
    /// Subject of the staff notice of a new request; `{reference}`, `{type}`.
    MailStaffSubject,
    /// First line of the staff notice of a new request.
    MailStaffNew,
    /// Subject of the staff notice of a new message on a request; `{reference}`.
    MailStaffFollowUpSubject,
    /// First line of the staff notice of a new message; `{reference}`.
    MailStaffFollowUp,
    /// The facts of a staff notice; `{reference}`, `{type}`, `{name}`.
    MailStaffFields,
    /// The link to the request in the staff pages; `{link}`.
    MailStaffLink,
    /// Where to find the request when no staff page address is configured.
    MailStaffNoLink,
    /// Signs the staff notices.
    MailStaffSignature,
    // `guichet check`: one line per check of the configuration and the channels.
    /// The configuration is valid; `{source}`.
    CheckConfigValid,
    /// The configuration cannot be used; `{error}`.
    CheckConfigInvalid,
    /// A channel is off, so not checked; `{part}`.
    CheckDisabled,
    /// The knowledge folder reads cleanly; `{dir}`, `{documents}`, `{skipped}`.
    CheckKnowledgeOk,
    /// The knowledge folder has malformed files; `{dir}`, `{error}`.
    CheckKnowledgeInvalid,
    /// A password or token variable is not set; `{part}`, `{env}`, `{key}`.
    CheckMissingSecret,
    /// A server cannot be reached; `{part}`, `{server}`, `{error}`, `{keys}`.
    CheckUnreachable,
    /// TLS with a server failed; `{part}`, `{server}`, `{error}`, `{keys}`.
    CheckTlsFailed,
    /// A server refused the login; `{part}`, `{user}`, `{env}`.
    CheckLoginRefused,
    /// The mailbox can be read; `{server}`, `{user}`, `{inbox}`, `{messages}`.
    CheckImapOk,
    /// A folder guichet creates at start does not exist yet; `{folder}`, `{key}`.
    CheckImapFolderMissing,
    /// A folder cannot be opened; `{folder}`, `{error}`, `{key}`.
    CheckImapFolderFailed,
    /// The SMTP server accepts a session; `{server}`, `{steps}`.
    CheckSmtpOk,
    /// The SMTP server offers no login; `{server}`.
    CheckSmtpNoAuth,
    /// A token was accepted; `{part}`, `{detail}`.
    CheckTokenOk,
    /// A token or app password was refused; `{part}`, `{status}`, `{env}`, `{keys}`.
    CheckTokenRefused,
    /// Any other failure; `{part}`, `{error}`.
    CheckFailed,
    /// Every check passed; `{count}`.
    CheckAllPassed,
    /// Some checks failed; `{failed}`, `{count}`.
    CheckSomeFailed,
    /// `guichet sync`'s summary; `{listed}`, `{fetched}`, `{unchanged}`, `{written}`,
    /// `{removed}`, `{failed}`, `{skipped}`.
    SyncSummary,
}
}

impl Msg {
    /// The sentence in `lang`.
    pub fn text(self, lang: Language) -> &'static str {
        match lang {
            Language::Fr => fr::text(self),
            Language::En => en::text(self),
        }
    }

    /// The sentence in `lang` with each `{name}` placeholder replaced by its value.
    pub fn fill(self, lang: Language, values: &[(&str, &str)]) -> String {
        let mut text = self.text(lang).to_string();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_both_languages_and_differs_where_words_differ() {
        for msg in [
            Msg::AnswerIntro,
            Msg::Fallback,
            Msg::NotSure,
            Msg::OfferStaff,
            Msg::EmptyQuestion,
        ] {
            let fr = msg.text(Language::Fr);
            let en = msg.text(Language::En);
            assert!(!fr.is_empty() && !en.is_empty(), "{msg:?}");
            assert_ne!(fr, en, "{msg:?} is not translated");
        }
    }
}

#[cfg(test)]
mod catalogue_tests {
    use super::*;

    #[test]
    fn every_listed_message_is_non_empty_in_both_languages() {
        for msg in Msg::ALL {
            for lang in [Language::Fr, Language::En] {
                assert!(
                    !msg.text(lang).trim().is_empty(),
                    "{msg:?} is empty in {lang:?}"
                );
            }
        }
    }

    /// The `{name}` placeholders of a sentence, sorted.
    fn placeholders(text: &str) -> Vec<&str> {
        let mut names: Vec<&str> = text
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .filter(|name| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    #[test]
    fn both_languages_of_a_message_have_the_same_placeholders() {
        assert_eq!(placeholders("{a} et {b_c} {a} {}"), ["a", "b_c"]);
        for msg in Msg::ALL {
            assert_eq!(
                placeholders(msg.text(Language::Fr)),
                placeholders(msg.text(Language::En)),
                "{msg:?}"
            );
        }
    }
}

#[cfg(test)]
mod fill_tests {
    use super::*;

    #[test]
    fn fill_replaces_placeholders() {
        let t = Msg::Logged.fill(Language::En, &[("reference", "SSA-2026-00042")]);
        assert!(t.contains("SSA-2026-00042") && !t.contains('{'), "{t}");
    }
}
