//! Borsh read by hand where the derive costs the MPC contract's wasm: the bytes
//! are the derive's, so stored records and arguments read back the same.

#![allow(non_snake_case)]

use mpc_interface::attestation::HexArray;
use mpc_interface::launch::Measurements;

#[test]
fn measurements__should_read_back_the_borsh_of_its_five_registers() {
    let registers: [[u8; 48]; 5] = std::array::from_fn(|i| std::array::from_fn(|j| (i * 48 + j) as u8));
    let [mrtd, rtmr0, rtmr1, rtmr2, rtmr3] = registers.map(HexArray);
    let m = Measurements { mrtd, rtmr0, rtmr1, rtmr2, rtmr3 };
    let bytes = borsh::to_vec(&m).unwrap();
    assert_eq!(bytes, registers.concat(), "MRTD, RTMR0..3 in order, as the derive writes them");
    assert_eq!(borsh::from_slice::<Measurements>(&bytes).unwrap(), m);
    assert!(borsh::from_slice::<Measurements>(&bytes[..239]).is_err());
    assert!(borsh::from_slice::<Measurements>(&[bytes.clone(), vec![0]].concat()).is_err());
}
