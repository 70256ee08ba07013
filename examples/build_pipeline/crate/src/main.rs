// The binary of build_pipeline: prints checksums of the generated tables, computed by the C helper and
// by Rust itself, so the Node.js test (phase 4) can check both against the manifest.
mod tables;

use std::env;
use std::ffi::CStr;
use std::os::raw::c_char;
use std::process::ExitCode;

extern "C" {
    fn mwh_fnv1a32_u32le(values: *const u32, count: usize) -> u32;
    fn mwh_sum_u32(values: *const u32, count: usize) -> u64;
    fn mwh_version() -> *const c_char;
}

fn fnv1a32_rust(values: &[u32]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for v in values {
        for b in v.to_le_bytes() {
            h ^= b as u32;
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

fn checksums() -> ExitCode {
    let mut status = ExitCode::SUCCESS;
    for (name, values) in tables::TABLES {
        // SAFETY: the pointer and length come from a live slice the helper only reads.
        let (c_fnv, c_sum) =
            unsafe { (mwh_fnv1a32_u32le(values.as_ptr(), values.len()), mwh_sum_u32(values.as_ptr(), values.len())) };
        let r_fnv = fnv1a32_rust(values);
        let r_sum: u64 = values.iter().map(|&v| v as u64).sum();
        if c_fnv != r_fnv || c_sum != r_sum {
            eprintln!("pipeline: {}: C helper and Rust disagree", name);
            status = ExitCode::from(1);
        }
        println!("{} {} {:08x} {}", name, values.len(), c_fnv, c_sum);
    }
    status
}

fn dump(name: &str) -> ExitCode {
    match tables::TABLES.iter().find(|(n, _)| *n == name) {
        Some((_, values)) => {
            let text: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            println!("{}", text.join("\n"));
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("pipeline: no table named '{}'", name);
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("checksums") => checksums(),
        Some("dump") if args.len() == 3 => dump(&args[2]),
        Some("version") => {
            // SAFETY: mwh_version returns a static NUL-terminated string.
            let v = unsafe { CStr::from_ptr(mwh_version()) };
            println!("pipeline 0.1.0 ({})", v.to_string_lossy());
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: pipeline checksums | dump TABLE | version");
            ExitCode::from(2)
        }
    }
}
