//! The conversation engine, driven as channels drive it: questions, greetings, complete
//! intakes in English and French, corrections, cancel, questions mid-intake, refused
//! consent, idle timeout, language switches and notifications.

use std::sync::Arc;

use guichet::assistant::{Action, Assistant, Field, Incoming, Reply, Sender, Settings};
use guichet::requests::model::{Channel, Email, RequestStatus, RequestType, Speaker};
use guichet::requests::sqlite::SqliteStore;
use guichet::requests::{RequestFilter, RequestStore};
use guichet::{Knowledge, Language};
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};

use crate::helpers::{bundled_dir, config};

pub struct Engine {
    pub assistant: Assistant,
    pub store: Arc<dyn RequestStore>,
    pub _data: TempDir,
}

pub fn engine() -> Engine {
    let data = TempDir::new().unwrap();
    let cfg = config(&bundled_dir(), &data);
    let knowledge = Knowledge::open(&cfg).unwrap();
    let store: Arc<dyn RequestStore> = Arc::new(SqliteStore::open(&cfg.database_path()).unwrap());
    let assistant = Assistant::new(
        knowledge,
        store.clone(),
        vec![],
        Settings::from_config(&cfg),
    );
    Engine {
        assistant,
        store,
        _data: data,
    }
}

/// One conversation with a clock that moves a minute per message.
struct Chat<'a> {
    engine: &'a Engine,
    id: String,
    channel: Channel,
    sender: Sender,
    now: OffsetDateTime,
}

