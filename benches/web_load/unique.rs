//! The messages of `WEB_LOAD_MODE=unique`: message `n` of the run is a function of `n`
//! alone, and no two of them are the same text (checked after the run), so the engine's
//! answer cache, keyed on the whole text, never hits. Each is put together from parts that
//! vary independently — an opener, a question template and its subject, a remark before or
//! after it; for emails a greeting, an invented sender (first and last name, role,
//! organisation), a background sentence, the order of the paragraphs, a sign-off and a
//! signature — in French or in English. Ten messages in a row hold six short on-topic chat
//! questions, one off-topic chat line, two on-topic emails and one off-topic email.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The longest message the web channel accepts by default (`web.max_message_chars`).
const MAX_CHARS: usize = 2_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Chat,
    ChatOffTopic,
    Email,
    EmailOffTopic,
}
use Kind::*;

const KINDS: [Kind; 4] = [Chat, ChatOffTopic, Email, EmailOffTopic];
const PATTERN: [Kind; 10] = [
    Chat,
    Email,
    Chat,
    ChatOffTopic,
    Chat,
    Chat,
    Email,
    Chat,
    EmailOffTopic,
    Chat,
];

/// Each list holds (English, French) pairs, so both languages take the same digits.
type Pairs = &'static [(&'static str, &'static str)];

const OPENERS: Pairs = &[
    ("", ""),
    ("Hi! ", "Bonjour ! "),
    ("Hello, ", "Bonjour, "),
    ("Quick question: ", "Petite question : "),
    ("Sorry to bother you, ", "Désolé de vous déranger, "),
    ("Hey, ", "Salut, "),
    ("Good morning. ", "Bon matin. "),
    ("Hi there, ", "Allô, "),
];

/// On-topic questions; `{s}` is a subject of [`SUBJECTS`].
const QUESTIONS: Pairs = &[
    ("what is {s}?", "qu'est-ce que {s} ?"),
    ("who is behind {s}?", "qui est derrière {s} ?"),
    (
        "can you tell me more about {s}?",
        "pouvez-vous m'en dire plus sur {s} ?",
    ),
    ("how do I get in touch with {s}?", "comment joindre {s} ?"),
    ("what does {s} do exactly?", "que fait {s} exactement ?"),
    (
        "does the Unit work with {s}?",
        "l'Unité travaille-t-elle avec {s} ?",
    ),
    (
        "where can I find information on {s}?",
        "où trouver de l'information sur {s} ?",
    ),
    (
        "what is the role of {s} in patient-oriented research?",
        "quel est le rôle de {s} dans la recherche axée sur le patient ?",
    ),
    ("who can benefit from {s}", "qui peut bénéficier de {s}"),
    ("{s}, what is it for?", "{s}, ça sert à quoi ?"),
    ("info on {s} please", "infos sur {s} svp"),
    (
        "I'd like to know more about {s} for my project.",
        "j'aimerais en savoir plus sur {s} pour mon projet.",
    ),
];

/// Questions as an email words them (the chat ones are used in emails too).
const EMAIL_QUESTIONS: Pairs = &[
    (
        "Could you tell me whether {s} could support our project?",
        "Pourriez-vous me dire si {s} pourrait appuyer notre projet ?",
    ),
    (
        "I would like to know more about {s}.",
        "J'aimerais en savoir davantage sur {s}.",
    ),
    (
        "Can you explain what {s} offers to researchers?",
        "Pouvez-vous m'expliquer ce que {s} offre aux chercheurs ?",
    ),
    (
        "Who should I contact regarding {s}?",
        "À qui dois-je m'adresser au sujet de {s} ?",
    ),
    (
        "Is {s} relevant for a project like ours?",
        "Est-ce que {s} convient à un projet comme le nôtre ?",
    ),
    (
        "Please let me know how to get help from {s}.",
        "Merci de m'indiquer comment obtenir de l'aide de {s}.",
    ),
];

