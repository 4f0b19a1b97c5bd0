//! A small typesetter for printed sheets: A4 pages of headings, labelled fields, wrapped
//! paragraphs and tables, written as PDF by `krilla` with DejaVu Sans embedded (subset),
//! so names such as "Zénith" or "Théo" print as typed and the file needs no font on the
//! reader's machine.
//!
//! Layout happens first, into pages of positioned marks, so every page's footer can say
//! "page n of N"; a table that runs over a page repeats its header row. Text is measured
//! with the shaper krilla draws with (rustybuzz), so a wrapped line never overruns its
//! column.

use std::sync::LazyLock;

use krilla::Document;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

/// A4 in PostScript points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 42.0;
/// Room kept at the bottom for the footer.
const FOOTER: f32 = 28.0;
const BODY_SIZE: f32 = 10.0;
const SMALL_SIZE: f32 = 8.0;
const TITLE_SIZE: f32 = 18.0;
const HEADING_SIZE: f32 = 12.5;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.3;
/// Padding inside a table cell, left and right.
const CELL_PAD: f32 = 3.0;
/// Width of a field's label column.
const LABEL_WIDTH: f32 = 80.0;

/// A sheet to print.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub title: String,
    pub subtitle: String,
    /// Printed at the bottom of every page, left of the page number.
    pub footer: String,
    pub blocks: Vec<Block>,
}

/// One piece of a sheet, laid out top to bottom.
#[derive(Debug, Clone)]
pub enum Block {
    Heading(String),
    /// `label` in bold, then its value wrapped beside it.
    Field {
        label: String,
        value: String,
    },
    /// A paragraph, wrapped; line breaks in it are kept.
    Text(String),
    Table(Table),
    /// Vertical space of half a line.
    Gap,
}

/// A table: columns share the body's width in proportion to their weights.
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<(String, f32)>,
    pub rows: Vec<Vec<String>>,
}

/// The two faces of the sheet's font, for drawing (krilla) and measuring (rustybuzz).
struct Fonts {
    regular: Font,
    bold: Font,
    regular_face: rustybuzz::Face<'static>,
    bold_face: rustybuzz::Face<'static>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let regular: &'static [u8] = dejavu::sans::regular();
    let bold: &'static [u8] = dejavu::sans::bold();
    Fonts {
        regular: Font::new(regular.into(), 0).expect("DejaVu Sans loads"),
        bold: Font::new(bold.into(), 0).expect("DejaVu Sans Bold loads"),
        regular_face: rustybuzz::Face::from_slice(regular, 0).expect("DejaVu Sans parses"),
        bold_face: rustybuzz::Face::from_slice(bold, 0).expect("DejaVu Sans Bold parses"),
    }
});

/// Width of `text` at `size`, in points.
fn measure(text: &str, size: f32, bold: bool) -> f32 {
    let face = if bold {
        &FONTS.bold_face
    } else {
        &FONTS.regular_face
    };
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    let shaped = rustybuzz::shape(face, &[], buffer);
    let units: i64 = shaped
        .glyph_positions()
        .iter()
        .map(|p| i64::from(p.x_advance))
        .sum();
    units as f32 * size / face.units_per_em() as f32
}

