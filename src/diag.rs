//! Diagnostics: problems found in the input, each with a location (`file:line:column`), what is wrong and a hint.
//!
//! Every stage collects diagnostics rather than stopping at the first, and the command prints them all at the end,
//! sorted by file and position, in rustc's style (rendered by `annotate-snippets`).

use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

/// A file's display path (relative to the site root) and its text, shared by every diagnostic that points into it.
/// A build may let go of the text ([`SourceFile::release`]) and read it again when it is needed
/// ([`SourceFile::whole`]); a diagnostic pointing into such a file reads it again when it is made.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: Arc<str>,
    /// Set once the text is let go: where it is on disk, and what it was.
    released: Option<Arc<Released>>,
}

#[derive(Debug)]
struct Released {
    disk: PathBuf,
    len: usize,
    hash: u64,
}

fn text_hash(text: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        SourceFile {
            path: path.into(),
            text: text.into(),
            released: None,
        }
    }

    /// Lets go of the text, which was read from `disk` (a byte-order mark dropped): [`SourceFile::whole`] reads it
    /// again.
    pub fn release(&mut self, disk: PathBuf) {
        if self.released.is_some() {
            return;
        }
        let text = std::mem::replace(&mut self.text, Arc::from(""));
        self.released = Some(Arc::new(Released {
            disk,
            len: text.len(),
            hash: text_hash(&text),
        }));
    }

    pub fn is_released(&self) -> bool {
        self.released.is_some()
    }

    /// The file with its text: itself, or, once the text was let go, the text read again. A file that changed on
    /// disk since it was read is an error (what it says): what was checked and listed is not what would be shown.
    pub fn whole(&self) -> Result<SourceFile, String> {
        let Some(r) = &self.released else {
            return Ok(self.clone());
        };
        let why = |what: String| format!("{what} while the site was being built");
        let bytes = std::fs::read(&r.disk).map_err(|e| why(format!("cannot be read again ({e})")))?;
        let text = String::from_utf8(bytes).map_err(|_| why("stopped being UTF-8".into()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        if text.len() != r.len || text_hash(text) != r.hash {
            return Err(why("changed".into()));
        }
        Ok(SourceFile::new(self.path.clone(), text))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.text, offset)
    }
}

/// 1-based line and column (in characters, a `\r` before a newline not counted) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone)]
pub enum Location {
    /// A span of a file whose text is known: rendered with the offending line and a caret under the culprit.
    Span { file: SourceFile, span: Range<usize> },
    /// A position in a file whose text cannot be shown (not UTF-8, unreadable).
    Position { path: String, line: usize, column: usize },
    /// A whole path (a folder, a symlink) with no position inside it.
    Path { path: String },
}

impl Location {
    fn sort_key(&self) -> (String, usize) {
        match self {
            Location::Span { file, span } => (file.path.clone(), span.start),
            Location::Position { path, line, .. } => (path.clone(), *line),
            Location::Path { path } => (path.clone(), 0),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub location: Option<Location>,
    pub label: Option<String>,
    pub hint: Option<String>,
    pub notes: Vec<String>,
    /// A kind of problem kb.toml may report as a warning instead (`[links]`).
    pub class: Option<Class>,
}

/// Problems whose level `[links]` in kb.toml sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A link or image to a page or file that does not exist (`[links] broken`).
    BrokenLink,
    /// A link to a heading a page does not have (`[links] anchors`).
    MissingAnchor,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location: None,
            label: None,
            hint: None,
            notes: Vec::new(),
            class: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    /// Points into `file` (its text read again if it was let go: the path alone if that fails).
    pub fn at(mut self, file: &SourceFile, span: Range<usize>) -> Self {
        self.location = Some(Location::Span {
            file: file.whole().unwrap_or_else(|_| file.clone()),
            span,
        });
        self
    }

    pub fn at_position(mut self, path: impl Into<String>, line: usize, column: usize) -> Self {
        self.location = Some(Location::Position {
            path: path.into(),
            line,
            column,
        });
        self
    }

    pub fn at_path(mut self, path: impl Into<String>) -> Self {
        self.location = Some(Location::Path { path: path.into() });
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    pub fn class(mut self, class: Class) -> Self {
        self.class = Some(class);
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `path:line:column` of the diagnostic, if it has a location.
    pub fn position(&self) -> Option<String> {
        match self.location.as_ref()? {
            Location::Span { file, span } => {
                let (line, col) = file.line_col(span.start);
                Some(format!("{}:{line}:{col}", file.path))
            }
            Location::Position { path, line, column } => Some(format!("{path}:{line}:{column}")),
            Location::Path { path } => Some(path.clone()),
        }
    }
}

/// Sorts diagnostics by file and position so that output does not depend on the order work finished in.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let ka = a.location.as_ref().map(Location::sort_key);
        let kb = b.location.as_ref().map(Location::sort_key);
        ka.cmp(&kb).then_with(|| a.message.cmp(&b.message))
    });
}

