//! Compiles the C side (`src/decode.c`, `src/encode.c`, `src/errors.h`) against the
//! headers of the libjpeg-turbo that `mozjpeg-sys` builds and links.

fn main() {
    for file in ["src/decode.c", "src/encode.c", "src/errors.h"] {
        println!("cargo:rerun-if-changed={file}");
    }
    let Some(include) = std::env::var_os("DEP_JPEG_INCLUDE") else {
        panic!("mozjpeg-sys did not say where its headers are (DEP_JPEG_INCLUDE)");
    };
    let mut build = cc::Build::new();
    build.file("src/decode.c").file("src/encode.c").warnings(true).extra_warnings(true);
    for dir in std::env::split_paths(&include) {
        build.include(dir);
    }
    build.compile("sti_jpeg_c");
}
