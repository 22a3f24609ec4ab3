//! The order lists show articles in: by weight, then title, then source path (stable whatever order files were
//! read in).

use super::{Article, Content};

/// What an article is sorted by in lists.
fn key(a: &Article) -> (i64, String, &str) {
    (a.meta.weight, a.title().to_lowercase(), a.source.as_str())
}

impl Content {
    /// Each article's place in the order lists show them (weight, then title, then source path): sorting a list by
    /// it is sorting by that order, without working out each article's key again for every list it is in.
    pub fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<usize> = (0..self.articles.len()).collect();
        order.sort_by_cached_key(|&i| key(&self.articles[i]));
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
        self.sections[section]
            .articles
            .sort_by_cached_key(|&i| key(&articles[i]));
    }

    /// Puts the articles of `moved` that `list` holds back in their places, `list` being in lists' order but for
    /// them (their keys changed): a search per article, not a sort of the list. Whether `list` held any.
    pub fn reposition(&self, list: &mut Vec<usize>, moved: &[usize]) -> bool {
        let held: Vec<usize> = moved.iter().copied().filter(|i| list.contains(i)).collect();
        if held.is_empty() {
            return false;
        }
        list.retain(|i| !held.contains(i));
        for i in held {
            let k = key(&self.articles[i]);
            let at = list.partition_point(|&j| key(&self.articles[j]) < k);
            list.insert(at, i);
        }
        true
    }
}
