//! National identity and tax numbers: US SSN, ITIN and EIN; UK National Insurance
//! numbers; German Steuer-ID; French NIR; Spanish DNI and NIE; Italian codice
//! fiscale; Dutch BSN. Each is read in its usual layouts and, where it has one,
//! its check digit or letter must be right.

use super::shape::{all_digits, labelled, number, read_layouts, Layout};

const NINE: Layout = Layout {
    lens: &[9],
    seps: b"",
};

/// `123-45-6789` / `123 45 6789`: the SSN and ITIN layouts.
const SSN_GROUPED: Layout = Layout {
    lens: &[3, 2, 4],
    seps: b"- ",
};

/// Words that make nine bare digits an SSN when they stand just before them.
const SSN_LABELS: &[&str] = &["ssn", "ss#", "social security"];

/// The DNI/NIE check letters, indexed by the number mod 23.
const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// A US social security number. Nine bare digits count only after a label.
pub(super) fn ssn_at(text: &str, i: usize) -> Option<usize> {
    let mut d = [0u8; 9];
    let end = read_layouts(text, i, &[SSN_GROUPED], &mut d).or_else(|| {
        read_layouts(text, i, &[NINE], &mut d).filter(|_| labelled(text, i, SSN_LABELS))
    })?;
    let (area, group, serial) = (number(&d[..3]), number(&d[3..5]), number(&d[5..]));
    let issued = area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
    (all_digits(&d) && issued).then_some(end)
}

/// A US individual taxpayer identification number: `9xx-7x-xxxx`.
pub(super) fn itin_at(text: &str, i: usize) -> Option<usize> {
    let mut d = [0u8; 9];
    let end = read_layouts(text, i, &[SSN_GROUPED], &mut d)?;
    let group = number(&d[3..5]);
    let itin_group = matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99);
    (all_digits(&d) && d[0] == b'9' && itin_group).then_some(end)
}

/// A US employer identification number: `12-3456789`.
pub(super) fn ein_at(text: &str, i: usize) -> Option<usize> {
    let mut d = [0u8; 9];
    let ein = Layout {
        lens: &[2, 7],
        seps: b"-",
    };
    let end = read_layouts(text, i, &[ein], &mut d)?;
    all_digits(&d).then_some(end)
}

