//! Where a TDX attestation's `{"quote": ..., "collateral": ...}` object lies
//! in a call's JSON arguments, so that the contract forwards the caller's own
//! bytes of it to the verifier. near-sdk's parser has checked the arguments
//! (and skipped this object) before; this only finds the object again.
//! serde_json's `raw_value` feature would hand the text over at once, but it
//! doubles serde_json's struct-field serialisation code in the wasm (about
//! 8 kB of the contract's 300 kB budget).
//!
//! Keys are matched as written: a key spelt with escapes (`"Td\u0078"`) is
//! not found, and the call is refused (`QuoteNotFound`), never misread.

/// A cursor over JSON text that near-sdk's parser has accepted.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn skip_whitespace(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    /// A string's text between its quotes, escapes left as written.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.at;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => break,
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        self.bytes.get(start..self.at - 1)
    }

    /// Skips one value and returns its text.
    fn value(&mut self) -> Option<&'a [u8]> {
        self.skip_whitespace();
        let start = self.at;
        let mut depth = 0usize;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.string()?;
                    if depth == 0 {
                        break;
                    }
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        self.at += 1;
                        break;
                    }
                }
                // The end of a number, `true`, `false` or `null`.
                b',' | b'}' | b']' if depth == 0 => break,
                byte if depth == 0 && byte.is_ascii_whitespace() => break,
                _ => {}
            }
            self.at += 1;
        }
        self.bytes.get(start..self.at)
    }

    /// The text of `key`'s value in the object that starts here.
    fn member(&mut self, key: &[u8]) -> Option<&'a [u8]> {
        self.eat(b'{')?;
        loop {
            let name = self.string()?;
            self.eat(b':')?;
            let value = self.value()?;
            if name == key {
                return Some(value);
            }
            self.eat(b',')?;
        }
    }
}

fn member<'a>(object: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    Cursor { bytes: object, at: 0 }.member(key)
}

/// The text of `attestation.Tdx` in the arguments `input`, as the caller wrote it.
pub fn tdx_quote(input: &[u8]) -> Option<&[u8]> {
    member(member(input, b"attestation")?, b"Tdx")
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    const QUOTE: &str =
        r#"{ "quote" : "AAEC\"}]", "collateral": {"tcb_info": "{\"a\": [1, {\"b\": null}]}", "n": 12.5e3} }"#;

    #[test]
    fn tdx_quote__should_return_the_callers_bytes_wherever_the_key_is() {
        let first = format!(r#"{{"attestation": {{"Tdx": {QUOTE}}}, "info": {{"attestation": 1}}}}"#);
        let last = format!(
            "{{ \"info\" : {{\"attestation\": {{\"Tdx\": \"no\"}}, \"k\": [true, false, null, -1]}},\n\
             \"x\" : \"attestation\" ,\"attestation\":{{\"Tdx\":\n{QUOTE}\n}} }}"
        );
        for input in [first, last] {
            assert_eq!(tdx_quote(input.as_bytes()), Some(QUOTE.as_bytes()), "{input}");
        }
    }

    #[test]
    fn tdx_quote__should_find_nothing_without_a_tdx_attestation() {
        for input in [
            r#"{"info": {"attestation": {"Tdx": {}}}}"#,
            r#"{"attestation": null}"#,
            r#"{"attestation": {"Dev": {"Tdx": {}}}}"#,
            r#"{"attestatio\u006e": {"Tdx": {}}}"#,
            r#"{"attestation": {"Tdx": "#,
            r#"{"attestation": {"Tdx"#,
            "",
        ] {
            assert_eq!(tdx_quote(input.as_bytes()), None, "{input}");
        }
    }
}