/// Renders diagnostics in rustc's style. `color` selects ANSI styling.
pub fn render(diags: &[Diagnostic], color: bool) -> String {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let excerpt;
        let mut group = Group::with_title(level.primary_title(d.message.as_str()));
        match &d.location {
            Some(Location::Span { file, span }) => {
                let (text, line_start, local) = excerpt_of(&file.text, span.clone());
                excerpt = text;
                let mut ann = AnnotationKind::Primary.span(local);
                if let Some(label) = &d.label {
                    ann = ann.label(label.as_str());
                }
                group = group.element(
                    Snippet::source(excerpt.as_str())
                        .line_start(line_start)
                        .path(file.path.as_str())
                        .annotation(ann),
                );
            }
            Some(Location::Position { path, line, column }) => {
                group = group.element(Origin::path(path.as_str()).line(*line).char_column(*column));
            }
            Some(Location::Path { path }) => {
                group = group.element(Origin::path(path.as_str()));
            }
            None => {}
        }
        for note in &d.notes {
            group = group.element(Level::NOTE.message(note.as_str()));
        }
        if let Some(hint) = &d.hint {
            group = group.element(Level::HELP.with_name("hint").message(hint.as_str()));
        }
        let report: [Group<'_>; 1] = [group];
        out.push_str(&renderer.render(&report));
        out.push_str("\n\n");
    }
    out
}

/// The lines of `text` that `span` touches (at most three), the 1-based number of the first, and the span relative
/// to them. Carriage returns become spaces so that Windows line endings do not disturb the rendering.
fn excerpt_of(text: &str, span: Range<usize>) -> (String, usize, Range<usize>) {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let mut end = floor_char_boundary(text, span.end.clamp(start, text.len()));
    let line_begin = text[..start].rfind('\n').map_or(0, |i| i + 1);
    // Keep at most three lines of a long span.
    let mut line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let newlines: Vec<usize> = text[line_begin..line_end]
        .match_indices('\n')
        .map(|(i, _)| line_begin + i)
        .collect();
    if newlines.len() >= 3 {
        line_end = newlines[2];
        end = end.min(line_end);
    }
    let (line, _) = line_col(text, line_begin);
    let excerpt = text[line_begin..line_end].replace('\r', " ");
    (excerpt, line, (start - line_begin)..(end - line_begin))
}

/// The closest candidate to `word` by edit distance, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        // On a tie, the first in sort order: the hint is the same whatever order a map lists its keys in.
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tie_suggests_the_first_in_sort_order_whatever_the_order_given() {
        assert_eq!(did_you_mean("guides/x", ["guides/b", "guides/a"]), Some("guides/a"));
        assert_eq!(did_you_mean("guides/x", ["guides/a", "guides/b"]), Some("guides/a"));
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "ab\nçé x\r\nz";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        // 'x' is after two 2-byte characters and a space.
        assert_eq!(line_col(text, text.find('x').unwrap()), (2, 4));
        assert_eq!(line_col(text, text.find('z').unwrap()), (3, 1));
    }

    #[test]
    fn renders_location_caret_and_hint() {
        let file = SourceFile::new("content/a.md", "+++\ntitel = \"x\"\n+++\n");
        let d = Diagnostic::error("unknown front-matter key `titel`")
            .at(&file, 4..9)
            .label("not a known key")
            .hint("did you mean `title`?");
        let out = render(&[d], false);
        assert!(out.contains("--> content/a.md:2:1"), "{out}");
        assert!(out.contains("^^^^^ not a known key"), "{out}");
        assert!(out.contains("= hint: did you mean `title`?"), "{out}");
    }

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(did_you_mean("titel", ["title", "tags"]), Some("title"));
        assert_eq!(did_you_mean("zzz", ["title", "tags"]), None);
    }
}