const SUBJECTS: Pairs = &[
    ("the CIHR", "les IRSC"),
    ("Oncopole", "Oncopole"),
    ("the GRIIS", "le GRIIS"),
    (
        "the Fonds de recherche du Québec",
        "le Fonds de recherche du Québec",
    ),
    ("the INSPQ", "l'INSPQ"),
    ("INESSS", "l'INESSS"),
    ("CIRANO", "le CIRANO"),
    ("the CEPPP", "le CEPPP"),
    (
        "the Institut de la statistique du Québec",
        "l'Institut de la statistique du Québec",
    ),
    ("Diabetes Action Canada", "Diabète Action Canada"),
    (
        "the Quebec Network for Research on Aging",
        "le Réseau québécois de recherche sur le vieillissement",
    ),
    ("Centre Déclic", "le Centre Déclic"),
    ("the CIQSS", "le CIQSS"),
    ("ACCESS Open Minds", "ACCESS Esprits ouverts"),
    ("the ASPQ", "l'ASPQ"),
    ("patient partnership", "le partenariat patient"),
    ("a letter of support", "une lettre d'appui"),
    ("the exploratory meeting", "la rencontre exploratoire"),
    ("capacity building", "le développement des capacités"),
    (
        "the learning health system",
        "le système de santé apprenant",
    ),
    ("the RUISSS", "les RUISSS"),
    ("the SPOR networks", "les réseaux de la SRAP"),
    (
        "the Quebec SPOR SUPPORT Unit",
        "l'Unité SOUTIEN SRAP du Québec",
    ),
    ("the eligibility criteria", "les critères d'admissibilité"),
    (
        "the targeted grant programs",
        "les programmes de subventions ciblées",
    ),
    (
        "the front-line university institute in Estrie",
        "l'institut universitaire de première ligne de l'Estrie",
    ),
];

/// Off-topic requests; `{x}` is a place of [`PLACES`].
const OFF_TOPIC: Pairs = &[
    ("book me a flight to {x}", "réserve-moi un vol pour {x}"),
    (
        "what's the weather like in {x} tomorrow?",
        "quel temps fera-t-il demain à {x} ?",
    ),
    (
        "do you know a good restaurant in {x}?",
        "connaissez-vous un bon restaurant à {x} ?",
    ),
    (
        "how do I renew my passport in {x}?",
        "comment renouveler mon passeport à {x} ?",
    ),
    (
        "is there a pharmacy open late in {x}?",
        "y a-t-il une pharmacie ouverte tard à {x} ?",
    ),
    (
        "can you recommend a hotel in {x}?",
        "pouvez-vous me recommander un hôtel à {x} ?",
    ),
    (
        "what time does the bus leave for {x}?",
        "à quelle heure part l'autobus pour {x} ?",
    ),
    (
        "how much is a taxi to {x}?",
        "combien coûte un taxi jusqu'à {x} ?",
    ),
    (
        "where can I buy hockey tickets in {x}?",
        "où acheter des billets de hockey à {x} ?",
    ),
    (
        "give me a poutine recipe from {x}",
        "donne-moi une recette de poutine de {x}",
    ),
];

const PLACES: Pairs = &[
    ("Toronto", "Toronto"),
    ("Montreal", "Montréal"),
    ("Quebec City", "Québec"),
    ("Gatineau", "Gatineau"),
    ("Sherbrooke", "Sherbrooke"),
    ("Trois-Rivières", "Trois-Rivières"),
    ("Rimouski", "Rimouski"),
    ("Saguenay", "Saguenay"),
    ("Laval", "Laval"),
    ("Longueuil", "Longueuil"),
    ("Lévis", "Lévis"),
    ("Drummondville", "Drummondville"),
    ("Granby", "Granby"),
    ("Ottawa", "Ottawa"),
    ("Boston", "Boston"),
    ("Paris", "Paris"),
];

