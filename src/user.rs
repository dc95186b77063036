//! The JS class `User` lives in `js/user.js` (plain frozen fields: a field read is a
//! property read, a dropped `User` is ordinary garbage). This is its Rust side: building
//! `User`s from a batch.

use crate::driver::Driver;
use ferrochat_client::UserBatch;
use js_sys::Array;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/user.js")]
extern "C" {
    /// Builds `User`s from one batch (see `ferrochat_client::UserBatch`).
    #[wasm_bindgen(js_name = makeUsers)]
    fn make_users(chat: &JsValue, interval: f64, text: &str, nums: &[f64]) -> Array;
}

/// JS `User`s of the driver's Chat for the users encoded in `batch`, in order.
pub fn from_batch(driver: &Rc<Driver>, batch: &UserBatch) -> Array {
    make_users(
        &driver.handle(),
        driver.interval(),
        &batch.text,
        &batch.nums,
    )
}
