//! Regenerates the development material in `certs/dev/` (test material only;
//! never a production key): the PKI (with the Department's organisation
//! certificate that signs its seal), and the handwritten-signature and seal
//! images the demo stamps. `cargo run --example dev_pki`, or
//! `certs/regenerate.sh` for everything including the sample documents.

#[path = "../tests/common/pki.rs"]
#[allow(dead_code)]
mod pki;

use std::path::Path;

/// A transparent PNG: a double ring (a seal) or a wavy stroke (a signature).
fn write_png(path: &Path, w: u32, h: u32, rgb: [u8; 3], seal: bool) -> Result<(), Box<dyn std::error::Error>> {
    let mut px = vec![0u8; (w * h * 4) as usize];
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (f64::from(x) / f64::from(w) - 0.5, f64::from(y) / f64::from(h) - 0.5);
            let on = if seal {
                let r = (fx * fx + fy * fy).sqrt();
                (0.40..0.48).contains(&r) || (0.28..0.31).contains(&r) || (fx.abs() < 0.12 && fy.abs() < 0.02)
            } else {
                (fy - 0.25 * (fx * 14.0).sin() * (1.0 - fx.abs())).abs() < 0.05
            };
            if on {
                let i = ((y * w + x) * 4) as usize;
                px[i..i + 4].copy_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
            }
        }
    }
    let file = std::fs::File::create(path)?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()?.write_image_data(&px)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev");
    let pki = pki::generate(&dir);
    write_png(&dir.join("signature.png"), 300, 120, [20, 40, 200], false)?;
    write_png(&dir.join("seal.png"), 240, 240, [210, 20, 20], true)?;
    println!("dev PKI and images written to {}", pki.dir.display());
    Ok(())
}
