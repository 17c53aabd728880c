//! Purpose: synthetic screenshots of Microsoft's sign-in error pages for the
//! OCR tests and bench, drawn in Rust with the DejaVu font from Debian's
//! `fonts-dejavu-core` (no committed binaries, no Python in CI).
//!
//! The layouts follow the two pages users post: the sign-in error page
//! ("Sorry, but we're having trouble signing you in.", `AADSTSnnnnn: ...`,
//! "Troubleshooting details") and the Conditional Access block page
//! ("You cannot access this right now", "Error Code: 53003"). Each comes
//! light or dark, at 100 % or 150 % display scale, as PNG or JPEG, full
//! screen (1920x1080) or as a phone-size crop of the card.

#![allow(dead_code)]

use std::io::Cursor;
use std::path::Path;

use ab_glyph::{point, Font, FontVec, PxScale, ScaleFont};
use image::{ImageFormat, Rgb, RgbImage};

/// Where Debian's `fonts-dejavu-core` puts the font.
pub const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
/// The bold face from the same package.
pub const FONT_BOLD: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

/// The page being shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// "Sorry, but we're having trouble signing you in." with `AADSTS<code>`.
    SignIn(u32),
    /// Conditional Access block page with a prefixless `Error Code: <code>`.
    Blocked(u32),
}

impl Page {
    /// The code a reader should find.
    pub fn code(self) -> u32 {
        match self {
            Page::SignIn(c) | Page::Blocked(c) => c,
        }
    }
}

/// Colour scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Dark text on white.
    Light,
    /// Light text on near-black.
    Dark,
}

/// How the screenshot is cut and encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shot {
    /// The whole 1920x1080 screen as PNG.
    Png,
    /// The whole screen as JPEG at the given quality.
    Jpeg(u8),
    /// Only the card, phone width (about 480 px), as PNG.
    PhoneCrop,
}

/// One screenshot to make.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spec {
    /// Which page.
    pub page: Page,
    /// Light or dark.
    pub theme: Theme,
    /// Display scale: 1.0 or 1.5.
    pub scale: f32,
    /// Cut and encoding.
    pub shot: Shot,
}

/// The request id every page shows (a support engineer asks for it).
pub const REQUEST_ID: &str = "4b2e7c1a-9f3d-4e6b-8a21-5c7d9e0f1a2b";
/// The correlation id every page shows.
pub const CORRELATION_ID: &str = "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6";

impl Spec {
    /// A short file-name-safe label.
    pub fn name(&self) -> String {
        let page = match self.page {
            Page::SignIn(c) => format!("signin-{c}"),
            Page::Blocked(c) => format!("blocked-{c}"),
        };
        let theme = match self.theme {
            Theme::Light => "light",
            Theme::Dark => "dark",
        };
        let shot = match self.shot {
            Shot::Png => "png".to_owned(),
            Shot::Jpeg(q) => format!("jpeg{q}"),
            Shot::PhoneCrop => "phone".to_owned(),
        };
        format!("{page}-{theme}-{}pct-{shot}", (self.scale * 100.0).round())
    }

    /// The file extension matching the encoding.
    pub fn extension(&self) -> &'static str {
        match self.shot {
            Shot::Jpeg(_) => "jpg",
            _ => "png",
        }
    }
}

/// The image set the tests report accuracy over (12 screenshots).
pub fn image_set() -> Vec<Spec> {
    let mut set = Vec::new();
    let pages = [
        (Page::SignIn(50076), Page::Blocked(53003)),
        (Page::SignIn(700016), Page::Blocked(53000)),
    ];
    for (i, theme) in [Theme::Light, Theme::Dark].into_iter().enumerate() {
        for (j, scale) in [1.0, 1.5].into_iter().enumerate() {
            let (signin, blocked) = pages[(i + j) % 2];
            for page in [signin, blocked] {
                set.push(Spec {
                    page,
                    theme,
                    scale,
                    shot: Shot::Png,
                });
            }
        }
    }
    for page in [Page::SignIn(50158), Page::Blocked(53003)] {
        set.push(Spec {
            page,
            theme: Theme::Light,
            scale: 1.0,
            shot: Shot::Jpeg(60),
        });
        set.push(Spec {
            page,
            theme: Theme::Light,
            scale: 1.0,
            shot: Shot::PhoneCrop,
        });
    }
    set
}

/// The 1920x1080 sign-in error screenshot the bench reads.
pub fn bench_screenshot() -> Spec {
    Spec {
        page: Page::SignIn(50076),
        theme: Theme::Light,
        scale: 1.0,
        shot: Shot::Png,
    }
}

struct Fonts {
    regular: FontVec,
    bold: FontVec,
}

