//! Answers from the bundled knowledge base: the evaluation sets, languages, accents,
//! typos, fallbacks and the shape of hits.

use std::collections::HashSet;
use std::path::Path;

use guichet::eval;
use guichet::messages::Msg;
use guichet::{Language, Question};

use crate::helpers::bundled;

fn run_set(file: &str) -> eval::Report {
    let b = bundled();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    let cases = eval::read(&path).expect("the evaluation set parses");
    assert!(
        cases.len() >= 10,
        "{file} holds too few questions to mean anything"
    );
    eval::run(&b.knowledge, &cases)
}

#[test]
fn the_dev_set_is_answered_correctly_at_least_nine_times_in_ten() {
    let report = run_set("dev.jsonl");
    assert!(
        report.accuracy() >= 0.9,
        "dev set below 90 %:\n{}",
        report.summary()
    );
}

#[test]
fn the_extended_set_with_typos_missing_accents_and_off_topic_questions_passes_at_90_percent() {
    let report = run_set("eval-extra.jsonl");
    assert!(
        report.accuracy() >= 0.9,
        "extended set below 90 %:\n{}",
        report.summary()
    );
}

fn ask(q: &str) -> guichet::Answer {
    let b = bundled();
    b.knowledge.ask(&Question::parse(q).unwrap(), None)
}

#[test]
fn off_topic_questions_fall_back_in_the_askers_language() {
    let b = bundled();
    for (q, lang) in [
        ("What's the weather like tomorrow?", Language::En),
        ("Quel temps fera-t-il demain?", Language::Fr),
        ("recette de poutine", Language::Fr),
        ("asdkjh qwpoeiru zmxncb", Language::Fr),
        ("Book me a flight to Toronto", Language::En),
        ("Who won the hockey game last night?", Language::En),
    ] {
        let a = b.knowledge.ask(&Question::parse(q).unwrap(), None);
        assert!(
            !a.answered,
            "{q:?} should fall back, got {:?}",
            a.hits.first().map(|h| &h.title)
        );
        assert!(a.hits.is_empty());
        assert_eq!(a.lang, lang, "{q:?}");
        let text = a.render_text("", "");
        assert!(
            text.contains(Msg::Fallback.text(lang)) && text.contains(Msg::OfferStaff.text(lang)),
            "{text}"
        );
    }
}

#[test]
fn a_question_is_answered_in_its_own_language_from_passages_in_that_language() {
    let fr = ask("Qu'est-ce que le CIHR?");
    assert_eq!(fr.lang, Language::Fr);
    assert_eq!(
        fr.hits[0].lang,
        Language::Fr,
        "first hit: {}",
        fr.hits[0].title
    );
    assert!(fr.hits[0].excerpt.plain().contains("IRSC"));
    let en = ask("What is IRSC?");
    assert_eq!(en.lang, Language::En);
    assert_eq!(
        en.hits[0].lang,
        Language::En,
        "first hit: {}",
        en.hits[0].title
    );
    assert!(en.hits[0].excerpt.plain().contains("CIHR"));
}

#[test]
fn accents_and_their_absence_find_the_same_passage() {
    for (accented, plain) in [
        ("Qui finance l'Unité ?", "qui finance l unite"),
        (
            "Quels sont les critères d'admissibilité ?",
            "quels sont les criteres d admissibilite",
        ),
        (
            "Qu'est-ce que l'Institut de la statistique du Québec ?",
            "qu est ce que l institut de la statistique du quebec",
        ),
    ] {
        let a = ask(accented);
        let b = ask(plain);
        assert!(a.answered && b.answered, "{accented:?} / {plain:?}");
        assert_eq!(
            a.hits[0].doc_id, b.hits[0].doc_id,
            "{accented:?} vs {plain:?}"
        );
        assert_eq!(a.lang, Language::Fr);
        assert_eq!(b.lang, Language::Fr);
    }
}

