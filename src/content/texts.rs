//! Letting go of the articles' texts for a build. Once its front matter and check blocks are read (and its summary
//! found), a build needs an article's text only to render it and to point a diagnostic into it, so it need not
//! hold every article's source at once: each is read again from disk when it is needed, and checked against what
//! was loaded ([`SourceFile::whole`]).

use super::{Article, CONTENT_DIR, Content};
use crate::diag::Diagnostic;
use crate::diag::SourceFile;

impl Content {
    /// Lets go of every article's text that is still held (sections keep theirs: there are few).
    pub fn release_texts(&mut self, root: &std::path::Path) {
        use rayon::prelude::*;
        let dir = root.join(CONTENT_DIR);
        self.articles
            .par_iter_mut()
            .filter(|a| !a.file.is_released())
            .for_each(|a| a.file.release(dir.join(&a.source)));
    }
}

impl Article {
    /// Lets go of the text, first working out with `summary` what lists show of the article if it has no
    /// `description`.
    pub(super) fn release(&mut self, root: &std::path::Path, summary: fn(&str) -> String) {
        if self.meta.description.is_none() {
            self.summary = Some(summary(self.body()));
        }
        self.file.release(root.join(CONTENT_DIR).join(&self.source));
    }

    /// The file to point a diagnostic into, with its text (read again if it was let go; the path alone if that
    /// fails): for working out a span in it, as [`Diagnostic::at`] reads it again anyway.
    pub fn diagnostic_file(&self) -> SourceFile {
        self.file.whole().unwrap_or_else(|_| self.file.clone())
    }

    /// The article's file with its text: the one held, or, once let go, read again (an error if it changed).
    pub fn source_file(&self) -> Result<SourceFile, Box<Diagnostic>> {
        self.file.whole().map_err(|why| {
            Box::new(
                Diagnostic::error(why)
                    .at_path(self.file.path.clone())
                    .hint("build again once the file is saved"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(dir: &std::path::Path, text: &str) -> crate::config::Config {
        std::fs::create_dir_all(dir.join(CONTENT_DIR)).unwrap();
        std::fs::write(dir.join(CONTENT_DIR).join("a.md"), text).unwrap();
        std::fs::write(
            dir.join("kb.toml"),
            "title = \"T\"\nbase_url = \"https://help.example.com\"\n",
        )
        .unwrap();
        crate::config::Config::load(dir, None).unwrap()
    }

    #[test]
    fn a_released_text_is_read_again_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let config = site(dir.path(), "\u{feff}+++\ntitle = \"A\"\n+++\nBody *here*.\n");
        let mut diags = Vec::new();
        let held = Content::load(&config, false, &mut diags);
        let released = Content::load_released(&config, false, |body| body.trim().to_uppercase(), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        let (held, a) = (&held.articles[0], &released.articles[0]);
        assert!(a.file.is_released() && !held.file.is_released());
        assert_eq!(&*a.file.text, "");
        assert_eq!(a.summary.as_deref(), Some("BODY *HERE*."));
        let again = a.source_file().unwrap();
        assert_eq!((&*again.text, again.path.as_str()), (&*held.file.text, "content/a.md"));
        // A diagnostic pointing into it reads it again.
        let d = Diagnostic::error("x").at(&a.file, 0..3);
        assert!(crate::diag::render(&[d], false).contains("+++"));

        std::fs::write(dir.path().join("content/a.md"), "+++\ntitle = \"B\"\n+++\nBody.\n").unwrap();
        let e = a.source_file().unwrap_err();
        assert_eq!(e.message, "changed while the site was being built");
        let d = Diagnostic::error("x").at(&a.file, 0..3);
        assert!(
            !crate::diag::render(&[d], false).contains("title"),
            "no excerpt of another text"
        );
        std::fs::remove_file(dir.path().join("content/a.md")).unwrap();
        assert!(a.source_file().unwrap_err().message.starts_with("cannot be read again"));
    }
}