/// Remarks said before or after a chat question.
const REMARKS: Pairs = &[
    ("I'm a PhD student.", "Je suis étudiante au doctorat."),
    ("Thanks!", "Merci !"),
    (
        "It's for a grant application.",
        "C'est pour une demande de subvention.",
    ),
    (
        "I'm asking for my research team.",
        "Je pose la question pour mon équipe de recherche.",
    ),
    ("We are based in Sherbrooke.", "Nous sommes à Rimouski."),
    ("Thank you in advance.", "Merci d'avance."),
    ("It's a bit urgent.", "C'est un peu urgent."),
    ("I work in a CIUSSS.", "Je travaille dans un CIUSSS."),
    (
        "My project is on chronic pain.",
        "Mon projet porte sur la douleur chronique.",
    ),
];

const GREETINGS: Pairs = &[
    ("Hello,", "Bonjour,"),
    ("Hi,", "Bonjour à toute l'équipe,"),
    ("Dear Sir or Madam,", "Madame, Monsieur,"),
    ("Good morning,", "Bonsoir,"),
    (
        "Dear SUPPORT Unit team,",
        "Chère équipe de l'Unité SOUTIEN,",
    ),
    ("To whom it may concern,", "À qui de droit,"),
    ("Hello everyone,", "Bonjour à vous,"),
    ("Good afternoon,", "Bon après-midi,"),
];

const FIRST_NAMES: &[&str] = &[
    "Maya",
    "Julie",
    "Karim",
    "Sophie",
    "Olivier",
    "Amélie",
    "Thomas",
    "Nadia",
    "Félix",
    "Chloé",
    "Samuel",
    "Léa",
    "Mathieu",
    "Fatima",
    "Gabriel",
    "Émilie",
    "Jonathan",
    "Isabelle",
    "Hugo",
    "Camille",
    "Rachid",
    "Marie-Ève",
    "Vincent",
    "Anne",
];

const LAST_NAMES: &[&str] = &[
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
    "Ouellet",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
    "Girard",
    "Simard",
    "Boucher",
    "Caron",
    "Beaulieu",
    "Cloutier",
    "Nguyen",
];

/// Roles (English with its article, French), and the same for a signature.
const ROLES: &[(&str, &str, &str)] = &[
    (
        "a research coordinator",
        "coordonnatrice de recherche",
        "Research coordinator",
    ),
    (
        "a nurse clinician",
        "infirmière clinicienne",
        "Nurse clinician",
    ),
    (
        "a doctoral student",
        "étudiant au doctorat",
        "Doctoral student",
    ),
    (
        "a postdoctoral fellow",
        "stagiaire postdoctoral",
        "Postdoctoral fellow",
    ),
    (
        "an assistant professor",
        "professeure adjointe",
        "Assistant professor",
    ),
    (
        "a research professional",
        "professionnel de recherche",
        "Research professional",
    ),
    (
        "a family physician",
        "médecin de famille",
        "Family physician",
    ),
    ("a patient partner", "patient partenaire", "Patient partner"),
];

/// Organisations, real and invented (English, French after "à").
const ORGANISATIONS: Pairs = &[
    ("Université de Sherbrooke", "l'Université de Sherbrooke"),
    ("Université Laval", "l'Université Laval"),
    ("McGill University", "l'Université McGill"),
    (
        "the CIUSSS du Saguenay–Lac-Saint-Jean",
        "le CIUSSS du Saguenay–Lac-Saint-Jean",
    ),
    (
        "Université du Québec à Rimouski",
        "l'Université du Québec à Rimouski",
    ),
    (
        "the CHU de Québec research centre",
        "le centre de recherche du CHU de Québec",
    ),
    ("Concordia University", "l'Université Concordia"),
    (
        "the Montreal Heart Institute",
        "l'Institut de cardiologie de Montréal",
    ),
    (
        "a community pharmacy in Gatineau",
        "une pharmacie communautaire de Gatineau",
    ),
    (
        "the Clinique des Pins family medicine group",
        "le GMF Clinique des Pins",
    ),
    (
        "the Fondation Rivière-Claire",
        "la Fondation Rivière-Claire",
    ),
    ("CHU Sainte-Justine", "le CHU Sainte-Justine"),
    ("Université de Montréal", "l'Université de Montréal"),
    ("Bishop's University", "l'Université Bishop's"),
    (
        "the Réseau des aidants de l'Outaouais",
        "le Réseau des aidants de l'Outaouais",
    ),
    (
        "the Centre Boréal de santé durable",
        "le Centre Boréal de santé durable",
    ),
];

