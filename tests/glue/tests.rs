// wasm-bindgen tests of the binding layer, shared by tests/wasm_node.rs (Node) and
// tests/wasm_browser.rs (headless Chromium). Included, so no inner attributes here.
use ferrochat::{convert, Chat};
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

fn prop(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &k.into()).unwrap()
}

async fn ok(p: Promise) -> JsValue {
    JsFuture::from(p).await.expect("promise rejected")
}

/// Awaits a rejection and returns its `code`, checking it is an `Error`.
async fn code(p: Promise) -> String {
    let e = JsFuture::from(p).await.expect_err("promise resolved");
    assert!(e.is_instance_of::<js_sys::Error>(), "rejection is not an Error");
    prop(&e, "code").as_string().expect("no code")
}

/// The server these tests talk to, fixed at compile time: unset = the embedded store.
const ORIGIN: Option<&str> = option_env!("FERROCHAT_ORIGIN");

/// A per-run prefix, so runs against a long-lived server do not collide.
fn unique(id: &str) -> String {
    thread_local!(static RUN: String = format!("{:x}", (js_sys::Math::random() * 1e12) as u64));
    RUN.with(|r| format!("{id}-{r}"))
}

/// `Chat.init` config for `user` on the backend under test.
fn config(user: &str) -> JsValue {
    match ORIGIN {
        None => obj(&[("userId", user.into())]),
        Some(origin) => obj(&[
            ("userId", user.into()),
            ("publishKey", "demo".into()),
            ("subscribeKey", "demo".into()),
            ("origin", origin.into()),
            ("ssl", false.into()),
        ]),
    }
}

/// A Chat as the JS object JS code sees (methods are called through JS, as users do).
async fn chat(user: &str) -> JsValue {
    ok(Chat::init(config(&unique(user)))).await
}

/// Waits (up to 5 s) until `f` holds, yielding to the event loop in between.
async fn eventually(f: impl Fn() -> bool) -> bool {
    wait_up_to(500, f).await
}

/// Waits up to `ticks` × 10 ms until `f` holds.
async fn wait_up_to(ticks: u32, f: impl Fn() -> bool) -> bool {
    for _ in 0..ticks {
        if f() {
            return true;
        }
        let p = Promise::new(&mut |resolve, _| {
            let g = js_sys::global();
            let set: Function = Reflect::get(&g, &"setTimeout".into()).unwrap().dyn_into().unwrap();
            set.call2(&g, &resolve, &10.into()).unwrap();
        });
        ok(p).await;
    }
    f()
}

async fn call(target: &JsValue, method: &str, args: &[JsValue]) -> JsValue {
    let f: Function = prop(target, method).dyn_into().unwrap();
    let r = f.apply(target, &args.iter().collect::<Array>()).unwrap();
    ok(r.dyn_into::<Promise>().unwrap()).await
}

async fn call_err(target: &JsValue, method: &str, args: &[JsValue]) -> String {
    let f: Function = prop(target, method).dyn_into().unwrap();
    let r = f.apply(target, &args.iter().collect::<Array>()).expect("threw synchronously");
    code(r.dyn_into::<Promise>().unwrap()).await
}

#[wasm_bindgen_test]
async fn init_creates_the_current_user() {
    let c = chat("wasm-init").await;
    let me = prop(&c, "currentUser");
    assert_eq!(prop(&me, "id").as_string().unwrap(), unique("wasm-init"));
    assert_eq!(prop(&me, "name").as_string().unwrap(), unique("wasm-init"));
    assert!(prop(&me, "updated").as_string().unwrap().ends_with('Z'));
    assert_eq!(code(Chat::init(obj(&[]))).await, "ID_REQUIRED");
    assert_eq!(code(Chat::init(JsValue::from(5))).await, "INVALID_ARGUMENT");
}

#[wasm_bindgen_test]
async fn create_update_delete_round_trip() {
    let c = chat("wasm-crud").await;
    let ann: JsValue = unique("wasm-ann").into();
    let data = obj(&[("name", "Ann".into()), ("custom", obj(&[("n", 1.into())]))]);
    let u = call(&c, "createUser", &[ann.clone(), data.clone()]).await;
    assert_eq!(prop(&u, "name").as_string().unwrap(), "Ann");
    assert_eq!(call_err(&c, "createUser", &[ann.clone(), data]).await, "USER_EXISTS");
    let u2 = call(&u, "update", &[obj(&[("email", "a@x.io".into()), ("name", JsValue::UNDEFINED)])]).await;
    assert_eq!(prop(&u2, "email").as_string().unwrap(), "a@x.io");
    assert_eq!(prop(&u2, "name").as_string().unwrap(), "Ann");
    assert!(prop(&u, "email").is_undefined(), "snapshots are immutable");
    let soft = call(&c, "deleteUser", &[ann.clone(), obj(&[("soft", true.into())])]).await;
    assert_eq!(prop(&soft, "status").as_string().unwrap(), "deleted");
    assert_eq!(call(&c, "deleteUser", std::slice::from_ref(&ann)).await, JsValue::TRUE);
    assert_eq!(call(&c, "deleteUser", std::slice::from_ref(&ann)).await, JsValue::TRUE);
    assert!(call(&c, "getUser", std::slice::from_ref(&ann)).await.is_null());
    assert_eq!(call_err(&c, "updateUser", &[ann.clone(), obj(&[])]).await, "USER_NOT_FOUND");
}

