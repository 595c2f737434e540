//! PDF publication of tables: a titled document of sections, each a table whose header repeats
//! on every page, on A4 landscape, with page numbers "第 N 页 共 M 页".
//!
//! The layout is computed first (`layout`), as plain boxes and lines of text, then drawn with
//! krilla, which embeds only the glyphs used (subsetting). Text wraps at any character, as
//! Chinese does, keeps Latin words whole when it can, and lets closing punctuation hang rather
//! than start a line.

mod fonts;
mod layout;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};

pub use fonts::{EMBEDDED_FACE, FontSet, prefer_font_file};
use layout::{Item, Page};

/// How a column's text sits in its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// One column of a table: its header and its share of the table's width.
#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub weight: f32,
    pub align: Align,
}

impl Column {
    pub fn new(header: impl Into<String>, weight: f32) -> Self {
        Column {
            header: header.into(),
            weight,
            align: Align::Left,
        }
    }

    pub fn aligned(mut self, align: Align) -> Self {
        self.align = align;
        self
    }
}

/// A section of the document: a heading over a table.
#[derive(Debug, Clone)]
pub struct Table {
    pub heading: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// Shown in place of rows when there are none (e.g. "本期无技术需求").
    pub empty_note: String,
}

/// The whole document.
#[derive(Debug, Clone)]
pub struct Publication {
    pub title: String,
    /// Lines under the title: issuing body, date, legal basis.
    pub preamble: Vec<String>,
    pub tables: Vec<Table>,
    /// Left part of every page's footer (the right part is the page number).
    pub footer: String,
    /// Creation date for the document's metadata (year, month, day).
    pub date: Option<(u16, u8, u8)>,
}

/// A rendered document and what could not be drawn as written.
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub pages: usize,
    /// Characters that no available font has; each was written as its code point.
    pub unavailable: Vec<char>,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("生成 PDF 失败：{0}")]
    Write(String),
}

/// Lays out and draws `publication` with `fonts`.
pub fn render(publication: &Publication, fonts: &FontSet) -> Result<Rendered, PdfError> {
    let mut shaper = fonts::Shaper::new(fonts);
    let pages = layout::paginate(publication, &mut shaper);
    let total = pages.len();

    let mut metadata = Metadata::new()
        .title(publication.title.clone())
        .language("zh-CN".to_string())
        .creator("紫金科技成果转化服务平台".to_string());
    if let Some((year, month, day)) = publication.date {
        metadata =
            metadata.creation_date(krilla::metadata::DateTime::new(year).month(month).day(day));
    }
    let mut document = Document::new();
    document.set_metadata(metadata);
    for (number, page) in pages.iter().enumerate() {
        draw_page(
            &mut document,
            page,
            &publication.footer,
            number + 1,
            total,
            &mut shaper,
        );
    }
    let bytes = document
        .finish()
        .map_err(|error| PdfError::Write(format!("{error:?}")))?;
    Ok(Rendered {
        bytes,
        pages: total,
        unavailable: shaper.unavailable,
    })
}

fn draw_page(
    document: &mut Document,
    page: &Page,
    footer: &str,
    number: usize,
    total: usize,
    shaper: &mut fonts::Shaper<'_>,
) {
    let Some(settings) = PageSettings::from_wh(layout::PAGE_WIDTH, layout::PAGE_HEIGHT) else {
        return;
    };
    let mut pdf_page = document.start_page_with(settings);
    let mut surface = pdf_page.surface();
    let black = Fill {
        paint: rgb::Color::black().into(),
        ..Fill::default()
    };
    let mut footer_items = vec![Item::Text {
        x: layout::MARGIN_X,
        baseline: layout::FOOTER_BASELINE,
        size: layout::FOOTER_SIZE,
        text: footer.to_string(),
    }];
    let number_text = format!("第 {number} 页 共 {total} 页");
    let number_width = shaper.width(&number_text) * layout::FOOTER_SIZE;
    footer_items.push(Item::Text {
        x: layout::PAGE_WIDTH - layout::MARGIN_X - number_width,
        baseline: layout::FOOTER_BASELINE,
        size: layout::FOOTER_SIZE,
        text: number_text,
    });
    for item in page.items.iter().chain(footer_items.iter()) {
        match item {
            Item::Shade {
                x,
                y,
                width,
                height,
            } => {
                let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) else {
                    continue;
                };
                let mut path = PathBuilder::new();
                path.push_rect(rect);
                let Some(path) = path.finish() else { continue };
                surface.set_stroke(None);
                surface.set_fill(Some(Fill {
                    paint: rgb::Color::new(0xEC, 0xE8, 0xF2).into(),
                    ..Fill::default()
                }));
                surface.draw_path(&path);
            }
            Item::Line { x1, y1, x2, y2 } => {
                let mut path = PathBuilder::new();
                path.move_to(*x1, *y1);
                path.line_to(*x2, *y2);
                let Some(path) = path.finish() else { continue };
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(0x55, 0x55, 0x55).into(),
                    width: 0.5,
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
            }
            Item::Text {
                x,
                baseline,
                size,
                text,
            } => {
                surface.set_stroke(None);
                surface.set_fill(Some(black.clone()));
                let mut cursor = *x;
                for run in shaper.runs(text) {
                    let advance: f32 = run.glyphs.iter().map(|g| g.x_advance).sum();
                    surface.draw_glyphs(
                        Point::from_xy(cursor, *baseline),
                        &run.glyphs,
                        run.font,
                        &run.text,
                        *size,
                        false,
                    );
                    cursor += advance * size;
                }
            }
        }
    }
    surface.finish();
    pdf_page.finish();
}
