//! Every sentence guichet says to a person, in French and in English.
//!
//! Channels never write user-facing prose themselves: they ask for a [`Msg`] in the
//! language of the conversation, so no string can exist in one language only.

use crate::language::Language;

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
}

impl Msg {
    /// The sentence in `lang`.
    pub fn text(self, lang: Language) -> &'static str {
        use Language::{En, Fr};
        match (self, lang) {
            (Msg::AnswerIntro, Fr) => "Voici ce que j'ai trouvé dans la documentation de l'Unité :",
            (Msg::AnswerIntro, En) => "Here is what I found in the Unit's documentation:",
            (Msg::Fallback, Fr) => {
                "Je n'ai pas trouvé de réponse fiable à cette question dans la documentation de l'Unité."
            }
            (Msg::Fallback, En) => {
                "I could not find a reliable answer to this question in the Unit's documentation."
            }
            (Msg::NotSure, Fr) => {
                "Je ne suis pas certain d'avoir la réponse. Ces pages de l'Unité pourraient vous aider :"
            }
            (Msg::NotSure, En) => {
                "I am not sure I have the answer. These pages of the Unit might help:"
            }
            (Msg::OfferStaff, Fr) => {
                "Voulez-vous que je transmette votre question à l'équipe de l'Unité ? Elle pourra devenir une demande de soutien."
            }
            (Msg::OfferStaff, En) => {
                "Would you like me to pass your question on to the Unit's staff? It can become a request for support."
            }
            (Msg::Source, Fr) => "Source",
            (Msg::Source, En) => "Source",
            (Msg::EmptyQuestion, Fr) => "Votre message est vide : écrivez votre question.",
            (Msg::EmptyQuestion, En) => "Your message is empty: please type your question.",
            (Msg::Help, Fr) => "Bonjour ! Je suis le guichet de l'Unité de soutien SSA Québec. Posez-moi une question sur l'Unité, ses services, ses partenaires ou la façon de faire une demande : je réponds avec des extraits de la documentation de l'Unité et leurs sources. Je peux aussi transmettre une demande de soutien à l'équipe : écrivez « faire une demande ». (You can also write in English.)",
            (Msg::Help, En) => "Hello! I am the front desk of the Quebec SPOR SUPPORT Unit. Ask me about the Unit, its services, its partners or how to make a request: I answer with excerpts of the Unit's documentation and their sources. I can also pass a request for support on to the staff: type \"make a request\". (Vous pouvez aussi écrire en français.)",
            (Msg::AnswerFollowUp, Fr) => "Besoin d'aide de l'équipe ? Écrivez « faire une demande ».",
            (Msg::AnswerFollowUp, En) => "Need help from the staff? Type \"make a request\".",
            (Msg::OfferDeclined, Fr) => "D'accord. Posez-moi une autre question quand vous voulez.",
            (Msg::OfferDeclined, En) => "All right. Ask me another question whenever you like.",
            (Msg::IntakeStart, Fr) => "Je vais recueillir quelques renseignements pour transmettre votre demande à l'équipe de l'Unité. Ils servent uniquement à traiter votre demande ; vous pourrez tout vérifier avant l'envoi, et écrire « annuler » à tout moment.",
            (Msg::IntakeStart, En) => "I will collect a few details to pass your request on to the Unit's staff. They are used only to handle your request; you can check everything before it is sent, and type \"cancel\" at any time.",
            (Msg::AskName, Fr) => "Quel est votre nom ?",
            (Msg::AskName, En) => "What is your name?",
            (Msg::AskEmail, Fr) => "À quelle adresse courriel l'équipe peut-elle vous joindre ?",
            (Msg::AskEmail, En) => "At which email address can the staff reach you?",
            (Msg::AskOrganization, Fr) => "Quel est votre organisme ou votre affiliation (université, établissement, patient partenaire…) ?",
            (Msg::AskOrganization, En) => "What is your organization or affiliation (university, institution, patient partner…)?",
            (Msg::AskType, Fr) => "Quel type de demande ? Répondez par un numéro :\n{types}",
            (Msg::AskType, En) => "What type of request? Answer with a number:\n{types}",
            (Msg::AskDescription, Fr) => "Décrivez votre projet et ce dont vous avez besoin, en quelques phrases.",
            (Msg::AskDescription, En) => "Describe your project and what you need, in a few sentences.",
            (Msg::DescriptionKnown, Fr) => "Je reprends votre question comme description : « {description} ». Vous pourrez la modifier avant l'envoi.",
            (Msg::DescriptionKnown, En) => "I will use your question as the description: \"{description}\". You can change it before sending.",
            (Msg::AskConsent, Fr) => "Avis de confidentialité : l'Unité conservera votre nom, votre courriel, votre organisme, votre description et cette conversation, uniquement pour traiter votre demande et vous recontacter. Une conversation sans demande confirmée est effacée après {days} jours. Vous pouvez demander l'accès à vos renseignements ou leur suppression à tout moment : {contact}. Acceptez-vous ? (oui / non)",
            (Msg::AskConsent, En) => "Privacy notice: the Unit will keep your name, email, organization, description and this conversation, only to handle your request and contact you. A conversation without a confirmed request is erased after {days} days. You can ask to see or delete your information at any time: {contact}. Do you agree? (yes / no)",
            (Msg::AskConfirm, Fr) => "Voici votre demande :\n{summary}\nJe l'envoie ? Répondez « confirmer », « annuler », ou « modifier » suivi du champ (nom, courriel, organisme, type, description).",
            (Msg::AskConfirm, En) => "Here is your request:\n{summary}\nShall I send it? Answer \"confirm\", \"cancel\", or \"change\" followed by the field (name, email, organization, type, description).",
            (Msg::InvalidName, Fr) => "Je n'ai pas reconnu un nom. Écrivez votre nom (par exemple : Marie Tremblay).",
            (Msg::InvalidName, En) => "That does not look like a name. Please type your name (for example: Jane Smith).",
            (Msg::InvalidEmail, Fr) => "Cette adresse courriel ne semble pas valide (exemple : prenom.nom@universite.ca).",
            (Msg::InvalidEmail, En) => "That email address does not look valid (example: jane.smith@university.ca).",
            (Msg::InvalidType, Fr) => "Je n'ai pas reconnu le type. Répondez par un numéro de 1 à 8.",
            (Msg::InvalidType, En) => "I did not recognize the type. Please answer with a number from 1 to 8.",
            (Msg::InvalidDescription, Fr) => "La description doit compter entre 10 et 5 000 caractères.",
            (Msg::InvalidDescription, En) => "The description must be between 10 and 5,000 characters long.",
            (Msg::NeedYesNo, Fr) => "Répondez « oui » ou « non », s'il vous plaît.",
            (Msg::NeedYesNo, En) => "Please answer \"yes\" or \"no\".",
            (Msg::Corrected, Fr) => "C'est corrigé ({field}).",
            (Msg::Corrected, En) => "Corrected ({field}).",
            (Msg::ConsentRefused, Fr) => "Sans votre consentement, je ne peux pas transmettre la demande. Je n'ai rien conservé de vos renseignements. Vous pouvez continuer à me poser des questions.",
            (Msg::ConsentRefused, En) => "Without your consent I cannot pass the request on. I have kept none of your details. You can keep asking me questions.",
            (Msg::Cancelled, Fr) => "Demande annulée : je n'ai rien conservé de vos renseignements.",
            (Msg::Cancelled, En) => "Request cancelled: I have kept none of your details.",
            (Msg::NothingToCancel, Fr) => "Il n'y a rien à annuler.",
            (Msg::NothingToCancel, En) => "There is nothing to cancel.",
            (Msg::Logged, Fr) => "Merci ! Votre demande est transmise à l'équipe de l'Unité sous la référence {reference}. Conservez ce numéro : l'équipe vous écrira à l'adresse indiquée.",
            (Msg::Logged, En) => "Thank you! Your request has been passed on to the Unit's staff under reference {reference}. Keep this number: the staff will write to the address you gave.",
            (Msg::DraftExpired, Fr) => "Votre demande en cours a expiré après une longue inactivité ; ses renseignements ont été effacés.",
            (Msg::DraftExpired, En) => "Your unfinished request expired after a long pause; its details were erased.",
            (Msg::BackToIntake, Fr) => "Reprenons votre demande.",
            (Msg::BackToIntake, En) => "Back to your request.",
            (Msg::InternalError, Fr) => "Désolé, un problème technique m'empêche de répondre. Réessayez dans un moment.",
            (Msg::InternalError, En) => "Sorry, a technical problem prevents me from answering. Please try again in a moment.",
            (Msg::ContactStaff, Fr) => "écrivez à l'équipe de l'Unité en mentionnant votre numéro de référence",
            (Msg::ContactStaff, En) => "write to the Unit's staff quoting your reference number",
            (Msg::FieldName, Fr) => "Nom",
            (Msg::FieldName, En) => "Name",
            (Msg::FieldEmail, Fr) => "Courriel",
            (Msg::FieldEmail, En) => "Email",
            (Msg::FieldOrganization, Fr) => "Organisme",
            (Msg::FieldOrganization, En) => "Organization",
            (Msg::FieldType, Fr) => "Type",
            (Msg::FieldType, En) => "Type",
            (Msg::FieldDescription, Fr) => "Description",
            (Msg::FieldDescription, En) => "Description",
            (Msg::ActionMakeRequest, Fr) => "Faire une demande",
            (Msg::ActionMakeRequest, En) => "Make a request",
            (Msg::ActionConfirm, Fr) => "Confirmer",
            (Msg::ActionConfirm, En) => "Confirm",
            (Msg::ActionCancel, Fr) => "Annuler",
            (Msg::ActionCancel, En) => "Cancel",
            (Msg::ActionConsentYes, Fr) => "J'accepte",
            (Msg::ActionConsentYes, En) => "I agree",
            (Msg::ActionConsentNo, Fr) => "Je refuse",
            (Msg::ActionConsentNo, En) => "I do not agree",
            (Msg::ActionNo, Fr) => "Non merci",
            (Msg::ActionNo, En) => "No thanks",
            (Msg::WebTitle, Fr) => "Guichet de l'Unité de soutien SSA Québec",
            (Msg::WebTitle, En) => "Front desk of the Quebec SPOR SUPPORT Unit",
            (Msg::WebIntro, Fr) => "Posez vos questions sur l'Unité, ses services et ses partenaires, ou transmettez une demande de soutien à l'équipe.",
            (Msg::WebIntro, En) => "Ask about the Unit, its services and its partners, or pass a request for support on to the staff.",
            (Msg::WebOtherLanguage, Fr) => "English",
            (Msg::WebOtherLanguage, En) => "Français",
            (Msg::WebMessageLabel, Fr) => "Votre message",
            (Msg::WebMessageLabel, En) => "Your message",
            (Msg::WebSend, Fr) => "Envoyer",
            (Msg::WebSend, En) => "Send",
            (Msg::WebKeyboardHint, Fr) => "Entrée pour envoyer, Maj+Entrée pour aller à la ligne.",
            (Msg::WebKeyboardHint, En) => "Enter to send, Shift+Enter for a new line.",
            (Msg::WebConversation, Fr) => "Conversation avec le guichet",
            (Msg::WebConversation, En) => "Conversation with the front desk",
            (Msg::WebYou, Fr) => "Vous :",
            (Msg::WebYou, En) => "You:",
            (Msg::WebGuichet, Fr) => "Guichet :",
            (Msg::WebGuichet, En) => "Front desk:",
            (Msg::WebPrivacyNote, Fr) => "Confidentialité : les conversations sont conservées {days} jours, uniquement pour répondre à vos questions et traiter vos demandes, puis effacées.",
            (Msg::WebPrivacyNote, En) => "Privacy: conversations are kept for {days} days, only to answer your questions and handle your requests, then erased.",
            (Msg::WebHitInOtherLanguage, Fr) => "(texte en anglais)",
            (Msg::WebHitInOtherLanguage, En) => "(text in French)",
            (Msg::WebOpensNewTab, Fr) => "(s'ouvre dans un nouvel onglet)",
            (Msg::WebOpensNewTab, En) => "(opens in a new tab)",
            (Msg::WebNoScript, Fr) => "Le clavardage a besoin de JavaScript. Vous pouvez aussi écrire directement à l'équipe de l'Unité.",
            (Msg::WebNoScript, En) => "The chat needs JavaScript. You can also write to the Unit's staff directly.",
            (Msg::WebNetworkError, Fr) => "Le guichet ne répond pas. Vérifiez votre connexion et réessayez.",
            (Msg::WebNetworkError, En) => "The front desk is not answering. Check your connection and try again.",
            (Msg::ApiMessageTooLong, Fr) => "Votre message est trop long : {max} caractères au plus.",
            (Msg::ApiMessageTooLong, En) => "Your message is too long: {max} characters at most.",
            (Msg::ApiUnknownSession, Fr) => "Cette conversation a expiré ou n'existe pas ; une nouvelle conversation est nécessaire.",
            (Msg::ApiUnknownSession, En) => "This conversation expired or does not exist; a new conversation is needed.",
            (Msg::ApiBadJson, Fr) => "Requête invalide : un objet JSON est attendu (Content-Type: application/json).",
            (Msg::ApiBadJson, En) => "Invalid request: a JSON object is expected (Content-Type: application/json).",
            (Msg::ApiUnknownAction, Fr) => "Ce bouton n'existe pas.",
            (Msg::ApiUnknownAction, En) => "This button does not exist.",
            (Msg::ApiRateLimited, Fr) => "Vous envoyez trop de messages. Réessayez dans {seconds} secondes.",
            (Msg::ApiRateLimited, En) => "You are sending too many messages. Please try again in {seconds} seconds.",
            (Msg::NotFound, Fr) => "Page introuvable.",
            (Msg::NotFound, En) => "Page not found.",
            (Msg::StaffTitle, Fr) => "Guichet — espace du personnel",
            (Msg::StaffTitle, En) => "Guichet — staff area",
            (Msg::StaffLoginTitle, Fr) => "Connexion du personnel",
            (Msg::StaffLoginTitle, En) => "Staff sign-in",
            (Msg::StaffUsername, Fr) => "Nom d'utilisateur",
            (Msg::StaffUsername, En) => "Username",
            (Msg::StaffPassword, Fr) => "Mot de passe",
            (Msg::StaffPassword, En) => "Password",
            (Msg::StaffSignIn, Fr) => "Se connecter",
            (Msg::StaffSignIn, En) => "Sign in",
            (Msg::StaffSignOut, Fr) => "Se déconnecter",
            (Msg::StaffSignOut, En) => "Sign out",
            (Msg::StaffSignOutEverywhere, Fr) => "Me déconnecter partout",
            (Msg::StaffSignOutEverywhere, En) => "Sign out everywhere",
            (Msg::StaffSignedOutEverywhere, Fr) => "Toutes vos sessions sont fermées, dans tous les navigateurs.",
            (Msg::StaffSignedOutEverywhere, En) => "All your sessions are closed, in every browser.",
            (Msg::StaffSignedInAs, Fr) => "Connecté : {user}",
            (Msg::StaffSignedInAs, En) => "Signed in: {user}",
            (Msg::StaffLoginFailed, Fr) => "Nom d'utilisateur ou mot de passe incorrect.",
            (Msg::StaffLoginFailed, En) => "Wrong username or password.",
            (Msg::StaffLoginLimited, Fr) => "Trop de tentatives de connexion depuis votre adresse. Réessayez dans {minutes} min.",
            (Msg::StaffLoginLimited, En) => "Too many sign-in attempts from your address. Please try again in {minutes} min.",
            (Msg::StaffLoginLocked, Fr) => "Trop de tentatives échouées pour ce nom d'utilisateur. Réessayez dans {minutes} min.",
            (Msg::StaffLoginLocked, En) => "Too many failed sign-ins for this username. Please try again in {minutes} min.",
            (Msg::StaffLoginBusy, Fr) => "Trop de connexions en ce moment. Réessayez dans un instant.",
            (Msg::StaffLoginBusy, En) => "Too many sign-ins right now. Please try again shortly.",
            (Msg::StaffRequests, Fr) => "Demandes",
            (Msg::StaffRequests, En) => "Requests",
            (Msg::StaffFilter, Fr) => "Filtrer",
            (Msg::StaffFilter, En) => "Filter",
            (Msg::StaffAny, Fr) => "Tous",
            (Msg::StaffAny, En) => "Any",
            (Msg::StaffSearch, Fr) => "Recherche (référence, nom, courriel, organisme, description)",
            (Msg::StaffSearch, En) => "Search (reference, name, email, organization, description)",
            (Msg::StaffExportCsv, Fr) => "Exporter en CSV",
            (Msg::StaffExportCsv, En) => "Export as CSV",
            (Msg::StaffExportJson, Fr) => "Exporter en JSON",
            (Msg::StaffExportJson, En) => "Export as JSON",
            (Msg::StaffNoRequests, Fr) => "Aucune demande ne correspond.",
            (Msg::StaffNoRequests, En) => "No request matches.",
            (Msg::StaffCount, Fr) => "{count} demande(s)",
            (Msg::StaffCount, En) => "{count} request(s)",
            (Msg::StaffReference, Fr) => "Référence",
            (Msg::StaffReference, En) => "Reference",
            (Msg::StaffCreated, Fr) => "Reçue le",
            (Msg::StaffCreated, En) => "Received",
            (Msg::StaffUpdated, Fr) => "Modifiée le",
            (Msg::StaffUpdated, En) => "Updated",
            (Msg::StaffStatus, Fr) => "Statut",
            (Msg::StaffStatus, En) => "Status",
            (Msg::StaffChannel, Fr) => "Canal",
            (Msg::StaffChannel, En) => "Channel",
            (Msg::StaffLanguage, Fr) => "Langue",
            (Msg::StaffLanguage, En) => "Language",
            (Msg::StaffHandle, Fr) => "Identifiant sur le canal",
            (Msg::StaffHandle, En) => "Channel handle",
            (Msg::StaffAssignee, Fr) => "Responsable",
            (Msg::StaffAssignee, En) => "Assignee",
            (Msg::StaffClosedReason, Fr) => "Motif de fermeture",
            (Msg::StaffClosedReason, En) => "Closing reason",
            (Msg::StaffAttachments, Fr) => "Pièces jointes",
            (Msg::StaffAttachments, En) => "Attachments",
            (Msg::StaffTranscript, Fr) => "Conversation",
            (Msg::StaffTranscript, En) => "Transcript",
            (Msg::StaffNotes, Fr) => "Notes du personnel",
            (Msg::StaffNotes, En) => "Staff notes",
            (Msg::StaffHistory, Fr) => "Historique",
            (Msg::StaffHistory, En) => "History",
            (Msg::StaffWhen, Fr) => "Quand",
            (Msg::StaffWhen, En) => "When",
            (Msg::StaffWho, Fr) => "Qui",
            (Msg::StaffWho, En) => "Who",
            (Msg::StaffWhat, Fr) => "Quoi",
            (Msg::StaffWhat, En) => "What",
            (Msg::StaffChangeStatus, Fr) => "Changer le statut",
            (Msg::StaffChangeStatus, En) => "Change the status",
            (Msg::StaffNoteOrReason, Fr) => "Note (obligatoire pour fermer ou rouvrir)",
            (Msg::StaffNoteOrReason, En) => "Note (required to close or reopen)",
            (Msg::StaffNoMove, Fr) => "Aucun changement de statut possible.",
            (Msg::StaffNoMove, En) => "No status change is possible.",
            (Msg::StaffAssign, Fr) => "Assigner",
            (Msg::StaffAssign, En) => "Assign",
            (Msg::StaffAddNote, Fr) => "Ajouter une note",
            (Msg::StaffAddNote, En) => "Add a note",
            (Msg::StaffNote, Fr) => "Note",
            (Msg::StaffNote, En) => "Note",
            (Msg::StaffSave, Fr) => "Enregistrer",
            (Msg::StaffSave, En) => "Save",
            (Msg::StaffBackToList, Fr) => "← Retour à la liste",
            (Msg::StaffBackToList, En) => "← Back to the list",
            (Msg::StaffSaved, Fr) => "Modification enregistrée.",
            (Msg::StaffSaved, En) => "Change saved.",
            (Msg::StaffReasonRequired, Fr) => "Pour fermer ou rouvrir une demande, écrivez le motif dans la note.",
            (Msg::StaffReasonRequired, En) => "To close or reopen a request, write the reason in the note.",
            (Msg::StaffInvalidTransition, Fr) => "Une demande ne peut pas passer de « {from} » à « {to} ».",
            (Msg::StaffInvalidTransition, En) => "A request cannot move from \"{from}\" to \"{to}\".",
            (Msg::StaffUnknownStatus, Fr) => "Ce statut n'existe pas : choisissez-en un dans la liste.",
            (Msg::StaffUnknownStatus, En) => "This status does not exist: choose one from the list.",
            (Msg::StaffInvalidReason, Fr) => "La note ou le motif est trop long ({max} caractères au plus).",
            (Msg::StaffInvalidReason, En) => "The note or reason is too long (at most {max} characters).",
            (Msg::StaffInvalidAssignee, Fr) => "Le nom de la personne responsable n'est pas valide (1 à {max} caractères, sans saut de ligne).",
            (Msg::StaffInvalidAssignee, En) => "The assignee name is not valid (1 to {max} characters, no line breaks).",
            (Msg::StaffInvalidNote, Fr) => "La note n'est pas valide : écrivez de 1 à {max} caractères.",
            (Msg::StaffInvalidNote, En) => "The note is not valid: write 1 to {max} characters.",
            (Msg::StaffForbidden, Fr) => "Ce formulaire a expiré ou ne vient pas de cette page. Rechargez la page et réessayez.",
            (Msg::StaffForbidden, En) => "This form expired or did not come from this page. Reload the page and try again.",
            (Msg::StaffLoginForbidden, Fr) => "Ce formulaire de connexion a expiré ou ne vient pas de cette page. Veuillez vous connecter de nouveau.",
            (Msg::StaffLoginForbidden, En) => "This sign-in form expired or did not come from this page. Please sign in again.",
            (Msg::StaffBadForm, Fr) => "Formulaire illisible.",
            (Msg::StaffBadForm, En) => "The form could not be read.",
            (Msg::StaffRequestNotFound, Fr) => "Demande introuvable.",
            (Msg::StaffRequestNotFound, En) => "No such request.",
            (Msg::SpeakerPerson, Fr) => "Personne",
            (Msg::SpeakerPerson, En) => "Person",
            (Msg::SpeakerGuichet, Fr) => "Guichet",
            (Msg::SpeakerGuichet, En) => "Guichet",
            (Msg::SpeakerStaff, Fr) => "Personnel",
            (Msg::SpeakerStaff, En) => "Staff",
            (Msg::DiscordPageLanguage, Fr) => "Langue de la page : {lang}",
            (Msg::DiscordPageLanguage, En) => "Page language: {lang}",
            (Msg::DiscordLanguageFr, Fr) => "français",
            (Msg::DiscordLanguageFr, En) => "French",
            (Msg::DiscordLanguageEn, Fr) => "anglais",
            (Msg::DiscordLanguageEn, En) => "English",
            (Msg::DiscordHelpfulYes, Fr) => "Réponse utile",
            (Msg::DiscordHelpfulYes, En) => "Helpful",
            (Msg::DiscordHelpfulNo, Fr) => "Pas utile",
            (Msg::DiscordHelpfulNo, En) => "Not helpful",
            (Msg::DiscordFeedbackThanks, Fr) => "Merci pour votre avis.",
            (Msg::DiscordFeedbackThanks, En) => "Thank you for your feedback.",
            (Msg::DiscordContinueInDm, Fr) => {
                "Je poursuis en message privé pour que vos coordonnées ne soient pas affichées ici."
            }
            (Msg::DiscordContinueInDm, En) => {
                "I'll continue in a direct message so that your details are not shown here."
            }
            (Msg::DiscordDmClosed, Fr) => {
                "Je ne peux pas vous écrire en message privé. Autorisez les messages privés des membres de ce serveur, puis réessayez."
            }
            (Msg::DiscordDmClosed, En) => {
                "I cannot send you a direct message. Allow direct messages from members of this server, then try again."
            }
            (Msg::DiscordRateLimited, Fr) => {
                "Vous envoyez beaucoup de messages. Réessayez dans {seconds} secondes."
            }
            (Msg::DiscordRateLimited, En) => {
                "You are sending many messages. Try again in {seconds} seconds."
            }
            (Msg::DiscordStaffNotification, Fr) => {
                "Nouvelle demande {reference} ({type}) de {name} : {link}"
            }
            (Msg::DiscordStaffNotification, En) => {
                "New request {reference} ({type}) from {name}: {link}"
            }
            (Msg::DiscordCommandAsk, Fr) => "Poser une question à guichet",
            (Msg::DiscordCommandAsk, En) => "Ask guichet a question",
            (Msg::DiscordCommandRequest, Fr) => "Faire une demande de soutien à l'Unité",
            (Msg::DiscordCommandRequest, En) => "Make a support request to the Unit",
            (Msg::DiscordOptionQuestion, Fr) => "Votre question",
            (Msg::DiscordOptionQuestion, En) => "Your question",
            (Msg::TeamsWelcome, Fr) => "Bonjour ! Je suis guichet, l'assistant de l'Unité de soutien SSA Québec. Posez-moi une question sur l'Unité et ses services, ou écrivez « demande » pour transmettre une demande de soutien à l'équipe.",
            (Msg::TeamsWelcome, En) => "Hello! I am guichet, the Quebec SPOR SUPPORT Unit's assistant. Ask me about the Unit and its services, or type \"request\" to pass a request for support on to the staff.",
            (Msg::TeamsHelpful, Fr) => "Cette réponse vous a-t-elle été utile ?",
            (Msg::TeamsHelpful, En) => "Was this answer helpful?",
            (Msg::TeamsHelpfulYes, Fr) => "Oui",
            (Msg::TeamsHelpfulYes, En) => "Yes",
            (Msg::TeamsHelpfulNo, Fr) => "Non",
            (Msg::TeamsHelpfulNo, En) => "No",
            (Msg::TeamsFeedbackThanks, Fr) => "Merci pour votre avis.",
            (Msg::TeamsFeedbackThanks, En) => "Thank you for your feedback.",
            (Msg::TeamsPageInOtherLanguage, Fr) => "Page en anglais",
            (Msg::TeamsPageInOtherLanguage, En) => "Page in French",
            (Msg::TeamsContinueInPersonal, Fr) => "Je poursuis dans une conversation privée avec vous, pour que vos coordonnées ne soient pas affichées ici.",
            (Msg::TeamsContinueInPersonal, En) => "I'll continue in a private chat with you, so that your details are not shown here.",
            (Msg::TeamsOpenPersonalChat, Fr) => "Pour faire une demande, ouvrez une conversation privée avec moi (cliquez sur mon nom, puis sur Conversation) et écrivez « demande » : vos coordonnées ne seront pas affichées ici.",
            (Msg::TeamsOpenPersonalChat, En) => "To make a request, open a private chat with me (click my name, then Chat) and type \"request\": your details will not be shown here.",
            (Msg::TeamsRateLimited, Fr) => "Vous envoyez beaucoup de messages. Réessayez dans {seconds} secondes.",
            (Msg::TeamsRateLimited, En) => "You are sending many messages. Try again in {seconds} seconds.",
            (Msg::TeamsStaffTitle, Fr) => "Nouvelle demande {reference}",
            (Msg::TeamsStaffTitle, En) => "New request {reference}",
            (Msg::TeamsStaffChannel, Fr) => "Canal",
            (Msg::TeamsStaffChannel, En) => "Channel",
            (Msg::TeamsStaffOpen, Fr) => "Ouvrir la demande",
            (Msg::TeamsStaffOpen, En) => "Open the request",
            (Msg::TeamsStaffHowToSee, Fr) => "Pour la voir : guichet requests show {reference}",
            (Msg::TeamsStaffHowToSee, En) => "To see it: guichet requests show {reference}",
            (Msg::TeamsAppShortName, Fr) => "guichet SSA Québec",
            (Msg::TeamsAppShortName, En) => "guichet SPOR Quebec",
            (Msg::TeamsAppFullName, Fr) => "guichet de l'Unité de soutien SSA Québec",
            (Msg::TeamsAppFullName, En) => "guichet, the Quebec SPOR SUPPORT Unit's front desk",
            (Msg::TeamsAppShortDescription, Fr) => "Réponses sur l'Unité de soutien SSA Québec et demandes de soutien.",
            (Msg::TeamsAppShortDescription, En) => "Answers about the Quebec SPOR SUPPORT Unit and requests for support.",
            (Msg::TeamsAppFullDescription, Fr) => "guichet répond aux questions sur l'Unité de soutien SSA Québec, ses services et ses partenaires, avec des extraits de sa documentation et leurs sources, en français ou en anglais. Il peut aussi transmettre une demande de soutien à l'équipe de l'Unité, dans une conversation privée.",
            (Msg::TeamsAppFullDescription, En) => "guichet answers questions about the Quebec SPOR SUPPORT Unit, its services and its partners, with excerpts of its documentation and their sources, in English or French. It can also pass a request for support on to the Unit's staff, in a private chat.",
            (Msg::TeamsCommandAsk, Fr) => "Poser une question à guichet",
            (Msg::TeamsCommandAsk, En) => "Ask guichet a question",
            (Msg::TeamsCommandRequest, Fr) => "Faire une demande de soutien à l'Unité",
            (Msg::TeamsCommandRequest, En) => "Make a support request to the Unit",
            (Msg::FeedbackAsk, Fr) => "Cette réponse répond-elle à votre question ?",
            (Msg::FeedbackAsk, En) => "Did this answer your question?",
            (Msg::FeedbackYes, Fr) => "Cette réponse m'a aidé",
            (Msg::FeedbackYes, En) => "This answered my question",
            (Msg::FeedbackNo, Fr) => "Elle ne m'a pas aidé",
            (Msg::FeedbackNo, En) => "It did not",
            (Msg::FeedbackThanks, Fr) => "Merci : votre avis est enregistré et aide l'Unité à améliorer ses réponses.",
            (Msg::FeedbackThanks, En) => "Thank you: your feedback is recorded and helps the Unit improve its answers.",
            (Msg::FeedbackAlready, Fr) => "Un avis a déjà été enregistré pour cette réponse. Merci !",
            (Msg::FeedbackAlready, En) => "A vote was already recorded for this answer. Thank you!",
            (Msg::FeedbackUnknown, Fr) => "Ce lien d'avis n'est plus valide : les réponses sont conservées pour une durée limitée.",
            (Msg::FeedbackUnknown, En) => "This feedback link is no longer valid: answers are kept for a limited time.",
            (Msg::FeedbackPageTitle, Fr) => "Votre avis",
            (Msg::FeedbackPageTitle, En) => "Your feedback",
            (Msg::FeedbackConfirm, Fr) => "Confirmez votre avis sur la réponse de guichet avec le bouton ci-dessous. Rien sur vous n'est enregistré.",
            (Msg::FeedbackConfirm, En) => "Please confirm your feedback on guichet's answer with the button below. Nothing about you is recorded.",
            (Msg::MailFeedbackIntro, Fr) => "Cette réponse répond-elle à votre question ? Dites-le-nous en un clic (sans connexion) :",
            (Msg::MailFeedbackIntro, En) => "Did this answer your question? One click tells us (no sign-in needed):",
            (Msg::StaffQuestions, Fr) => "Questions à revoir",
            (Msg::StaffQuestions, En) => "Questions to review",
            (Msg::StaffRequestsLink, Fr) => "Demandes",
            (Msg::StaffRequestsLink, En) => "Requests",
            (Msg::StaffQuestionsIntro, Fr) => "Les questions restées sans réponse, les réponses jugées pas utiles et celles données avec peu d'assurance, regroupées par formulation semblable. Les exemples sont sans renseignements personnels.",
            (Msg::StaffQuestionsIntro, En) => "Questions without an answer, answers voted unhelpful and answers given with low confidence, grouped by similar wording. Examples have personal details removed.",
            (Msg::StaffQuestionsEmpty, Fr) => "Aucune question à revoir pour cette période.",
            (Msg::StaffQuestionsEmpty, En) => "No questions to review in this period.",
            (Msg::StaffQuestionsDays, Fr) => "Période (jours)",
            (Msg::StaffQuestionsDays, En) => "Period (days)",
            (Msg::StaffQuestionsCount, Fr) => "Posée",
            (Msg::StaffQuestionsCount, En) => "Asked",
            (Msg::StaffQuestionsSeen, Fr) => "Vue la première et la dernière fois",
            (Msg::StaffQuestionsSeen, En) => "First and last seen",
            (Msg::StaffQuestionsWhere, Fr) => "Langues et canaux",
            (Msg::StaffQuestionsWhere, En) => "Languages and channels",
            (Msg::StaffQuestionsWhy, Fr) => "Pourquoi",
            (Msg::StaffQuestionsWhy, En) => "Why",
            (Msg::StaffQuestionsExamples, Fr) => "Exemples",
            (Msg::StaffQuestionsExamples, En) => "Examples",
            (Msg::StaffQuestionsState, Fr) => "État",
            (Msg::StaffQuestionsState, En) => "State",
            (Msg::StaffQuestionsMark, Fr) => "Marquer",
            (Msg::StaffQuestionsMark, En) => "Mark",
            (Msg::StaffQuestionsMarked, Fr) => "Le groupe de questions est marqué : {state}.",
            (Msg::StaffQuestionsMarked, En) => "The question group is marked: {state}.",
            (Msg::StaffQuestionsUnknown, Fr) => "Ce groupe de questions n'est plus dans la file (ses questions ont peut-être dépassé leur durée de conservation).",
            (Msg::StaffQuestionsUnknown, En) => "This question group is no longer in the queue (its questions may have passed their retention period).",
            (Msg::StaffQuestionsVotes, Fr) => "Avis pour cette période : {up} utiles, {down} pas utiles.",
            (Msg::StaffQuestionsVotes, En) => "Votes in this period: {up} helpful, {down} not helpful.",
            (Msg::QueueStateOpen, Fr) => "À revoir",
            (Msg::QueueStateOpen, En) => "To review",
            (Msg::QueueStateAdded, Fr) => "Ajoutée à la base de connaissances",
            (Msg::QueueStateAdded, En) => "Added to the knowledge base",
            (Msg::QueueStateOutOfScope, Fr) => "Hors du mandat",
            (Msg::QueueStateOutOfScope, En) => "Out of scope",
            (Msg::QueueStateIgnored, Fr) => "Ignorée",
            (Msg::QueueStateIgnored, En) => "Ignored",
            (Msg::QueueReasonFallback, Fr) => "sans réponse",
            (Msg::QueueReasonFallback, En) => "no answer",
            (Msg::QueueReasonUnhelpful, Fr) => "jugée pas utile",
            (Msg::QueueReasonUnhelpful, En) => "voted unhelpful",
            (Msg::QueueReasonLowMargin, Fr) => "peu d'assurance",
            (Msg::QueueReasonLowMargin, En) => "low confidence",
            (Msg::StaffSummary, Fr) => "Sommaire",
            (Msg::StaffSummary, En) => "Summary",
            (Msg::StaffSummaryByStatus, Fr) => "Demandes par état",
            (Msg::StaffSummaryByStatus, En) => "Requests by status",
            (Msg::StaffSummaryNewByType, Fr) => "Nouvelles demandes par type",
            (Msg::StaffSummaryNewByType, En) => "New requests by type",
            (Msg::StaffSummaryWeek, Fr) => "7 jours",
            (Msg::StaffSummaryWeek, En) => "7 days",
            (Msg::StaffSummaryMonth, Fr) => "30 jours",
            (Msg::StaffSummaryMonth, En) => "30 days",
            (Msg::StaffSummaryOpenByAssignee, Fr) => "Demandes ouvertes par responsable",
            (Msg::StaffSummaryOpenByAssignee, En) => "Open requests by assignee",
            (Msg::StaffSummaryUnassigned, Fr) => "Sans responsable",
            (Msg::StaffSummaryUnassigned, En) => "Unassigned",
            (Msg::StaffSummaryMedian, Fr) => "Délai médian de nouvelle à fermée (30 derniers jours) : {time}",
            (Msg::StaffSummaryMedian, En) => "Median time from new to closed (last 30 days): {time}",
            (Msg::StaffSummaryNoClosed, Fr) => "Aucune demande fermée dans les 30 derniers jours.",
            (Msg::StaffSummaryNoClosed, En) => "No request closed in the last 30 days.",
            (Msg::StaffSummaryDuration, Fr) => "{days} j {hours} h",
            (Msg::StaffSummaryDuration, En) => "{days} d {hours} h",
            (Msg::StaffSummaryQuestions, Fr) => "Questions posées par semaine, et la part restée sans réponse",
            (Msg::StaffSummaryQuestions, En) => "Questions asked by week, and the share without an answer",
            (Msg::StaffSummaryWeekBar, Fr) => "Semaine du {week} : {asked} questions, {rate} % sans réponse",
            (Msg::StaffSummaryWeekBar, En) => "Week of {week}: {asked} questions, {rate} % without an answer",
            (Msg::StaffSummaryTopGroups, Fr) => "Principaux groupes de questions à revoir",
            (Msg::StaffSummaryTopGroups, En) => "Top question groups to review",
            (Msg::StaffErase, Fr) => "Effacer cette personne",
            (Msg::StaffErase, En) => "Erase this person",
            (Msg::StaffEraseWarning, Fr) => "Effacer tout ce que guichet conserve sur {name} ({email}) : ses demandes, conversations et courriels, sur tous les canaux. Cette action est irréversible.",
            (Msg::StaffEraseWarning, En) => "Erase everything guichet keeps about {name} ({email}): their requests, conversations and emails, on every channel. This cannot be undone.",
            (Msg::StaffEraseButton, Fr) => "Effacer définitivement",
            (Msg::StaffEraseButton, En) => "Erase permanently",
            (Msg::StaffErased, Fr) => "Effacé : {requests} demande(s), {conversations} conversation(s), {mail} trace(s) de courriel.",
            (Msg::StaffErased, En) => "Erased: {requests} request(s), {conversations} conversation(s), {mail} email record(s).",
            (Msg::StaffPages, Fr) => "Pages de la liste",
            (Msg::StaffPages, En) => "Pages of the list",
            (Msg::StaffPageOf, Fr) => "Page {page} sur {pages}",
            (Msg::StaffPageOf, En) => "Page {page} of {pages}",
            (Msg::StaffPrevious, Fr) => "← Précédente",
            (Msg::StaffPrevious, En) => "← Previous",
            (Msg::StaffNext, Fr) => "Suivante →",
            (Msg::StaffNext, En) => "Next →",
            (Msg::MailFromName, Fr) => "Unité de soutien SSA Québec",
            (Msg::MailFromName, En) => "Quebec SPOR SUPPORT Unit",
            (Msg::MailDefaultSubject, Fr) => "Votre question à l'Unité de soutien SSA Québec",
            (Msg::MailDefaultSubject, En) => "Your question to the Quebec SPOR SUPPORT Unit",
            (Msg::MailGreeting, Fr) => "Bonjour,",
            (Msg::MailGreeting, En) => "Hello,",
            (Msg::MailAnswerIntro, Fr) => "Merci de votre message. Voici les passages de la documentation de l'Unité qui semblent répondre à votre question :",
            (Msg::MailAnswerIntro, En) => "Thank you for your message. Here are the passages of the Unit's documentation that seem to answer your question:",
            (Msg::MailPageInOtherLanguage, Fr) => "(page en anglais)",
            (Msg::MailPageInOtherLanguage, En) => "(page in French)",
            (Msg::MailNoAnswer, Fr) => "Merci de votre message. Je n'ai pas trouvé de réponse à votre question dans la documentation de l'Unité.",
            (Msg::MailNoAnswer, En) => "Thank you for your message. I could not find an answer to your question in the Unit's documentation.",
            (Msg::MailNeedsType, Fr) => "Merci ! Pour confier votre demande à la bonne personne, il me faut son type. Répondez CONFIRMER avec une ligne « Type : … » (le numéro ou le nom d'un des types ci-dessous) ; votre demande sera alors enregistrée.",
            (Msg::MailNeedsType, En) => "Thank you! To pass your request to the right person, I need its type. Reply CONFIRM with a line \"Type: …\" (the number or the name of one of the types below); your request will then be logged.",
            (Msg::MailUnreadAttachments, Fr) => "Votre message dépassait la taille que je lis : j'en ai lu le texte, mais pas ces pièces jointes : {names}.",
            (Msg::MailUnreadAttachments, En) => "Your message was larger than I read: I read its text, but not these attachments: {names}.",
            (Msg::MailCapabilities, Fr) => "Merci de votre message. Je suis le guichet automatique de l'Unité de soutien SSA Québec : je réponds aux questions sur l'Unité, ses services et ses partenaires (financement, lettres d'appui, données, méthodes, partenariat avec les patients…). Écrivez votre question en répondant à ce courriel, ou répondez CONFIRMER pour que l'équipe de l'Unité vous écrive.",
            (Msg::MailCapabilities, En) => "Thank you for your message. I am the automatic front desk of the Quebec SPOR SUPPORT Unit: I answer questions about the Unit, its services and its partners (funding, letters of support, data, methods, patient partnership…). Write your question in a reply to this email, or reply CONFIRM to have the Unit's staff write to you.",
            (Msg::MailOfferTitle, Fr) => "Besoin de l'aide de l'équipe de l'Unité ?",
            (Msg::MailOfferTitle, En) => "Want help from the Unit's staff?",
            (Msg::MailOfferHow, Fr) => "Répondez à ce courriel en écrivant CONFIRMER sur la première ligne : votre question deviendra une demande de soutien, et l'équipe de l'Unité vous écrira.",
            (Msg::MailOfferHow, En) => "Reply to this email with the word CONFIRM on the first line: your question will become a request for support, and the Unit's staff will write to you.",
            (Msg::MailOfferDetails, Fr) => "Si vous le souhaitez, précisez aussi, sous CONFIRMER, votre nom, votre organisme et le type de demande :",
            (Msg::MailOfferDetails, En) => "If you like, also give your name, your organization and the type of request below CONFIRM:",
            (Msg::MailOfferFields, Fr) => "Nom : …\nOrganisme : …\nType : …",
            (Msg::MailOfferFields, En) => "Name: …\nOrganization: …\nType: …",
            (Msg::MailRequestTypes, Fr) => "Types de demande :",
            (Msg::MailRequestTypes, En) => "Types of request:",
            (Msg::MailPrivacy, Fr) => "Confidentialité : l'Unité conserve votre nom, votre adresse courriel, votre question et cet échange de courriels, uniquement pour vous répondre et traiter votre demande. Une question qui n'est pas confirmée est effacée après {days} jours. Pour consulter vos renseignements ou les faire supprimer, écrivez à {contact}. En répondant CONFIRMER, vous acceptez qu'ils soient conservés pour traiter votre demande.",
            (Msg::MailPrivacy, En) => "Privacy: the Unit keeps your name, your email address, your question and this email exchange, only to answer you and handle your request. A question that is not confirmed is erased after {days} days. To see your information or have it deleted, write to {contact}. By replying CONFIRM, you agree to it being kept to handle your request.",
            (Msg::MailSignature, Fr) => "Réponse automatique de guichet, l'assistant virtuel de l'Unité",
            (Msg::MailSignature, En) => "Automatic reply from guichet, the Unit's virtual assistant",
            (Msg::MailLogged, Fr) => "Merci ! Votre demande a été transmise à l'équipe de l'Unité sous la référence {reference}.",
            (Msg::MailLogged, En) => "Thank you! Your request has been passed on to the Unit's staff under reference {reference}.",
            (Msg::MailLoggedNext, Fr) => "L'équipe vous écrira à cette adresse courriel.",
            (Msg::MailLoggedNext, En) => "The staff will write to you at this email address.",
            (Msg::MailLoggedAddInfo, Fr) => "Pour ajouter des renseignements, répondez simplement à ce courriel en conservant la référence dans l'objet.",
            (Msg::MailLoggedAddInfo, En) => "To add information, simply reply to this email, keeping the reference in the subject line.",
            (Msg::MailAttachmentsNoted, Fr) => "Votre message contenait ces pièces jointes. Leurs noms ont été notés, mais les fichiers n'ont pas été conservés ; l'équipe pourra vous les demander :",
            (Msg::MailAttachmentsNoted, En) => "Your message had these attachments. Their names were noted, but the files were not kept; the staff may ask you for them:",
            (Msg::MailDeletion, Fr) => "Pour consulter vos renseignements ou en demander la suppression, écrivez à {contact} en indiquant votre référence.",
            (Msg::MailDeletion, En) => "To see your information or ask for it to be deleted, write to {contact} quoting your reference.",
            (Msg::MailAdded, Fr) => "Merci ! Votre message a été ajouté à la demande {reference}, et l'équipe de l'Unité en a été avisée.",
            (Msg::MailAdded, En) => "Thank you! Your message was added to request {reference}, and the Unit's staff have been notified.",
            (Msg::MailNothingToConfirm, Fr) => "Vous avez écrit CONFIRMER, mais je ne trouve aucune question à transmettre dans cette conversation.",
            (Msg::MailNothingToConfirm, En) => "You wrote CONFIRM, but I cannot find any question to pass on in this conversation.",
            (Msg::MailHowToAsk, Fr) => "Pour faire une demande, écrivez-nous votre question dans un nouveau courriel. Je vous répondrai, puis il vous suffira de répondre CONFIRMER à ma réponse pour transmettre votre demande à l'équipe.",
            (Msg::MailHowToAsk, En) => "To make a request, send us your question in a new email. I will answer it; then simply reply CONFIRM to my answer to pass your request on to the staff.",
            (Msg::MailStaffSubject, Fr) => "Nouvelle demande {reference} : {type}",
            (Msg::MailStaffSubject, En) => "New request {reference}: {type}",
            (Msg::MailStaffNew, Fr) => "Une nouvelle demande a été reçue par courriel.",
            (Msg::MailStaffNew, En) => "A new request was received by email.",
            (Msg::MailStaffFollowUpSubject, Fr) => "Nouveau message pour la demande {reference}",
            (Msg::MailStaffFollowUpSubject, En) => "New message on request {reference}",
            (Msg::MailStaffFollowUp, Fr) => "Un nouveau courriel a été ajouté à la demande {reference}.",
            (Msg::MailStaffFollowUp, En) => "A new email was added to request {reference}.",
            (Msg::MailStaffFields, Fr) => "Référence : {reference}\nType : {type}\nCanal : courriel\nNom : {name}",
            (Msg::MailStaffFields, En) => "Reference: {reference}\nType: {type}\nChannel: email\nName: {name}",
            (Msg::MailStaffLink, Fr) => "Voir la demande : {link}",
            (Msg::MailStaffLink, En) => "See the request: {link}",
            (Msg::MailStaffNoLink, Fr) => "Vous la trouverez dans l'espace du personnel de guichet.",
            (Msg::MailStaffNoLink, En) => "You will find it in guichet's staff area.",
            (Msg::MailStaffSignature, Fr) => "Message automatique de guichet",
            (Msg::MailStaffSignature, En) => "Automatic message from guichet",
            (Msg::CheckConfigValid, Fr) => "Configuration : valide ({source})",
            (Msg::CheckConfigValid, En) => "Configuration: valid ({source})",
            (Msg::CheckConfigInvalid, Fr) => "Configuration : invalide — {error}",
            (Msg::CheckConfigInvalid, En) => "Configuration: invalid — {error}",
            (Msg::CheckDisabled, Fr) => "{part} : désactivé, non vérifié",
            (Msg::CheckKnowledgeOk, Fr) => "Connaissances : {documents} documents lisibles dans {dir} ({skipped} fichier(s) ignoré(s))",
            (Msg::CheckKnowledgeOk, En) => "Knowledge: {documents} documents readable in {dir} ({skipped} file(s) skipped)",
            (Msg::CheckKnowledgeInvalid, Fr) => "Connaissances : {dir} contient des fichiers mal formés — corrigez-les (ou knowledge.skip_invalid) : {error}",
            (Msg::CheckKnowledgeInvalid, En) => "Knowledge: {dir} has malformed files — fix them (or knowledge.skip_invalid): {error}",
            (Msg::CheckDisabled, En) => "{part}: disabled, not checked",
            (Msg::CheckMissingSecret, Fr) => "{part} : la variable d'environnement {env} n'est pas définie — définissez-la (son nom est dans {key})",
            (Msg::CheckMissingSecret, En) => "{part}: the environment variable {env} is not set — set it (its name is in {key})",
            (Msg::CheckUnreachable, Fr) => "{part} : impossible de joindre {server} ({error}) — vérifiez {keys} et que le serveur fonctionne",
            (Msg::CheckUnreachable, En) => "{part}: cannot reach {server} ({error}) — check {keys} and that the server is running",
            (Msg::CheckTlsFailed, Fr) => "{part} : échec de la négociation TLS avec {server} ({error}) — vérifiez {keys}",
            (Msg::CheckTlsFailed, En) => "{part}: TLS with {server} failed ({error}) — check {keys}",
            (Msg::CheckLoginRefused, Fr) => "{part} : connexion refusée pour {user} — vérifiez {env}",
            (Msg::CheckLoginRefused, En) => "{part}: login refused for {user} — check {env}",
            (Msg::CheckImapOk, Fr) => "IMAP : connecté à {server} en tant que {user} ; le dossier {inbox} est lisible ({messages} messages)",
            (Msg::CheckImapOk, En) => "IMAP: logged in to {server} as {user}; folder {inbox} is readable ({messages} messages)",
            (Msg::CheckImapFolderMissing, Fr) => "IMAP : le dossier {folder} n'existe pas encore ; guichet le créera au démarrage ({key})",
            (Msg::CheckImapFolderMissing, En) => "IMAP: folder {folder} does not exist yet; guichet will create it at start ({key})",
            (Msg::CheckImapFolderFailed, Fr) => "IMAP : le dossier {folder} est inaccessible ({error}) — vérifiez {key}",
            (Msg::CheckImapFolderFailed, En) => "IMAP: folder {folder} cannot be opened ({error}) — check {key}",
            (Msg::CheckSmtpOk, Fr) => "SMTP : {server} accepte la session ({steps}), aucun message envoyé",
            (Msg::CheckSmtpOk, En) => "SMTP: {server} accepts the session ({steps}), nothing sent",
            (Msg::CheckSmtpNoAuth, Fr) => "SMTP : {server} n'offre pas d'authentification — videz mail.smtp.username si ce serveur relaie sans identifiant",
            (Msg::CheckSmtpNoAuth, En) => "SMTP: {server} offers no authentication — empty mail.smtp.username if it relays without a login",
            (Msg::CheckTokenOk, Fr) => "{part} : jeton accepté ({detail})",
            (Msg::CheckTokenOk, En) => "{part}: token accepted ({detail})",
            (Msg::CheckTokenRefused, Fr) => "{part} : jeton refusé (HTTP {status}) — vérifiez {env} et {keys}",
            (Msg::CheckTokenRefused, En) => "{part}: token refused (HTTP {status}) — check {env} and {keys}",
            (Msg::CheckFailed, Fr) => "{part} : échec — {error}",
            (Msg::CheckFailed, En) => "{part}: failed — {error}",
            (Msg::CheckAllPassed, Fr) => "Tout est prêt : {count} vérification(s) réussie(s).",
            (Msg::CheckAllPassed, En) => "All set: {count} check(s) passed.",
            (Msg::CheckSomeFailed, Fr) => "{failed} vérification(s) sur {count} en échec.",
            (Msg::CheckSomeFailed, En) => "{failed} of {count} check(s) failed.",
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

    /// Every message, for completeness checks.
    pub const ALL: &'static [Msg] = &[
        Msg::AnswerIntro,
        Msg::Fallback,
        Msg::NotSure,
        Msg::OfferStaff,
        Msg::Source,
        Msg::EmptyQuestion,
        Msg::Help,
        Msg::AnswerFollowUp,
        Msg::OfferDeclined,
        Msg::IntakeStart,
        Msg::AskName,
        Msg::AskEmail,
        Msg::AskOrganization,
        Msg::AskType,
        Msg::AskDescription,
        Msg::DescriptionKnown,
        Msg::AskConsent,
        Msg::AskConfirm,
        Msg::InvalidName,
        Msg::InvalidEmail,
        Msg::InvalidType,
        Msg::InvalidDescription,
        Msg::NeedYesNo,
        Msg::Corrected,
        Msg::ConsentRefused,
        Msg::Cancelled,
        Msg::NothingToCancel,
        Msg::Logged,
        Msg::DraftExpired,
        Msg::BackToIntake,
        Msg::InternalError,
        Msg::ContactStaff,
        Msg::FieldName,
        Msg::FieldEmail,
        Msg::FieldOrganization,
        Msg::FieldType,
        Msg::FieldDescription,
        Msg::ActionMakeRequest,
        Msg::ActionConfirm,
        Msg::ActionCancel,
        Msg::ActionConsentYes,
        Msg::ActionConsentNo,
        Msg::ActionNo,
        // The web channel (chat page, API errors, staff pages).
        Msg::WebTitle,
        Msg::WebIntro,
        Msg::WebOtherLanguage,
        Msg::WebMessageLabel,
        Msg::WebSend,
        Msg::WebKeyboardHint,
        Msg::WebConversation,
        Msg::WebYou,
        Msg::WebGuichet,
        Msg::WebPrivacyNote,
        Msg::WebHitInOtherLanguage,
        Msg::WebOpensNewTab,
        Msg::WebNoScript,
        Msg::WebNetworkError,
        Msg::ApiMessageTooLong,
        Msg::ApiUnknownSession,
        Msg::ApiBadJson,
        Msg::ApiUnknownAction,
        Msg::ApiRateLimited,
        Msg::NotFound,
        Msg::StaffTitle,
        Msg::StaffLoginTitle,
        Msg::StaffUsername,
        Msg::StaffPassword,
        Msg::StaffSignIn,
        Msg::StaffSignOut,
        Msg::StaffSignOutEverywhere,
        Msg::StaffSignedOutEverywhere,
        Msg::StaffSignedInAs,
        Msg::StaffLoginFailed,
        Msg::StaffLoginLimited,
        Msg::StaffLoginLocked,
        Msg::StaffLoginBusy,
        Msg::StaffRequests,
        Msg::StaffFilter,
        Msg::StaffAny,
        Msg::StaffSearch,
        Msg::StaffExportCsv,
        Msg::StaffExportJson,
        Msg::StaffNoRequests,
        Msg::StaffCount,
        Msg::StaffReference,
        Msg::StaffCreated,
        Msg::StaffUpdated,
        Msg::StaffStatus,
        Msg::StaffChannel,
        Msg::StaffLanguage,
        Msg::StaffHandle,
        Msg::StaffAssignee,
        Msg::StaffClosedReason,
        Msg::StaffAttachments,
        Msg::StaffTranscript,
        Msg::StaffNotes,
        Msg::StaffHistory,
        Msg::StaffWhen,
        Msg::StaffWho,
        Msg::StaffWhat,
        Msg::StaffChangeStatus,
        Msg::StaffNoteOrReason,
        Msg::StaffNoMove,
        Msg::StaffAssign,
        Msg::StaffAddNote,
        Msg::StaffNote,
        Msg::StaffSave,
        Msg::StaffBackToList,
        Msg::StaffSaved,
        Msg::StaffReasonRequired,
        Msg::StaffInvalidTransition,
        Msg::StaffUnknownStatus,
        Msg::StaffInvalidReason,
        Msg::StaffInvalidAssignee,
        Msg::StaffInvalidNote,
        Msg::StaffForbidden,
        Msg::StaffLoginForbidden,
        Msg::StaffBadForm,
        Msg::StaffRequestNotFound,
        Msg::SpeakerPerson,
        Msg::SpeakerGuichet,
        Msg::SpeakerStaff,
        Msg::DiscordPageLanguage,
        Msg::DiscordLanguageFr,
        Msg::DiscordLanguageEn,
        Msg::DiscordHelpfulYes,
        Msg::DiscordHelpfulNo,
        Msg::DiscordFeedbackThanks,
        Msg::DiscordContinueInDm,
        Msg::DiscordDmClosed,
        Msg::DiscordRateLimited,
        Msg::DiscordStaffNotification,
        Msg::DiscordCommandAsk,
        Msg::DiscordCommandRequest,
        Msg::DiscordOptionQuestion,
        Msg::TeamsWelcome,
        Msg::TeamsHelpful,
        Msg::TeamsHelpfulYes,
        Msg::TeamsHelpfulNo,
        Msg::TeamsFeedbackThanks,
        Msg::TeamsPageInOtherLanguage,
        Msg::TeamsContinueInPersonal,
        Msg::TeamsOpenPersonalChat,
        Msg::TeamsRateLimited,
        Msg::TeamsStaffTitle,
        Msg::TeamsStaffChannel,
        Msg::TeamsStaffOpen,
        Msg::TeamsStaffHowToSee,
        Msg::TeamsAppShortName,
        Msg::TeamsAppFullName,
        Msg::TeamsAppShortDescription,
        Msg::TeamsAppFullDescription,
        Msg::TeamsCommandAsk,
        Msg::TeamsCommandRequest,
        Msg::FeedbackAsk,
        Msg::FeedbackYes,
        Msg::FeedbackNo,
        Msg::FeedbackThanks,
        Msg::FeedbackAlready,
        Msg::FeedbackUnknown,
        Msg::FeedbackPageTitle,
        Msg::FeedbackConfirm,
        Msg::MailFeedbackIntro,
        Msg::StaffQuestions,
        Msg::StaffRequestsLink,
        Msg::StaffQuestionsIntro,
        Msg::StaffQuestionsEmpty,
        Msg::StaffQuestionsDays,
        Msg::StaffQuestionsCount,
        Msg::StaffQuestionsSeen,
        Msg::StaffQuestionsWhere,
        Msg::StaffQuestionsWhy,
        Msg::StaffQuestionsExamples,
        Msg::StaffQuestionsState,
        Msg::StaffQuestionsMark,
        Msg::StaffQuestionsMarked,
        Msg::StaffQuestionsUnknown,
        Msg::StaffQuestionsVotes,
        Msg::QueueStateOpen,
        Msg::QueueStateAdded,
        Msg::QueueStateOutOfScope,
        Msg::QueueStateIgnored,
        Msg::QueueReasonFallback,
        Msg::QueueReasonUnhelpful,
        Msg::QueueReasonLowMargin,
        Msg::StaffSummary,
        Msg::StaffSummaryByStatus,
        Msg::StaffSummaryNewByType,
        Msg::StaffSummaryWeek,
        Msg::StaffSummaryMonth,
        Msg::StaffSummaryOpenByAssignee,
        Msg::StaffSummaryUnassigned,
        Msg::StaffSummaryMedian,
        Msg::StaffSummaryNoClosed,
        Msg::StaffSummaryDuration,
        Msg::StaffSummaryQuestions,
        Msg::StaffSummaryWeekBar,
        Msg::StaffSummaryTopGroups,
        Msg::StaffErase,
        Msg::StaffEraseWarning,
        Msg::StaffEraseButton,
        Msg::StaffErased,
        Msg::StaffPages,
        Msg::StaffPageOf,
        Msg::StaffPrevious,
        Msg::StaffNext,
        Msg::MailFromName,
        Msg::MailDefaultSubject,
        Msg::MailGreeting,
        Msg::MailAnswerIntro,
        Msg::MailPageInOtherLanguage,
        Msg::MailNoAnswer,
        Msg::MailCapabilities,
        Msg::MailUnreadAttachments,
        Msg::MailNeedsType,
        Msg::MailOfferTitle,
        Msg::MailOfferHow,
        Msg::MailOfferDetails,
        Msg::MailOfferFields,
        Msg::MailRequestTypes,
        Msg::MailPrivacy,
        Msg::MailSignature,
        Msg::MailLogged,
        Msg::MailLoggedNext,
        Msg::MailLoggedAddInfo,
        Msg::MailAttachmentsNoted,
        Msg::MailDeletion,
        Msg::MailAdded,
        Msg::MailNothingToConfirm,
        Msg::MailHowToAsk,
        Msg::MailStaffSubject,
        Msg::MailStaffNew,
        Msg::MailStaffFollowUpSubject,
        Msg::MailStaffFollowUp,
        Msg::MailStaffFields,
        Msg::MailStaffLink,
        Msg::MailStaffNoLink,
        Msg::MailStaffSignature,
        Msg::CheckConfigValid,
        Msg::CheckConfigInvalid,
        Msg::CheckDisabled,
        Msg::CheckKnowledgeOk,
        Msg::CheckKnowledgeInvalid,
        Msg::CheckMissingSecret,
        Msg::CheckUnreachable,
        Msg::CheckTlsFailed,
        Msg::CheckLoginRefused,
        Msg::CheckImapOk,
        Msg::CheckImapFolderMissing,
        Msg::CheckImapFolderFailed,
        Msg::CheckSmtpOk,
        Msg::CheckSmtpNoAuth,
        Msg::CheckTokenOk,
        Msg::CheckTokenRefused,
        Msg::CheckFailed,
        Msg::CheckAllPassed,
        Msg::CheckSomeFailed,
    ];
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
mod fill_tests {
    use super::*;

    #[test]
    fn fill_replaces_placeholders() {
        let t = Msg::Logged.fill(Language::En, &[("reference", "SSA-2026-00042")]);
        assert!(t.contains("SSA-2026-00042") && !t.contains('{'), "{t}");
    }
}