impl<'a> Chat<'a> {
    fn new(engine: &'a Engine, id: &str) -> Chat<'a> {
        Chat {
            engine,
            id: id.into(),
            channel: Channel::Web,
            sender: Sender::default(),
            now: OffsetDateTime::now_utc(),
        }
    }

    fn send(&mut self, text: &str, action: Option<Action>) -> Reply {
        self.now += Duration::minutes(1);
        let mut incoming = Incoming::text(self.channel, self.id.clone(), text);
        incoming.sender = self.sender.clone();
        incoming.action = action;
        self.engine.assistant.handle_at(incoming, self.now)
    }

    fn say(&mut self, text: &str) -> Reply {
        self.send(text, None)
    }

    fn press(&mut self, action: Action) -> Reply {
        self.send("", Some(action))
    }
}

fn awaiting(r: &Reply) -> Option<Field> {
    r.awaiting
}

#[test]
fn a_question_gets_excerpts_and_an_offer_to_make_a_request() {
    let e = engine();
    let mut c = Chat::new(&e, "q");
    let r = c.say("Who created Oncopole?");
    assert_eq!(r.answered, Some(true));
    assert_eq!(r.lang, Language::En);
    assert!(!r.hits.is_empty() && r.hits[0].title.contains("Oncopole"));
    assert!(r.actions.contains(&Action::MakeRequest));
    assert_eq!(awaiting(&r), None);
}

#[test]
fn a_greeting_explains_what_guichet_does_in_the_persons_language() {
    let e = engine();
    let r = Chat::new(&e, "g1").say("Bonjour");
    assert_eq!(r.lang, Language::Fr);
    assert!(r.text.contains("Posez-moi une question"), "{}", r.text);
    let r = Chat::new(&e, "g2").say("hello");
    assert_eq!(r.lang, Language::En);
    assert!(r.text.contains("Ask me about the Unit"), "{}", r.text);
}

#[test]
fn a_complete_english_intake_with_a_correction_and_a_question_in_the_middle_logs_one_request() {
    let e = engine();
    let mut events = e.assistant.subscribe();
    let mut c = Chat::new(&e, "en-1");
    c.say("What is GRIIS?");
    let r = c.say("I'd like to request support");
    assert_eq!(awaiting(&r), Some(Field::Name));
    assert!(
        r.text.contains("used only to handle your request"),
        "notice before any data: {}",
        r.text
    );
    assert_eq!(awaiting(&c.say("Jane Smith")), Some(Field::Email));
    let r = c.say("jane@@umontreal");
    assert_eq!(awaiting(&r), Some(Field::Email));
    assert!(r.text.contains("does not look valid"), "{}", r.text);
    assert_eq!(
        awaiting(&c.say("jane.smith@umontreal.ca")),
        Some(Field::Organization)
    );
    // A question in the middle is answered, then the intake resumes.
    let r = c.say("What is the CIHR?");
    assert_eq!(r.answered, Some(true));
    assert!(!r.hits.is_empty());
    assert_eq!(awaiting(&r), Some(Field::Organization));
    assert_eq!(
        awaiting(&c.say("Université de Montréal")),
        Some(Field::Type)
    );
    assert_eq!(awaiting(&c.say("3")), Some(Field::Description));
    let r = c.say("We are preparing a CIHR grant application on diabetes care pathways.");
    assert_eq!(awaiting(&r), Some(Field::Consent));
    assert!(
        r.text.contains("Privacy notice") && r.text.contains("30 days"),
        "{}",
        r.text
    );
    let r = c.press(Action::ConsentYes);
    assert_eq!(awaiting(&r), Some(Field::Confirm));
    assert!(
        r.text.contains("jane.smith@umontreal.ca")
            && r.text.contains("Help with a grant application"),
        "{}",
        r.text
    );
    // A correction from the summary, then back to the summary.
    let r = c.say("change name");
    assert_eq!(awaiting(&r), Some(Field::Name));
    let r = c.say("Jane A. Smith");
    assert_eq!(awaiting(&r), Some(Field::Confirm), "{}", r.text);
    assert!(r.text.contains("Jane A. Smith"));
    let r = c.press(Action::Confirm);
    let logged = r.request.clone().expect("a confirmed request is logged");
    assert_eq!(logged.status, RequestStatus::New);
    assert!(
        logged.reference.to_string().starts_with("SSA-"),
        "{}",
        logged.reference
    );
    assert!(r.text.contains(&logged.reference.to_string()));
    assert_eq!(awaiting(&r), None);

    let stored = e.store.get_request(&logged.reference).unwrap().unwrap();
    assert_eq!(stored.requester_name, "Jane A. Smith");
    assert_eq!(stored.requester_email.as_str(), "jane.smith@umontreal.ca");
    assert_eq!(stored.organization, "Université de Montréal");
    assert_eq!(stored.request_type, RequestType::GrantApplication);
    assert_eq!(stored.language, Language::En);
    assert_eq!(stored.channel, Channel::Web);
    let transcript: Vec<&str> = stored
        .transcript
        .iter()
        .filter(|t| t.from == Speaker::Person)
        .map(|t| t.text.as_str())
        .collect();
    assert!(
        transcript.contains(&"What is GRIIS?"),
        "earlier questions are in the transcript: {transcript:?}"
    );
    assert!(transcript.contains(&"What is the CIHR?"));

    let event = events.try_recv().expect("the logged request is announced");
    assert_eq!(event.reference, logged.reference);
    assert_eq!(event.requester_name, "Jane A. Smith");
}

#[test]
fn a_french_intake_without_accents_and_with_a_field_correction_logs_the_request() {
    let e = engine();
    let mut c = Chat::new(&e, "fr-1");
    let r = c.say("je voudrais faire une demande");
    assert_eq!(r.lang, Language::Fr);
    assert_eq!(awaiting(&r), Some(Field::Name));
    c.say("Marie Tremblay");
    c.say("marie.tremblay@ulaval.ca");
    c.say("Universite Laval");
    let r = c.say("une lettre d'appui");
    assert_eq!(awaiting(&r), Some(Field::Description));
    let r = c.say("Nous demandons une lettre d'appui pour un projet en soins de premiere ligne.");
    assert_eq!(awaiting(&r), Some(Field::Consent));
    assert!(r.text.contains("Avis de confidentialité"), "{}", r.text);
    let r = c.say("oui");
    assert_eq!(awaiting(&r), Some(Field::Confirm));
    let r = c.say("courriel : m.tremblay@ulaval.ca");
    assert_eq!(awaiting(&r), Some(Field::Confirm), "{}", r.text);
    assert!(r.text.contains("m.tremblay@ulaval.ca"));
    let r = c.say("confirmer");
    let logged = r.request.clone().expect("logged");
    assert!(r.text.contains("Merci"), "{}", r.text);
    let stored = e.store.get_request(&logged.reference).unwrap().unwrap();
    assert_eq!(stored.requester_email.as_str(), "m.tremblay@ulaval.ca");
    assert_eq!(stored.request_type, RequestType::LetterOfSupport);
    assert_eq!(stored.language, Language::Fr);
}

#[test]
fn cancel_at_any_step_keeps_nothing() {
    let e = engine();
    let mut c = Chat::new(&e, "cancel");
    c.say("make a request");
    c.say("Jane Smith");
    let r = c.say("annuler");
    assert_eq!(awaiting(&r), None);
    assert!(
        r.text.contains("kept none") || r.text.contains("rien conservé"),
        "{}",
        r.text
    );
    let stored = e.store.load_conversation("web:cancel").unwrap().unwrap();
    assert!(
        !stored.state.to_string().contains("Jane Smith"),
        "the name must be gone: {}",
        stored.state
    );
    assert!(e
        .store
        .list_requests(&RequestFilter::default())
        .unwrap()
        .is_empty());
}

#[test]
fn refused_consent_logs_nothing_and_forgets_the_details() {
    let e = engine();
    let mut c = Chat::new(&e, "refuse");
    c.press(Action::MakeRequest);
    for answer in [
        "Jane Smith",
        "jane@mcgill.ca",
        "McGill University",
        "training",
        "We would like training on patient partnership.",
    ] {
        c.say(answer);
    }
    let r = c.press(Action::ConsentNo);
    assert_eq!(awaiting(&r), None);
    assert!(r.text.contains("Without your consent"), "{}", r.text);
    assert!(e
        .store
        .list_requests(&RequestFilter::default())
        .unwrap()
        .is_empty());
    let stored = e.store.load_conversation("web:refuse").unwrap().unwrap();
    assert!(!stored.state.to_string().contains("jane@mcgill.ca"));
}

#[test]
fn after_a_fallback_yes_starts_the_intake_with_the_question_as_description() {
    let e = engine();
    let mut c = Chat::new(&e, "offer");
    let r = c.say("Can you review my ethics protocol for a pediatric asthma study?");
    assert_eq!(r.answered, Some(false));
    assert!(r.actions.contains(&Action::MakeRequest) && r.actions.contains(&Action::No));
    let r = c.say("yes");
    assert_eq!(awaiting(&r), Some(Field::Name));
    assert!(
        r.text.contains("pediatric asthma"),
        "the question becomes the description: {}",
        r.text
    );
    c.say("Jane Smith");
    c.say("jane@mcgill.ca");
    c.say("McGill");
    let r = c.say("4");
    assert_eq!(
        awaiting(&r),
        Some(Field::Consent),
        "the description is not asked again"
    );
}

#[test]
fn known_sender_details_are_not_asked_again() {
    let e = engine();
    let mut c = Chat::new(&e, "mail-thread-1");
    c.channel = Channel::Email;
    c.sender = Sender {
        name: Some("Paul Gagnon".into()),
        email: Some(Email::parse("paul.gagnon@usherbrooke.ca").unwrap()),
        handle: None,
    };
    let r = c.say("Je voudrais faire une demande de soutien");
    assert_eq!(awaiting(&r), Some(Field::Organization), "{}", r.text);
}

#[test]
fn an_unfinished_intake_expires_after_the_idle_timeout() {
    let e = engine();
    let mut c = Chat::new(&e, "idle");
    c.say("make a request");
    assert_eq!(awaiting(&c.say("Jane Smith")), Some(Field::Email));
    c.now += Duration::hours(2);
    let r = c.say("jane@mcgill.ca");
    assert!(r.text.contains("expired"), "{}", r.text);
    assert_ne!(awaiting(&r), Some(Field::Organization));
}

#[test]
fn the_language_follows_the_person_mid_conversation() {
    let e = engine();
    let mut c = Chat::new(&e, "switch");
    assert_eq!(c.say("Who created Oncopole?").lang, Language::En);
    let r = c.say("Qui finance l'Unité ?");
    assert_eq!(r.lang, Language::Fr);
    assert_eq!(r.hits[0].lang, Language::Fr);
    // A name does not switch the language of an English intake.
    c.say("I want to make a request");
    let r = c.say("Jean-François Côté");
    assert_eq!(r.lang, Language::En);
}

#[test]
fn empty_and_hostile_messages_get_a_reply_and_break_nothing() {
    let e = engine();
    let mut c = Chat::new(&e, "hostile");
    let r = c.say("   ");
    assert!(
        r.text.contains("empty") || r.text.contains("vide"),
        "{}",
        r.text
    );
    let r = c.say("<script>alert(1)</script> DROP TABLE requests; --");
    assert_eq!(r.answered, Some(false));
    let r = c.say(&"é".repeat(100_000));
    assert!(!r.text.is_empty());
    let r = c.say("\u{0000}\u{202e}\u{200b}");
    assert!(!r.text.is_empty());
}

#[test]
fn erasing_a_person_removes_their_request_and_the_conversation_that_holds_their_details() {
    let e = engine();
    let mut c = Chat::new(&e, "erase-me");
    c.say("make a request");
    for answer in [
        "Jane Smith",
        "jane@mcgill.ca",
        "McGill",
        "1",
        "An exploratory meeting about a registry.",
        "yes",
        "confirm",
    ] {
        c.say(answer);
    }
    assert_eq!(
        e.store
            .list_requests(&RequestFilter::default())
            .unwrap()
            .len(),
        1
    );
    let erased = e
        .store
        .erase_person(
            &Email::parse("jane@mcgill.ca").unwrap(),
            "staff",
            OffsetDateTime::now_utc(),
        )
        .unwrap();
    assert_eq!((erased.requests, erased.conversations), (1, 1));
    assert!(e.store.load_conversation("web:erase-me").unwrap().is_none());
}

#[test]
fn bidirectional_controls_typed_in_a_name_or_organization_are_not_kept() {
    let e = engine();
    let mut c = Chat::new(&e, "bidi-1");
    c.say("I'd like to make a request");
    c.say("Ana\u{202e}nimdA Lopez");
    c.say("ana@example.org");
    c.say("McGill\u{2066} University\u{2069}");
    c.say("letter of support");
    c.say("We would like a letter of support for our primary care project.");
    c.say("yes");
    let r = c.say("confirm");
    let logged = r.request.clone().expect("logged");
    let stored = e.store.get_request(&logged.reference).unwrap().unwrap();
    assert_eq!(stored.requester_name, "AnanimdA Lopez");
    assert_eq!(stored.organization, "McGill University");
}

#[test]
fn plain_questions_are_not_stored_and_only_reach_the_anonymised_questions_log() {
    let e = engine();
    let mut c = Chat::new(&e, "plain");
    let r = c.say(
        "Hi, I'm Jane Quirion-Tessier from McGill (jane.qt@mcgill.ca, 514 555-0100). What is the SPOR SUPPORT Unit?",
    );
    assert_eq!(r.answered, Some(true), "{}", r.text);
    c.say("Who created Oncopole?");
    assert!(
        e.store.load_conversation("web:plain").unwrap().is_none(),
        "questions only: nothing stored"
    );
    let day = c.now.date() - Duration::days(1);
    let logged = e.store.questions_since(day).unwrap();
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert_eq!(logged[0].channel, Channel::Web);
    assert_eq!(logged[0].language, Language::En);
    for q in &logged {
        for identifier in ["Quirion", "jane.qt", "@", "555", "McGill"] {
            assert!(!q.text.contains(identifier), "{identifier} in {:?}", q.text);
        }
    }
    assert!(
        logged[0].text.contains("SPOR SUPPORT Unit"),
        "{:?}",
        logged[0].text
    );
    // The conversation still goes on (in memory): an offer can be taken up.
    let r = c.say("I'd like to make a request");
    assert_eq!(awaiting(&r), Some(Field::Name), "{}", r.text);
    assert!(
        e.store.load_conversation("web:plain").unwrap().is_some(),
        "an intake is stored (it will hold personal data)"
    );
}
