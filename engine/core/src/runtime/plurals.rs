//! The plural rules of a session's language (CLDR, through `intl_pluralrules`): which
//! branch of a `{plural n: …}` block a count takes.

use intl_pluralrules::{PluralCategory as Cldr, PluralRuleType, PluralRules};
use unic_langid::LanguageIdentifier;

use crate::expr::{PluralCategory, english_plural};

/// A language's plural rules; English's where none is set or known.
#[derive(Clone, Default)]
pub(crate) struct Plurals {
    rules: Option<PluralRules>,
}

impl std::fmt::Debug for Plurals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.rules.is_some() {
            "Plurals(cldr)"
        } else {
            "Plurals(en)"
        })
    }
}

impl Plurals {
    /// The rules of `locale`, or of the first less specific tag CLDR knows (`pt-BR`, then
    /// `pt`); English's without one.
    pub(crate) fn for_locale(locale: Option<&str>) -> Plurals {
        Plurals {
            rules: locale.and_then(rules_of),
        }
    }

    /// The category of `n`.
    pub(crate) fn select(&self, n: i64) -> PluralCategory {
        match &self.rules {
            Some(rules) => rules.select(n).map_or(PluralCategory::Other, category),
            None => english_plural(n),
        }
    }
}

fn rules_of(locale: &str) -> Option<PluralRules> {
    let locale = locale.replace('_', "-");
    let mut tag = locale.as_str();
    loop {
        if let Ok(id) = tag.parse::<LanguageIdentifier>()
            && let Ok(rules) = PluralRules::create(id, PluralRuleType::CARDINAL)
        {
            return Some(rules);
        }
        tag = &tag[..tag.rfind('-')?];
    }
}

fn category(c: Cldr) -> PluralCategory {
    match c {
        Cldr::ZERO => PluralCategory::Zero,
        Cldr::ONE => PluralCategory::One,
        Cldr::TWO => PluralCategory::Two,
        Cldr::FEW => PluralCategory::Few,
        Cldr::MANY => PluralCategory::Many,
        Cldr::OTHER => PluralCategory::Other,
    }
}

/// The categories whole counts take in `locale` (CLDR's rules sampled over 0 to 1,000,
/// which reaches every integer category), or `None` for a locale CLDR does not know.
pub fn plural_categories(locale: &str) -> Option<Vec<PluralCategory>> {
    let rules = rules_of(locale)?;
    let mut seen: Vec<PluralCategory> = (0..=1000)
        .filter_map(|n: i64| rules.select(n).ok().map(category))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    Some(seen)
}
