//! Pagination: where every box, rule and line of text goes. Units are PostScript points, the
//! origin is the page's top-left corner and y grows downwards.

use crate::fonts::Shaper;
use crate::{Align, Publication, Table};

/// A4 landscape.
pub(crate) const PAGE_WIDTH: f32 = 841.89;
pub(crate) const PAGE_HEIGHT: f32 = 595.28;
pub(crate) const MARGIN_X: f32 = 42.5;
const MARGIN_TOP: f32 = 48.0;
const MARGIN_BOTTOM: f32 = 48.0;
pub(crate) const FOOTER_SIZE: f32 = 8.0;
pub(crate) const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 26.0;

const TITLE_SIZE: f32 = 18.0;
const PREAMBLE_SIZE: f32 = 10.5;
const HEADING_SIZE: f32 = 13.0;
const HEADER_SIZE: f32 = 9.0;
const BODY_SIZE: f32 = 8.5;
const LEADING: f32 = 1.45;
const CELL_PADDING_X: f32 = 3.0;
const CELL_PADDING_Y: f32 = 3.5;
/// A cell longer than this many lines ends with "…", so that every row fits on one page.
const MAX_CELL_LINES: usize = 12;

/// Characters that must not begin a line (Chinese 避头 rule): they stay on the line before,
/// hanging into the cell's padding.
const NO_LINE_START: &str = "，。、；：？！）》」』】〕”’…%,.;:?!)]}";

#[derive(Debug, Clone)]
pub(crate) enum Item {
    Shade {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
    },
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        text: String,
    },
}

#[derive(Debug, Default)]
pub(crate) struct Page {
    pub(crate) items: Vec<Item>,
}

struct Cursor<'p> {
    pages: &'p mut Vec<Page>,
    y: f32,
}

impl Cursor<'_> {
    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = MARGIN_TOP;
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn room(&self) -> f32 {
        PAGE_HEIGHT - MARGIN_BOTTOM - self.y
    }

    fn text(&mut self, x: f32, size: f32, text: String) {
        let baseline = self.y + size * 1.1;
        self.page().items.push(Item::Text {
            x,
            baseline,
            size,
            text,
        });
    }
}

pub(crate) fn paginate(publication: &Publication, shaper: &mut Shaper<'_>) -> Vec<Page> {
    let mut pages = Vec::new();
    let mut cursor = Cursor {
        pages: &mut pages,
        y: MARGIN_TOP,
    };
    cursor.new_page();
    let content_width = PAGE_WIDTH - 2.0 * MARGIN_X;

    for line in wrap(&publication.title, content_width, TITLE_SIZE, shaper) {
        let width = shaper.width(&line) * TITLE_SIZE;
        cursor.text((PAGE_WIDTH - width) / 2.0, TITLE_SIZE, line);
        cursor.y += TITLE_SIZE * LEADING;
    }
    cursor.y += 6.0;
    for paragraph in &publication.preamble {
        for line in wrap(paragraph, content_width, PREAMBLE_SIZE, shaper) {
            let width = shaper.width(&line) * PREAMBLE_SIZE;
            cursor.text((PAGE_WIDTH - width) / 2.0, PREAMBLE_SIZE, line);
            cursor.y += PREAMBLE_SIZE * LEADING;
        }
    }
    cursor.y += 10.0;

    for (index, table) in publication.tables.iter().enumerate() {
        if index > 0 {
            cursor.new_page();
        }
        lay_table(table, &mut cursor, shaper);
    }
    pages
}

/// One laid-out row: each cell's lines, and the row's height.
struct Row {
    cells: Vec<Vec<String>>,
    height: f32,
}

fn lay_row(values: &[String], widths: &[f32], size: f32, shaper: &mut Shaper<'_>) -> Row {
    let cells: Vec<Vec<String>> = widths
        .iter()
        .enumerate()
        .map(|(column, width)| {
            let value = values.get(column).map(String::as_str).unwrap_or("");
            let mut lines = wrap(value, width - 2.0 * CELL_PADDING_X, size, shaper);
            if lines.len() > MAX_CELL_LINES {
                lines.truncate(MAX_CELL_LINES);
                if let Some(last) = lines.last_mut() {
                    last.pop();
                    last.push('…');
                }
            }
            lines
        })
        .collect();
    let line_count = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    Row {
        cells,
        height: line_count as f32 * size * LEADING + 2.0 * CELL_PADDING_Y,
    }
}

fn lay_table(table: &Table, cursor: &mut Cursor<'_>, shaper: &mut Shaper<'_>) {
    let content_width = PAGE_WIDTH - 2.0 * MARGIN_X;
    let total_weight: f32 = table.columns.iter().map(|c| c.weight.max(0.0)).sum();
    let widths: Vec<f32> = table
        .columns
        .iter()
        .map(|c| content_width * c.weight.max(0.0) / total_weight.max(f32::EPSILON))
        .collect();
    let headers: Vec<String> = table.columns.iter().map(|c| c.header.clone()).collect();
    let header = lay_row(&headers, &widths, HEADER_SIZE, shaper);
    let aligns: Vec<Align> = table.columns.iter().map(|c| c.align).collect();
    let centred = vec![Align::Center; widths.len()];

    // The heading stays with the header and at least one row.
    let heading_height = HEADING_SIZE * LEADING + 6.0;
    if cursor.room() < heading_height + header.height * 3.0 {
        cursor.new_page();
    }
    cursor.text(MARGIN_X, HEADING_SIZE, table.heading.clone());
    cursor.y += heading_height;
    draw_row(
        &header,
        &widths,
        &centred,
        HEADER_SIZE,
        true,
        cursor,
        shaper,
    );

    if table.rows.is_empty() {
        let row = lay_row(
            std::slice::from_ref(&table.empty_note),
            &[content_width],
            BODY_SIZE,
            shaper,
        );
        draw_row(
            &row,
            &[content_width],
            &[Align::Center],
            BODY_SIZE,
            false,
            cursor,
            shaper,
        );
        return;
    }
    for values in &table.rows {
        let row = lay_row(values, &widths, BODY_SIZE, shaper);
        if cursor.room() < row.height {
            cursor.new_page();
            draw_row(
                &header,
                &widths,
                &centred,
                HEADER_SIZE,
                true,
                cursor,
                shaper,
            );
        }
        draw_row(&row, &widths, &aligns, BODY_SIZE, false, cursor, shaper);
    }
}

