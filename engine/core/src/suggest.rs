//! "Did you mean": the closest of some names to one that is not among them, for
//! diagnostics that name what was probably meant (`gear_stal` → `gear_stall`).

/// The candidate closest to `name` by edit distance (an insertion, a deletion, a
/// substitution, or two neighbours swapped, each one edit), when it is close enough to be
/// a likely slip: at most one edit for a name of up to three characters, else a third of
/// its length. Of equally close names the first in lexicographic order wins, so that the
/// answer does not depend on the candidates' order; `name` itself is no suggestion.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let n = name.chars().count();
    let limit = (n / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        // Lengths too far apart cannot be close.
        if candidate.chars().count().abs_diff(n) > limit {
            continue;
        }
        let d = distance(name, candidate);
        if d <= limit && best.is_none_or(|(b, c)| (d, candidate) < (b, c)) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// ` (did you mean `x`?)` for the closest candidate, or nothing.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates).map_or_else(String::new, |c| format!("; did you mean `{c}`?"))
}

/// The optimal string alignment distance between `a` and `b`, by characters.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back (for swaps), one back, and this one.
    let mut two_back = vec![0; b.len() + 1];
    let mut one_back: Vec<usize> = (0..=b.len()).collect();
    let mut row = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (one_back[j] + 1)
                .min(row[j - 1] + 1)
                .min(one_back[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(two_back[j - 2] + 1);
            }
        }
        std::mem::swap(&mut two_back, &mut one_back);
        std::mem::swap(&mut one_back, &mut row);
    }
    one_back[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_not() {
        let nodes = ["gear_stall", "gate", "market"];
        assert_eq!(closest("gear_stal", nodes), Some("gear_stall"));
        assert_eq!(closest("coin", ["coins", "courage"]), Some("coins"));
        assert_eq!(closest("condition", ["when", "text", "to"]), None);
        assert_eq!(closest("mrket", nodes), Some("market"));
        assert_eq!(closest("gaet", nodes), Some("gate"), "a swap is one edit");
        assert_eq!(closest("zzz", nodes), None);
        assert_eq!(closest("gate", nodes), None, "not itself");
    }
}