/// A UK National Insurance number: two prefix letters, six digits, suffix A-D.
pub(super) fn nino_at(text: &str, i: usize) -> Option<usize> {
    const LAYOUTS: [Layout; 3] = [
        NINE,
        Layout {
            lens: &[2, 2, 2, 2, 1],
            seps: b" ",
        },
        Layout {
            lens: &[2, 6, 1],
            seps: b" ",
        },
    ];
    const UNALLOCATED: [&[u8; 2]; 7] = [b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"];
    let mut c = [0u8; 9];
    let end = read_layouts(text, i, &LAYOUTS, &mut c)?;
    let c = c.map(|x| x.to_ascii_uppercase());
    let prefix = [c[0], c[1]];
    let prefix_ok = prefix.iter().all(u8::is_ascii_alphabetic)
        && !b"DFIUV".contains(&c[0])
        && !b"DFIOUV".contains(&c[1])
        && !UNALLOCATED.contains(&&prefix);
    (prefix_ok && all_digits(&c[2..8]) && (b'A'..=b'D').contains(&c[8])).then_some(end)
}

/// A German tax identification number (Steuer-ID).
pub(super) fn steuer_id_at(text: &str, i: usize) -> Option<usize> {
    const LAYOUTS: [Layout; 2] = [
        Layout {
            lens: &[11],
            seps: b"",
        },
        Layout {
            lens: &[2, 3, 3, 3],
            seps: b" ",
        },
    ];
    let mut d = [0u8; 11];
    let end = read_layouts(text, i, &LAYOUTS, &mut d)?;
    let valid = all_digits(&d)
        && d[0] != b'0'
        && one_digit_repeated(&d[..10])
        && steuer_check_digit(&d[..10]) == d[10] - b'0';
    valid.then_some(end)
}

/// The Steuer-ID rule for its first ten digits: exactly one digit occurs more than
/// once, at most three times.
fn one_digit_repeated(d: &[u8]) -> bool {
    let mut counts = [0u8; 10];
    for c in d {
        counts[usize::from(c - b'0')] += 1;
    }
    counts.iter().filter(|n| **n > 1).count() == 1 && counts.iter().all(|n| *n <= 3)
}

/// ISO 7064 MOD 11,10 over the first ten digits.
fn steuer_check_digit(d: &[u8]) -> u8 {
    let product = d.iter().fold(10u32, |product, c| {
        let sum = (u32::from(c - b'0') + product) % 10;
        let sum = if sum == 0 { 10 } else { sum };
        (sum * 2) % 11
    });
    match 11 - product {
        10 => 0,
        check => check as u8,
    }
}

/// A French social security number (NIR, "numéro INSEE"): 13 digits and a mod-97 key.
pub(super) fn nir_at(text: &str, i: usize) -> Option<usize> {
    const LAYOUTS: [Layout; 3] = [
        Layout {
            lens: &[15],
            seps: b"",
        },
        Layout {
            lens: &[13, 2],
            seps: b" ",
        },
        Layout {
            lens: &[1, 2, 2, 2, 3, 3, 2],
            seps: b" ",
        },
    ];
    let mut c = [0u8; 15];
    let end = read_layouts(text, i, &LAYOUTS, &mut c)?;
    // Corsica's departments 2A and 2B count as 19 and 18 for the key.
    let department = match (c[5], c[6].to_ascii_uppercase()) {
        (b'2', b'A') => 19,
        (b'2', b'B') => 18,
        _ if c[5..7].iter().all(u8::is_ascii_digit) => number(&c[5..7]),
        _ => return None,
    };
    if !all_digits(&c[..5]) || !all_digits(&c[7..]) || !b"123478".contains(&c[0]) {
        return None;
    }
    let month_ok = matches!(number(&c[3..5]), 1..=12 | 20..=42 | 50..=99);
    let body = number(&c[..5]) * 100_000_000 + department * 1_000_000 + number(&c[7..13]);
    (month_ok && number(&c[13..]) == 97 - body % 97).then_some(end)
}

/// A Spanish DNI: eight digits and the check letter, glued, after `-`, or after a
/// space when the letter is a capital.
pub(super) fn dni_at(text: &str, i: usize) -> Option<usize> {
    const SEPARATED: Layout = Layout {
        lens: &[8, 1],
        seps: b"- ",
    };
    let mut c = [0u8; 9];
    let end = read_layouts(text, i, &[NINE, SEPARATED], &mut c)?;
    let spaced = text.as_bytes()[i + 8] == b' ';
    let letter_ok = !spaced || c[8].is_ascii_uppercase();
    let expected = DNI_LETTERS[(number(&c[..8]) % 23) as usize];
    (all_digits(&c[..8]) && letter_ok && c[8].to_ascii_uppercase() == expected).then_some(end)
}

/// A Spanish NIE: X, Y or Z, seven digits and the check letter.
pub(super) fn nie_at(text: &str, i: usize) -> Option<usize> {
    const DASHED: Layout = Layout {
        lens: &[1, 7, 1],
        seps: b"-",
    };
    let mut c = [0u8; 9];
    let end = read_layouts(text, i, &[NINE, DASHED], &mut c)?;
    let prefix = match c[0].to_ascii_uppercase() {
        b'X' => 0,
        b'Y' => 1,
        b'Z' => 2,
        _ => return None,
    };
    let expected = DNI_LETTERS[((prefix * 10_000_000 + number(&c[1..8])) % 23) as usize];
    (all_digits(&c[1..8]) && c[8].to_ascii_uppercase() == expected).then_some(end)
}

/// An Italian codice fiscale: `RSSMRA85T10A562S`.
pub(super) fn codice_fiscale_at(text: &str, i: usize) -> Option<usize> {
    const SIXTEEN: Layout = Layout {
        lens: &[16],
        seps: b"",
    };
    /// Letters that stand for digits in a recoded ("omocodia") code: L=0 ... V=9.
    const OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";
    const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";
    let mut c = [0u8; 16];
    let end = read_layouts(text, i, &[SIXTEEN], &mut c)?;
    let letters = c.iter().filter(|x| x.is_ascii_alphabetic());
    let one_case =
        letters.clone().all(u8::is_ascii_uppercase) || letters.clone().all(u8::is_ascii_lowercase);
    let c = c.map(|x| x.to_ascii_uppercase());
    let digit = |k: usize| match OMOCODIA.iter().position(|l| *l == c[k]) {
        Some(d) => Some(d as u8),
        None => c[k].is_ascii_digit().then(|| c[k] - b'0'),
    };
    let digits_ok = [6, 7, 9, 10, 12, 13, 14]
        .iter()
        .all(|k| digit(*k).is_some());
    let letters_ok = [0, 1, 2, 3, 4, 5, 11, 15]
        .iter()
        .all(|k| c[*k].is_ascii_alphabetic());
    let day = match (digit(9), digit(10)) {
        (Some(tens), Some(ones)) => tens * 10 + ones,
        _ => return None,
    };
    let day_ok = matches!(day, 1..=31 | 41..=71);
    let layout_ok = one_case && digits_ok && letters_ok && MONTHS.contains(&c[8]) && day_ok;
    (layout_ok && codice_fiscale_check(&c[..15]) == c[15]).then_some(end)
}

/// The check letter over the first fifteen characters (digits count as A..J).
fn codice_fiscale_check(c: &[u8]) -> u8 {
    /// Values of A..Z (and 0..9) in odd positions (1st, 3rd, ...).
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let sum: u32 = c
        .iter()
        .enumerate()
        .map(|(k, x)| {
            let v = if x.is_ascii_digit() {
                x - b'0'
            } else {
                x - b'A'
            };
            if k % 2 == 0 {
                ODD[usize::from(v)]
            } else {
                u32::from(v)
            }
        })
        .sum();
    b'A' + (sum % 26) as u8
}

/// A Dutch citizen service number (BSN): nine digits passing the 11-check.
pub(super) fn bsn_at(text: &str, i: usize) -> Option<usize> {
    const LAYOUTS: [Layout; 3] = [
        NINE,
        Layout {
            lens: &[4, 2, 3],
            seps: b". ",
        },
        Layout {
            lens: &[3, 3, 3],
            seps: b". ",
        },
    ];
    let mut d = [0u8; 9];
    let end = read_layouts(text, i, &LAYOUTS, &mut d)?;
    if !all_digits(&d) {
        return None;
    }
    let weighted: i64 = d[..8]
        .iter()
        .zip((2..=9).rev())
        .map(|(c, w)| w * i64::from(c - b'0'))
        .sum::<i64>()
        - i64::from(d[8] - b'0');
    (weighted > 0 && weighted % 11 == 0).then_some(end)
}
