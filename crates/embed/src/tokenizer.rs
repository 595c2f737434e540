//! XLM-RoBERTa's SentencePiece unigram tokenizer as the model file carries it: a character
//! normalisation map, runs of spaces made one, "▁" before the text and for every space, then
//! the most probable cut into known pieces (Viterbi over the pieces' log-probabilities), an
//! unknown character costing ten less than the least likely piece.

use std::collections::HashMap;

/// SentencePiece's word-start mark, U+2581.
const WORD_START: char = '\u{2581}';

pub struct Tokenizer {
    pieces: HashMap<Box<[u8]>, u32>,
    scores: Vec<f32>,
    pub unknown: u32,
    unknown_score: f32,
    longest_piece: usize,
    normalisation: HashMap<char, Vec<char>>,
    pub begin: u32,
    pub end: u32,
}

impl Tokenizer {
    pub(crate) fn new(
        pieces: Vec<&[u8]>,
        scores: Vec<f32>,
        special: [u32; 3],
        normalisation: HashMap<char, Vec<char>>,
    ) -> Tokenizer {
        let [begin, end, unknown] = special;
        let least = scores.iter().copied().fold(f32::INFINITY, f32::min);
        let longest_piece = pieces.iter().map(|p| p.len()).max().unwrap_or(1).max(1);
        let mut map = HashMap::with_capacity(pieces.len());
        for (id, piece) in pieces.iter().enumerate() {
            if !piece.is_empty() {
                map.entry(Box::from(*piece)).or_insert(id as u32);
            }
        }
        Tokenizer {
            pieces: map,
            scores,
            unknown,
            unknown_score: least - 10.0,
            longest_piece,
            normalisation,
            begin,
            end,
        }
    }

    /// How many pieces the vocabulary has (every id is below it).
    pub fn piece_count(&self) -> usize {
        self.scores.len()
    }

    /// The piece ids of a text, without the begin and end marks.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut chars: Vec<char> = Vec::with_capacity(text.len());
        for ch in text.chars() {
            match self.normalisation.get(&ch) {
                Some(replacement) => chars.extend(replacement),
                None => chars.push(ch),
            }
        }
        chars.dedup_by(|a, b| *a == ' ' && *b == ' ');
        if chars.first() != Some(&' ') {
            chars.insert(0, ' ');
        }
        let normalised: String = chars
            .iter()
            .map(|&c| if c == ' ' { WORD_START } else { c })
            .collect();
        // Byte offset of each character and of the end.
        let bounds: Vec<usize> = normalised
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(normalised.len()))
            .collect();
        let n = bounds.len() - 1;
        let bytes = normalised.as_bytes();
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut piece = vec![u32::MAX; n + 1];
        let mut from = vec![0usize; n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=n {
                let length = bounds[e] - bounds[i];
                if length > self.longest_piece {
                    break;
                }
                if let Some(&id) = self.pieces.get(&bytes[bounds[i]..bounds[e]]) {
                    if id == self.unknown {
                        continue;
                    }
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        piece[e] = id;
                        from[e] = i;
                    }
                }
            }
            let score = best[i] + self.unknown_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                piece[i + 1] = self.unknown;
                from[i + 1] = i;
            }
        }
        let mut ids = Vec::new();
        let mut at = n;
        while at > 0 {
            ids.push(piece[at]);
            at = from[at];
        }
        ids.reverse();
        ids
    }
}
