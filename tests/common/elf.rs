//! The ELF header of a built binary: which machine it was built for, so a multi-platform
//! build's output can be checked as x86-64 or aarch64 code (`tests/e2e_platform.rs`; the
//! helper's own test is in `tests/e2e_print.rs`).

use std::fs;
use std::path::Path;

/// e_machine of an ELF file (64-bit, little-endian), checking the header on the way.
pub fn elf_machine(path: &Path) -> u16 {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert!(
        bytes.len() > 20 && bytes[..4] == *b"\x7fELF",
        "{} is not an ELF file",
        path.display()
    );
    assert_eq!(bytes[4], 2, "{} is not a 64-bit ELF file", path.display());
    assert_eq!(
        bytes[5],
        1,
        "{} is not a little-endian ELF file",
        path.display()
    );
    u16::from_le_bytes([bytes[18], bytes[19]])
}

pub const EM_X86_64: u16 = 0x3E;
pub const EM_AARCH64: u16 = 0xB7;
