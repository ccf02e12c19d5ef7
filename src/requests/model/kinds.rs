//! What a request is about and where it came from: the Unit's request types, the
//! channels, and who wrote a transcript message.

use crate::language::Language;

/// The eight kinds of help the Unit offers, as listed on its "make a request" page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestType {
    ExploratoryMeeting,
    LetterOfSupport,
    GrantApplication,
    OngoingProject,
    Partnership,
    Training,
    CommunityOfPractice,
    ToolOrPlatform,
}

impl RequestType {
    /// Every type, in the order the Unit lists them (and guichet numbers them).
    pub const ALL: [RequestType; 8] = [
        RequestType::ExploratoryMeeting,
        RequestType::LetterOfSupport,
        RequestType::GrantApplication,
        RequestType::OngoingProject,
        RequestType::Partnership,
        RequestType::Training,
        RequestType::CommunityOfPractice,
        RequestType::ToolOrPlatform,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RequestType::ExploratoryMeeting => "exploratory_meeting",
            RequestType::LetterOfSupport => "letter_of_support",
            RequestType::GrantApplication => "grant_application",
            RequestType::OngoingProject => "ongoing_project",
            RequestType::Partnership => "partnership",
            RequestType::Training => "training",
            RequestType::CommunityOfPractice => "community_of_practice",
            RequestType::ToolOrPlatform => "tool_or_platform",
        }
    }

    /// Reads a code (case and `-`/`_` ignored: `letter-of-support` works too).
    pub fn parse_code(input: &str) -> Option<RequestType> {
        let folded = input.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|t| t.code() == folded)
    }

    /// The type's name on the Unit's pages.
    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (RequestType::ExploratoryMeeting, Language::Fr) => "Rencontre exploratoire",
            (RequestType::ExploratoryMeeting, Language::En) => "Exploratory meeting",
            (RequestType::LetterOfSupport, Language::Fr) => "Lettre d'appui",
            (RequestType::LetterOfSupport, Language::En) => "Letter of support",
            (RequestType::GrantApplication, Language::Fr) => "Aide à une demande de subvention",
            (RequestType::GrantApplication, Language::En) => "Help with a grant application",
            (RequestType::OngoingProject, Language::Fr) => "Soutien à un projet en cours",
            (RequestType::OngoingProject, Language::En) => "Support for an ongoing project",
            (RequestType::Partnership, Language::Fr) => {
                "Partenariat patients, public et organisations"
            }
            (RequestType::Partnership, Language::En) => {
                "Patient, public and organizational partnership"
            }
            (RequestType::Training, Language::Fr) => "Formation",
            (RequestType::Training, Language::En) => "Training",
            (RequestType::CommunityOfPractice, Language::Fr) => "Communauté de pratique",
            (RequestType::CommunityOfPractice, Language::En) => "Community of practice",
            (RequestType::ToolOrPlatform, Language::Fr) => "Outil ou plateforme",
            (RequestType::ToolOrPlatform, Language::En) => "Tool or platform",
        }
    }
}

coded!(RequestType, super::Field::RequestType);

/// Where a conversation or request came from, so staff answer on the same channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Web,
    Terminal,
    Email,
    Discord,
    Teams,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Web,
        Channel::Terminal,
        Channel::Email,
        Channel::Discord,
        Channel::Teams,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Terminal => "terminal",
            Channel::Email => "email",
            Channel::Discord => "discord",
            Channel::Teams => "teams",
        }
    }

    /// Reads a code (case ignored).
    pub fn parse_code(input: &str) -> Option<Channel> {
        let folded = input.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|c| c.code() == folded)
    }
}

coded!(Channel, super::Field::Channel);

/// Who wrote a transcript message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Speaker {
    /// The person making the request.
    Person,
    /// guichet itself.
    Guichet,
    /// A member of the Unit's staff.
    Staff,
}

impl Speaker {
    pub const ALL: [Speaker; 3] = [Speaker::Person, Speaker::Guichet, Speaker::Staff];

    pub fn code(self) -> &'static str {
        match self {
            Speaker::Person => "person",
            Speaker::Guichet => "guichet",
            Speaker::Staff => "staff",
        }
    }

    /// Reads a code (case ignored).
    pub fn parse_code(input: &str) -> Option<Speaker> {
        let folded = input.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|s| s.code() == folded)
    }
}

coded!(Speaker, super::Field::Speaker);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_types_are_listed_in_the_units_order_with_both_labels() {
        let codes: Vec<&str> = RequestType::ALL.iter().map(|t| t.code()).collect();
        assert_eq!(
            codes,
            [
                "exploratory_meeting",
                "letter_of_support",
                "grant_application",
                "ongoing_project",
                "partnership",
                "training",
                "community_of_practice",
                "tool_or_platform"
            ]
        );
        for t in RequestType::ALL {
            assert_eq!(RequestType::parse_code(t.code()), Some(t));
        }
        for lang in Language::ALL {
            let mut labels: Vec<&str> = RequestType::ALL.iter().map(|t| t.label(lang)).collect();
            labels.sort();
            labels.dedup();
            assert_eq!(labels.len(), 8, "every {lang} label is distinct");
        }
        assert_eq!(
            RequestType::LetterOfSupport.label(Language::Fr),
            "Lettre d'appui"
        );
        assert_eq!(
            RequestType::GrantApplication.label(Language::En),
            "Help with a grant application"
        );
        assert_eq!(
            RequestType::parse_code("Letter-Of-Support"),
            Some(RequestType::LetterOfSupport)
        );
        assert_eq!(RequestType::parse_code("lunch"), None);
        assert!(RequestType::parse("lunch")
            .unwrap_err()
            .to_string()
            .contains("tool_or_platform"));
    }

    #[test]
    fn channel_and_speaker_codes_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(channel.code().parse::<Channel>(), Ok(channel));
        }
        assert_eq!(Channel::Discord.code(), "discord");
        assert!(Channel::parse("fax").is_err());
        for speaker in Speaker::ALL {
            assert_eq!(Speaker::parse_code(speaker.code()), Some(speaker));
        }
    }
}