/// `text` broken into lines no wider than `width`: at spaces where it can, inside a word
/// only when the word alone is wider. Line breaks in `text` are kept; an empty text is
/// one empty line.
fn wrap(text: &str, width: f32, size: f32, bold: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if measure(&candidate, size, bold) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word starts a line; cut it while it is wider than the column.
            for ch in word.chars() {
                line.push(ch);
                if measure(&line, size, bold) > width && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(ch);
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// A positioned mark on a page.
#[derive(Debug, Clone)]
enum Mark {
    /// Text whose baseline starts at (x, y).
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    /// A horizontal rule.
    Rule { x: f32, y: f32, width: f32 },
    /// A light band behind a table's header row.
    Band { x: f32, y: f32, w: f32, h: f32 },
}

/// Pages being filled, top to bottom.
struct Layout {
    pages: Vec<Vec<Mark>>,
    /// Top of the free space on the last page.
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn width() -> f32 {
        PAGE_WIDTH - 2.0 * MARGIN
    }

    fn bottom() -> f32 {
        PAGE_HEIGHT - MARGIN - FOOTER
    }

    /// Whether `height` more fits on this page.
    fn fits(&self, height: f32) -> bool {
        self.y + height <= Self::bottom()
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Makes room for `height`, on a new page if this one is full.
    fn reserve(&mut self, height: f32) {
        if !self.fits(height) && self.y > MARGIN {
            self.new_page();
        }
    }

    fn mark(&mut self, mark: Mark) {
        self.pages.last_mut().expect("a page").push(mark);
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        let y = self.y + size;
        self.mark(Mark::Text {
            x,
            y,
            size,
            bold,
            text: text.to_owned(),
        });
    }

    fn lines(&mut self, x: f32, width: f32, size: f32, bold: bool, text: &str) {
        for line in wrap(text, width, size, bold) {
            self.reserve(size * LEADING);
            self.text(x, size, bold, &line);
            self.y += size * LEADING;
        }
    }

    fn field(&mut self, label: &str, value: &str) {
        let lines = wrap(value, Self::width() - LABEL_WIDTH, BODY_SIZE, false);
        self.reserve(BODY_SIZE * LEADING * lines.len().min(3) as f32);
        self.text(MARGIN, BODY_SIZE, true, label);
        for line in lines {
            self.reserve(BODY_SIZE * LEADING);
            self.text(MARGIN + LABEL_WIDTH, BODY_SIZE, false, &line);
            self.y += BODY_SIZE * LEADING;
        }
    }

    fn table(&mut self, table: &Table) {
        let total: f32 = table.columns.iter().map(|(_, w)| w.max(0.01)).sum();
        let widths: Vec<f32> = table
            .columns
            .iter()
            .map(|(_, w)| Self::width() * w.max(0.01) / total)
            .collect();
        let header: Vec<String> = table.columns.iter().map(|(h, _)| h.clone()).collect();
        let header_height = self.row_height(&header, &widths, true);
        let first_row = table
            .rows
            .first()
            .map_or(0.0, |r| self.row_height(r, &widths, false));
        // Never a header alone at the foot of a page.
        self.reserve(header_height + first_row);
        self.row(&header, &widths, true);
        for row in &table.rows {
            let height = self.row_height(row, &widths, false);
            if !self.fits(height) {
                self.new_page();
                self.row(&header, &widths, true);
            }
            self.row(row, &widths, false);
        }
    }

    fn row_height(&self, cells: &[String], widths: &[f32], header: bool) -> f32 {
        let size = if header { SMALL_SIZE } else { BODY_SIZE };
        let lines = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| wrap(c, w - 2.0 * CELL_PAD, size, header).len())
            .max()
            .unwrap_or(1);
        lines as f32 * size * LEADING + 4.0
    }

    fn row(&mut self, cells: &[String], widths: &[f32], header: bool) {
        let size = if header { SMALL_SIZE } else { BODY_SIZE };
        let height = self.row_height(cells, widths, header);
        if header {
            self.mark(Mark::Band {
                x: MARGIN,
                y: self.y,
                w: Self::width(),
                h: height,
            });
        }
        let top = self.y + 2.0;
        let mut x = MARGIN;
        for (cell, width) in cells.iter().zip(widths) {
            for (i, line) in wrap(cell, width - 2.0 * CELL_PAD, size, header)
                .iter()
                .enumerate()
            {
                self.mark(Mark::Text {
                    x: x + CELL_PAD,
                    y: top + size + i as f32 * size * LEADING,
                    size,
                    bold: header,
                    text: line.clone(),
                });
            }
            x += width;
        }
        self.y += height;
        self.mark(Mark::Rule {
            x: MARGIN,
            y: self.y,
            width: Self::width(),
        });
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Heading(text) => {
                self.reserve(HEADING_SIZE * LEADING * 3.0);
                self.y += HEADING_SIZE * 0.5;
                self.lines(MARGIN, Self::width(), HEADING_SIZE, true, text);
            }
            Block::Field { label, value } => self.field(label, value),
            Block::Text(text) => self.lines(MARGIN, Self::width(), BODY_SIZE, false, text),
            Block::Table(table) => self.table(table),
            Block::Gap => self.y += BODY_SIZE * LEADING * 0.5,
        }
    }
}

/// Lays the sheet out and writes it as a PDF.
pub fn render(sheet: &Sheet) -> Result<Vec<u8>, String> {
    let mut layout = Layout::new();
    layout.lines(MARGIN, Layout::width(), TITLE_SIZE, true, &sheet.title);
    if !sheet.subtitle.is_empty() {
        layout.lines(
            MARGIN,
            Layout::width(),
            HEADING_SIZE,
            false,
            &sheet.subtitle,
        );
    }
    layout.y += 4.0;
    layout.mark(Mark::Rule {
        x: MARGIN,
        y: layout.y,
        width: Layout::width(),
    });
    layout.y += BODY_SIZE * 0.6;
    for block in &sheet.blocks {
        layout.block(block);
    }

    let count = layout.pages.len();
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(sheet.title.clone())
            .creator("callsheet".to_owned()),
    );
    let size = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or("bad page size")?;
    for (n, marks) in layout.pages.iter().enumerate() {
        let mut page = document.start_page_with(size.clone());
        let mut surface = page.surface();
        for mark in marks {
            draw(&mut surface, mark);
        }
        let footer_y = PAGE_HEIGHT - MARGIN;
        draw(
            &mut surface,
            &Mark::Text {
                x: MARGIN,
                y: footer_y,
                size: SMALL_SIZE,
                bold: false,
                text: sheet.footer.clone(),
            },
        );
        let number = format!("page {} of {count}", n + 1);
        let width = measure(&number, SMALL_SIZE, false);
        draw(
            &mut surface,
            &Mark::Text {
                x: PAGE_WIDTH - MARGIN - width,
                y: footer_y,
                size: SMALL_SIZE,
                bold: false,
                text: number,
            },
        );
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| format!("{e:?}"))
}