/// Self-introductions: `{n}` the sender's name, `{r}` the role, `{o}` the organisation.
const INTRODUCTIONS: Pairs = &[
    (
        "My name is {n} and I am {r} at {o}.",
        "Je m'appelle {n} et je suis {r} à {o}.",
    ),
    ("I am {r} at {o}.", "Je suis {r} à {o}."),
    ("{n} here, {r} at {o}.", "Ici {n}, {r} à {o}."),
    (
        "I am writing to you as {r} at {o}.",
        "Je vous écris à titre de {r} à {o}.",
    ),
];

const BACKGROUNDS: Pairs = &[
    (
        "We are preparing a grant application on home care for older adults.",
        "Nous préparons une demande de subvention sur les soins à domicile des aînés.",
    ),
    (
        "Our team is starting a study on youth mental health.",
        "Notre équipe démarre une étude sur la santé mentale des jeunes.",
    ),
    (
        "My supervisor suggested that I write to you.",
        "Ma directrice m'a suggéré de vous écrire.",
    ),
    (
        "A colleague gave me your address.",
        "Une collègue m'a donné votre adresse.",
    ),
    (
        "We would like to involve patients in our research from the start.",
        "Nous voulons associer des patients à notre recherche dès le départ.",
    ),
    (
        "I looked at your website but could not find the answer.",
        "J'ai consulté votre site sans y trouver la réponse.",
    ),
    (
        "Our project deals with diabetes in remote regions.",
        "Notre projet porte sur le diabète en région éloignée.",
    ),
    (
        "The deadline for our submission is in three weeks.",
        "La date limite de notre dépôt est dans trois semaines.",
    ),
];

const SIGN_OFFS: Pairs = &[
    ("Thank you in advance,", "Merci à l'avance,"),
    ("Best regards,", "Cordialement,"),
    (
        "Thanks a lot for your time,",
        "Merci beaucoup de votre temps,",
    ),
    ("Kind regards,", "Salutations distinguées,"),
    ("Many thanks,", "Bien à vous,"),
    ("Sincerely,", "Merci et bonne journée,"),
];

/// Mixed-radix digits of an index; also measures the number of combinations.
struct Digits {
    rest: u64,
    space: u64,
}

impl Digits {
    fn take(&mut self, radix: usize) -> usize {
        let radix = radix as u64;
        self.space *= radix;
        let d = self.rest % radix;
        self.rest /= radix;
        d as usize
    }

    fn pick<'a>(&mut self, pairs: &'a [(&'a str, &'a str)], fr: bool) -> &'a str {
        let (en, fr_text) = pairs[self.take(pairs.len())];
        if fr {
            fr_text
        } else {
            en
        }
    }
}

/// Message `n` of the run.
pub fn message(n: u64) -> String {
    let (kind, k) = kind_of(n);
    let space = space(kind);
    // Shuffle the indices (a permutation of the space), so that consecutive messages
    // differ in every part, not only in the fastest-changing one.
    let mut text = build(kind, shuffle(k % space, space)).0;
    let round = k / space;
    if round > 0 {
        // Past the space (only in very long runs): still distinct.
        text.push_str(&format!(" (ref {round})"));
    }
    text
}

/// The kind of message `n` and its index among the messages of that kind.
pub fn kind_of(n: u64) -> (Kind, u64) {
    let slot = (n % PATTERN.len() as u64) as usize;
    let kind = PATTERN[slot];
    let per_block = PATTERN.iter().filter(|k| **k == kind).count() as u64;
    let rank = PATTERN[..slot].iter().filter(|k| **k == kind).count() as u64;
    (kind, n / PATTERN.len() as u64 * per_block + rank)
}

/// Whether message `n` is an email (`WEB_LOAD_MODE=unique-chat` skips those).
pub fn is_email(n: u64) -> bool {
    matches!(kind_of(n).0, Email | EmailOffTopic)
}

