//! Base58 (Bitcoin alphabet) encoding with 64-bit limbs.
//!
//! Why not `bs58::encode`: it converts one output digit at a time, which costs
//! about 28,000 wasm instructions per 32-byte key. `state()` prints one key per
//! participant, so at 64 participants that alone burnt 1.5 Tgas. Working in
//! limbs of 58^9 cuts the inner loop ninefold. Decoding (input, cold path)
//! stays with `bs58`; a property test pins this encoder to `bs58`'s output.

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/// 58^9: the largest power of 58 whose product with 256 still fits in a u64.
const LIMB_BASE: u64 = 58u64.pow(9);
const LIMB_DIGITS: usize = 9;

pub fn encode(input: &[u8]) -> String {
    let zeros = input.iter().take_while(|&&b| b == 0).count();
    // Little-endian limbs of the number, each below LIMB_BASE.
    let mut limbs: Vec<u64> = Vec::with_capacity(input.len() * 138 / 100 / LIMB_DIGITS + 1);
    for &byte in &input[zeros..] {
        let mut carry = u64::from(byte);
        for limb in limbs.iter_mut() {
            let value = (*limb << 8) | carry;
            *limb = value % LIMB_BASE;
            carry = value / LIMB_BASE;
        }
        while carry > 0 {
            limbs.push(carry % LIMB_BASE);
            carry /= LIMB_BASE;
        }
    }
    let mut digits: Vec<u8> = Vec::with_capacity(zeros + limbs.len() * LIMB_DIGITS);
    for (i, &limb) in limbs.iter().enumerate() {
        let mut value = limb;
        let last = i + 1 == limbs.len();
        for _ in 0..LIMB_DIGITS {
            if last && value == 0 {
                break;
            }
            digits.push(ALPHABET[(value % 58) as usize]);
            value /= 58;
        }
    }
    digits.extend(std::iter::repeat_n(ALPHABET[0], zeros));
    digits.reverse();
    String::from_utf8(digits).expect("the alphabet is ASCII")
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encode__should_handle_edges() {
        assert_eq!(encode(&[]), "");
        assert_eq!(encode(&[0]), "1");
        assert_eq!(encode(&[0, 0, 1]), "112");
        assert_eq!(encode(&[57]), "z");
        assert_eq!(encode(&[58]), "21");
        assert_eq!(encode(b"hello world"), "StV1DL6CwTryKyV");
    }

    proptest! {
        #[test]
        fn encode__should_match_bs58(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            prop_assert_eq!(encode(&bytes), bs58::encode(&bytes).into_string());
        }

        #[test]
        fn encode__should_match_bs58_for_keys_with_leading_zeros(zeros in 0usize..4, rest in proptest::array::uniform32(any::<u8>())) {
            let mut bytes = vec![0u8; zeros];
            bytes.extend_from_slice(&rest[zeros..]);
            prop_assert_eq!(encode(&bytes), bs58::encode(&bytes).into_string());
        }
    }
}