fn fonts() -> Fonts {
    let load = |p: &str| {
        let bytes =
            std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e} (install fonts-dejavu-core)"));
        FontVec::try_from_vec(bytes).expect("DejaVu is a valid font")
    };
    Fonts {
        regular: load(FONT),
        bold: load(FONT_BOLD),
    }
}

/// True when the font the renderer needs is installed.
pub fn font_available() -> bool {
    Path::new(FONT).is_file() && Path::new(FONT_BOLD).is_file()
}

struct Palette {
    page: Rgb<u8>,
    card: Rgb<u8>,
    text: Rgb<u8>,
    muted: Rgb<u8>,
    link: Rgb<u8>,
}

fn palette(theme: Theme) -> Palette {
    match theme {
        Theme::Light => Palette {
            page: Rgb([242, 242, 242]),
            card: Rgb([255, 255, 255]),
            text: Rgb([27, 27, 27]),
            muted: Rgb([96, 96, 96]),
            link: Rgb([0, 103, 184]),
        },
        Theme::Dark => Palette {
            page: Rgb([17, 17, 17]),
            card: Rgb([32, 32, 32]),
            text: Rgb([235, 235, 235]),
            muted: Rgb([170, 170, 170]),
            link: Rgb([96, 175, 255]),
        },
    }
}

/// One line of page text: style and words.
enum Line {
    Title(String),
    Body(String),
    Muted(String),
    Link(String),
    Gap,
}

fn lines(page: Page) -> Vec<Line> {
    use Line::*;
    let details = |first: Option<String>| {
        let mut v = vec![Gap, Title("Troubleshooting details".into())];
        v.push(Muted(
            "If you contact your administrator, send this info to them.".into(),
        ));
        v.push(Link("Copy info to clipboard".into()));
        v.push(Gap);
        if let Some(f) = first {
            v.push(Body(f));
        }
        v.push(Body(format!("Request Id: {REQUEST_ID}")));
        v.push(Body(format!("Correlation Id: {CORRELATION_ID}")));
        v.push(Body("Timestamp: 2024-05-01T10:20:30.123Z".into()));
        v
    };
    match page {
        Page::SignIn(code) => {
            let mut v = vec![
                Title("Sign in".into()),
                Body("Sorry, but we're having trouble signing you in.".into()),
                Gap,
                Body(format!(
                    "AADSTS{code}: Due to a configuration change made by your administrator, \
                     or because you moved to a new location, you must use multi-factor \
                     authentication to access the application."
                )),
            ];
            v.extend(details(None));
            v.push(Body(format!(
                "Message: AADSTS{code}: Due to a configuration change made by your administrator."
            )));
            v.push(Gap);
            v.push(Link(
                "Flag sign-in errors for review: Enable flagging".into(),
            ));
            v
        }
        Page::Blocked(code) => {
            let mut v = vec![
                Title("You cannot access this right now".into()),
                Body(
                    "Your sign-in was successful but does not meet the criteria to access \
                     this resource. For example, you might be signing in from a browser, \
                     app, or location that is restricted by your admin."
                        .into(),
                ),
                Gap,
                Link("Sign out and sign in with a different account".into()),
                Link("More details".into()),
            ];
            v.extend(details(Some(format!("Error Code: {code}"))));
            v.push(Body("App name: Microsoft Office".into()));
            v.push(Body("App id: d3590ed6-52b3-4102-aeff-aad2292ab01c".into()));
            v.push(Body("IP address: 203.0.113.7".into()));
            v.push(Body("Device identifier: Not available".into()));
            v.push(Body("Device platform: Windows 10".into()));
            v.push(Body("Device state: Unregistered".into()));
            v
        }
    }
}

fn fill(img: &mut RgbImage, x0: u32, y0: u32, w: u32, h: u32, c: Rgb<u8>) {
    for y in y0..(y0 + h).min(img.height()) {
        for x in x0..(x0 + w).min(img.width()) {
            img.put_pixel(x, y, c);
        }
    }
}

fn blend(bg: Rgb<u8>, fg: Rgb<u8>, a: f32) -> Rgb<u8> {
    let mix = |b: u8, f: u8| (b as f32 + (f as f32 - b as f32) * a.clamp(0.0, 1.0)).round() as u8;
    Rgb([mix(bg[0], fg[0]), mix(bg[1], fg[1]), mix(bg[2], fg[2])])
}

fn text_width(font: &FontVec, px: f32, s: &str) -> f32 {
    let sf = font.as_scaled(PxScale::from(px));
    let mut w = 0.0;
    let mut prev = None;
    for c in s.chars() {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            w += sf.kern(p, id);
        }
        w += sf.h_advance(id);
        prev = Some(id);
    }
    w
}

