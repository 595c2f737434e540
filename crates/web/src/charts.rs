//! Charts drawn on the server as SVG with plotters, the numbers written beside the marks, so a
//! page shows them without scripts and a screen reader reads them from the table next to them.
//!
//! plotters measures text with the embedded Noto Sans CJK face (the one the PDFs use); the SVG
//! names the font family and leaves drawing the glyphs to the browser.

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

const FAMILY: &str = "sans-serif";
const PURPLE: RGBColor = RGBColor(0x5b, 0x2a, 0x86);
const ORANGE: RGBColor = RGBColor(0xc2, 0x5e, 0x00);
const INK: RGBColor = RGBColor(0x1f, 0x23, 0x29);
const LINE: RGBColor = RGBColor(0xde, 0xe0, 0xe3);

/// Registers the face once; a failure leaves charts out (the tables beside them stay).
fn font_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        match register_font(FAMILY, FontStyle::Normal, zijin_pdf::EMBEDDED_FACE) {
            Ok(()) => true,
            Err(_) => {
                tracing::warn!("图表字体无法加载，图表不显示");
                false
            }
        }
    })
}

/// One series of a line chart.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<i64>,
    /// 0 for the platform's purple, 1 for the second colour.
    pub colour: usize,
}

fn finish(svg: String, title: &str) -> String {
    // The title becomes the image's accessible name.
    let escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{escaped}\" class=\"chart\" preserveAspectRatio=\"xMinYMin meet\" "),
        1,
    )
}

/// Horizontal bars, one per label, with the count at the end of each bar.
pub fn bars(title: &str, items: &[(String, i64)]) -> Option<String> {
    if items.is_empty() || !font_ready() {
        return None;
    }
    let height = 40 + items.len() as u32 * 34;
    let width = 640;
    let most = items.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let label_width = items
            .iter()
            .map(|(label, _)| label.chars().count() as u32 * 15)
            .max()
            .unwrap_or(60)
            .clamp(60, 220);
        let text = (FAMILY, 14).into_font().color(&INK);
        let bar_left = label_width as i32 + 16;
        let bar_room = width as i32 - bar_left - 90;
        for (index, (label, count)) in items.iter().enumerate() {
            let top = 20 + index as i32 * 34;
            root.draw(&Text::new(label.clone(), (8, top + 6), text.clone()))
                .ok()?;
            let length = (*count as f64 / most as f64 * bar_room as f64).round() as i32;
            root.draw(&Rectangle::new(
                [(bar_left, top), (bar_left + length.max(1), top + 24)],
                PURPLE.filled(),
            ))
            .ok()?;
            root.draw(&Text::new(
                zijin_domain::group_thousands(&count.to_string()),
                (bar_left + length.max(1) + 8, top + 6),
                text.clone(),
            ))
            .ok()?;
        }
        root.present().ok()?;
    }
    Some(finish(svg, title))
}

/// Lines over months (or any labelled steps), each point's value written above it.
pub fn lines(title: &str, steps: &[String], series: &[Series<'_>]) -> Option<String> {
    if steps.is_empty() || series.is_empty() || !font_ready() {
        return None;
    }
    let most = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 320)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(0..steps.len().max(2) - 1, 0..(most + most / 5 + 1))
            .ok()?;
        let labels = steps.to_vec();
        chart
            .configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(LINE)
            .x_labels(steps.len().min(12))
            .x_label_formatter(&|x| labels.get(*x).cloned().unwrap_or_default())
            .y_label_formatter(&|y| zijin_domain::group_thousands(&y.to_string()))
            .label_style((FAMILY, 13).into_font().color(&INK))
            .draw()
            .ok()?;
        for line in series {
            let colour = if line.colour == 0 { PURPLE } else { ORANGE };
            let points: Vec<(usize, i64)> = line.values.iter().copied().enumerate().collect();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                .ok()?
                .label(line.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(points.iter().map(|(x, y)| {
                    EmptyElement::at((*x, *y))
                        + Circle::new((0, 0), 3, colour.filled())
                        + Text::new(
                            zijin_domain::group_thousands(&y.to_string()),
                            (-6, -18),
                            (FAMILY, 12).into_font().color(&colour),
                        )
                }))
                .ok()?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(LINE)
            .label_font((FAMILY, 13).into_font().color(&INK))
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    Some(finish(svg, title))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_carry_their_numbers_and_an_accessible_name() {
        let svg = bars(
            "各阶段对接数",
            &[("推荐".into(), 1200), ("签约".into(), 35)],
        )
        .expect("a chart")
        .replace('\n', "");
        assert!(svg.contains("aria-label=\"各阶段对接数\""), "{svg}");
        assert!(svg.contains("1,200") && svg.contains(">35<"), "{svg}");
        assert!(svg.contains("推荐") && svg.contains("签约"));
        assert!(bars("空", &[]).is_none());
    }

    #[test]
    fn lines_label_every_point() {
        let svg = lines(
            "按月趋势",
            &["2026-10".into(), "2026-11".into(), "2026-12".into()],
            &[
                Series {
                    name: "推荐",
                    values: vec![10, 40, 25],
                    colour: 0,
                },
                Series {
                    name: "签约",
                    values: vec![0, 3, 2],
                    colour: 1,
                },
            ],
        )
        .expect("a chart")
        .replace('\n', "");
        for text in ["2026-11", ">40<", ">3<", "推荐", "签约"] {
            assert!(svg.contains(text), "{text} in {svg}");
        }
    }
}
