//! Purpose: turn untrusted image bytes into the grayscale picture Tesseract
//! reads best, with bounded work: size and pixel limits are checked from
//! the header before anything is decoded, and the decoder gets an
//! allocation limit too.

use std::io::Cursor;

use image::{GrayImage, ImageFormat, ImageReader};

use super::OcrError;

/// Largest accepted file: 8 MiB (Discord's free upload limit is 10 MiB).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// Largest accepted picture: 40 megapixels.
pub const MAX_PIXELS: u64 = 40_000_000;

/// The image formats read (the `image` crate is built with only these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// PNG (`\x89PNG\r\n\x1a\n`).
    Png,
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// WebP (`RIFF....WEBP`).
    WebP,
}

impl ImageKind {
    fn format(self) -> ImageFormat {
        match self {
            ImageKind::Png => ImageFormat::Png,
            ImageKind::Jpeg => ImageFormat::Jpeg,
            ImageKind::WebP => ImageFormat::WebP,
        }
    }
}

/// The image format from the file's magic bytes (never from its name).
pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageKind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageKind::Jpeg)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageKind::WebP)
    } else {
        None
    }
}

/// How the picture is prepared for Tesseract (defaults measured on the
/// test image set; see BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prepare {
    /// Refuse files larger than this many bytes.
    pub max_bytes: usize,
    /// Refuse pictures with more pixels than this (checked from the header).
    pub max_pixels: u64,
    /// Scale 2x when the picture is shorter than this many pixels (0: never).
    /// Tesseract reads text best at an x-height around 20 px; 100 % scale
    /// screenshots use 15 px fonts (x-height about 8 px).
    pub upscale_below: u32,
    /// Invert pictures whose mean luminance is below one half (dark themes),
    /// so the text is dark on light as Tesseract expects.
    pub invert_dark: bool,
    /// Threshold to black and white (Otsu) instead of passing grayscale.
    pub binarise: bool,
    /// Crop to the area with ink (pixels far from the background shade) and
    /// skip pictures with none: most of a full-screen capture is empty, and
    /// Tesseract's time grows with the area it lays out.
    pub crop: bool,
}

impl Default for Prepare {
    fn default() -> Self {
        Prepare {
            max_bytes: MAX_BYTES,
            max_pixels: MAX_PIXELS,
            upscale_below: 1000,
            invert_dark: true,
            binarise: false,
            crop: true,
        }
    }
}

/// Checks the limits, decodes and prepares; returns the picture as a binary
/// PGM (`P5`) file, which Tesseract reads from standard input without any
/// compression work on either side, or `None` when it holds no ink at all
/// (nothing to read).
pub fn prepare(bytes: &[u8], options: &Prepare) -> Result<Option<Vec<u8>>, OcrError> {
    let gray = decode_gray(bytes, options)?;
    Ok(improve(gray, options).map(|g| to_pgm(&g)))
}

/// Checks the limits and decodes to 8-bit grayscale.
pub fn decode_gray(bytes: &[u8], options: &Prepare) -> Result<GrayImage, OcrError> {
    if bytes.len() > options.max_bytes {
        return Err(OcrError::TooLarge {
            bytes: bytes.len() as u64,
        });
    }
    let kind = sniff(bytes).ok_or(OcrError::NotAnImage)?;
    let check = |width: u32, height: u32| {
        if u64::from(width) * u64::from(height) > options.max_pixels {
            Err(OcrError::TooManyPixels { width, height })
        } else {
            Ok(())
        }
    };
    // PNG's size sits at a fixed place; read it before any decoder (which
    // may refuse a huge claim with a less telling error).
    if let (ImageKind::Png, Some(ihdr)) = (kind, bytes.get(12..24)) {
        if &ihdr[..4] == b"IHDR" {
            let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            check(be(&ihdr[4..8]), be(&ihdr[8..12]))?;
        }
    }
    let reader = |b| ImageReader::with_format(Cursor::new(b), kind.format());
    let (width, height) = reader(bytes)
        .into_dimensions()
        .map_err(|_| OcrError::Undecodable)?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels == 0 {
        return Err(OcrError::Undecodable);
    }
    check(width, height)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // RGBA at 16 bits per channel plus the decoders' working buffers.
    limits.max_alloc = Some(pixels * 8 + 16 * 1024 * 1024);
    let mut decoder = reader(bytes);
    decoder.limits(limits);
    let decoded = decoder.decode().map_err(|_| OcrError::Undecodable)?;
    if (decoded.width(), decoded.height()) != (width, height) {
        return Err(OcrError::Undecodable);
    }
    Ok(decoded.into_luma8())
}