fn draw(surface: &mut krilla::surface::Surface<'_>, mark: &Mark) {
    match mark {
        Mark::Text {
            x,
            y,
            size,
            bold,
            text,
        } => {
            if text.is_empty() {
                return;
            }
            let font = if *bold {
                FONTS.bold.clone()
            } else {
                FONTS.regular.clone()
            };
            surface.set_fill(Some(Fill::default()));
            surface.draw_text(
                Point::from_xy(*x, *y),
                font,
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Mark::Rule { x, y, width } => {
            let mut path = PathBuilder::new();
            path.move_to(*x, *y);
            path.line_to(x + width, *y);
            if let Some(path) = path.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: luma::Color::new(160).into(),
                    width: 0.5,
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        Mark::Band { x, y, w, h } => {
            let mut path = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                path.push_rect(rect);
            }
            if let Some(path) = path.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(Fill {
                    paint: luma::Color::new(232).into(),
                    ..Fill::default()
                }));
                surface.draw_path(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_line_never_overruns_its_width() {
        let text = "Théo Lefèvre règle la façade du Zénith avant l'arrivée du public, \
                    puis supervise le démontage jusqu'à deux heures du matin.";
        for width in [40.0, 90.0, 200.0] {
            let lines = wrap(text, width, BODY_SIZE, false);
            assert!(lines.len() > 1);
            for line in &lines {
                assert!(
                    measure(line, BODY_SIZE, false) <= width,
                    "{line:?} at {width}"
                );
            }
            let rejoined: String = lines.concat();
            assert_eq!(
                rejoined.replace(' ', ""),
                text.replace(' ', ""),
                "nothing lost"
            );
        }
    }

    #[test]
    fn line_breaks_are_kept_and_an_empty_text_is_one_line() {
        assert_eq!(wrap("a\nb", 100.0, BODY_SIZE, false), vec!["a", "b"]);
        assert_eq!(wrap("", 100.0, BODY_SIZE, false), vec![""]);
    }

    #[test]
    fn a_long_table_runs_over_pages_and_repeats_its_header() {
        let rows = (0..120)
            .map(|i| vec![format!("Technicien {i}"), "06 12 34 56 78".to_owned()])
            .collect();
        let sheet = Sheet {
            title: "Zénith".into(),
            blocks: vec![Block::Table(Table {
                columns: vec![("Name".into(), 2.0), ("Phone".into(), 1.0)],
                rows,
            })],
            ..Sheet::default()
        };
        let mut layout = Layout::new();
        for block in &sheet.blocks {
            layout.block(block);
        }
        assert!(layout.pages.len() >= 3, "{} pages", layout.pages.len());
        for page in &layout.pages {
            let headers = page
                .iter()
                .filter(|m| matches!(m, Mark::Text { text, bold: true, .. } if text == "Name"))
                .count();
            assert_eq!(headers, 1, "each page starts with the header");
            for mark in page {
                if let Mark::Text { y, .. } = mark {
                    assert!(*y <= Layout::bottom() + BODY_SIZE, "inside the body");
                }
            }
        }
        let bytes = render(&sheet).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
    }
}