fn draw_row(
    row: &Row,
    widths: &[f32],
    aligns: &[Align],
    size: f32,
    shaded: bool,
    cursor: &mut Cursor<'_>,
    shaper: &mut Shaper<'_>,
) {
    let top = cursor.y;
    let bottom = top + row.height;
    let right = MARGIN_X + widths.iter().sum::<f32>();
    let mut items = Vec::new();
    if shaded {
        items.push(Item::Shade {
            x: MARGIN_X,
            y: top,
            width: right - MARGIN_X,
            height: row.height,
        });
    }
    let rule = |x1: f32, y1: f32, x2: f32, y2: f32| Item::Line { x1, y1, x2, y2 };
    items.push(rule(MARGIN_X, top, right, top));
    items.push(rule(MARGIN_X, bottom, right, bottom));
    let mut left = MARGIN_X;
    items.push(rule(left, top, left, bottom));
    for (column, width) in widths.iter().enumerate() {
        let lines = row.cells.get(column).map(Vec::as_slice).unwrap_or(&[]);
        for (number, line) in lines.iter().enumerate() {
            let line_width = shaper.width(line) * size;
            let x = match aligns.get(column).copied().unwrap_or(Align::Left) {
                Align::Left => left + CELL_PADDING_X,
                // A hanging punctuation mark may make a line wider than the cell: keep its
                // start inside the cell.
                Align::Center => (left + (width - line_width) / 2.0).max(left + 1.0),
                Align::Right => left + width - CELL_PADDING_X - line_width,
            };
            let line_top = top + CELL_PADDING_Y + number as f32 * size * LEADING;
            items.push(Item::Text {
                x,
                baseline: line_top + size * 1.1,
                size,
                text: line.clone(),
            });
        }
        left += width;
        items.push(rule(left, top, left, bottom));
    }
    cursor.page().items.extend(items);
    cursor.y = bottom;
}

/// Breaks `text` into lines no wider than `width` points at `size`. Explicit newlines break;
/// Chinese breaks between any two characters; a Latin word or number moves whole to the next
/// line when it fits there; closing punctuation never starts a line.
pub(crate) fn wrap(text: &str, width: f32, size: f32, shaper: &mut Shaper<'_>) -> Vec<String> {
    let limit = width / size;
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0.0;
        for character in paragraph.chars() {
            let character = if character.is_control() {
                ' '
            } else {
                character
            };
            let advance = shaper.char_width(character);
            let fits = line_width + advance <= limit;
            if fits || line.is_empty() || NO_LINE_START.contains(character) {
                line.push(character);
                line_width += advance;
                continue;
            }
            // Carry a trailing Latin word over whole, if the line holds something before it.
            let word_start = line
                .char_indices()
                .rev()
                .take_while(|(_, c)| c.is_ascii_alphanumeric())
                .last()
                .map(|(index, _)| index);
            let carried = match word_start {
                Some(start) if start > 0 && character.is_ascii_alphanumeric() => {
                    line.split_off(start)
                }
                _ => String::new(),
            };
            lines.push(line.trim_end().to_string());
            line = carried;
            if character != ' ' || !line.is_empty() {
                line.push(character);
            }
            line_width = shaper.width(&line);
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts::FontSet;

    fn lines(text: &str, width: f32) -> Vec<String> {
        let fonts = FontSet::embedded_only();
        let mut shaper = Shaper::new(&fonts);
        wrap(text, width, 10.0, &mut shaper)
    }

    #[test]
    fn chinese_breaks_between_characters_and_fills_each_line() {
        // Noto Sans CJK ideographs are one em wide: 40 pt at 10 pt holds four.
        let wrapped = lines("科技成果转化服务平台", 40.0);
        assert_eq!(wrapped, vec!["科技成果", "转化服务", "平台"]);
    }

    #[test]
    fn closing_punctuation_hangs_instead_of_starting_a_line() {
        let wrapped = lines("科技成果，转化", 40.0);
        assert_eq!(wrapped, vec!["科技成果，", "转化"]);
    }

    #[test]
    fn a_latin_word_moves_whole_to_the_next_line() {
        let wrapped = lines("基于 Transformer", 60.0);
        assert_eq!(wrapped[0], "基于");
        assert_eq!(wrapped[1], "Transformer");
    }

    #[test]
    fn a_word_longer_than_the_line_is_broken_anyway() {
        let wrapped = lines("ZL202110123456.7", 30.0);
        assert!(wrapped.len() > 1);
        assert_eq!(wrapped.concat(), "ZL202110123456.7");
    }

    #[test]
    fn explicit_newlines_break() {
        assert_eq!(lines("甲\n乙", 200.0), vec!["甲", "乙"]);
    }
}