/// Inverts dark themes, crops to the ink, upscales small text and
/// binarises, as configured; `None` when cropping found no ink.
pub fn improve(mut gray: GrayImage, options: &Prepare) -> Option<GrayImage> {
    if options.invert_dark && mean(&gray) < 128.0 {
        image::imageops::invert(&mut gray);
    }
    // The original height tells the display density: phone crops and small
    // windows have few pixels per letter.
    let (_, h) = gray.dimensions();
    let upscale = h < options.upscale_below;
    if options.crop {
        let (x, y, cw, ch) = ink_box(&gray)?;
        if (cw, ch) != gray.dimensions() {
            gray = image::imageops::crop_imm(&gray, x, y, cw, ch).to_image();
        }
    }
    let (w, h) = gray.dimensions();
    let doubled = u64::from(w) * u64::from(h) * 4;
    if upscale && doubled <= options.max_pixels {
        gray = image::imageops::resize(&gray, w * 2, h * 2, image::imageops::FilterType::Triangle);
    }
    if options.binarise {
        let t = otsu(&gray);
        for p in gray.pixels_mut() {
            p.0[0] = if p.0[0] > t { 255 } else { 0 };
        }
    }
    Some(gray)
}

/// A pixel this far from the background shade is ink (text, logo, lines);
/// a page card on a slightly different grey is not.
const INK_CONTRAST: u8 = 64;
/// Fewer ink pixels than this: nothing to read (noise, a flat picture).
const MIN_INK: u64 = 32;
/// Margin kept around the ink, in pixels.
const CROP_MARGIN: u32 = 16;

