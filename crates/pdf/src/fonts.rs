//! Which font draws which character.
//!
//! The binary carries Noto Sans CJK SC cut down to GBK (every common Chinese character, see
//! `scripts/make-pdf-font`), so a fresh machine renders the lists without any font installed.
//! A character outside GBK (a rare one in a person's or company's name) is looked up in the
//! system's CJK fonts, loaded only when such a character appears. A character no font has is
//! written as its code point instead of a box, and reported.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

pub const EMBEDDED_FACE: &[u8] = include_bytes!("../fonts/NotoSansCJKsc-Regular-GBK.otf");

/// A font file tried before the embedded face, for bureaus whose publications use another
/// typeface; set once at start-up from the command line (`--pdf-font`).
static PREFERRED: OnceLock<(PathBuf, u32)> = OnceLock::new();

/// Makes `FontSet::standard()` try this file (face `index` of a collection) first. Only the
/// first call counts, and only before the first export.
pub fn prefer_font_file(path: PathBuf, index: u32) {
    let _ = PREFERRED.set((path, index));
}

/// System fonts with Chinese glyphs, in order of preference: Noto Sans CJK SC in the places
/// Debian, Fedora and Arch put it (face 2 of the collection is SC), then other common faces.
const SYSTEM_CANDIDATES: &[(&str, u32)] = &[
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    (
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        2,
    ),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("C:\\Windows\\Fonts\\msyh.ttc", 0),
];

enum Source {
    Embedded,
    File(PathBuf, u32),
}

struct Loaded {
    data: Arc<Vec<u8>>,
    index: u32,
    font: Font,
    units_per_em: f32,
}

struct Face {
    source: Source,
    loaded: OnceLock<Option<Loaded>>,
}

impl Face {
    fn new(source: Source) -> Self {
        Face {
            source,
            loaded: OnceLock::new(),
        }
    }

    /// Reads and parses the face on first use; a missing or unreadable file is skipped.
    fn get(&self) -> Option<&Loaded> {
        self.loaded
            .get_or_init(|| {
                let (data, index) = match &self.source {
                    Source::Embedded => (Arc::new(EMBEDDED_FACE.to_vec()), 0),
                    Source::File(path, index) => (Arc::new(std::fs::read(path).ok()?), *index),
                };
                let font = Font::new(data.clone().into(), index)?;
                let parsed = FontRef::from_index(data.as_slice(), index).ok()?;
                let units_per_em = f32::from(
                    parsed
                        .metrics(Size::unscaled(), LocationRef::default())
                        .units_per_em,
                );
                Some(Loaded {
                    data,
                    index,
                    font,
                    units_per_em,
                })
            })
            .as_ref()
    }

    fn describe(&self) -> String {
        match &self.source {
            Source::Embedded => "内置 Noto Sans CJK SC（GBK 字集）".to_string(),
            Source::File(path, index) => format!("{}#{}", path.display(), index),
        }
    }
}

/// The faces a document may draw with, in order of preference.
pub struct FontSet {
    faces: Vec<Face>,
}

impl FontSet {
    /// The embedded face, preceded by the preferred file when one was given and followed by
    /// the system's CJK fonts that exist. Built once per process.
    pub fn standard() -> &'static FontSet {
        static STANDARD: OnceLock<FontSet> = OnceLock::new();
        STANDARD.get_or_init(|| {
            let mut faces = Vec::new();
            if let Some((path, index)) = PREFERRED.get() {
                faces.push(Face::new(Source::File(path.clone(), *index)));
            }
            faces.push(Face::new(Source::Embedded));
            faces.extend(
                SYSTEM_CANDIDATES
                    .iter()
                    .filter(|(path, _)| std::path::Path::new(path).exists())
                    .map(|(path, index)| Face::new(Source::File(path.into(), *index))),
            );
            FontSet { faces }
        })
    }

    /// Only the embedded face: what a fresh machine without fonts has.
    pub fn embedded_only() -> FontSet {
        FontSet {
            faces: vec![Face::new(Source::Embedded)],
        }
    }

    /// The embedded face, then the given files (`(path, face index)`) for characters it lacks.
    pub fn embedded_then(files: &[(PathBuf, u32)]) -> FontSet {
        let mut faces = vec![Face::new(Source::Embedded)];
        faces.extend(
            files
                .iter()
                .map(|(path, index)| Face::new(Source::File(path.clone(), *index))),
        );
        FontSet { faces }
    }

    /// The faces' names, for messages and the README.
    pub fn describe(&self) -> Vec<String> {
        self.faces.iter().map(Face::describe).collect()
    }
}