#[wasm_bindgen_test]
async fn wrong_types_reject_and_never_poison_the_module() {
    let c = chat("wasm-fuzz").await;
    let values = [
        JsValue::UNDEFINED,
        JsValue::NULL,
        JsValue::from(1.5),
        JsValue::from(f64::NAN),
        JsValue::from(true),
        Array::new().into(),
        obj(&[("name", 5.into())]),
        obj(&[("custom", obj(&[("deep", obj(&[]))]))]),
        obj(&[("custom", Array::of1(&1.into()).into())]),
        "x".repeat(100).into(),
        Function::new_no_args("return 1").into(),
    ];
    for v in &values {
        for method in ["getUser", "createUser", "updateUser", "deleteUser"] {
            let f: Function = prop(&c, method).dyn_into().unwrap();
            let r = f.call2(&c, &unique("wasm-fuzz-target").into(), v).expect("threw synchronously");
            if let Err(e) = JsFuture::from(r.dyn_into::<Promise>().unwrap()).await {
                assert!(prop(&e, "code").is_string(), "{method}: rejection without code");
            }
        }
        let f: Function = prop(&c, "getUsers").dyn_into().unwrap();
        let r = f.call1(&c, v).unwrap();
        if let Err(e) = JsFuture::from(r.dyn_into::<Promise>().unwrap()).await {
            assert_eq!(prop(&e, "code").as_string().unwrap(), "INVALID_ARGUMENT");
        }
    }
    // Still alive.
    assert!(call(&c, "getUser", &[unique("wasm-fuzz").into()]).await.is_object());
}

#[wasm_bindgen_test]
async fn stream_updates_delivers_merged_state_from_another_chat() {
    let a = chat("wasm-stream-a").await;
    let b = chat("wasm-stream-b").await;
    let id: JsValue = unique("wasm-target").into();
    let target = call(&a, "createUser", &[id.clone(), obj(&[("name", "T".into()), ("email", "t@x.io".into())])]).await;
    let seen = Array::new();
    let sink = seen.clone();
    let cb = wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |u: JsValue| {
        sink.push(&u);
    });
    let stop: Function = prop(&target, "streamUpdates")
        .dyn_into::<Function>()
        .unwrap()
        .call1(&target, cb.as_ref())
        .unwrap()
        .dyn_into()
        .unwrap();
    call(&b, "updateUser", &[id.clone(), obj(&[("name", "T2".into())])]).await;
    // Events are delivered from a clean stack (a spawned task), later than the write.
    assert!(eventually(|| seen.length() >= 1).await, "no event delivered");
    assert_eq!(seen.length(), 1);
    let got = seen.get(0);
    assert_eq!(prop(&got, "name").as_string().unwrap(), "T2");
    assert_eq!(prop(&got, "email").as_string().unwrap(), "t@x.io", "changesets merge");
    stop.call0(&JsValue::NULL).unwrap();
    stop.call0(&JsValue::NULL).unwrap();
    call(&b, "updateUser", &[id.clone(), obj(&[("name", "T3".into())])]).await;
    wait_up_to(50, || false).await; // half a second of quiet shows a stray delivery
    assert_eq!(seen.length(), 1, "no delivery after unsubscribe");
    for c in [&a, &b] {
        prop(c, "destroy").dyn_into::<Function>().unwrap().call0(c).unwrap();
    }
}

