// Build script: tells rustc where the C helper library (phase 2) is and to link it statically.
use std::env;
use std::path::Path;

fn main() {
    let dir = env::var("MWH_LIB_DIR").expect("MWH_LIB_DIR must name the folder holding libmwhelper.a");
    let lib = Path::new(&dir).join("libmwhelper.a");
    if !lib.is_file() {
        panic!("{} is missing: build phase 2 (make helper) first", lib.display());
    }
    println!("cargo:rustc-link-search=native={}", dir);
    println!("cargo:rustc-link-lib=static=mwhelper");
    println!("cargo:rerun-if-env-changed=MWH_LIB_DIR");
    println!("cargo:rerun-if-changed={}", lib.display());
}