/// A glyph chosen for one character: which face, which glyph, how wide (in em).
#[derive(Clone, Copy)]
struct Mapped {
    face: usize,
    glyph: u32,
    advance: f32,
}

/// Maps characters to glyphs for one document, remembering each answer.
pub(crate) struct Shaper<'a> {
    fonts: &'a FontSet,
    cache: HashMap<char, Option<Mapped>>,
    /// Characters no face has, in the order first met.
    pub(crate) unavailable: Vec<char>,
}

/// A run of text drawn with one face.
pub(crate) struct Run {
    pub(crate) font: Font,
    pub(crate) text: String,
    pub(crate) glyphs: Vec<KrillaGlyph>,
}

impl<'a> Shaper<'a> {
    pub(crate) fn new(fonts: &'a FontSet) -> Self {
        Shaper {
            fonts,
            cache: HashMap::new(),
            unavailable: Vec::new(),
        }
    }

    fn map(&mut self, character: char) -> Option<Mapped> {
        if let Some(known) = self.cache.get(&character) {
            return *known;
        }
        let found = self
            .fonts
            .faces
            .iter()
            .enumerate()
            .find_map(|(index, face)| {
                let loaded = face.get()?;
                let parsed = FontRef::from_index(loaded.data.as_slice(), loaded.index).ok()?;
                let glyph = parsed.charmap().map(character)?;
                let advance = parsed
                    .glyph_metrics(Size::unscaled(), LocationRef::default())
                    .advance_width(glyph)
                    .unwrap_or(loaded.units_per_em);
                Some(Mapped {
                    face: index,
                    glyph: glyph.to_u32(),
                    advance: advance / loaded.units_per_em,
                })
            });
        if found.is_none() {
            self.unavailable.push(character);
        }
        self.cache.insert(character, found);
        found
    }

    /// The characters that are drawn for `character`: itself when a face has it, otherwise
    /// its code point written out (`U+1F680`), which every face can draw.
    fn drawable(&mut self, character: char) -> Vec<(char, Mapped)> {
        if let Some(mapped) = self.map(character) {
            return vec![(character, mapped)];
        }
        format!("〔U+{:04X}〕", u32::from(character))
            .chars()
            .filter_map(|c| self.map(c).map(|m| (c, m)))
            .collect()
    }

    /// Width of `text` in em.
    pub(crate) fn width(&mut self, text: &str) -> f32 {
        text.chars()
            .flat_map(|c| self.drawable(c))
            .map(|(_, m)| m.advance)
            .sum()
    }

    /// Width of one character in em (as drawn).
    pub(crate) fn char_width(&mut self, character: char) -> f32 {
        self.drawable(character)
            .iter()
            .map(|(_, m)| m.advance)
            .sum()
    }

    /// Splits `text` into runs, one per face, ready to draw.
    pub(crate) fn runs(&mut self, text: &str) -> Vec<Run> {
        let mut runs: Vec<(usize, String, Vec<KrillaGlyph>)> = Vec::new();
        for character in text.chars() {
            for (drawn, mapped) in self.drawable(character) {
                let same_face = runs.last().is_some_and(|(face, _, _)| *face == mapped.face);
                if !same_face {
                    runs.push((mapped.face, String::new(), Vec::new()));
                }
                let Some((_, run_text, glyphs)) = runs.last_mut() else {
                    continue;
                };
                let start = run_text.len();
                run_text.push(drawn);
                glyphs.push(KrillaGlyph::new(
                    GlyphId::new(mapped.glyph),
                    mapped.advance,
                    0.0,
                    0.0,
                    0.0,
                    start..run_text.len(),
                    None,
                ));
            }
        }
        runs.into_iter()
            .filter_map(|(face, text, glyphs)| {
                let font = self.fonts.faces[face].get()?.font.clone();
                Some(Run { font, text, glyphs })
            })
            .collect()
    }
}