#[wasm_bindgen_test]
async fn stream_updates_on_checks_its_arguments_synchronously() {
    let c = chat("wasm-stream-on-args").await;
    let me = prop(&c, "currentUser");
    // `User` as JS code gets it: the class of the users the Chat hands out.
    let user_class = prop(&me, "constructor");
    let stream_on: Function = prop(&user_class, "streamUpdatesOn").dyn_into().unwrap();
    let noop: JsValue = Function::new_no_args("").into();
    let throws = |users: JsValue, cb: &JsValue| stream_on.call2(&user_class, &users, cb).unwrap_err();
    let e = throws(Array::new().into(), &noop);
    assert_eq!(prop(&e, "code").as_string().unwrap(), "EMPTY_USER_LIST");
    assert_eq!(prop(&e, "message").as_string().unwrap(), "Cannot stream user updates on an empty list");
    for (users, cb) in [
        (JsValue::from(Array::of1(&1.into())), noop.clone()),
        (JsValue::from("not an array"), noop.clone()),
        (JsValue::from(Array::of1(&me)), JsValue::from(3)),
    ] {
        let e = throws(users, &cb);
        assert!(e.is_instance_of::<js_sys::Error>());
        assert_eq!(prop(&e, "code").as_string().unwrap(), "INVALID_ARGUMENT");
    }
    // The Chat's hook behind User methods throws errors for junk, never a panic.
    let listen: Function = prop(&c, "__listen").dyn_into().unwrap();
    let lengths: JsValue = Array::of3(&1.into(), &0.into(), &0.into()).into();
    for (kind, text, lengths) in [
        ("stream", "x", JsValue::from(Array::new())),
        ("nonsense", "x", lengths.clone()),
        ("stream", "", lengths.clone()),
        ("list", "xy", Array::of2(&1.into(), &0.into()).into()),
    ] {
        let args = Array::of5(&kind.into(), &text.into(), &lengths, &JsValue::NULL, &noop);
        let e = listen.apply(&c, &args).expect_err("junk accepted");
        assert_eq!(prop(&e, "code").as_string().as_deref(), Some("INVALID_ARGUMENT"), "{kind} {text}");
    }
    prop(&c, "destroy").dyn_into::<Function>().unwrap().call0(&c).unwrap();
}

#[wasm_bindgen_test]
fn conversions_follow_one_policy() {
    assert_eq!(convert::id(&JsValue::UNDEFINED).unwrap_err().code(), "ID_REQUIRED");
    assert_eq!(convert::id(&"".into()).unwrap_err().code(), "ID_REQUIRED");
    assert_eq!(convert::id(&7.into()).unwrap_err().code(), "INVALID_ARGUMENT");
    let p = convert::patch(&obj(&[("name", JsValue::NULL), ("email", "e".into())])).unwrap();
    assert_eq!(p.fields[0], ferrochat_core::Patch::Clear);
    assert!(convert::patch(&obj(&[("custom", obj(&[("k", JsValue::NULL)]))])).is_err());
    let (q, _) = convert::list_query(&obj(&[
        ("limit", 5.into()),
        ("sort", obj(&[("name", "desc".into()), ("updated", JsValue::NULL)])),
    ]))
    .unwrap();
    assert_eq!((q.limit, q.sort.len(), q.sort[0].desc, q.sort[1].desc), (5, 2, true, false));
    for bad in [obj(&[("limit", 101.into())]), obj(&[("limit", 1.5.into())]), obj(&[("sort", obj(&[("name", "up".into())]))])] {
        assert_eq!(convert::list_query(&bad).unwrap_err().code(), "INVALID_ARGUMENT");
    }
}

#[wasm_bindgen_test]
async fn v2_signatures_match_the_protocol_vectors() {
    // protocol.md §7: HMAC-SHA256 through WebCrypto, URL-safe base64, "v2." prefix.
    let get = "GET\nmyPublishKey\n/v2/auth/audit/sub-key/mySubscribeKey\nchannel=ch1&pnsdk=PubNub-JS-Nodejs%2FsuchJavascript&timestamp=1317427200&uuid=myUUID\n";
    let patch = "PATCH\nmyPublishKey\n/v2/objects/mySubKey/uuids/myUUID\ninclude=status%2Ctype%2Ccustom&pnsdk=PubNub-JS-Nodejs%2FsuchJavascript&timestamp=1317427200&uuid=myUUID\n{\"name\":\"Ann\"}";
    let sign = |text| async move { ok(ferrochat::driver::sign_v2("mySecretKey", text)).await.as_string().unwrap() };
    assert_eq!(sign(get).await, "v2.I7AFqanrAAtwVfvLHyKECTWw7UcZmwbRnwENpXdGB9E");
    assert_eq!(sign(patch).await, "v2.ThBBwveKZyOF8VZGNYQOV7IGWVJRS-j1MYUfxFq6FUI");
}

#[wasm_bindgen_test]
async fn a_request_that_never_answers_times_out_and_every_attempt_is_aborted() {
    let global = js_sys::global();
    let real = prop(&global, "fetch");
    // A fetch that never answers but honours its signal, as fetch does; it counts aborts.
    let hang = Function::new_with_args(
        "url, init",
        "globalThis.__aborts ??= 0; const s = init.signal; \
         return new Promise((_, reject) => s.addEventListener('abort', () => { globalThis.__aborts++; reject(s.reason); }));",
    );
    Reflect::set(&global, &"fetch".into(), &hang).unwrap();
    let config = obj(&[
        ("userId", "glue-timeout".into()),
        ("subscribeKey", "demo".into()),
        ("origin", "127.0.0.1:9".into()),
        ("ssl", false.into()),
        ("transactionalRequestTimeout", 0.05.into()),
    ]);
    let result = code(Chat::init(config)).await;
    Reflect::set(&global, &"fetch".into(), &real).unwrap();
    assert_eq!(result, "TIMEOUT");
    assert_eq!(prop(&global, "__aborts").as_f64(), Some(4.0), "4 attempts, each aborted when it timed out");
}
