//! "Did you mean …?": the closest candidate to a misspelt name (Jaro-Winkler above 0.8, as
//! just and uv suggest). Used for action ids, input names, parameter names, keys, filters,
//! template names and skeleton paths.

/// How alike two names must be for a suggestion.
const THRESHOLD: f64 = 0.8;

/// The candidate most like `name`, if any is alike enough (the last of equally close ones).
pub fn closest<'a, S>(name: &str, candidates: impl IntoIterator<Item = &'a S>) -> Option<&'a S>
where
    S: AsRef<str> + ?Sized + 'a,
{
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(c.as_ref(), name), c))
        .filter(|(s, _)| *s > THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Whether `candidate` is alike enough to `name` to be offered.
pub fn alike(candidate: &str, name: &str) -> bool {
    strsim::jaro_winkler(candidate, name) > THRESHOLD
}

/// `did you mean `x`?` for the closest candidate.
pub fn did_you_mean<'a, S>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a S>,
) -> Option<String>
where
    S: AsRef<str> + ?Sized + 'a,
{
    closest(name, candidates).map(|c| format!("did you mean `{}`?", c.as_ref()))
}

/// nunjitsu's suggestion for an unknown name (Backstage 4.3's "did you mean" in template
/// errors): the first candidate at the smallest optimal-string-alignment distance, at most 1
/// for names of up to 4 characters, 2 up to 10, else 3.
pub fn closest_by_edits<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = name.chars().count();
    if len == 0 || len > 64 {
        return None;
    }
    let max = match len {
        0..=4 => 1,
        5..=10 => 2,
        _ => 3,
    };
    let mut best: Option<(&str, usize)> = None;
    for c in candidates.into_iter().take(256) {
        let clen = c.chars().count();
        if c == name || clen == 0 || clen > 64 || clen.abs_diff(len) > max {
            continue;
        }
        let d = strsim::osa_distance(name, c);
        if d <= max && best.is_none_or(|(_, b)| d < b) {
            best = Some((c, d));
        }
    }
    best.map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_alike_name() {
        let ids = ["fetch:template", "fetch:plain", "publish:github"];
        assert_eq!(
            closest("fetch:templat", ids.iter().copied()),
            Some("fetch:template")
        );
        assert_eq!(closest("zzz", ids.iter().copied()), None);
        let owned = vec!["repoUrl".to_string()];
        assert_eq!(
            did_you_mean("repoURL", &owned).as_deref(),
            Some("did you mean `repoUrl`?")
        );
        assert!(alike("Component", "Componnet"));
    }
}