/// How many distinct messages of `kind` the parts make.
pub fn space(kind: Kind) -> u64 {
    static SPACES: OnceLock<[u64; 4]> = OnceLock::new();
    let spaces = SPACES.get_or_init(|| KINDS.map(|k| build(k, 0).1));
    spaces[KINDS.iter().position(|k| *k == kind).unwrap()]
}

/// A fixed pseudo-random permutation of `0..space` (`x < space`): a four-round Feistel
/// network on the smallest even number of bits that holds `space`, walked again while
/// it lands outside (a bijection of `0..2^bits` restricted this way stays one).
fn shuffle(x: u64, space: u64) -> u64 {
    let bits = (64 - space.saturating_sub(1).leading_zeros())
        .max(2)
        .next_multiple_of(2);
    let half = bits / 2;
    let mask = (1u64 << half) - 1;
    let mut v = x;
    loop {
        let (mut left, mut right) = (v >> half, v & mask);
        for round in 0..4u64 {
            // The SplitMix64 finaliser as the round function.
            let mut f = right ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            f = (f ^ (f >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            f = (f ^ (f >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            f ^= f >> 31;
            (left, right) = (right, left ^ (f & mask));
        }
        v = (left << half) | right;
        if v < space {
            return v;
        }
    }
}

/// The message of `kind` for digits `i`, and the number of combinations.
fn build(kind: Kind, i: u64) -> (String, u64) {
    let mut d = Digits { rest: i, space: 1 };
    let fr = d.take(2) == 1;
    let text = match kind {
        Chat | ChatOffTopic => {
            let opener = d.pick(OPENERS, fr);
            let question = ask(&mut d, kind, fr, false);
            // No remark, a remark after the question, or one before it.
            let remark = d.take(2 * REMARKS.len() + 1);
            let mut text = opener.to_string();
            if remark == 0 {
                push_continuing(&mut text, &question);
            } else if remark <= REMARKS.len() {
                let (en, fr_text) = REMARKS[remark - 1];
                push_continuing(&mut text, &ended(question));
                text.push(' ');
                text.push_str(if fr { fr_text } else { en });
            } else {
                let (en, fr_text) = REMARKS[remark - 1 - REMARKS.len()];
                let remark = if fr { fr_text } else { en };
                if text.trim_end().is_empty() || text.trim_end().ends_with(['.', '!', '?']) {
                    text.push_str(remark);
                } else {
                    // After "Hello, ": "Hello, thanks!", but "Hello, I'm…".
                    text.push_str(&decapitalized(remark));
                }
                text.push(' ');
                text.push_str(&capitalized(&question));
            }
            text
        }
        Email | EmailOffTopic => {
            let greeting = d.pick(GREETINGS, fr);
            let first = FIRST_NAMES[d.take(FIRST_NAMES.len())];
            let last = LAST_NAMES[d.take(LAST_NAMES.len())];
            let name = format!("{first} {last}");
            let (role_en, role_fr, role_title) = ROLES[d.take(ROLES.len())];
            let role_title = if fr {
                capitalized(role_fr)
            } else {
                role_title.to_string()
            };
            let organisation = d.pick(ORGANISATIONS, fr);
            let introduction = d
                .pick(INTRODUCTIONS, fr)
                .replace("{n}", &name)
                .replace("{r}", if fr { role_fr } else { role_en })
                .replace("{o}", organisation);
            let background = d.pick(BACKGROUNDS, fr);
            let question = ended(capitalized(&ask(&mut d, kind, fr, true)));
            let sign_off = d.pick(SIGN_OFFS, fr);
            let signature = if d.take(2) == 0 {
                name.clone()
            } else {
                let organisation = ["the ", "le ", "la ", "l'", "a ", "une "]
                    .iter()
                    .find_map(|article| organisation.strip_prefix(article))
                    .unwrap_or(organisation);
                format!("{name}\n{role_title}, {}", capitalized(organisation))
            };
            let body = if d.take(2) == 0 {
                format!("{introduction} {background}\n\n{question}")
            } else {
                format!("{introduction}\n\n{question} {background}")
            };
            format!("{greeting}\n\n{body}\n\n{sign_off}\n{signature}")
        }
    };
    let text = if fr { french(&text) } else { text };
    (text, d.space)
}

/// A question of `kind` (on- or off-topic), not capitalised.
fn ask(d: &mut Digits, kind: Kind, fr: bool, email: bool) -> String {
    match kind {
        Chat | Email => {
            let template = if email {
                let t = d.take(QUESTIONS.len() + EMAIL_QUESTIONS.len());
                let (en, fr_text) = if t < QUESTIONS.len() {
                    QUESTIONS[t]
                } else {
                    EMAIL_QUESTIONS[t - QUESTIONS.len()]
                };
                if fr {
                    fr_text
                } else {
                    en
                }
            } else {
                d.pick(QUESTIONS, fr)
            };
            template.replace("{s}", d.pick(SUBJECTS, fr))
        }
        ChatOffTopic | EmailOffTopic => {
            let template = d.pick(OFF_TOPIC, fr);
            template.replace("{x}", d.pick(PLACES, fr))
        }
    }
}

/// Appends `sentence` after `text`: capitalised when it starts the text or follows a
/// sentence's end, as written after a comma or a colon.
fn push_continuing(text: &mut String, sentence: &str) {
    let starts = text.trim_end().is_empty() || text.trim_end().ends_with(['.', '!', '?']);
    if starts {
        text.push_str(&capitalized(sentence));
    } else {
        text.push_str(sentence);
    }
}

/// `sentence` with a final period if it has no final punctuation ("info on X please").
fn ended(sentence: String) -> String {
    if sentence.ends_with(['.', '?', '!']) {
        sentence
    } else {
        sentence + "."
    }
}

/// `text` with a lower-case first letter, unless it starts with the pronoun "I".
fn decapitalized(text: &str) -> String {
    if text.starts_with("I ") || text.starts_with("I'") {
        return text.to_string();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// French contractions the templates produce: "de le" → "du", "à les" → "aux",
/// "que Oncopole" → "qu'Oncopole", "de ACCESS" → "d'ACCESS".
fn french(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut words = text.split(' ').peekable();
    while let Some(word) = words.next() {
        let next = words.peek().copied().unwrap_or("");
        let contracted = match (word, next) {
            ("de", "le") => Some("du "),
            ("de", "les") => Some("des "),
            ("à", "le") => Some("au "),
            ("à", "les") => Some("aux "),
            _ => None,
        };
        if !out.is_empty() && !out.ends_with(['\'', ' ', '\n']) {
            out.push(' ');
        }
        if let Some(c) = contracted {
            out.push_str(c.trim_end());
            words.next();
            continue;
        }
        let vowel = next.starts_with(['a', 'e', 'i', 'o', 'u', 'é', 'A', 'E', 'I', 'O', 'U', 'É']);
        match word {
            "de" if vowel => out.push_str("d'"),
            "que" if vowel => out.push_str("qu'"),
            _ => out.push_str(word),
        }
    }
    out
}

/// What the engine's answer cache compares: the text with white space folded, in
/// lower case (see `Question::parse` and `Knowledge::ask_in`).
fn cache_key(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Checks that messages `0..count` are pairwise distinct as the answer cache sees
/// them and short enough for the web channel; returns how many were emails and how
/// many off-topic.
pub fn check(count: u64) -> (u64, u64) {
    let mut seen = HashSet::with_capacity(count as usize);
    let (mut emails, mut off_topic) = (0, 0);
    for n in 0..count {
        let text = message(n);
        assert!(
            text.chars().count() <= MAX_CHARS,
            "message {n} is too long for the web channel: {text}"
        );
        let kind = kind_of(n).0;
        emails += u64::from(matches!(kind, Email | EmailOffTopic));
        off_topic += u64::from(matches!(kind, ChatOffTopic | EmailOffTopic));
        assert!(
            seen.insert(cache_key(&text)),
            "message {n} repeats an earlier one: {text}"
        );
    }
    (emails, off_topic)
}