/// Draws one line with its baseline at `y`; returns nothing (clipped to the image).
fn draw_text(img: &mut RgbImage, font: &FontVec, px: f32, x: f32, y: f32, s: &str, c: Rgb<u8>) {
    let sf = font.as_scaled(PxScale::from(px));
    let mut caret = x;
    let mut prev = None;
    for ch in s.chars() {
        let id = sf.glyph_id(ch);
        if let Some(p) = prev {
            caret += sf.kern(p, id);
        }
        let glyph = id.with_scale_and_position(PxScale::from(px), point(caret, y));
        caret += sf.h_advance(id);
        prev = Some(id);
        if let Some(outlined) = font.outline_glyph(glyph) {
            let b = outlined.px_bounds();
            outlined.draw(|gx, gy, cov| {
                let px_x = b.min.x as i64 + gx as i64;
                let px_y = b.min.y as i64 + gy as i64;
                if px_x >= 0
                    && px_y >= 0
                    && (px_x as u32) < img.width()
                    && (px_y as u32) < img.height()
                {
                    let p = img.get_pixel_mut(px_x as u32, px_y as u32);
                    *p = blend(*p, c, cov);
                }
            });
        }
    }
}

fn wrap(font: &FontVec, px: f32, s: &str, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let candidate = if cur.is_empty() {
            word.to_owned()
        } else {
            format!("{cur} {word}")
        };
        if text_width(font, px, &candidate) > width && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            cur = word.to_owned();
        } else {
            cur = candidate;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Draws the screenshot (before encoding).
pub fn draw(spec: &Spec) -> RgbImage {
    let f = fonts();
    let pal = palette(spec.theme);
    let s = spec.scale;
    let (w, h) = (1920u32, 1080u32);
    let mut img = RgbImage::from_pixel(w, h, pal.page);
    let card_w = (440.0 * s) as u32;
    let pad = 44.0 * s;
    let card_x = (w - card_w) / 2;
    let card_y = (60.0 * s) as u32;
    fill(&mut img, card_x, card_y, card_w, h - card_y, pal.card);
    // The four-square logo.
    let sq = (10.0 * s) as u32;
    let (lx, ly) = (card_x + pad as u32, card_y + pad as u32);
    for (i, c) in [[242, 80, 34], [127, 186, 0], [0, 164, 239], [255, 185, 0]]
        .into_iter()
        .enumerate()
    {
        let (dx, dy) = ((i as u32 % 2) * (sq + 1), (i as u32 / 2) * (sq + 1));
        fill(&mut img, lx + dx, ly + dy, sq, sq, Rgb(c));
    }
    draw_text(
        &mut img,
        &f.bold,
        15.0 * s,
        lx as f32 + 2.5 * sq as f32,
        ly as f32 + 1.6 * sq as f32,
        "Microsoft",
        pal.muted,
    );
    let x = card_x as f32 + pad;
    let width = card_w as f32 - 2.0 * pad;
    let mut y = ly as f32 + 2.0 * sq as f32 + 20.0 * s;
    for line in lines(spec.page) {
        let (font, px, colour) = match &line {
            Line::Title(_) => (&f.bold, 24.0 * s, pal.text),
            Line::Body(_) => (&f.regular, 15.0 * s, pal.text),
            Line::Muted(_) => (&f.regular, 13.0 * s, pal.muted),
            Line::Link(_) => (&f.regular, 13.0 * s, pal.link),
            Line::Gap => {
                y += 12.0 * s;
                continue;
            }
        };
        let (Line::Title(t) | Line::Body(t) | Line::Muted(t) | Line::Link(t)) = &line else {
            continue;
        };
        for part in wrap(font, px, t, width) {
            y += px * 1.35;
            draw_text(&mut img, font, px, x, y, &part, colour);
        }
        y += 6.0 * s;
    }
    match spec.shot {
        Shot::PhoneCrop => {
            let crop_h = ((y as u32 + (20.0 * s) as u32).min(h)) - card_y;
            image::imageops::crop_imm(&img, card_x, card_y, card_w, crop_h).to_image()
        }
        _ => img,
    }
}

/// The screenshot as file bytes (PNG or JPEG as the spec says).
pub fn encode(spec: &Spec, img: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    match spec.shot {
        Shot::Jpeg(q) => {
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q);
            img.write_with_encoder(enc).expect("JPEG encodes");
        }
        _ => img
            .write_to(&mut out, ImageFormat::Png)
            .expect("PNG encodes"),
    }
    out.into_inner()
}

/// Draws and encodes the screenshot.
pub fn render(spec: &Spec) -> Vec<u8> {
    encode(spec, &draw(spec))
}

/// A 1920x1080 screen with no text at all (light grey).
pub fn blank() -> Vec<u8> {
    let img = RgbImage::from_pixel(1920, 1080, Rgb([242, 242, 242]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .expect("PNG encodes");
    out.into_inner()
}
