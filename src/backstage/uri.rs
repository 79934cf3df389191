//! `encodeURIComponent`, as JavaScript (octokit, the scaffolder's data URLs) encodes a path
//! segment or a query value.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What `encodeURIComponent` leaves alone: A-Z a-z 0-9 - _ . ! ~ * ' ( ).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `encodeURIComponent(s)`.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_like_javascript() {
        assert_eq!(super::encode_component("feature/x y"), "feature%2Fx%20y");
        assert_eq!(super::encode_component("a-b_c.d!~*'()"), "a-b_c.d!~*'()");
    }
}
