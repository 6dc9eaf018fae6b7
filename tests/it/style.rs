//! House-style checks over the source tree: no function in `src/` is longer than
//! 100 lines, and every `.rs` file in `src/`, `tests/` and `benches/` opens with a
//! `//!` module doc.
//!
//! Function lengths come from a small hand-rolled scanner rather than a Rust parser:
//! all it has to know is where comments, strings and character literals start and
//! end (so that a `fn` or a brace inside them is not counted) and how braces nest.
//! That is a page of code we own; a full parser (`syn` with its `full` feature)
//! would be a heavy dependency for one test.

use std::path::{Path, PathBuf};

/// The hard limit from the house style; the target is about 60.
const MAX_FUNCTION_LINES: usize = 100;

/// A function found in a source file, measured from its `fn` line to its closing brace.
#[derive(Debug, PartialEq)]
struct FunctionSpan {
    name: String,
    /// 1-based line of the `fn` keyword.
    line: usize,
    /// Lines from the `fn` line to the closing brace's line, both included.
    length: usize,
}

/// A piece of code outside comments and literals: an identifier (or keyword) or a
/// single punctuation character, with the 1-based line it is on.
#[derive(Debug, PartialEq)]
enum Token {
    Word(String, usize),
    Punct(char, usize),
}

/// Splits source text into the tokens that matter here, dropping comments (nested
/// block comments included), string literals (raw, byte and C strings too) and
/// character literals, and telling a character literal from a lifetime.
fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i, &mut line);
        } else if c == '"' {
            i = skip_string(&chars, i + 1, &mut line);
        } else if c == '\'' {
            i = skip_char_or_lifetime(&chars, i);
        } else if is_ident_start(c) {
            let start = i;
            while i < chars.len() && is_ident_continue(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if let Some(after) = raw_string_start(&word, &chars, i) {
                i = skip_raw_string(&chars, after, &mut line);
            } else {
                tokens.push(Token::Word(word, line));
            }
        } else if c.is_whitespace() {
            i += 1;
        } else {
            tokens.push(Token::Punct(c, line));
            i += 1;
        }
    }
    tokens
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Skips `/* ... */` starting at `start`, counting newlines; block comments nest.
fn skip_block_comment(chars: &[char], start: usize, line: &mut usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        let pair = (chars[i], chars.get(i + 1).copied());
        match pair {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            ('\n', _) => {
                *line += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    i
}

/// Skips the body of a `"..."` string that starts at `i` (just after the quote).
fn skip_string(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if chars.get(i + 1) == Some(&'\n') {
                    *line += 1;
                }
                i += 2;
            }
            '"' => return i + 1,
            '\n' => {
                *line += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    i
}

/// If `word` (ending at `i`) is the prefix of a raw string (`r`, `br`, `cr`) and
/// `#`s and a quote follow, returns the index just after the opening quote.
fn raw_string_start(word: &str, chars: &[char], i: usize) -> Option<usize> {
    if !matches!(word, "r" | "br" | "cr") {
        return None;
    }
    let mut j = i;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some(j + 1)
}

/// Skips the body of a raw string whose opening quote is just before `start`: it
/// ends at a quote followed by as many `#`s as it opened with.
fn skip_raw_string(chars: &[char], start: usize, line: &mut usize) -> usize {
    let hashes = chars[..start - 1]
        .iter()
        .rev()
        .take_while(|&&c| c == '#')
        .count();
    let mut i = start;
    while i < chars.len() {
        if chars[i] == '\n' {
            *line += 1;
        }
        if chars[i] == '"' && chars[i + 1..].iter().take(hashes).all(|&c| c == '#') {
            let closed = chars[i + 1..].len() >= hashes;
            if closed {
                return i + 1 + hashes;
            }
        }
        i += 1;
    }
    i
}

/// At a `'`: skips a character literal (`'x'`, `'\n'`, `'\u{1F600}'`) whole, or just
/// the quote of a lifetime or loop label (`'a`), whose name is then read as a word.
fn skip_char_or_lifetime(chars: &[char], start: usize) -> usize {
    match chars.get(start + 1) {
        Some('\\') => {
            // Past the backslash and the escaped character, which may itself be a quote.
            let mut i = start + 3;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i + 1
        }
        Some(_) if chars.get(start + 2) == Some(&'\'') => start + 3,
        _ => start + 1,
    }
}

/// Every function with a body in `source`, nested ones included. A `fn` counts when a
/// name follows it (so `fn(u8) -> u8` pointer types do not); its body is the first
/// `{` outside parentheses and brackets, and a `;` there means a bodiless declaration.
fn functions(source: &str) -> Vec<FunctionSpan> {
    let tokens = tokenize(source);
    let mut found = Vec::new();
    for (at, token) in tokens.iter().enumerate() {
        let (Token::Word(keyword, line), Some(Token::Word(name, _))) = (token, tokens.get(at + 1))
        else {
            continue;
        };
        if keyword != "fn" {
            continue;
        }
        if let Some(end_line) = body_end_line(&tokens[at + 2..]) {
            found.push(FunctionSpan {
                name: name.clone(),
                line: *line,
                length: end_line - line + 1,
            });
        }
    }
    found
}

/// Given the tokens after a function's name, the line of the brace that closes its
/// body, or `None` for a declaration without a body.
fn body_end_line(tokens: &[Token]) -> Option<usize> {
    let mut grouping = 0i32;
    let mut braces = 0i32;
    for token in tokens {
        let Token::Punct(c, line) = token else {
            continue;
        };
        match c {
            '(' | '[' => grouping += 1,
            ')' | ']' => grouping -= 1,
            ';' if grouping == 0 && braces == 0 => return None,
            '{' if grouping == 0 || braces > 0 => braces += 1,
            '}' if braces > 0 => {
                braces -= 1;
                if braces == 0 {
                    return Some(*line);
                }
            }
            _ => {}
        }
    }
    None
}

/// All `.rs` files under `dir`, sorted so that failures read the same every run.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current)
            .unwrap_or_else(|e| panic!("reading {}: {e}", current.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn relative(path: &Path) -> String {
    let root = crate_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn no_function_in_src_is_longer_than_the_limit() {
    let mut offenders = Vec::new();
    for file in rust_files(&crate_root().join("src")) {
        for function in functions(&read(&file)) {
            if function.length > MAX_FUNCTION_LINES {
                offenders.push(format!(
                    "{}:{} fn {} is {} lines",
                    relative(&file),
                    function.line,
                    function.name,
                    function.length
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines (split them):\n  {}",
        offenders.join("\n  ")
    );
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let root = crate_root();
    let missing: Vec<String> = ["src", "tests", "benches"]
        .iter()
        .flat_map(|dir| rust_files(&root.join(dir)))
        .filter(|file| !read(file).starts_with("//!"))
        .map(|file| relative(&file))
        .collect();
    assert!(
        missing.is_empty(),
        "files that do not open with a `//!` module doc:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn scanner_measures_functions_from_fn_line_to_closing_brace() {
    let source = "fn one() {}\n\nfn three(x: [u8; 2]) -> u8 {\n    x[0]\n}\n";
    assert_eq!(
        functions(source),
        vec![
            FunctionSpan {
                name: "one".into(),
                line: 1,
                length: 1
            },
            FunctionSpan {
                name: "three".into(),
                line: 3,
                length: 3
            },
        ]
    );
}

#[test]
fn scanner_ignores_fn_and_braces_in_comments_strings_and_chars() {
    let source = r####"
// fn in_line_comment() {
/* fn in_block() { /* nested fn inner() { */ } */
fn real<'a>(s: &'a str) -> char {
    let _ = "fn in_string() { \" }";
    let _ = r#"fn in_raw() { "# ;
    let _ = b'{';
    let _ = '}';
    let _ = '\'';
    'outer: loop { break 'outer; }
    'x'
}
trait T { fn declared(&self); }
type Pointer = fn(u8) -> u8;
"####;
    let found = functions(source);
    assert_eq!(
        found,
        vec![FunctionSpan {
            name: "real".into(),
            line: 4,
            length: 9
        }]
    );
}

#[test]
fn scanner_counts_nested_functions_on_their_own_too() {
    let source = "fn outer() {\n    fn inner() {\n    }\n}\n";
    let names: Vec<(String, usize)> = functions(source)
        .into_iter()
        .map(|f| (f.name, f.length))
        .collect();
    assert_eq!(names, vec![("outer".into(), 4), ("inner".into(), 2)]);
}