#[test]
fn small_typos_are_tolerated() {
    let a = ask("Which faculty of medicine is at McGil?");
    assert!(a.answered);
    assert!(
        a.hits.iter().any(|h| h.excerpt.plain().contains("McGill")),
        "{:?}",
        a.hits
    );
    let a = ask("oncopol");
    assert!(a.answered);
    assert!(a.hits[0].title.contains("Oncopole"));
}

#[test]
fn a_keyword_question_too_short_to_tell_is_answered_in_the_language_of_its_words() {
    let b = bundled();
    for (q, lang) in [
        ("targeted grant programs", Language::En),
        ("programmes subventions ciblees", Language::Fr),
    ] {
        assert_eq!(
            Language::detect(q),
            None,
            "{q}: the word lists decide alone"
        );
        assert_eq!(b.knowledge.reply_language(q, None), lang, "{q}");
        let a = b.knowledge.ask(&Question::parse(q).unwrap(), None);
        assert!(a.answered, "{q}");
        assert_eq!(a.hits[0].lang, lang, "{q}");
    }
}

#[test]
fn hits_are_few_distinct_and_fully_described() {
    let b = bundled();
    for q in [
        "Qui sont vos partenaires?",
        "What are the request types?",
        "patient partners",
        "FRQ",
    ] {
        let a = b.knowledge.ask(&Question::parse(q).unwrap(), None);
        assert!(a.answered, "{q}");
        assert!(a.hits.len() <= 3);
        let mut docs = HashSet::new();
        for h in &a.hits {
            assert!(
                docs.insert(h.doc_id.clone()),
                "{q}: the same document twice"
            );
            assert!(!h.title.is_empty() && !h.excerpt.plain().is_empty());
            assert!(
                h.url.as_deref().is_some_and(|u| u.starts_with("https://")),
                "{q}: {:?}",
                h.url
            );
            assert!(h.score > 0.0);
            assert!(
                h.excerpt.plain().chars().count() <= 440,
                "{q}: excerpt too long"
            );
        }
        let scores: Vec<f32> = a.hits.iter().map(|h| h.score).collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]) || a.hits.iter().any(|h| h.lang != a.lang),
            "{q}: {scores:?}"
        );
    }
}

#[test]
fn excerpts_mark_the_words_that_matched() {
    let a = ask("Who created Oncopole?");
    let marked = a.hits[0].excerpt.highlighted();
    assert!(marked.iter().any(|w| w.contains("Oncopole")), "{marked:?}");
}

#[test]
fn the_language_hint_decides_only_when_the_question_does_not() {
    let b = bundled();
    let q = Question::parse("GRIIS").unwrap();
    assert_eq!(b.knowledge.ask(&q, Some(Language::En)).lang, Language::En);
    assert_eq!(b.knowledge.ask(&q, Some(Language::Fr)).lang, Language::Fr);
    let q = Question::parse("Qu'est-ce que le GRIIS ?").unwrap();
    assert_eq!(b.knowledge.ask(&q, Some(Language::En)).lang, Language::Fr);
}

/// The realistic question set (a copy of the shared evaluation questions: emails,
/// paraphrases, typos, French without accents, informal Québécois, off-topic and
/// near-domain traps), scored with the bundled, fitted decision.
#[test]
fn the_realistic_set_keeps_its_measured_floor_with_the_fitted_decision() {
    let report = run_set("questions.jsonl");
    let t = report.total();
    assert!(
        t.in_scope_rate() >= 0.88 && t.refused_rate() >= 0.95,
        "below the recorded floor (88 % in scope, 95 % out of scope refused):\n{}",
        report.table()
    );
}

