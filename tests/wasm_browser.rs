//! The binding-layer tests in headless Chromium:
//! `CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome -- -p ferrochat --test wasm_browser`
//! (Chromium flags come from webdriver.json next to Cargo.toml).
#![cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
include!("glue/tests.rs");
