//! Reads the verifier's answer, a `VerifiedQuote` in JSON, with a small
//! scanner that keeps only what the callback checks (TCB status, measurements,
//! report data, collateral expiry) and skips the rest. serde's derived parser
//! for that struct costs about 8 kB of the contract's 300 kB wasm budget; this
//! costs a fraction. The scanner reads the JSON grammar the verifier writes
//! (an object of strings, integers and arrays of strings), in any field order.

use super::launch::Report;
use mpc_interface::attestation::{HexArray, TcbStatus};
use mpc_interface::launch::{AttestationKind, Measurements};

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

type Scan<T> = Result<T, &'static str>;

impl<'a> Scanner<'a> {
    fn peek(&mut self) -> Option<u8> {
        while self.bytes.get(self.at).is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Scan<()> {
        if self.peek() != Some(byte) {
            return Err("not the JSON object a verifier returns");
        }
        self.at += 1;
        Ok(())
    }

    /// A string's raw contents (escapes are skipped over, not decoded: the
    /// fields read are hex and names, which have none).
    fn string(&mut self) -> Scan<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.at;
        loop {
            match self.bytes.get(self.at) {
                None => return Err("unterminated string"),
                Some(b'"') => break,
                Some(b'\\') => self.at += 2,
                Some(_) => self.at += 1,
            }
        }
        self.at += 1;
        Ok(&self.bytes[start..self.at - 1])
    }

    fn integer(&mut self) -> Scan<u64> {
        self.peek();
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        let digits = core::str::from_utf8(&self.bytes[start..self.at]).map_err(|_| "not a number")?;
        digits.parse().map_err(|_| "not an unsigned integer")
    }

    /// Skips a string, an integer or an array of them.
    fn skip(&mut self) -> Scan<()> {
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'[') => {
                self.at += 1;
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(());
                }
                loop {
                    self.skip()?;
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(());
                        }
                        _ => return Err("malformed array"),
                    }
                }
            }
            _ => self.integer().map(drop),
        }
    }
}

fn hex<const N: usize>(text: &[u8]) -> Scan<HexArray<N>> {
    core::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or("a measurement or report data is not hex of the right length")
}

fn tcb_status(name: &[u8]) -> Scan<TcbStatus> {
    let known = TcbStatus::NAMES.iter().find(|(_, known)| known.as_bytes() == name);
    known.map(|(status, _)| *status).ok_or("unknown TCB status")
}

/// The report in a `verify_quote` answer. Every field the callback checks must
/// be present; others are skipped.
pub fn read_report(json: &[u8]) -> Scan<Report> {
    let mut s = Scanner { bytes: json, at: 0 };
    let (mut tcb, mut expires_at, mut report_data) = (None, None, None);
    let mut registers: [Option<HexArray<48>>; 5] = [None; 5];
    s.eat(b'{')?;
    loop {
        let key = s.string()?;
        s.eat(b':')?;
        let register = ["mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3"].iter().position(|name| name.as_bytes() == key);
        match (key, register) {
            (_, Some(i)) => registers[i] = Some(hex(s.string()?)?),
            (b"tcb_status", _) => tcb = Some(tcb_status(s.string()?)?),
            (b"report_data", _) => report_data = Some(hex(s.string()?)?),
            (b"collateral_expires_at", _) => expires_at = Some(s.integer()?),
            _ => s.skip()?,
        }
        match s.peek() {
            Some(b',') => s.at += 1,
            Some(b'}') => break,
            _ => return Err("malformed object"),
        }
    }
    let missing = "a field of the verified report is missing";
    let [mrtd, rtmr0, rtmr1, rtmr2, rtmr3] = registers;
    Ok(Report {
        kind: AttestationKind::Tdx,
        tcb_status: Some(tcb.ok_or(missing)?),
        measurements: Measurements {
            mrtd: mrtd.ok_or(missing)?,
            rtmr0: rtmr0.ok_or(missing)?,
            rtmr1: rtmr1.ok_or(missing)?,
            rtmr2: rtmr2.ok_or(missing)?,
            rtmr3: rtmr3.ok_or(missing)?,
        },
        report_data: report_data.ok_or(missing)?,
        expires_at: expires_at.ok_or(missing)?,
    })
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use mpc_interface::attestation::VerifiedQuote;

    /// A verifier answer as JSON (advisories with escapes), read back by serde.
    fn sample() -> VerifiedQuote {
        let hex = |byte: &str, n: usize| byte.repeat(n);
        serde_json::from_value(serde_json::json!({
            "tcb_status": "SWHardeningNeeded",
            "advisory_ids": ["INTEL-SA-00837", "quote \" and \\ escaped"],
            "mrtd": hex("91", 48), "rtmr0": hex("00", 48), "rtmr1": hex("01", 48),
            "rtmr2": hex("02", 48), "rtmr3": hex("03", 48), "report_data": hex("ab", 64),
            "verified_at": 1_750_000_000, "collateral_expires_at": 1_752_919_235u64,
        }))
        .unwrap()
    }

    #[test]
    fn read_report__should_read_what_serde_writes_for_a_verified_quote() {
        let quote = sample();
        for json in [serde_json::to_vec(&quote).unwrap(), serde_json::to_vec_pretty(&quote).unwrap()] {
            let report = read_report(&json).unwrap();
            assert_eq!(report.tcb_status, Some(quote.tcb_status));
            assert_eq!(report.measurements, Measurements::of(&quote));
            assert_eq!(report.report_data, quote.report_data);
            assert_eq!(report.expires_at, quote.collateral_expires_at);
        }
    }

    #[test]
    fn read_report__should_read_fields_in_any_order() {
        let mut value = serde_json::to_value(sample()).unwrap();
        let object = std::mem::take(value.as_object_mut().unwrap());
        let reversed: serde_json::Map<_, _> = object.into_iter().rev().collect();
        let json = serde_json::to_vec(&reversed).unwrap();
        assert_eq!(read_report(&json).unwrap().expires_at, 1_752_919_235);
    }

    #[test]
    fn read_report__should_refuse_missing_fields_bad_hex_and_garbage() {
        let mut missing = serde_json::to_value(sample()).unwrap();
        missing.as_object_mut().unwrap().remove("rtmr2");
        let mut short = serde_json::to_value(sample()).unwrap();
        short["mrtd"] = "91".into();
        let mut status = serde_json::to_value(sample()).unwrap();
        status["tcb_status"] = "Revoked".into();
        for (case, json) in [
            ("missing", serde_json::to_vec(&missing).unwrap()),
            ("short", serde_json::to_vec(&short).unwrap()),
            ("status", serde_json::to_vec(&status).unwrap()),
            ("garbage", b"[1,2]".to_vec()),
            ("truncated", b"{\"mrtd\":\"91".to_vec()),
            ("empty", Vec::new()),
        ] {
            assert!(read_report(&json).is_err(), "{case}");
        }
    }
}