/// The box (x, y, width, height) around the ink, with a margin; `None` when
/// there is (almost) none.
fn ink_box(gray: &GrayImage) -> Option<(u32, u32, u32, u32)> {
    let mut hist = [0u64; 256];
    for &v in gray.as_raw() {
        hist[usize::from(v)] += 1;
    }
    let background = (0..256).max_by_key(|&i| hist[i]).unwrap_or(255) as u8;
    let (w, h) = gray.dimensions();
    let (mut x0, mut y0, mut x1, mut y1, mut ink) = (w, h, 0, 0, 0u64);
    for (y, row) in gray.as_raw().chunks_exact(w as usize).enumerate() {
        let y = y as u32;
        let mut first = None;
        let mut last = 0;
        for (x, &v) in row.iter().enumerate() {
            if v.abs_diff(background) > INK_CONTRAST {
                first.get_or_insert(x as u32);
                last = x as u32;
                ink += 1;
            }
        }
        if let Some(f) = first {
            x0 = x0.min(f);
            x1 = x1.max(last);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    if ink < MIN_INK {
        return None;
    }
    let x = x0.saturating_sub(CROP_MARGIN);
    let y = y0.saturating_sub(CROP_MARGIN);
    let right = (x1 + 1 + CROP_MARGIN).min(w);
    let bottom = (y1 + 1 + CROP_MARGIN).min(h);
    Some((x, y, right - x, bottom - y))
}

/// Mean luminance, 0 (black) to 255 (white).
fn mean(gray: &GrayImage) -> f64 {
    let n = gray.as_raw().len().max(1) as f64;
    gray.as_raw().iter().map(|&v| f64::from(v)).sum::<f64>() / n
}

/// Otsu's threshold over the histogram.
fn otsu(gray: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for &v in gray.as_raw() {
        hist[usize::from(v)] += 1;
    }
    let total: u64 = hist.iter().sum();
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w_b, mut sum_b, mut best, mut threshold) = (0u64, 0.0f64, 0.0f64, 127u8);
    for (t, &c) in hist.iter().enumerate() {
        w_b += c;
        if w_b == 0 {
            continue;
        }
        let w_f = total - w_b;
        if w_f == 0 {
            break;
        }
        sum_b += t as f64 * c as f64;
        let m_b = sum_b / w_b as f64;
        let m_f = (sum_all - sum_b) / w_f as f64;
        let between = w_b as f64 * w_f as f64 * (m_b - m_f) * (m_b - m_f);
        if between > best {
            best = between;
            threshold = t as u8;
        }
    }
    threshold
}

/// A binary PGM (`P5`) file of the picture.
pub fn to_pgm(gray: &GrayImage) -> Vec<u8> {
    let header = format!("P5\n{} {}\n255\n", gray.width(), gray.height());
    let mut out = Vec::with_capacity(header.len() + gray.as_raw().len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(gray.as_raw());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, v: u8) -> Vec<u8> {
        let img = GrayImage::from_pixel(w, h, image::Luma([v]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn sniffs_magic_bytes() {
        assert_eq!(sniff(&png(2, 2, 0)), Some(ImageKind::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageKind::Jpeg));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageKind::WebP));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(sniff(b"AADSTS50076"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn refuses_too_many_bytes_before_looking() {
        let opts = Prepare {
            max_bytes: 10,
            ..Prepare::default()
        };
        assert!(matches!(
            decode_gray(&png(2, 2, 0), &opts),
            Err(OcrError::TooLarge { .. })
        ));
    }

    #[test]
    fn refuses_too_many_pixels_from_the_header() {
        let opts = Prepare {
            max_pixels: 99,
            ..Prepare::default()
        };
        assert!(matches!(
            decode_gray(&png(10, 10, 0), &opts),
            Err(OcrError::TooManyPixels {
                width: 10,
                height: 10
            })
        ));
        assert!(decode_gray(&png(9, 11, 0), &opts).is_ok());
    }

    #[test]
    fn refuses_what_is_not_an_image() {
        let opts = Prepare::default();
        assert!(matches!(
            decode_gray(b"hello", &opts),
            Err(OcrError::NotAnImage)
        ));
        let mut truncated = png(50, 50, 7);
        truncated.truncate(40);
        assert!(matches!(
            decode_gray(&truncated, &opts),
            Err(OcrError::Undecodable)
        ));
    }

    #[test]
    fn inverts_dark_pictures_only() {
        let dark = GrayImage::from_pixel(4, 4, image::Luma([20]));
        let light = GrayImage::from_pixel(4, 4, image::Luma([200]));
        let opts = Prepare {
            upscale_below: 0,
            ..Prepare::default()
        };
        let opts = Prepare {
            crop: false,
            ..opts
        };
        assert_eq!(improve(dark, &opts).unwrap().get_pixel(0, 0).0[0], 235);
        assert_eq!(improve(light, &opts).unwrap().get_pixel(0, 0).0[0], 200);
    }

    #[test]
    fn upscales_short_pictures_within_the_pixel_limit() {
        let opts = Prepare {
            crop: false,
            ..Prepare::default()
        };
        let size = |img, o: &Prepare| improve(img, o).unwrap().dimensions();
        let small = GrayImage::from_pixel(300, 200, image::Luma([255]));
        assert_eq!(size(small, &opts), (600, 400));
        let tall = GrayImage::from_pixel(300, 1000, image::Luma([255]));
        assert_eq!(size(tall, &opts), (300, 1000));
        let capped = Prepare {
            max_pixels: 1000,
            ..opts
        };
        let wide = GrayImage::from_pixel(100, 5, image::Luma([255]));
        assert_eq!(size(wide, &capped), (100, 5));
    }

    #[test]
    fn crops_to_the_ink_with_a_margin() {
        let mut img = GrayImage::from_pixel(1000, 800, image::Luma([242]));
        // A lighter card (not ink) and a block of text (ink).
        for y in 100..700 {
            for x in 300..700 {
                img.put_pixel(x, y, image::Luma([255]));
            }
        }
        for y in 200..220 {
            for x in 400..500 {
                img.put_pixel(x, y, image::Luma([20]));
            }
        }
        let opts = Prepare {
            upscale_below: 0,
            ..Prepare::default()
        };
        assert_eq!(ink_box(&img), Some((384, 184, 132, 52)));
        assert_eq!(improve(img, &opts).unwrap().dimensions(), (132, 52));
    }

    #[test]
    fn a_picture_without_ink_has_nothing_to_read() {
        let flat = GrayImage::from_pixel(1920, 1080, image::Luma([242]));
        assert_eq!(improve(flat, &Prepare::default()), None);
        let mut specks = GrayImage::from_pixel(100, 100, image::Luma([242]));
        specks.put_pixel(5, 5, image::Luma([0]));
        assert_eq!(improve(specks, &Prepare::default()), None);
    }

    #[test]
    fn binarises_to_two_levels() {
        let mut img = GrayImage::from_pixel(10, 10, image::Luma([230]));
        for x in 0..10 {
            img.put_pixel(x, 5, image::Luma([40]));
        }
        let opts = Prepare {
            upscale_below: 0,
            binarise: true,
            crop: false,
            ..Prepare::default()
        };
        let out = improve(img, &opts).unwrap();
        assert!(out.pixels().all(|p| p.0[0] == 0 || p.0[0] == 255));
        assert_eq!(out.get_pixel(0, 5).0[0], 0);
        assert_eq!(out.get_pixel(0, 0).0[0], 255);
    }

    #[test]
    fn pgm_has_header_and_pixels() {
        let img = GrayImage::from_pixel(3, 2, image::Luma([9]));
        let pgm = to_pgm(&img);
        assert!(pgm.starts_with(b"P5\n3 2\n255\n"));
        assert_eq!(pgm.len(), b"P5\n3 2\n255\n".len() + 6);
    }
}
