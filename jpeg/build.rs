//! Compiles the C side of the decoder (`src/decode.c`) against the headers of the
//! libjpeg-turbo that `mozjpeg-sys` builds and links.

fn main() {
    println!("cargo:rerun-if-changed=src/decode.c");
    let Some(include) = std::env::var_os("DEP_JPEG_INCLUDE") else {
        panic!("mozjpeg-sys did not say where its headers are (DEP_JPEG_INCLUDE)");
    };
    let mut build = cc::Build::new();
    build.file("src/decode.c").warnings(true).extra_warnings(true);
    for dir in std::env::split_paths(&include) {
        build.include(dir);
    }
    build.compile("sti_jpeg_decode");
}