/// Cross-validation is how the decision is judged: each fold is scored by weights fitted
/// without it. This keeps the held-out figures from sliding back unnoticed.
#[test]
fn cross_validated_the_decision_refuses_out_of_scope_and_answers_most_in_scope() {
    let b = bundled();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/questions.jsonl");
    let cases = eval::read(&path).unwrap();
    let cv = eval::cross_validate(
        &eval::examine(&b.knowledge, &cases),
        5,
        b.knowledge.max_hits(),
        0,
    );
    let t = cv.held_out.total();
    assert_eq!(t.cases, cases.len(), "every case is held out once");
    assert!(
        t.in_scope_rate() >= 0.88 && t.refused_rate() >= 0.94,
        "cross-validated figures fell:\n{}",
        cv.summary()
    );
}

#[test]
fn a_near_domain_trap_is_refused_and_a_paraphrase_is_answered() {
    for trap in [
        "How do I renew my RAMQ health insurance card?",
        "J'ai mal au dos depuis deux semaines, devrais-je prendre de l'ibuprofène?",
    ] {
        let a = ask(trap);
        assert!(
            !a.answered,
            "{trap:?} was answered with {:?}",
            a.hits.first().map(|h| &h.title)
        );
    }
    let a = ask("Is the Unit able to pay for my research project?");
    assert!(
        a.answered,
        "a paraphrase of 'what the Unit cannot fund' was refused"
    );
    assert!(
        a.hits
            .iter()
            .take(2)
            .any(|h| h.excerpt.plain().contains("cannot fund")),
        "{:?}",
        a.hits.iter().map(|h| h.excerpt.plain()).collect::<Vec<_>>()
    );
}

#[test]
fn the_figure_asked_is_inside_the_excerpt() {
    for (q, figure) in [
        ("Quand l'INESSS a-t-il été créé?", "2011"),
        ("How many institutes make up CIHR?", "13"),
        ("En quelle année le GRIIS a-t-il été fondé?", "2014"),
    ] {
        let a = ask(q);
        assert!(a.answered, "{q}");
        let excerpt = a.hits[0].excerpt.plain();
        assert!(excerpt.contains(figure), "{q}: {excerpt}");
    }
}

#[test]
fn a_list_asked_for_is_shown_with_its_lead_in() {
    for (q, items) in [
        (
            "List of the SPOR networks",
            ["CHILD-BRIGHT", "Chronic Pain Network", "ACCESS Open Minds"],
        ),
        (
            "Quels sont les trois fonds du FRQ?",
            ["FRQS :", "FRQSC :", "FRQNT :"],
        ),
    ] {
        let a = ask(q);
        assert!(a.answered, "{q}");
        let excerpt = a.hits[0].excerpt.plain();
        for item in items {
            assert!(excerpt.contains(item), "{q}: {item} missing from {excerpt}");
        }
        assert!(
            !excerpt.starts_with('•'),
            "the sentence leading in to the list comes first: {excerpt}"
        );
    }
}

#[test]
fn an_unsure_answer_offers_related_pages_in_the_askers_language() {
    // Somewhere between an answer and a refusal: guichet says it is not sure and offers
    // pages; the JSON keeps `answered: false` with `suggestions` shaped like hits.
    let b = bundled();
    let q = Question::parse(
        "J'aimerais savoir comment obtenir une lettre d'appui de l'Unité pour notre dossier.",
    )
    .unwrap();
    let a = b.knowledge.ask(&q, None);
    // A later refit may answer it outright, which is fine; it must never be a bare refusal.
    let shown = if a.answered { &a.hits } else { &a.suggestions };
    assert!(
        shown
            .iter()
            .any(|h| h.excerpt.plain().contains("lettre d'appui")),
        "neither answered nor suggested the letter-of-support page: {:?}",
        shown.iter().map(|h| &h.title).collect::<Vec<_>>()
    );
    if a.answered {
        return;
    }
    let json = a.to_json();
    assert_eq!(json["answered"], false);
    assert!(json["suggestions"][0]["title"].is_string());
    let text = a.render_text("", "");
    assert!(text.contains(Msg::NotSure.text(Language::Fr)), "{text}");
}
