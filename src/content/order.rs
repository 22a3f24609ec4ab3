//! The order lists show articles in: by weight, then title, then source path (stable whatever order files were
//! read in).

use super::Content;

impl Content {
    /// Each article's place in the order lists show them (weight, then title, then source path): sorting a list by
    /// it is sorting by that order, without working out each article's key again for every list it is in.
    pub fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<usize> = (0..self.articles.len()).collect();
        order.sort_by_cached_key(|&i| {
            let a = &self.articles[i];
            (a.meta.weight, a.title().to_lowercase(), a.source.clone())
        });
        let mut rank = vec![0; order.len()];
        for (r, i) in order.into_iter().enumerate() {
            rank[i] = r as u32;
        }
        rank
    }

    /// Sorts a section's articles as lists show them: by weight, then title, then source path (stable whatever
    /// order files were read in).
    pub fn sort_section(&mut self, section: usize) {
        let articles = &self.articles;
        self.sections[section].articles.sort_by_cached_key(|&i| {
            (
                articles[i].meta.weight,
                articles[i].title().to_lowercase(),
                articles[i].source.clone(),
            )
        });
    }
}
